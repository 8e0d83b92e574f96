"""Sentence chrF and BLEU of many (hypothesis, reference) pairs at once, equal to sacrebleu's.

`score_groups` scores every aligned group of a document and `score_document` the whole texts:
sacrebleu's `sentence_score` counts each text's n-grams in Python `Counter`s, a quarter of a fast
audit's CPU. Here the n-gram counts of all pairs come from one sort per order (numpy), and the
scores from sacrebleu's own formulas over those statistics (`_compute_score_from_stats`), so
every score equals `CHRF().sentence_score(hyp, [ref]).score` and `BLEU(effective_order=True)
.sentence_score(hyp, [ref]).score` exactly (tests/test_metrics.py checks it on real text);
sacrebleu also still tokenises for BLEU (13a) and stays the reference implementation.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

# Keys are packed into int64: (n-gram, pair, side) must stay below this.
_KEY_LIMIT = 1 << 62


@lru_cache(maxsize=1)
def _metrics() -> tuple[Any, Any]:
    """sacrebleu's chrF (chrF2, character 6-grams, whitespace ignored) and sentence BLEU
    (effective order, 13a tokens): the settings `auditor.score` reports."""
    from sacrebleu.metrics import BLEU, CHRF

    return CHRF(), BLEU(effective_order=True)


def _matches(ids: np.ndarray, lengths: np.ndarray, n_pairs: int, order: int) -> np.ndarray:
    """(n_pairs, order) clipped n-gram matches of hypothesis k against reference k, for n-grams
    of 1..`order` units. `ids`: the units (characters or tokens) of the hypotheses then the
    references, concatenated, as integers >= 1; `lengths`: units per text (2 * n_pairs).
    An n-gram is the key of its first n units (base `top`); a key grows by one unit per order
    and is re-ranked to a dense id when the next one would not fit."""
    out = np.zeros((n_pairs, order), dtype=np.int64)
    total = len(ids)
    if not total:
        return out
    top = int(ids.max()) + 1
    starts = np.cumsum(lengths) - lengths
    remaining = np.repeat(lengths, lengths) - (np.arange(total) - np.repeat(starts, lengths))
    text = np.repeat(np.arange(2 * n_pairs), lengths)
    pair, side = text % n_pairs, text // n_pairs
    limit = _KEY_LIMIT // (2 * n_pairs)
    key = np.zeros(total, dtype=np.int64)
    for n in range(1, order + 1):
        width = total - n + 1
        if width <= 0:
            break
        if int(key.max()) >= (limit - top) // top:  # re-rank: same n-grams, same dense id
            key = np.unique(key, return_inverse=True)[1].astype(np.int64).reshape(-1)
        key[:width] = key[:width] * top + ids[n - 1:]
        valid = remaining[:width] >= n
        full = (key[:width][valid] * n_pairs + pair[:width][valid]) * 2 + side[:width][valid]
        full.sort()
        first = np.flatnonzero(np.diff(full, prepend=-1))
        counts = np.diff(np.append(first, len(full)))
        values = full[first]
        # an (n-gram, pair) on the hypothesis side (0) next to the same one on the reference side
        both = np.flatnonzero(((values[:-1] >> 1) == (values[1:] >> 1)) & (values[:-1] & 1 == 0))
        out[:, n - 1] = np.bincount((values[both] >> 1) % n_pairs,
                                    weights=np.minimum(counts[both], counts[both + 1]),
                                    minlength=n_pairs).astype(np.int64)
    return out


def chrf_scores(pairs: Sequence[tuple[str, str]]) -> list[float]:
    """sacrebleu's sentence chrF of each (hypothesis, reference)."""
    chrf, _ = _metrics()
    if not pairs:
        return []
    order = chrf.char_order
    texts = ["".join(h.split()) for h, _ in pairs] + ["".join(r.split()) for _, r in pairs]
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    ids = np.zeros(0, dtype=np.int64)
    if len(codes):
        present = np.zeros(int(codes.max()) + 1, dtype=np.int64)
        present[codes] = 1
        ids = np.cumsum(present)[codes]  # dense ids from 1: small keys
    matches = _matches(ids, lengths, len(pairs), order)
    n_pairs = len(pairs)
    scores = []
    for k in range(n_pairs):
        stats: list[int] = []
        for n in range(1, order + 1):
            hyp, ref = max(int(lengths[k]) - n + 1, 0), max(int(lengths[n_pairs + k]) - n + 1, 0)
            # sacrebleu counts no hypothesis n-grams where the reference has none
            stats += [hyp if ref else 0, ref, int(matches[k, n - 1])]
        scores.append(float(chrf._compute_score_from_stats(stats).score))
    return scores


Text = str | Sequence[str]  # a text, or the sentences it joins with single spaces


def _tokens(bleu: Any, text: Text) -> list[str]:
    """sacrebleu's tokens of a text (13a). Given as sentences joined with single spaces, the
    tokens of each sentence in turn: 13a's rules read a character and its neighbour, a space
    ends every one of them as the padding around a lone sentence does, so joining first gives
    the same tokens (tests/test_metrics.py, every dev document); each sentence is tokenised
    once through sacrebleu's cache however many groups and whole texts hold it. (A sentence
    with a line break, where 13a's "-\\n" rule reaches across, is joined first.)"""
    if isinstance(text, str):
        return bleu._preprocess_segment(text).split()
    if bleu.tokenizer.signature() != "13a" or any("\n" in part for part in text):
        return bleu._preprocess_segment(" ".join(text)).split()
    return [t for part in text for t in bleu._preprocess_segment(part).split()]


def bleu_scores(pairs: Sequence[tuple[Text, Text]]) -> list[float]:
    """sacrebleu's sentence BLEU (effective order) of each (hypothesis, reference); a side
    may be the sentences it joins with single spaces (`_tokens`)."""
    _, bleu = _metrics()
    if not pairs:
        return []
    order = bleu.max_ngram_order
    tokens = [_tokens(bleu, h) for h, _ in pairs] + [_tokens(bleu, r) for _, r in pairs]
    vocabulary: dict[str, int] = {}
    ids = np.array([vocabulary.setdefault(t, len(vocabulary) + 1) for ts in tokens for t in ts],
                   dtype=np.int64)
    lengths = np.array([len(ts) for ts in tokens], dtype=np.int64)
    matches = _matches(ids, lengths, len(pairs), order)
    n_pairs = len(pairs)
    scores = []
    for k in range(n_pairs):
        hyp_len, ref_len = int(lengths[k]), int(lengths[n_pairs + k])
        total = [max(hyp_len - n + 1, 0) for n in range(1, order + 1)]
        stats = [hyp_len, ref_len, *(int(m) for m in matches[k]), *total]
        scores.append(float(bleu._compute_score_from_stats(stats).score))
    return scores


__all__ = ["bleu_scores", "chrf_scores"]
