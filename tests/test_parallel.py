"""Parallel mode: a true translation pair aligned monotonically, with a split and a drop."""

from __future__ import annotations

import numpy as np
import pytest

from auditor import AlignMode, AuditConfig
from auditor.align import align_parallel
from auditor.pipeline import Auditor

REFERENCE = [
    "The museum reopened on Monday after two years of renovation.",
    "Visitors queued for hours to see the restored ceiling paintings.",
    "The director thanked the craftsmen who worked on the project and said the building was "
    "safer than ever.",
    "Tickets are free for children under twelve.",
    "The gift shop will open next month.",
]
MT = [
    "After two years of renovation, the museum opened again on Monday.",
    "Visitors waited for hours to see the restored paintings of the ceiling.",
    "The director thanked the craftsmen who worked on the project.",
    "She said the building was safer than ever.",
    "The gift shop opens next month.",
]


def test_parallel_alignment_handles_split_and_drop(auditor):
    parallel = Auditor(encoder=auditor.encoder, config=AuditConfig(mode=AlignMode.PARALLEL))
    result = parallel.audit(" ".join(MT), [" ".join(REFERENCE)])
    groups = sorted((a.mt, a.other) for a in result.alignments)
    assert groups == [((0,), (0,)), ((1,), (1,)), ((2, 3), (2,)), ((4,), (4,))]
    assert result.scores.coverage_per_reference[0] < 1.0  # the children's tickets are missing


def test_parallel_alignment_is_monotonic_on_random_vectors():
    rng = np.random.default_rng(1)
    base = rng.normal(size=(12, 32))
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    noisy = base + 0.1 * rng.normal(size=base.shape)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    groups = align_parallel(base, noisy)
    assert groups == [((i,), (i,)) for i in range(12)]


def test_cli_lines_segmentation_gives_exact_groups_in_json(tmp_path):
    """--segmentation lines: one sentence per line on both sides (a line holding two sentences
    stays one); --mode parallel: the JSON `alignments` are the exact groups as index lists."""
    import json

    from typer.testing import CliRunner

    from auditor.cli import app

    mt_lines = [MT[0], MT[1], MT[2] + " " + MT[3], MT[4]]  # two sentences on one line
    mt_path, ref_path = tmp_path / "mt.txt", tmp_path / "ref.txt"
    mt_path.write_text("\n".join(mt_lines) + "\n", encoding="utf-8")
    ref_path.write_text("\n".join(REFERENCE) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["audit", str(mt_path), "--ref", str(ref_path), "--mode",
                                      "parallel", "--segmentation", "lines", "--json", "-"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [s["text"] for s in data["sentences"]] == mt_lines
    assert "seg:lines" in data["signature"]["short"]
    groups = [(a["mt"], a["ref"]) for a in data["alignments"]]
    assert groups == [([0], [0]), ([1], [1]), ([2], [2]), ([3], [4])]


def test_library_segmentation_keyword(auditor):
    from auditor import audit

    text = "First line. Still the first line.\nSecond line"
    result = audit(text, [text], segmentation="lines", auditor=auditor)
    assert result.mt.texts == ["First line. Still the first line.", "Second line"]
    assert result.signature.config.segmentation.value == "lines"
    try:
        AuditConfig(segmentation="words")
    except ValueError as exc:
        assert "auto, lines" in str(exc)
    else:
        raise AssertionError("an unknown segmentation must be refused")


# A one-sentence MT against a reference that split it after a short first sentence: the sum of
# two sentence vectors scored the 1-2 group too low, so the first pass left "This is a very bold
# plan." out (issue 20); the group's own text, embedded whole, scores it right.
SPLIT_REFERENCE = [
    "This is a very bold plan.",
    "Its cost will not be matched by any other project in the next ten years, and it will be "
    "used to map the ocean floor.",
    "The tide rises twice a day in this bay.",
    "Fishermen wait for the high tide before they take their boats out to sea.",
]
SPLIT_MT = [
    "This is a very daring project, and its budget will not be exceeded in the coming decade - "
    "it will be used to chart the seabed.",
    "In this bay the tide comes in two times every day.",
    "The fishermen wait for high water before taking their boats out.",
]


def test_parallel_alignment_finds_a_one_to_two_group_with_a_short_sentence(auditor):
    parallel = Auditor(encoder=auditor.encoder, config=AuditConfig(mode=AlignMode.PARALLEL))
    result = parallel.audit("\n".join(SPLIT_MT), ["\n".join(SPLIT_REFERENCE)])
    assert [(a.mt, a.other) for a in result.alignments] == [
        ((0,), (0, 1)), ((1,), (2,)), ((2,), (3,))]
    whole = auditor.encoder.encode([SPLIT_MT[0], " ".join(SPLIT_REFERENCE[:2])])
    assert result.alignments[0].similarity == pytest.approx(float(whole[0] @ whole[1]), abs=1e-5)


# A garbled MT sentence between two well-translated neighbours (the shape of a TED dev segment
# where "这是与非门" came out as "This is not true."): its cosine to the reference sentence is
# below the pairing floor, so the second pass left one MT and one reference sentence unmatched
# (read as a drop plus an addition). Position says they are one translation pair.
GARBLED_REFERENCE = [REFERENCE[0], REFERENCE[1], "This circuit is a NAND gate.", REFERENCE[3]]
GARBLED_MT = [MT[0], MT[1], "This is not true.", "Children under twelve get free tickets."]


@pytest.mark.parametrize("pair_gaps", [True, False])
def test_parallel_pairs_a_lone_garbled_sentence_between_matched_neighbours(auditor, pair_gaps):
    config = AuditConfig(mode=AlignMode.PARALLEL, segmentation="lines",
                         pair_single_gaps=pair_gaps)
    result = Auditor(encoder=auditor.encoder, config=config).audit(
        "\n".join(GARBLED_MT), ["\n".join(GARBLED_REFERENCE)])
    groups = [(a.mt, a.other) for a in result.alignments]
    assert groups[:2] == [((0,), (0,)), ((1,), (1,))] and groups[-1] == ((3,), (3,))
    assert (((2,), (2,)) in groups) is pair_gaps
    if pair_gaps:
        low = result.alignments[2].similarity
        vectors = auditor.encoder.encode([GARBLED_MT[2], GARBLED_REFERENCE[2]])
        assert low == pytest.approx(float(vectors[0] @ vectors[1]), abs=1e-5)
        assert low < config.min_similarity  # paired by position, not by similarity
