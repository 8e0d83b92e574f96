"""Omissions and additions from clause support, on small texts and on the annotated seed."""

from __future__ import annotations

import numpy as np
import pytest

from auditor.result import Document, FindingKind, Severity


@pytest.fixture(scope="module")
def content_auditor(auditor):
    """The session's models, only the content detector (no second model load)."""
    from auditor import Auditor

    mine = Auditor(encoder=auditor.encoder, detectors=["content"])
    mine.resources = auditor.resources
    return mine


def _audit(content_auditor, mt: str, *refs: str):
    return content_auditor.audit(Document(mt, "mt"), [Document(r, f"ref{i}")
                                                      for i, r in enumerate(refs)])


REFERENCE = (
    "The city council approved a new budget for public libraries on Tuesday.\n"
    "The plan adds evening opening hours at twelve branches across the city.\n"
    "Council members said that the extra hours would help students who work during the day.\n"
    "The mayor is expected to sign the budget next week."
)


def test_faithful_translation_has_no_finding(content_auditor):
    mt = (
        "On Tuesday the city council approved a new budget for the public libraries.\n"
        "The plan adds evening opening hours at twelve branches across the city.\n"
        "Council members said the extra hours would help students who work in the daytime.\n"
        "The mayor is expected to sign the budget next week."
    )
    result = _audit(content_auditor, mt, REFERENCE)
    assert [f for f in result.findings if f.detector == "content"] == []


def test_unsupported_sentence_is_an_addition_with_closest_evidence(content_auditor):
    mt = REFERENCE + "\nThe football team also signed a Brazilian striker for forty million euros."
    result = _audit(content_auditor, mt, REFERENCE)
    additions = [f for f in result.findings if f.kind is FindingKind.ADDITION]
    assert len(additions) == 1
    found = additions[0]
    assert "Brazilian striker" in found.mt_text
    assert found.evidence.startswith("not supported by the references")
    assert found.reference is not None and found.reference.doc == 0
    assert found.reference.text in REFERENCE
    assert found.severity is Severity.MAJOR
    assert not any(f.kind is FindingKind.OMISSION for f in result.findings)


def test_half_supported_sentence_flags_only_its_unsupported_clause(content_auditor):
    mt = REFERENCE.replace(
        "The mayor is expected to sign the budget next week.",
        "The mayor is expected to sign the budget next week, and the army will hold a "
        "military parade on the river to celebrate the national football victory.",
    )
    result = _audit(content_auditor, mt, REFERENCE)
    additions = [f for f in result.findings if f.kind is FindingKind.ADDITION]
    assert len(additions) == 1
    sentence = result.mt.sentences[additions[0].mt_sentence]
    assert additions[0].mt_start > sentence.start  # the supported first half is not flagged
    assert "military parade" in additions[0].mt_text
    assert "sign the budget" not in additions[0].mt_text


def test_dropped_sentence_is_a_likely_omission(content_auditor):
    mt = REFERENCE.replace(
        "Council members said that the extra hours would help students who work during the "
        "day.\n", "")
    result = _audit(content_auditor, mt, REFERENCE)
    omissions = [f for f in result.findings if f.kind is FindingKind.OMISSION]
    assert len(omissions) == 1
    found = omissions[0]
    assert found.reference is not None and found.reference.doc == 0
    assert "help students" in found.reference.text
    assert REFERENCE[found.reference.start:found.reference.end] == found.reference.text
    assert "likely dropped" in found.evidence
    assert found.mt_start is not None  # placed after the MT text carrying its neighbour
    assert found.mt_sentence == 1  # the end of "The plan adds evening opening hours ..."
    assert not any(f.kind is FindingKind.ADDITION for f in result.findings)


def test_omission_names_every_reference_that_carries_it(content_auditor):
    other = (
        "New evening hours are coming to twelve library branches under a budget the council "
        "passed on Tuesday.\n"
        "According to council members, students with daytime jobs will benefit from the longer "
        "hours.\n"
        "The budget goes to the mayor for signature next week."
    )
    mt = REFERENCE.replace(
        "Council members said that the extra hours would help students who work during the "
        "day.\n", "")
    result = _audit(content_auditor, mt, REFERENCE, other)
    omissions = [f for f in result.findings if f.kind is FindingKind.OMISSION
                 and "students" in (f.reference.text if f.reference else "")]
    assert len(omissions) == 1  # one finding, not one per reference
    assert "references 0, 1" in omissions[0].evidence


def test_otsu_threshold_splits_two_groups():
    from auditor.detect.content import otsu_threshold

    values = np.array([-5.0, -4.5, -4.0, 2.0, 2.5, 3.0])
    assert -4.0 < otsu_threshold(values) < 2.0
    assert otsu_threshold(np.array([1.0, 2.0])) == float("inf")


def test_idf_weighted_overlap_discounts_story_wide_words():
    from auditor.detect.content import weighted_overlap
    from auditor.detect.units import idf_weights

    sentences = [frozenset({"japan", "trade"}), frozenset({"japan", "visit"}),
                 frozenset({"japan", "chip"})]
    idf = idf_weights(sentences)
    assert idf["japan"] < idf["chip"]
    only_common = weighted_overlap(frozenset({"japan", "chip"}), frozenset({"japan"}), idf)
    only_rare = weighted_overlap(frozenset({"japan", "chip"}), frozenset({"chip"}), idf)
    assert only_rare > 0.5 > only_common


# ---- the annotated seed ------------------------------------------------------------------
def _span(text: str, needle: str) -> tuple[int, int]:
    start = text.index(needle)
    return start, start + len(needle)


def seed_agreement(result, annotation) -> dict[str, tuple[int, int, int]]:
    """(matched findings, findings, annotated items) per kind, for additions and omissions."""
    text = result.mt.doc.text
    out = {}
    gold_add = [_span(text, f["mt_text"]) for f in annotation["findings"]
                if f["kind"] == "addition"]
    found_add = [f for f in result.findings if f.kind is FindingKind.ADDITION]
    hits = [g for g in gold_add if any(f.mt_start < g[1] and g[0] < f.mt_end
                                       for f in found_add)]
    true_pos = [f for f in found_add if any(f.mt_start < g[1] and g[0] < f.mt_end
                                            for g in gold_add)]
    out["addition"] = (len(true_pos), len(found_add), len(gold_add), len(hits))
    found_om = [f for f in result.findings if f.kind is FindingKind.OMISSION]
    gold_om = annotation["omissions"]

    def matches(f, g) -> bool:
        return (f.reference is not None and f.reference.doc == g["ref"]
                and g["ref_text"][:40] in f.reference.text)

    hits_om = [g for g in gold_om if any(matches(f, g) for f in found_om)]
    true_om = [f for f in found_om if any(matches(f, g) for g in gold_om)]
    out["omission"] = (len(true_om), len(found_om), len(gold_om), len(hits_om))
    return out


def test_seed_annotated_additions_are_found(seed_result, annotation):
    _, _, gold, hits = seed_agreement(seed_result, annotation)["addition"]
    assert hits >= gold // 2


def test_seed_annotated_omissions_are_found_as_background(seed_result, annotation):
    found = [f for f in seed_result.findings if f.kind is FindingKind.OMISSION]
    for gold in annotation["omissions"]:
        hits = [f for f in found if f.reference and f.reference.doc == gold["ref"]
                and gold["ref_text"][:40] in f.reference.text]
        assert hits, f"omission not found: {gold['ref_text']!r}"
    background = [f for f in found if "background" in f.evidence]
    assert all(f.severity is Severity.MINOR for f in background)


def test_seed_supported_sentence_is_not_an_addition(seed_result):
    text = seed_result.mt.doc.text
    start, end = _span(text, "Japan’s trade restrictions not only harm the interests")
    assert not any(f.kind is FindingKind.ADDITION and f.mt_start < end and start < f.mt_end
                   for f in seed_result.findings)


def test_parallel_mode_pairs_a_divergent_passage_into_one_mistranslation(auditor):
    from auditor import Auditor
    from auditor.config import AlignMode, AuditConfig

    parallel = Auditor(encoder=auditor.encoder, detectors=["content"],
                       config=AuditConfig(mode=AlignMode.PARALLEL))
    parallel.resources = auditor.resources
    mt = REFERENCE.replace(
        "The plan adds evening opening hours at twelve branches across the city.",
        "The army will hold a military parade on the river next summer.")
    result = parallel.audit(Document(mt, "mt"), [Document(REFERENCE, "ref")])
    kinds = [f.kind for f in result.findings]
    assert kinds == [FindingKind.MISTRANSLATION]
    assert "evening opening hours" in result.findings[0].reference.text
    assert "military parade" in result.findings[0].mt_text


UNRELATED_REPORT = (
    "Astronomers in Chile have photographed a young planet forming around a distant star. "
    "The images were taken over three nights with a telescope high in the Atacama desert. "
    "The planet is thought to be several times heavier than Jupiter and still glowing from "
    "the heat of its formation. A ring of dust and gas surrounds the star, and the planet "
    "has carved a clear gap in it. Researchers said the discovery would help explain how "
    "giant planets grow in the first few million years of a star's life. They plan to "
    "measure the planet's atmosphere next year with a new instrument. The team published its "
    "findings in a scientific journal on Wednesday."
)


def test_a_reference_no_mt_sentence_aligns_with_reports_no_omissions(auditor):
    """A reference telling another story (a wrong match in a feed, a wrong file) aligns with
    nothing: its sentences are not content the MT dropped, and the audit says why it left
    them out."""
    from tests.conftest import MT_SEED, REF_SEEDS

    with_stray = auditor.audit(MT_SEED, [REF_SEEDS[0], Document(UNRELATED_REPORT, "stray.txt")])
    assert with_stray.scores.fidelity_per_reference[1] == 0.0
    assert not [f for f in with_stray.findings
                if f.kind is FindingKind.OMISSION and f.reference and f.reference.doc == 1]
    assert any(n.startswith("stray.txt: no MT sentence aligns") for n in with_stray.notes)
    alone = auditor.audit(MT_SEED, [REF_SEEDS[0]])
    omissions = [(f.reference.start, f.severity) for f in with_stray.findings
                 if f.kind is FindingKind.OMISSION]
    assert omissions == [(f.reference.start, f.severity) for f in alone.findings
                         if f.kind is FindingKind.OMISSION]


def test_a_sentence_the_true_translation_lacks_is_an_addition_in_parallel_mode(auditor):
    """Against a true translation the word-level check reports over-translated words, not
    clause additions; a whole invented sentence is still an addition a reviewer marks."""
    from auditor import Auditor
    from auditor.config import AuditConfig

    parallel = Auditor(config=AuditConfig(mode="parallel"), encoder=auditor.encoder)
    parallel.resources = auditor.resources
    invented = "The governor of Texas praised the farmers for their record wheat harvest."
    mt = UNRELATED_REPORT.replace(" They plan to measure", f" {invented} They plan to measure")
    found = [(f.kind, f.mt_text) for f in parallel.audit(mt, [UNRELATED_REPORT]).findings]
    assert found == [(FindingKind.ADDITION, invented)]
    assert parallel.audit(UNRELATED_REPORT, [UNRELATED_REPORT]).findings == ()
