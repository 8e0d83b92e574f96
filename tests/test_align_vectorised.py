"""The vectorised parallel aligner and component finder give exactly the scalar results.

The scalar versions below are the original loop implementations, kept here as the
specification; the library versions are numpy/scipy rewrites made for speed
(benchmarks/speed.py), which must not change a single alignment.
"""

from __future__ import annotations

import numpy as np
import pytest

from auditor.align import Group, _components, align_parallel, cosine_matrix

_STEPS = ((1, 1), (1, 0), (0, 1), (2, 1), (1, 2), (2, 2))


def _block_similarity(gram, cross, i, a, j, b, gram_other) -> float:
    dot = cross[i - a : i, j - b : j].sum()
    norm_mt = np.sqrt(max(gram[i - a : i, i - a : i].sum(), 1e-12))
    norm_other = np.sqrt(max(gram_other[j - b : j, j - b : j].sum(), 1e-12))
    return float(dot / (norm_mt * norm_other))


def scalar_align_parallel(mt_vectors, other_vectors, *, min_similarity=0.40, merge_delta=0.05,
                          band=None) -> list[Group]:
    n, m = mt_vectors.shape[0], other_vectors.shape[0]
    if n == 0 or m == 0:
        return []
    cross = cosine_matrix(mt_vectors, other_vectors)
    gram = mt_vectors @ mt_vectors.T
    gram_other = other_vectors @ other_vectors.T
    width = band if band is not None else max(10, abs(n - m) + 8)
    score = np.full((n + 1, m + 1), -np.inf)
    back = np.zeros((n + 1, m + 1, 2), dtype=np.int8)
    score[0, 0] = 0.0
    for i in range(n + 1):
        centre = i * m / n
        lo, hi = max(0, int(centre - width)), min(m, int(centre + width) + 1)
        for j in range(lo, hi + 1):
            if i == 0 and j == 0:
                continue
            best, best_step = -np.inf, (0, 0)
            for a, b in _STEPS:
                if a > i or b > j or score[i - a, j - b] == -np.inf:
                    continue
                if a and b:
                    sim = _block_similarity(gram, cross, i, a, j, b, gram_other)
                    gain = (sim - min_similarity) * (a + b) / 2 - merge_delta * (a + b - 2)
                else:
                    gain = 0.0
                value = score[i - a, j - b] + gain
                if value > best:
                    best, best_step = value, (a, b)
            score[i, j] = best
            back[i, j] = best_step
    groups: list[Group] = []
    i, j = n, m
    while i > 0 or j > 0:
        a, b = (int(x) for x in back[i, j])
        if a == 0 and b == 0:
            a, b = (1, 0) if i > 0 else (0, 1)
        if a and b:
            groups.append((tuple(range(i - a, i)), tuple(range(j - b, j))))
        i, j = i - a, j - b
    groups.reverse()
    return groups


def scalar_components(links: np.ndarray) -> list[Group]:
    n, m = links.shape
    parent = list(range(n + m))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in zip(*np.nonzero(links), strict=True):
        ri, rj = find(int(i)), find(n + int(j))
        if ri != rj:
            parent[rj] = ri
    groups: dict[int, tuple[list[int], list[int]]] = {}
    for i, j in zip(*np.nonzero(links), strict=True):
        root = find(int(i))
        mt_side, other_side = groups.setdefault(root, ([], []))
        if int(i) not in mt_side:
            mt_side.append(int(i))
        if int(j) not in other_side:
            other_side.append(int(j))
    return sorted((tuple(sorted(a)), tuple(sorted(b))) for a, b in groups.values())


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _translation_pair(rng: np.random.Generator, n: int, noise: float):
    """A document and a noisy 'translation' with dropped, inserted, split and merged sentences."""
    mt = rng.normal(size=(n, 32))
    other = []
    for i in range(n):
        r = rng.random()
        if r < 0.08:
            continue  # omission
        if r < 0.14:
            other += [mt[i] + rng.normal(size=32), mt[i] + rng.normal(size=32)]  # split
        elif r < 0.20 and i + 1 < n:
            other.append(mt[i] + mt[i + 1])  # merge
        else:
            other.append(mt[i] + noise * rng.normal(size=32))
        if rng.random() < 0.05:
            other.append(rng.normal(size=32))  # addition
    return _unit(mt), _unit(np.array(other))


@pytest.mark.parametrize("seed", range(40))
def test_align_parallel_matches_scalar_on_random_documents(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 70))
    mt, other = _translation_pair(rng, n, noise=float(rng.uniform(0.3, 1.5)))
    kwargs = {"min_similarity": float(rng.uniform(0.2, 0.6)),
              "merge_delta": float(rng.uniform(0.0, 0.1))}
    if seed % 4 == 0:
        kwargs["band"] = int(rng.integers(1, 12))
    expected = scalar_align_parallel(mt, other, **kwargs)
    assert align_parallel(mt, other, **kwargs) == expected
    if seed == 0:
        assert expected, "the random pair should align somewhere"


def test_align_parallel_matches_scalar_on_unrelated_and_tiny_inputs() -> None:
    rng = np.random.default_rng(99)
    for n, m in [(1, 1), (1, 5), (5, 1), (2, 2), (30, 3), (3, 30)]:
        a, b = _unit(rng.normal(size=(n, 16))), _unit(rng.normal(size=(m, 16)))
        assert align_parallel(a, b) == scalar_align_parallel(a, b)
    assert align_parallel(np.zeros((0, 4)), _unit(rng.normal(size=(3, 4)))) == []


@pytest.mark.parametrize("seed", range(20))
def test_components_match_union_find(seed: int) -> None:
    rng = np.random.default_rng(seed)
    links = rng.random((int(rng.integers(1, 40)), int(rng.integers(1, 40)))) < rng.uniform(0, 0.1)
    assert _components(links) == scalar_components(links)


def test_align_parallel_matches_scalar_on_real_sentences(auditor) -> None:
    """Real MiniLM vectors of the seed MT against one seed reference and against itself."""
    from tests.conftest import MT_SEED, REF_SEEDS

    mt = auditor.encoder.encode([s for s in MT_SEED.read_text().split(". ") if s.strip()])
    ref = auditor.encoder.encode([s for s in REF_SEEDS[0].read_text().split(". ") if s.strip()])
    assert align_parallel(mt, ref) == scalar_align_parallel(mt, ref)
    assert align_parallel(mt, mt) == scalar_align_parallel(mt, mt)
    assert all(len(a) == 1 and a == b for a, b in align_parallel(mt, mt))


@pytest.mark.parametrize("seed", range(8))
def test_align_parallel_matches_scalar_where_steps_tie(seed: int) -> None:
    """Repeated and zero sentences make steps of equal value (a 1-1 pair against the 2-1
    merge with a zero vector, the same pair at two places, a 2-1 and a 1-2 merge of a document
    with itself): each row's stacked step values
    must choose the step the scalar comparison in `_STEPS` order chooses."""
    rng = np.random.default_rng(seed)
    base = _unit(rng.normal(size=(6, 8)))
    mt = base[rng.integers(0, 6, size=int(rng.integers(2, 25)))].copy()
    other = base[rng.integers(0, 6, size=int(rng.integers(2, 25)))].copy()
    mt[rng.random(len(mt)) < 0.2] = 0.0
    other[rng.random(len(other)) < 0.2] = 0.0
    for kwargs in ({}, {"merge_delta": 0.0, "min_similarity": 0.0}, {"band": 2}):
        assert align_parallel(mt, other, **kwargs) == scalar_align_parallel(mt, other, **kwargs)
        # against itself: a 2-1 and a 1-2 merge meet the diagonal with equal values
        assert align_parallel(mt, mt, **kwargs) == scalar_align_parallel(mt, mt, **kwargs)
    # three sentences said again and again on both sides, merges rewarded: a 2-1, a 1-2 and
    # a 2-2 merge reach one cell with equal values, and the first in `_STEPS` order wins
    for k in range(40):
        r = np.random.default_rng([seed, k])
        few = _unit(r.normal(size=(3, 8)))
        mt, other = (few[r.integers(0, 3, size=int(r.integers(2, 7)))] for _ in range(2))
        for kwargs in ({"min_similarity": 0.5, "merge_delta": -0.125},
                       {"min_similarity": 0.9, "merge_delta": -0.25},
                       {"min_similarity": 0.2, "merge_delta": 0.0}):
            assert align_parallel(mt, other, **kwargs) == scalar_align_parallel(mt, other,
                                                                                 **kwargs)
