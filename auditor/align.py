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

import math
import re
from collections import Counter
from collections.abc import Callable, Collection

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
    """Connected components of a boolean (n, m) bipartite link matrix, in MT order.

    Union-find over the few linked sentences (scipy's `connected_components` gave the same
    groups, but importing scipy.sparse cost a cold audit about 0.13 s of CPU)."""
    n = links.shape[0]
    rows, cols = np.nonzero(links)
    parent = list(range(n + links.shape[1]))

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
        parent[root(i)] = root(n + j)
    groups: dict[int, tuple[list[int], list[int]]] = {}
    for i in np.unique(rows).tolist():
        groups.setdefault(root(i), ([], []))[0].append(i)
    for j in np.unique(cols).tolist():
        groups[root(n + j)][1].append(j)
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
    return _tfidf_cosines(n, m, np.asarray(indptr), columns, weights, len(vocabulary))


def _tfidf_cosines(n: int, m: int, starts: np.ndarray, columns: np.ndarray,
                   weights: np.ndarray, size: int) -> np.ndarray:
    """Cosines of the first `n` rows with the other `m` of a sparse (CSR) weight matrix.

    In numpy alone (scipy.sparse cost a cold audit about 0.13 s of CPU to import), with the
    numbers it gave bit for bit (`tests/test_align_lexical.py`), since a last-bit change could
    move an alignment: every sum is taken in scipy's order. A row norm adds the squares with
    `np.add.reduceat` in the order scipy's elementwise product stores them (each row's own
    order when every row lists its words in vocabulary order, else each row reversed); a
    cosine adds its products word by word in vocabulary order, as scipy's sparse product does
    (its absent words would add +0.0: skipped)."""
    lengths = np.diff(starts)
    rows = np.repeat(np.arange(n + m), lengths)
    rank = np.arange(len(columns)) - starts[rows]  # each entry's position in its row
    same_row = np.diff(rows) == 0
    if bool(np.all(np.diff(columns)[same_row] > 0)):
        order = np.arange(len(columns))
    else:
        order = starts[rows + 1] - 1 - rank
    filled = np.flatnonzero(lengths)
    norms = np.zeros(n + m)
    norms[filled] = np.add.reduceat((weights * weights)[order], starts[filled])
    scaled = weights * (1.0 / np.maximum(np.sqrt(norms), 1e-300))[rows]
    mine = rows < n
    shared = np.intersect1d(columns[mine], columns[~mine])  # only these words add
    slot = np.full(size, -1)
    slot[shared] = np.arange(len(shared))
    theirs = ~mine & (slot[columns] >= 0)
    dense = np.zeros((len(shared), m))  # other side: shared word x other sentence
    dense[slot[columns[theirs]], rows[theirs] - n] = scaled[theirs]
    keep = np.flatnonzero(mine & (slot[columns] >= 0))
    keep = keep[np.lexsort((columns[keep], rows[keep]))]  # by sentence, then vocabulary order
    out = np.zeros((n, m))
    if len(keep):
        sentence = rows[keep]
        first = np.flatnonzero(np.r_[True, np.diff(sentence) != 0])
        step = np.arange(len(keep)) - np.repeat(first, np.diff(np.r_[first, len(keep)]))
        for k in range(int(step.max()) + 1):  # the k-th shared word of every MT sentence
            at = keep[step == k]
            out[rows[at]] += scaled[at][:, None] * dense[slot[columns[at]]]
    return out.astype(np.float32)


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
    # the score table, then one cell outside it that every out-of-table step reads (-inf)
    flat = np.full((n + 1) * (m + 1) + 1, -np.inf)
    score = flat[:-1].reshape(n + 1, m + 1)
    back = np.zeros((n + 1, m + 1, 2), dtype=np.int8)
    # the matched and (1, 0) steps, before the in-row skip then after it, stacked so that a
    # row's candidates are one gather: the skip (0, 1) is the running maximum below
    steps = [s for s in _STEPS if s != (0, 1)]
    before = _STEPS.index((0, 1))
    step_a = np.array([a for a, _ in steps])
    step_b = np.array([b for _, b in steps])
    step_ab = np.array(steps, dtype=np.int8)
    stacked = np.stack([gains[(a, b)] if a and b else np.zeros((n + 1, m + 1))
                        for a, b in steps])
    # every row's band, and where each of its cells' steps come from, for all rows at once
    # (only the scores they read are left to the row loop)
    bands = [(max(0, int(i * m / n - width)), min(m, int(i * m / n + width) + 1))
             for i in range(n + 1)]
    counts = np.array([hi - lo + 1 for lo, hi in bands])
    starts = np.cumsum(counts) - counts
    row_of = np.repeat(np.arange(n + 1), counts)
    col_of = np.arange(int(counts.sum())) - np.repeat(starts, counts) + np.repeat(
        np.array([lo for lo, _ in bands]), counts)
    rows, cols = row_of[None, :] - step_a[:, None], col_of[None, :] - step_b[:, None]
    sources = np.where((rows >= 0) & (cols >= 0), rows * (m + 1) + cols, len(flat) - 1)
    # (a gain outside its block sums is NaN, only where the score read is -inf)
    step_gain = stacked[:, row_of, col_of]
    for i, (lo, hi) in enumerate(bands):
        cells = slice(int(starts[i]), int(starts[i] + counts[i]))
        prev = flat[sources[:, cells]]
        values = np.where(prev == -np.inf, -np.inf, prev + step_gain[:, cells])
        # per group of steps, the best value and its step, the earliest among equals (none
        # where every value is -inf), as comparing them in order with `>` chooses
        first, later = values[:before].max(axis=0), values[before:].max(axis=0)
        first_step = np.where((first > -np.inf)[:, None],
                              step_ab[:before][values[:before].argmax(axis=0)], 0).astype(np.int8)
        later_step = np.where((later > -np.inf)[:, None],
                              step_ab[before:][values[before:].argmax(axis=0)], 0).astype(np.int8)
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


# ---- second pass: groups scored from their own text (Bertalign / vecalign) ----------------
# [(side, start, end)] -> (k, d) unit vectors of the joined sentences; side 0 the MT, 1 the
# other text.
SpanEmbedder = Callable[[list[tuple[int, int, int]]], np.ndarray]


def path_window(groups: list[Group], n: int, m: int, window: int) -> tuple[np.ndarray, np.ndarray]:
    """(n + 1,) lowest and highest column of each row within `window` cells of a first-pass path.

    The path runs through the corners of the matched groups; between two groups (skipped
    sentences) it may be anywhere in the rectangle they span, as in Bertalign's second pass.
    """
    corners = [(0, 0)]
    for mt_side, other_side in groups:
        corners += [(mt_side[0], other_side[0]), (mt_side[-1] + 1, other_side[-1] + 1)]
    corners.append((n, m))
    lo = np.full(n + 1, m, dtype=np.int64)
    hi = np.zeros(n + 1, dtype=np.int64)
    for (i0, j0), (i1, j1) in zip(corners, corners[1:], strict=False):
        lo[i0 : i1 + 1] = np.minimum(lo[i0 : i1 + 1], j0)
        hi[i0 : i1 + 1] = np.maximum(hi[i0 : i1 + 1], j1)
    rows = np.arange(n + 1)
    first = np.clip(rows - window, 0, n)
    last = np.clip(rows + window, 0, n)
    return np.maximum(lo[first] - window, 0), np.minimum(hi[last] + window, m)


def fixed_anchors(groups: list[Group], similarities: np.ndarray, anchor_similarity: float
                  ) -> list[bool]:
    """Which first-pass groups stay as they are: 1-1 pairs at or above `anchor_similarity`
    whose neighbouring groups are such pairs too, with no skipped sentence in between.

    A confident 1-1 pair next to anything else may be half of a 2-1 group, so it is re-scored.
    """
    sure = [len(a) == 1 and len(b) == 1 and s >= anchor_similarity
            for (a, b), s in zip(groups, similarities, strict=True)]

    def touching(g: int, h: int) -> bool:
        return (groups[g][0][-1] + 1 == groups[h][0][0]
                and groups[g][1][-1] + 1 == groups[h][1][0])

    out = []
    for g in range(len(groups)):
        prev_ok = g == 0 and groups[g][0][0] == 0 and groups[g][1][0] == 0
        prev_ok = prev_ok or (g > 0 and sure[g - 1] and touching(g - 1, g))
        next_ok = g + 1 < len(groups) and sure[g + 1] and touching(g, g + 1)
        out.append(sure[g] and prev_ok and next_ok)
    return out


def length_agreement(mt_chars: np.ndarray, other_chars: np.ndarray, ratio: float) -> np.ndarray:
    """log2(1 + short / long) of the two sides' character lengths, the other side scaled by
    `ratio` (MT characters per other-side character): 1 when they agree, towards 0 when one
    side is much longer (Bertalign's length penalty)."""
    a = np.asarray(mt_chars, dtype=np.float64)
    b = np.asarray(other_chars, dtype=np.float64) * ratio
    return np.log2(1.0 + np.minimum(a, b) / np.maximum(np.maximum(a, b), 1e-9))


def pair_single_gaps(groups: list[Group], n: int, m: int) -> list[Group]:
    """Pair one unmatched sentence with one unmatched sentence where they are all that lies
    between two matched groups (or a group and a document edge) on both sides.

    In a true translation, position is the strongest evidence: a lone sentence on each side
    between matched neighbours is the other's translation however poorly it reads (a garbled
    or mistranslated sentence), not one dropped sentence plus one invented one.
    """
    out: list[Group] = []
    prev_mt, prev_other = 0, 0
    for group in [*groups, ((n,), (m,))]:
        mt_side, other_side = group
        if mt_side[0] - prev_mt == 1 and other_side[0] - prev_other == 1:
            out.append(((prev_mt,), (prev_other,)))
        if mt_side[0] < n:
            out.append(group)
        prev_mt, prev_other = mt_side[-1] + 1, other_side[-1] + 1
    return out


# Groups embedded in the first round of the second pass's search, twice as many in each next
# one (each round runs three DPs: where the bound rules out little, rounds stay few): 10x
# fewer texts than embedding every candidate on TED.
_MEASURED_PER_ROUND = 4
# (i, j, a, b): a group of MT sentences i-a..i-1 and other-side sentences j-b..j-1, ending at
# the DP point (i, j).
Cell = tuple[int, int, int, int]


def _path_scores(points: list[tuple[int, int]], cells: list[Cell], gains: dict[Cell, float]
                 ) -> tuple[dict[tuple[int, int], float], dict[tuple[int, int], tuple[int, int]]]:
    """The second pass's DP: best score of reaching each point (in `points`' order) by skips
    (gain 0) and the group steps `cells`, and the step taken; ties go to the skip, then to the
    earlier cell. (Run several times per document by the search: written for CPython, with
    the same sums and comparisons in the same order.)"""
    by_end: dict[tuple[int, int], list[Cell]] = {}
    for cell in cells:
        by_end.setdefault((cell[0], cell[1]), []).append(cell)
    score: dict[tuple[int, int], float] = {(0, 0): 0.0}
    back: dict[tuple[int, int], tuple[int, int]] = {}
    get, ends_at, lowest = score.get, by_end.get, -math.inf
    for point in points:
        i, j = point
        if i == 0 and j == 0:
            continue
        best, best_step = lowest, (0, 0)
        prev = get((i - 1, j))
        if prev is not None and prev > best:
            best, best_step = prev, (1, 0)
        prev = get((i, j - 1))
        if prev is not None and prev > best:
            best, best_step = prev, (0, 1)
        for cell in ends_at(point, ()):
            a, b = cell[2], cell[3]
            prev = get((i - a, j - b))
            if prev is not None and prev + gains[cell] > best:
                best, best_step = prev + gains[cell], (a, b)
        if best > lowest:
            score[point], back[point] = best, best_step
    return score, back


def _path_cells(back: dict[tuple[int, int], tuple[int, int]], n: int, m: int) -> list[Cell]:
    """The group steps of the best path to (n, m), from the end."""
    out: list[Cell] = []
    i, j = n, m
    while (i > 0 or j > 0) and (i, j) in back:
        a, b = back[(i, j)]
        if a and b:
            out.append((i, j, a, b))
        i, j = i - a, j - b
    return out


def _possible_cells(points: list[tuple[int, int]], cells: list[Cell],
                    ceilings: dict[Cell, float], unknown: list[Cell], best: float) -> list[Cell]:
    """The `unknown` groups through which some path may still reach `best`.

    `ceilings` holds each group's gain, or for an `unknown` one a value it cannot exceed.
    The best path through a group scores at most the best (ceiling) score of reaching its
    start, plus its ceiling, plus the best (ceiling) score from its end to the last point.
    Where that is below `best`, the score of a path known to exist, the group is on no best
    path: leaving it out of the DP changes neither the path chosen nor its score (a margin of
    1e-9 absorbs the rounding of sums taken in another order)."""
    forward, _ = _path_scores(points, cells, ceilings)
    by_start: dict[tuple[int, int], list[Cell]] = {}
    for cell in cells:
        by_start.setdefault((cell[0] - cell[2], cell[1] - cell[3]), []).append(cell)
    end = points[-1]  # (n, m): `best` is the score of a path that reached it
    backward: dict[tuple[int, int], float] = {end: 0.0}  # (holds points only)
    get, lowest = backward.get, -math.inf
    for point in reversed(points):
        if point == end:
            continue
        i, j = point
        best_here = max(lowest, get((i + 1, j), lowest))
        best_here = max(best_here, get((i, j + 1), lowest))
        for cell in by_start.get(point, ()):
            best_here = max(best_here, ceilings[cell] + get((cell[0], cell[1]), lowest))
        if best_here > lowest:
            backward[point] = best_here
    through = {c: forward.get((c[0] - c[2], c[1] - c[3]), -np.inf) + ceilings[c]
               + backward.get((c[0], c[1]), -np.inf) for c in unknown}
    return sorted((c for c in unknown if through[c] >= best - 1e-9), key=lambda c: -through[c])


def step_gains(cells: np.ndarray, sums: tuple[np.ndarray, np.ndarray],
               chars: tuple[np.ndarray, np.ndarray], length_ratio: float,
               weights: tuple[float, float, float, float]) -> np.ndarray:
    """`refine_parallel`'s step gain of each cell (rows of i, j, a, b) from the cosine of its
    summed sentence vectors (the first pass's estimate of its joined text's cosine), all cells
    in one numpy pass. `sums` / `chars`: cumulative sentence vectors / lengths of
    the two sides; `weights`: min_similarity, length_weight, size_exponent, group_delta."""
    min_similarity, length_weight, size_exponent, group_delta = weights
    i, j, a, b = cells.T
    x, y = sums[0][i] - sums[0][i - a], sums[1][j] - sums[1][j - b]
    norms = np.maximum(np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1), 1e-9)
    cos = np.einsum("kd,kd->k", x, y) / norms
    agree = length_agreement(chars[0][i] - chars[0][i - a], chars[1][j] - chars[1][j - b],
                             length_ratio)
    size = a + b
    return ((cos + length_weight * (agree - 1.0) - min_similarity)
            * (size / 2) ** size_exponent - group_delta * (size - 2))


def _candidate_cells(lo: np.ndarray, hi: np.ndarray, steps: list[tuple[int, int]],
                     pinned: dict[int, int], pieces: tuple[frozenset[int], frozenset[int]],
                     sum_gains: Callable[[np.ndarray], np.ndarray], prune_margin: float | None,
                     ) -> tuple[list[Cell], dict[Cell, float]]:
    """The second pass's candidate groups, in (i, j, step) order, and the gain each group of
    3+ sentences gets from its summed vectors' cosine (`step_gains`). A cell (i, j, a, b) is
    a candidate when its start (i - a, j - b) lies in the window, it swallows no pinned
    anchor's row nor a run of pieces cut from one sentence, and (with `prune_margin`) its
    summed-vector gain is above -prune_margin. Vectorised: tens of thousands of cells per
    TED document, a Python loop over them was a tenth of a fast audit."""
    n = len(lo) - 1
    rows = np.repeat(np.arange(n + 1), hi - lo + 1)
    cols = np.concatenate([np.arange(lo[i], hi[i] + 1) for i in range(n + 1)])
    keep = rows >= 1
    rows, cols = rows[keep], cols[keep]
    ab = np.asarray(steps, dtype=np.int64).reshape(-1, 2)
    i = np.repeat(rows, len(ab))
    j = np.repeat(cols, len(ab))
    a = np.tile(ab[:, 0], len(rows))
    b = np.tile(ab[:, 1], len(rows))
    start_i, start_j = i - a, j - b
    ok = (start_i >= 0) & (start_j >= 0)
    safe = np.where(ok, start_i, 0)
    ok &= (lo[safe] <= start_j) & (start_j <= hi[safe])

    def held(members: Collection[int], size: int) -> np.ndarray:
        """(size + 1,) how many of `members` lie below each index."""
        flags = np.zeros(size + 1, dtype=np.int64)
        flags[[r for r in members if 0 <= r <= size]] = 1
        return np.concatenate(([0], np.cumsum(flags)))

    pins = held(pinned, n)
    ok &= pins[i] - pins[np.minimum(safe + 1, i)] == 0  # rows i - a + 1 .. i - 1
    mt_pieces = held(pieces[0], n)
    ok &= (a <= 1) | (mt_pieces[i] - mt_pieces[safe] == 0)
    if pieces[1]:
        m = int(hi.max(initial=0))
        other_pieces = held(pieces[1], m)
        ok &= (b <= 1) | (other_pieces[j] - other_pieces[np.where(ok, start_j, 0)] == 0)
    chosen = np.stack([i, j, a, b], axis=1)[ok]
    gains: dict[Cell, float] = {}
    large = chosen[chosen[:, 2] + chosen[:, 3] > 2]
    if len(large):
        gains = dict(zip(_cells(large), sum_gains(large).tolist(), strict=True))
        if prune_margin is not None:
            dropped = {c for c, g in gains.items() if not g > -prune_margin}
            return [c for c in _cells(chosen) if c not in dropped], gains
    return _cells(chosen), gains


def _cells(rows: np.ndarray) -> list[Cell]:
    """(i, j, a, b) rows as tuples of Python ints (`tolist`: as int() of each element gives),
    zipped from the columns: no list per cell, which the collector would carry into its
    oldest generation (thousands per document) and scan again in every full collection."""
    return list(zip(*rows.T.tolist(), strict=True))


def refine_parallel(
    first_pass: list[Group],
    mt_vectors: np.ndarray,
    other_vectors: np.ndarray,
    mt_chars: np.ndarray,
    other_chars: np.ndarray,
    embed_spans: SpanEmbedder,
    *,
    min_similarity: float = 0.40,
    group_delta: float = 0.05,
    size_exponent: float = 1.0,
    length_weight: float = 0.0,
    length_ratio: float = 1.0,
    anchor_similarity: float = 2.0,
    window: int = 3,
    max_sentences: int = 6,
    pair_gaps: bool = True,
    prune_margin: float | None = None,
    pieces: tuple[Collection[int], Collection[int]] = ((), ()),
) -> tuple[list[Group], list[float]]:
    """Second pass: re-align around a first-pass path, scoring each a x b group (a, b >= 1,
    a + b <= `max_sentences`) from the embedding of its concatenated text.

    Step gain: (cos + length_weight * (length_agreement - 1) - min_similarity)
    * ((a + b) / 2) ** size_exponent - group_delta * (a + b - 2); skips gain nothing.
    (Exponent 1 weighs a group by its size, as the first pass does; 0 scores every step once,
    as Bertalign does, so two good 1-1 pairs beat their 2-2 merge.)
    Only cells within `window` of the first path are searched, and fixed anchors (see
    `fixed_anchors`) are kept, so only groups near uncertain places are embedded.
    `embed_spans` is called with distinct spans, each at most once (single sentences are
    taken from the vectors given), and only for groups that may lie on the best path: the
    others are ruled out by the bound cosine <= 1 (`_possible_cells`), with the same result
    as embedding them all.
    With `prune_margin`, a group of 3+ sentences is only embedded where its gain computed
    from the first pass's sum-of-vectors cosine is above -prune_margin: a group whose parts
    point elsewhere does not gain from its joined text, and skipping its sentences gains 0.
    With `pair_gaps`, lone sentences left between matched groups are paired
    (`pair_single_gaps`).
    `pieces` (MT, other side): sentences cut from an over-long one, never grouped: a run of
    arbitrary pieces is not a unit a translation has, and embedding every run of them cost
    most of an audit of an endless line.
    Returns the matched groups in order and each group's cosine.
    mt_chars / other_chars: (n,) / (m,) character lengths of the sentences.
    """
    n, m = mt_vectors.shape[0], other_vectors.shape[0]
    if n == 0 or m == 0:
        return [], []
    cross = cosine_matrix(mt_vectors, other_vectors)
    first_sims = np.array([float(cross[a[0], b[0]]) if len(a) == 1 and len(b) == 1 else 0.0
                           for a, b in first_pass])
    fixed = fixed_anchors(first_pass, first_sims, anchor_similarity)
    lo, hi = path_window(first_pass, n, m, window)
    # A fixed anchor pins its two corners: the rows it spans allow only its own cells.
    pinned: dict[int, int] = {}
    for (a, b), keep in zip(first_pass, fixed, strict=True):
        if keep:
            pinned[a[0]], pinned[a[0] + 1] = b[0], b[0] + 1
    for i, j in pinned.items():
        lo[i] = hi[i] = j
    steps = [(a, b) for a in range(1, max_sentences) for b in range(1, max_sentences)
             if a + b <= max_sentences]

    mt_cum = np.concatenate(([0.0], np.cumsum(np.asarray(mt_chars, dtype=np.float64))))
    other_cum = np.concatenate(([0.0], np.cumsum(np.asarray(other_chars, dtype=np.float64))))
    mt_sums = np.vstack([np.zeros((1, mt_vectors.shape[1])), np.cumsum(mt_vectors, axis=0)])
    other_sums = np.vstack([np.zeros((1, other_vectors.shape[1])),
                            np.cumsum(other_vectors, axis=0)])

    cells, sum_gains = _candidate_cells(
        lo, hi, steps, pinned, (frozenset(pieces[0]), frozenset(pieces[1])),
        lambda c: step_gains(c, (mt_sums, other_sums), (mt_cum, other_cum), length_ratio,
                             (min_similarity, length_weight, size_exponent, group_delta)),
        prune_margin)
    # every candidate's length agreement in one call (elementwise: the values one call per
    # cell gives), for its ceiling and its measured gain
    ci, cj, ca, cb = np.asarray(cells, dtype=np.int64).reshape(-1, 4).T
    agreements: dict[Cell, float] = dict(zip(cells, length_agreement(
        mt_cum[ci] - mt_cum[ci - ca], other_cum[cj] - other_cum[cj - cb], length_ratio).tolist(),
        strict=True))

    def step_gain(i: int, j: int, a: int, b: int, cos: float) -> float:
        agree = agreements[(i, j, a, b)]
        return ((cos + length_weight * (agree - 1.0) - min_similarity)
                * ((a + b) / 2) ** size_exponent - group_delta * (a + b - 2))
    points = [(i, j) for i in range(n + 1) for j in range(int(lo[i]), int(hi[i]) + 1)]
    joined: dict[tuple[int, int, int], np.ndarray] = {}  # (side, start, end) -> vector

    def vec(side: int, start: int, end: int) -> np.ndarray:
        if end - start == 1:
            return (mt_vectors if side == 0 else other_vectors)[start]
        return joined[(side, start, end)]

    gain: dict[Cell, tuple[float, float]] = {}  # (gain, cosine) of each group measured

    def measure(wanted: list[Cell]) -> None:
        """Embeds the joined texts the groups need, both sides in one call (a round asks for
        a few texts of each: together they fill the encoder's batches better), then scores
        them."""
        spans = sorted({span for i, j, a, b in wanted
                        for span, size in (((0, i - a, i), a), ((1, j - b, j), b))
                        if size > 1 and span not in joined})
        if spans:
            joined.update(zip(spans, embed_spans(spans), strict=True))
        for i, j, a, b in wanted:
            # np.clip of one float32 to [-1, 1], in Python (bounds exact in float32; NaN kept)
            cos = min(max(float(vec(0, i - a, i) @ vec(1, j - b, j)), -1.0), 1.0)
            gain[(i, j, a, b)] = (step_gain(i, j, a, b, cos), cos)

    # Only the groups that can lie on the best path are embedded, a few at a time, the most
    # promising first (`_possible_cells`); the path is exactly the one embedding every
    # candidate gives, for a tenth of the texts on TED. A 1-1 pair needs no new text.
    measure([c for c in cells if c[2] == c[3] == 1])
    unknown = [c for c in cells if c not in gain]
    if unknown:
        # A first guess from the summed sentence vectors' cosines, so that the search below
        # starts from a path about as good as the best one.
        guess = {c: sum_gains[c] for c in unknown}
        _, back = _path_scores(points, cells, {**guess, **{c: g for c, (g, _) in gain.items()}})
        measure([c for c in _path_cells(back, n, m) if c in guess])
        ceiling = {c: step_gain(*c, 1.0) for c in unknown}  # a cosine is at most 1
        rounds = 0
        while True:
            known = {c: g for c, (g, _) in gain.items()}
            best = _path_scores(points, [c for c in cells if c in known], known)[0].get((n, m))
            unknown = [c for c in cells if c not in gain]
            if best is None:  # no path through measured groups alone: measure them all
                measure(unknown)
                break
            possible = _possible_cells(points, cells, {**ceiling, **known}, unknown, best)
            if not possible:
                break
            measure(possible[:_MEASURED_PER_ROUND << rounds])
            rounds += 1
        cells = [c for c in cells if c in gain]  # the others are on no best path
    score, back = _path_scores(points, cells, {c: g for c, (g, _) in gain.items()})
    if (n, m) not in score:  # the window missed the end: keep the first pass
        return list(first_pass), [group_similarity(mt_vectors, other_vectors, g)
                                  for g in first_pass]
    groups: list[Group] = []
    sims: list[float] = []
    i, j = n, m
    while i > 0 or j > 0:
        a, b = back[(i, j)]
        if a and b:
            groups.append((tuple(range(i - a, i)), tuple(range(j - b, j))))
            sims.append(gain[(i, j, a, b)][1])
        i, j = i - a, j - b
    groups, sims = groups[::-1], sims[::-1]
    if pair_gaps:
        found = dict(zip(groups, sims, strict=True))
        groups = pair_single_gaps(groups, n, m)
        sims = [found[g] if g in found else float(cross[g[0][0], g[1][0]]) for g in groups]
    return groups, sims
