"""The second parallel pass (groups scored from their own text): pure maths on small vectors."""

from __future__ import annotations

import numpy as np

from auditor.align import (
    align_parallel,
    fixed_anchors,
    length_agreement,
    path_window,
    refine_parallel,
)


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def test_length_agreement_is_one_when_lengths_match_the_expected_ratio():
    got = length_agreement(np.array([300, 300, 100]), np.array([100, 300, 300]), 3.0)
    assert got[0] == 1.0 and got[1] < 0.6 and got[2] < got[1]


def test_path_window_covers_skips_and_the_window():
    lo, hi = path_window([((0,), (0,)), ((2,), (3,))], n=3, m=4, window=0)
    # each step's rectangle counts: row 1 reaches column 3 through the skipped rectangle
    # between corners (1, 1) and (2, 3)
    assert (lo.tolist(), hi.tolist()) == ([0, 0, 1, 3], [1, 3, 4, 4])
    lo, hi = path_window([((0,), (0,)), ((2,), (3,))], n=3, m=4, window=1)
    assert lo[0] == 0 and hi[3] == 4 and lo[2] == 0


def test_fixed_anchors_leave_the_neighbours_of_anything_else_open():
    groups = [((0,), (0,)), ((1,), (1,)), ((2,), (2,)), ((3, 4), (3,)), ((5,), (4,))]
    sims = np.array([0.9, 0.9, 0.9, 0.9, 0.9])
    assert fixed_anchors(groups, sims, 0.8) == [True, True, False, False, False]
    assert fixed_anchors(groups, sims, 2.0) == [False] * 5


def test_refine_finds_a_merge_from_the_joined_text_and_embeds_each_span_once():
    """MT sentence 2 is two reference sentences: only the joined reference text (a vector the
    sum of the two parts does not give) matches it. Each span is asked for once, both sides in
    one call."""
    rng = np.random.default_rng(0)
    topics = _unit(rng.normal(size=(8, 64)))
    mt = topics[[0, 1, 2, 3, 4, 5]]
    ref = _unit(np.vstack([topics[0], topics[1], topics[6], topics[7], topics[3], topics[4],
                           topics[5]]))
    joined = {(2, 4): topics[2]}  # the two halves' joined text means what MT sentence 2 says
    calls = []

    def embed_spans(spans: list[tuple[int, int, int]]) -> np.ndarray:
        calls.append(spans)
        assert len(set(spans)) == len(spans)
        out = []
        for side, a, b in spans:
            source = mt if side == 0 else ref
            vec = joined.get((a, b)) if side == 1 else None
            out.append(vec if vec is not None else _unit(source[a:b].sum(axis=0) + 0.0))
        return np.vstack(out)

    first = align_parallel(mt, ref)
    assert ((2,), (2, 3)) not in first
    groups, sims = refine_parallel(first, mt, ref, np.full(6, 50), np.full(7, 25), embed_spans,
                                   min_similarity=0.4, length_weight=0.2, anchor_similarity=2.0)
    assert groups == [((0,), (0,)), ((1,), (1,)), ((2,), (2, 3)), ((3,), (4,)), ((4,), (5,)),
                      ((5,), (6,))]
    assert sims[2] > 0.99
    asked = [span for spans in calls for span in spans]
    assert len(set(asked)) == len(asked) and {side for side, _, _ in asked} == {0, 1}
    assert any(len({side for side, _, _ in spans}) == 2 for spans in calls)


def test_refine_with_fixed_anchors_embeds_fewer_spans():
    rng = np.random.default_rng(1)
    base = _unit(rng.normal(size=(30, 32)))
    other = _unit(base + 0.05 * rng.normal(size=base.shape))
    asked = {}

    def embed_spans(spans):
        for side, _, _ in spans:
            asked[side] = asked.get(side, 0) + 1
        return _unit(np.vstack([(base if side == 0 else other)[a:b].sum(axis=0)
                                for side, a, b in spans]))

    first = align_parallel(base, other)
    lengths = np.full(30, 40)
    everything, _ = refine_parallel(first, base, other, lengths, lengths, embed_spans,
                                    anchor_similarity=2.0)
    total = sum(asked.values())
    asked.clear()
    anchored, _ = refine_parallel(first, base, other, lengths, lengths, embed_spans,
                                  anchor_similarity=0.7)
    assert everything == anchored == [((i,), (i,)) for i in range(30)]
    assert sum(asked.values()) == 0 < total


def test_pair_single_gaps_pairs_only_one_by_one_gaps_and_edges():
    from auditor.align import pair_single_gaps

    groups = [((1,), (1,)), ((2,), (2,)), ((5,), (4,)), ((6,), (6,))]
    # (0,0) at the start edge: 1 x 1 -> paired; MT 3-4 vs ref 3: 2 x 1 -> left; MT - vs ref 5:
    # 0 x 1 -> left; MT 7 vs ref 7 at the end edge: 1 x 1 -> paired
    assert pair_single_gaps(groups, 8, 8) == [((0,), (0,)), *groups[:3], groups[3],
                                              ((7,), (7,))]
    assert pair_single_gaps([], 1, 1) == [((0,), (0,))]
    assert pair_single_gaps([], 2, 1) == []


def test_pruning_skips_groups_whose_parts_point_elsewhere_and_keeps_the_merge(monkeypatch):
    """The merge of test_refine_finds_a_merge... is still found with pruning on, while groups
    whose summed vectors match nothing are never candidates (counted with every candidate
    embedded: the search embeds only one group either way)."""
    _every_candidate(monkeypatch)
    rng = np.random.default_rng(0)
    topics = _unit(rng.normal(size=(8, 64)))
    mt = topics[[0, 1, 2, 3, 4, 5]]
    ref = _unit(np.vstack([topics[0], topics[1], topics[6], topics[7], topics[3], topics[4],
                           topics[5]]))
    # the two reference halves' own vectors half-point at what MT sentence 2 says
    ref[2], ref[3] = _unit(topics[2] + topics[6]), _unit(topics[2] + topics[7])
    asked: dict[float | None, int] = {}
    results = {}
    for prune in (None, 0.0):
        asked[prune] = 0

        def embed_spans(spans, prune=prune):
            asked[prune] += len(spans)
            return np.vstack([topics[2] if (side, a, b) == (1, 2, 4)
                              else _unit((mt if side == 0 else ref)[a:b].sum(0))
                              for side, a, b in spans])

        results[prune], _ = refine_parallel(align_parallel(mt, ref), mt, ref, np.full(6, 50),
                                            np.full(7, 25), embed_spans, min_similarity=0.4,
                                            length_weight=0.2, anchor_similarity=2.0,
                                            prune_margin=prune)
    assert results[None] == results[0.0]
    assert ((2,), (2, 3)) in results[0.0]
    assert asked[0.0] < asked[None]


def _every_candidate(monkeypatch) -> None:
    """The second pass as it was before its search: every candidate group embedded."""
    import auditor.align as align

    monkeypatch.setattr(align, "_possible_cells", lambda points, cells, ceilings, unknown,
                        best: unknown)
    monkeypatch.setattr(align, "_MEASURED_PER_ROUND", 10**9)


def _refine_twice(monkeypatch, run):
    """`run(embed_spans)` with the search, then embedding every candidate: both results and
    the spans each asked for."""
    results, asked = [], []
    for eager in (False, True):
        spans: list[tuple[int, int, int]] = []
        with monkeypatch.context() as patch:
            if eager:
                _every_candidate(patch)
            results.append(run(spans))
        asked.append(spans)
    return results, asked


def test_the_search_finds_the_path_of_embedding_every_candidate(monkeypatch):
    """Documents with merges, splits, a drop and noise from mild to heavy, every group
    re-scored (no anchors): the groups and cosines are those of embedding every candidate,
    and each span is asked for once. A joined text's vector is not its parts' sum (a random
    turn), so the first guess from summed vectors is sometimes wrong and the bound decides."""
    for seed, noise in [(s, x) for s in range(4) for x in (0.25, 0.5, 0.8)]:
        rng = np.random.default_rng(seed)
        topics = _unit(rng.normal(size=(40, 48)))
        mt = _unit(topics[:30] + noise * rng.normal(size=(30, 48)) / np.sqrt(48))
        ref_rows = []  # the reference splits some sentences in two and drops one
        for k in range(30):
            if k % 6 == 3:
                ref_rows += [topics[k] + topics[30 + k // 6], topics[k] - topics[30 + k // 6]]
            elif k != 7:
                ref_rows.append(topics[k])
        ref = _unit(np.vstack(ref_rows) + noise * rng.normal(size=(len(ref_rows), 48)) / 7)
        mt_chars, ref_chars = rng.integers(40, 200, len(mt)), rng.integers(20, 200, len(ref))
        turn: dict[tuple[int, int, int], np.ndarray] = {}

        def run(spans, mt=mt, ref=ref, mt_chars=mt_chars, ref_chars=ref_chars, seed=seed,
                turn=turn):
            def embed_spans(wanted):
                out = []
                for side, a, b in wanted:
                    spans.append((side, a, b))
                    if (side, a, b) not in turn:
                        r = np.random.default_rng([seed, side, a, b])
                        turn[(side, a, b)] = 0.5 * r.normal(size=48) / np.sqrt(48)
                    source = mt if side == 0 else ref
                    out.append(_unit(_unit(source[a:b].sum(axis=0)) + turn[(side, a, b)]))
                return np.vstack(out)

            return refine_parallel(align_parallel(mt, ref), mt, ref, mt_chars, ref_chars,
                                   embed_spans, min_similarity=0.4, length_weight=0.4,
                                   anchor_similarity=2.0, window=1, max_sentences=5,
                                   prune_margin=None)

        (lazy, eager), (lazy_spans, eager_spans) = _refine_twice(monkeypatch, run)
        assert lazy == eager, (seed, noise)
        assert len(set(lazy_spans)) == len(lazy_spans) and set(lazy_spans) <= set(eager_spans)


def test_the_search_on_a_real_talk_gives_the_groups_of_embedding_them_all(auditor, monkeypatch):
    """MiniLM on 36 segments of a TED talk (one MT system against refB, parallel alignment as
    `evaluate_mqm.py` runs it): the same groups and cosines as embedding every candidate
    group, a fraction of the texts. Both runs share one vector cache, so they read the same
    vectors for the same texts."""
    import csv
    import re

    from auditor.config import AuditConfig
    from auditor.embed import CachedEncoder, load_encoder
    from auditor.pipeline import align_parallel_texts
    from auditor.result import Document
    from auditor.segment import segment_document
    from tests.conftest import SHARED_DATA

    rows: dict[str, dict[int, str]] = {"Online-W": {}, "refB": {}}
    with open(SHARED_DATA / "mqm_ted_zhen.dev.tsv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row["doc"] == "talk.2" and row["system"] in rows:
                rows[row["system"]][int(row["seg_id"])] = re.sub(r"</?v>", "", row["target"])
    ids = sorted(set(rows["Online-W"]) & set(rows["refB"]))[:36]
    config = AuditConfig()
    mt, ref = (segment_document(Document(" ".join(rows[s][k] for k in ids)), "auto",
                                config.max_sentence_chars, config.max_document_chars)
               for s in ("Online-W", "refB"))
    encoder = CachedEncoder(load_encoder(cache=False))
    vectors = encoder.encode(mt.texts + ref.texts)
    before = encoder.encoded

    def run(spans):
        start = encoder.encoded
        out = align_parallel_texts(mt, ref, vectors[: len(mt.texts)], vectors[len(mt.texts):],
                                   encoder, config, config.min_similarity)
        spans.append(encoder.encoded - start)
        return out

    (lazy, eager), (lazy_texts, eager_texts) = _refine_twice(monkeypatch, run)
    assert encoder.encoded > before
    assert lazy == eager
    assert lazy_texts[0] < eager_texts[0] / 3


def _plain_path_scores(points, cells, gains):
    """The second pass's DP written out plainly: skips (1, 0) then (0, 1), then each group
    step ending at the point in the cells' order; a step wins only when strictly better."""
    score, back = {(0, 0): 0.0}, {}
    for i, j in points:
        if (i, j) == (0, 0):
            continue
        best, step = -np.inf, (0, 0)
        for a, b in [(1, 0), (0, 1)] + [(c[2], c[3]) for c in cells if c[:2] == (i, j)]:
            prev = score.get((i - a, j - b))
            if prev is None:
                continue
            value = prev + (gains[(i, j, a, b)] if a and b else 0.0)
            if value > best:
                best, step = value, (a, b)
        if best > -np.inf:
            score[(i, j)], back[(i, j)] = best, step
    return score, back


def test_path_scores_are_those_of_the_plain_dp_ties_included():
    """`_path_scores` (the search's DP, run several times per document) against the plain
    DP: the same scores and steps, on windows with group gains that tie (halves, quarters and
    zeros) and that lose to skipping, and with cells whose start lies outside the window."""
    from auditor.align import _path_scores

    for seed in range(6):
        rng = np.random.default_rng(seed)
        n, m = 12, 14
        lo = np.clip(np.arange(n + 1) * m // n - 3, 0, m)
        hi = np.clip(np.arange(n + 1) * m // n + 3, 0, m)
        points = [(i, j) for i in range(n + 1) for j in range(int(lo[i]), int(hi[i]) + 1)]
        cells = [(i, j, a, b) for i, j in points for a in (1, 2, 3) for b in (1, 2)
                 if i >= a and j >= b and rng.random() < 0.7]
        gains = {c: float(rng.integers(-2, 5)) / 4 for c in cells}
        assert _path_scores(points, cells, gains) == _plain_path_scores(points, cells, gains)


def test_length_agreement_of_many_cells_is_each_cells_own():
    """`refine_parallel` reads every candidate's length agreement from one call over all of
    them: the same floats as one call per cell (segment lengths of a TED talk's MT and refB,
    every group of up to four segments a side near the diagonal)."""
    import csv

    from tests.conftest import SHARED_DATA

    lengths: dict[str, list[int]] = {"Online-W": [], "refB": []}
    with open(SHARED_DATA / "mqm_ted_zhen.dev.tsv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row["doc"] == "talk.2" and row["system"] in lengths:
                lengths[row["system"]].append(len(row["target"]))
    mt, ref = (np.cumsum([0, *lengths[s][:80]]) for s in ("Online-W", "refB"))
    cells = np.array([(i, j, a, b) for i in range(1, len(mt)) for j in range(1, len(ref))
                      if abs(i - j) < 6
                      for a in range(1, min(i, 4) + 1) for b in range(1, min(j, 4) + 1)])
    i, j, a, b = cells.T
    mt_cum, ref_cum = mt.astype(np.float64), ref.astype(np.float64)
    many = length_agreement(mt_cum[i] - mt_cum[i - a], ref_cum[j] - ref_cum[j - b], 1.07)
    one_by_one = [float(length_agreement(mt_cum[x] - mt_cum[x - p], ref_cum[y] - ref_cum[y - q],
                                         1.07)) for x, y, p, q in cells.tolist()]
    assert len(cells) > 1000 and many.tolist() == one_by_one


def test_cells_are_tuples_of_python_ints_in_row_order():
    """`_cells` turns the candidate rows into (i, j, a, b) tuples of Python ints zipped from
    the columns: the same cells, in the same order, as converting row by row."""
    from auditor.align import _cells

    rows = np.random.default_rng(3).integers(0, 500, size=(2000, 4)).astype(np.int64)
    cells = _cells(rows)
    assert cells == [(int(i), int(j), int(a), int(b)) for i, j, a, b in rows]
    assert all(type(c) is tuple and all(type(x) is int for x in c) for c in cells)
    assert _cells(rows[:0]) == []
