"""auditor.metrics: all pairs' chrF and BLEU at once, equal to sacrebleu's sentence scores."""

from __future__ import annotations

import pytest
from sacrebleu.metrics import BLEU, CHRF

from auditor.metrics import bleu_scores, chrf_scores
from tests.conftest import MT_SEED, REF_SEEDS

# Texts where the counting can go wrong: empty sides, a reference shorter than an n-gram order
# (sacrebleu then counts no hypothesis n-grams of that order), whitespace only, repeats
# (clipped counts), characters outside the basic plane, Chinese against English.
EDGES = [
    ("", "abc"), ("abc", ""), ("", ""), ("  ", "a"), ("a", "abcdefg"), ("abcdefgh", "ab"),
    ("x y", "x  y"), ("aaaaaa aaaa", "aaaa"), ("the the the cat .", "the cat sat on the mat ."),
    ("😀😀 a", "😀 a"), ("北京 欢迎你", "北京欢迎你。"), ("Beijing welcomes you.", "北京欢迎你。"),
    ("It cost $8,000 (about 1.2m yuan).", "It cost 8,000 dollars, about 1.2 million yuan."),
]


def _lines(path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def _seed_pairs() -> list[tuple[str, str]]:
    """Every seed MT line against every line of the first reference, and the whole texts."""
    mt, ref = _lines(MT_SEED), _lines(REF_SEEDS[0])
    whole = [(" ".join(mt), " ".join(_lines(r))) for r in REF_SEEDS]
    return [(h, r) for h in mt for r in ref] + whole


@pytest.mark.parametrize("pairs", [EDGES, _seed_pairs(), [EDGES[-1]]], ids=["edges", "seeds",
                                                                             "one"])
def test_scores_equal_sacrebleu(pairs):
    chrf, bleu = CHRF(), BLEU(effective_order=True)
    assert chrf_scores(pairs) == [chrf.sentence_score(h, [r]).score for h, r in pairs]
    assert bleu_scores(pairs) == [bleu.sentence_score(h, [r]).score for h, r in pairs]


def test_many_distinct_characters_rerank():
    """Thousands of distinct characters do not fit six to an int64 key: the keys are re-ranked
    between orders, and the scores still equal sacrebleu's."""
    alphabet = [chr(0x4E00 + k) for k in range(3000)]
    hyp = "".join(alphabet[k * 7 % 3000] for k in range(2500))
    ref = "".join(alphabet[k * 7 % 3000] for k in range(1200, 3700))
    pairs = [(hyp, ref), (ref[:50], hyp[:60])]
    assert chrf_scores(pairs) == [CHRF().sentence_score(h, [r]).score for h, r in pairs]


def test_no_pairs():
    assert chrf_scores([]) == [] and bleu_scores([]) == []


def _dev_documents() -> list[list[str]]:
    """Each dev document's segments (every system, the references, the Chinese sources), in
    order, with the MQM markup removed."""
    import csv
    import re

    from tests.conftest import SHARED_DATA

    docs: dict[tuple[str, str, str], dict[int, str]] = {}
    for name in ("mqm_ted_zhen.dev.tsv", "mqm_news_zhen.dev.tsv"):
        with open(SHARED_DATA / name, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
                seg = int(row.get("seg_id") or row.get("docSegId") or 0)
                for side in ("target", "source"):
                    key = (name, row["doc"], row["system"] if side == "target" else side)
                    docs.setdefault(key, {})[seg] = re.sub(r"</?v>", "", row[side]).strip()
    return [[text for _, text in sorted(d.items())] for d in docs.values()]


def test_tokens_of_joined_sentences_are_each_sentences_tokens():
    """BLEU reads a group or a whole text as the sentences it joins (`auditor.metrics._tokens`):
    on every dev document, and on the edge texts run together, the tokens are sacrebleu's
    tokens of the joined text, and so are the scores."""
    from auditor.metrics import _metrics, _tokens

    _, bleu = _metrics()
    documents = _dev_documents() + [[h for h, _ in EDGES] + [r for _, r in EDGES]]
    assert len(documents) > 100
    for parts in documents:
        assert _tokens(bleu, parts) == bleu._preprocess_segment(" ".join(parts)).split()
    pairs = [(documents[k], documents[k + 1]) for k in range(0, 40, 2)]
    assert bleu_scores(pairs) == [BLEU(effective_order=True).sentence_score(
        " ".join(h), [" ".join(r)]).score for h, r in pairs]
    # a line break inside a sentence: 13a's "-\n" rule reads across it, so it is joined first
    parts = ["a well-\n", "known b"]
    assert _tokens(bleu, parts) == bleu._preprocess_segment(" ".join(parts)).split() != [
        t for part in parts for t in bleu._preprocess_segment(part).split()]
