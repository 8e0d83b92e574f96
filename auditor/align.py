"""Stage 3: sentence alignment from embeddings. Pure numpy; no I/O.

Two modes:
- comparable (`align_comparable`): independent reports of one event. Order is free, many
  sentences have no counterpart, one sentence may merge two. A pair counts when its cosine
  clears a floor and its ratio margin (Artetxe & Schwenk 2019: cosine over the mean cosine of
  both sentences' k nearest neighbours) shows it stands out from its neighbourhood.
- parallel (`align_parallel`): a true translation pair. Monotonic dynamic programming over
  1-0, 0-1, 1-1, 1-2, 2-1 and 2-2 steps in a band around the diagonal, as in Bertalign/vecalign.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

Group = tuple[tuple[int, ...], tuple[int, ...]]


def cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n, d) x (m, d) L2-normalised -> (n, m) cosine similarities."""
    if a.size == 0 or b.size == 0:
        return np.zeros((a.shape[0], b.shape[0]), dtype=np.float32)
    return np.clip(a @ b.T, -1.0, 1.0)


def margin_matrix(sim: np.ndarray, k: int) -> np.ndarray:
    """Ratio margin of every cell: sim / mean(kNN mean of its row, kNN mean of its column)."""
    n, m = sim.shape
    if n == 0 or m == 0:
        return np.zeros_like(sim)
    k_row, k_col = min(k, m), min(k, n)
    row_knn = -np.sort(-sim, axis=1)[:, :k_row].mean(axis=1)
    col_knn = -np.sort(-sim, axis=0)[:k_col, :].mean(axis=0)
    denom = (row_knn[:, None] + col_knn[None, :]) / 2.0
    return sim / np.maximum(denom, 1e-6)


def _components(links: np.ndarray) -> list[Group]:
    """Connected components of a boolean (n, m) bipartite link matrix, in MT order."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n, m = links.shape
    rows, cols = np.nonzero(links)
    if rows.size == 0:
        return []
    graph = coo_matrix((np.ones(rows.size, dtype=np.int8), (rows, n + cols)), shape=(n + m, n + m))
    _, labels = connected_components(graph, directed=False)
    mt_nodes, other_nodes = np.unique(rows), np.unique(cols)
    groups: dict[int, tuple[list[int], list[int]]] = {}
    for i in mt_nodes.tolist():
        groups.setdefault(int(labels[i]), ([], []))[0].append(i)
    for j in other_nodes.tolist():
        groups[int(labels[n + j])][1].append(j)
    return sorted((tuple(a), tuple(b)) for a, b in groups.values())


_WORD = re.compile(r"(?u)\b\w\w+\b")


def lexical_similarity(mt_texts: list[str], other_texts: list[str]) -> np.ndarray:
    """(n, m) TF-IDF cosine over content words, IDF from both documents' sentences.

    Comparable reports of one story are all topically close in embedding space; shared rare
    words (names, numbers, key nouns) tell which sentences report the same fact.
    The weighting is scikit-learn's TfidfVectorizer(stop_words="english", sublinear_tf=True,
    token_pattern=r"(?u)\\b\\w\\w+\\b"): lower-cased words of 2+ characters, tf = 1 + log(count),
    idf = ln((1 + N) / (1 + df)) + 1, rows L2-normalised. It is written out here because
    importing scikit-learn costs more than the rest of a cold audit's alignment
    (tests/test_align_lexical.py checks it against the library).
    """
    n, m = len(mt_texts), len(other_texts)
    if not n or not m:
        return np.zeros((n, m), dtype=np.float32)
    from scipy.sparse import csr_matrix

    from auditor.lang.stop_words import ENGLISH_STOP_WORDS

    vocabulary: dict[str, int] = {}
    indptr, indices, counts = [0], [], []
    for text in [*mt_texts, *other_texts]:
        words = Counter(w for w in _WORD.findall(text.lower()) if w not in ENGLISH_STOP_WORDS)
        for word, count in words.items():
            indices.append(vocabulary.setdefault(word, len(vocabulary)))
            counts.append(count)
        indptr.append(len(indices))
    if not vocabulary:  # only stop words: no lexical evidence at all
        return np.zeros((n, m), dtype=np.float32)
    columns = np.asarray(indices, dtype=np.int64)
    weights = 1.0 + np.log(np.asarray(counts, dtype=np.float64))
    document_frequency = np.bincount(columns, minlength=len(vocabulary))
    idf = np.log((1.0 + n + m) / (1.0 + document_frequency)) + 1.0
    weights *= idf[columns]
    matrix = csr_matrix((weights, columns, np.asarray(indptr)), shape=(n + m, len(vocabulary)))
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    matrix = csr_matrix(matrix.multiply(1.0 / np.maximum(norms, 1e-300)[:, None]))
    return np.asarray((matrix[:n] @ matrix[n:].T).todense(), dtype=np.float32)


def align_comparable(
    sim: np.ndarray,
    *,
    k: int = 4,
    margin_threshold: float = 1.1,
    min_similarity: float = 0.40,
    merge_delta: float = 0.05,
    max_merge: int = 3,
) -> list[Group]:
    """Many-to-many groups for comparable documents; unmatched sentences stay out of all groups.

    1. An MT sentence links to its best counterpart when the pair clears `min_similarity` and
       the ratio margin, and to up to `max_merge - 1` more accepted counterparts within
       `merge_delta` of the best (one MT sentence merging several reference sentences).
    2. A sentence whose best counterpart is already linked to an adjacent MT sentence joins
       it when it clears `min_similarity` alone: translation splits sentences locally, and a
       split-off half is too short to stand out on its own.
    """
    n, m = sim.shape
    if n == 0 or m == 0:
        return []
    accepted = (sim >= min_similarity) & (margin_matrix(sim, k) >= margin_threshold)
    links = np.zeros_like(accepted)
    rows = np.arange(n)
    best = sim.argmax(axis=1)
    ranked = np.argsort(-sim, axis=1)[:, :max_merge]
    near_best = sim[rows[:, None], ranked] >= (sim[rows, best] - merge_delta)[:, None]
    has_best = accepted[rows, best]
    keep = near_best & accepted[rows[:, None], ranked] & has_best[:, None]
    links[np.repeat(rows, ranked.shape[1])[keep.ravel()], ranked.ravel()[keep.ravel()]] = True
    changed = True
    while changed:  # grow split groups outwards from accepted links, one neighbour at a time
        changed = False
        for i in np.flatnonzero(~links.any(axis=1) & (sim[rows, best] >= min_similarity)):
            j = best[i]
            if (i > 0 and links[i - 1, j]) or (i + 1 < n and links[i + 1, j]):
                links[i, j] = changed = True
    return _components(links)


_STEPS = ((1, 1), (1, 0), (0, 1), (2, 1), (1, 2), (2, 2))


def _block_sums(matrix: np.ndarray, a: int, b: int) -> np.ndarray:
    """(n - a + 1, m - b + 1): sums of every a x b block, added in row order in float32 (the
    order `matrix[i:i+a, j:j+b].sum()` uses, so the DP takes exactly the same decisions)."""
    n, m = matrix.shape
    total = np.zeros((n - a + 1, m - b + 1), dtype=matrix.dtype)
    for p in range(a):
        for q in range(b):
            total = total + matrix[p : n - a + 1 + p, q : m - b + 1 + q]
    return total


def _diagonal_block_sums(gram: np.ndarray, a: int) -> np.ndarray:
    """(n - a + 1,): sums of the a x a diagonal blocks of a Gram matrix, in row order."""
    n = gram.shape[0]
    idx = np.arange(n - a + 1)
    total = np.zeros(n - a + 1, dtype=gram.dtype)
    for p in range(a):
        for q in range(a):
            total = total + gram[idx + p, idx + q]
    return total


def _step_gains(cross: np.ndarray, gram: np.ndarray, gram_other: np.ndarray,
                min_similarity: float, merge_delta: float) -> dict[tuple[int, int], np.ndarray]:
    """(n + 1, m + 1) gain of ending an a x b matched step at cell (i, j), for every step."""
    n, m = cross.shape
    gains = {}
    for a, b in _STEPS:
        if not (a and b):
            continue
        dot = _block_sums(cross, a, b)
        norm_mt = np.sqrt(np.maximum(_diagonal_block_sums(gram, a), np.float32(1e-12)))
        norm_other = np.sqrt(np.maximum(_diagonal_block_sums(gram_other, b), np.float32(1e-12)))
        sim = (dot / (norm_mt[:, None] * norm_other[None, :])).astype(np.float64)
        gain = np.full((n + 1, m + 1), np.nan)
        gain[a:, b:] = (sim - min_similarity) * (a + b) / 2 - merge_delta * (a + b - 2)
        gains[(a, b)] = gain
    return gains


def _first_best(values: list[np.ndarray], steps: list[tuple[int, int]]
                ) -> tuple[np.ndarray, np.ndarray]:
    """Elementwise max over candidate arrays; ties go to the earliest step, -inf to (0, 0)."""
    best = np.full(values[0].shape, -np.inf)
    step = np.zeros(values[0].shape + (2,), dtype=np.int8)
    for value, ab in zip(values, steps, strict=True):
        better = value > best
        best = np.where(better, value, best)
        step[better] = ab
    return best, step


def align_parallel(
    mt_vectors: np.ndarray,
    other_vectors: np.ndarray,
    *,
    min_similarity: float = 0.40,
    merge_delta: float = 0.05,
    band: int | None = None,
) -> list[Group]:
    """Monotonic alignment of a true translation pair; returns matched groups only.

    Each matched step of a x b sentences gains (cosine - min_similarity) * (a + b) / 2, less
    `merge_delta` per extra sentence, so merges win only when they raise similarity; skipped
    sentences gain nothing. The DP runs in a band around the length-scaled diagonal.
    Vectorised per row: all step gains come from block sums precomputed with numpy, and the
    in-row skip step (0, 1), which gains nothing, is a running maximum.
    """
    n, m = mt_vectors.shape[0], other_vectors.shape[0]
    if n == 0 or m == 0:
        return []
    cross = cosine_matrix(mt_vectors, other_vectors)
    gram = mt_vectors @ mt_vectors.T
    gram_other = other_vectors @ other_vectors.T
    gains = _step_gains(cross, gram, gram_other, min_similarity, merge_delta)
    width = band if band is not None else max(10, abs(n - m) + 8)
    score = np.full((n + 1, m + 1), -np.inf)
    back = np.zeros((n + 1, m + 1, 2), dtype=np.int8)
    before_skip = [s for s in _STEPS[: _STEPS.index((0, 1))]]
    after_skip = [s for s in _STEPS[_STEPS.index((0, 1)) + 1 :]]
    for i in range(n + 1):
        centre = i * m / n
        lo, hi = max(0, int(centre - width)), min(m, int(centre + width) + 1)
        js = np.arange(lo, hi + 1)

        def candidates(steps: list[tuple[int, int]], row: int = i,
                       cols: np.ndarray = js) -> list[np.ndarray]:
            out = []
            for a, b in steps:
                value = np.full(cols.shape, -np.inf)
                if a <= row:
                    ok = cols >= b
                    prev = score[row - a, cols[ok] - b]
                    gain = gains[(a, b)][row, cols[ok]] if a and b else 0.0
                    value[ok] = np.where(prev == -np.inf, -np.inf, prev + gain)
                out.append(value)
            return out

        first, first_step = _first_best(candidates(before_skip), before_skip)
        later, later_step = _first_best(candidates(after_skip), after_skip)
        if i == 0 and lo == 0:
            first[0] = 0.0  # the start cell (0, 0) keeps its score and has no step
        row_best = np.maximum.accumulate(np.maximum(first, later))
        from_left = np.concatenate(([-np.inf], row_best[:-1]))  # the (0, 1) step's value
        step = first_step.copy()
        best = first.copy()
        skip = from_left > best
        best = np.where(skip, from_left, best)
        step[skip] = (0, 1)
        step[later > best] = later_step[later > best]
        if i == 0 and lo == 0:
            step[0] = (0, 0)
        score[i, lo : hi + 1] = row_best
        back[i, lo : hi + 1] = step
    groups: list[Group] = []
    i, j = n, m
    while i > 0 or j > 0:
        a, b = (int(x) for x in back[i, j])
        if a == 0 and b == 0:  # outside the band: fall back to skipping
            a, b = (1, 0) if i > 0 else (0, 1)
        if a and b:
            groups.append((tuple(range(i - a, i)), tuple(range(j - b, j))))
        i, j = i - a, j - b
    groups.reverse()
    return groups


def group_similarity(mt_vectors: np.ndarray, other_vectors: np.ndarray, group: Group) -> float:
    """Cosine between the mean vectors of the two sides of a group."""
    a = mt_vectors[list(group[0])].sum(axis=0)
    b = other_vectors[list(group[1])].sum(axis=0)
    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12))
