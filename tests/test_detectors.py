"""What detectors declare (inputs needed, kinds produced) and what the shared base does with it."""

from __future__ import annotations

import numpy as np
import pytest

from auditor.config import AuditConfig
from auditor.detect import DETECTORS, PRODUCERS, AuditContext, Detector, Input, get_detector
from auditor.detect.base import Resources
from auditor.result import Document, Finding, FindingKind, Severity
from auditor.segment import segment_document


def test_the_kind_table_lists_exactly_what_each_detector_declares():
    declared: dict[FindingKind, set[str]] = {}
    for detector_id in DETECTORS:
        for kind in get_detector(detector_id).produces:
            declared.setdefault(kind, set()).add(detector_id)
    assert declared == {kind: set(ids) for kind, ids in PRODUCERS.items()}
    assert set(PRODUCERS) == set(FindingKind)


@pytest.mark.parametrize(("detector_id", "needs"), [
    ("source", {Input.SOURCE}), ("content", {Input.REFERENCES}),
    ("numbers", {Input.REFERENCES}), ("names", {Input.REFERENCES}), ("repetition", set()),
])
def test_each_detector_declares_its_inputs(detector_id, needs):
    assert get_detector(detector_id).requires == needs


class _Probe(Detector):
    """Reports one finding per call without naming itself, and counts its calls."""

    id = "probe"
    requires = frozenset({Input.REFERENCES})
    produces = frozenset({FindingKind.FLUENCY})

    def __init__(self) -> None:
        self.calls = 0

    def find(self, ctx: AuditContext) -> list[Finding]:
        self.calls += 1
        return [Finding(FindingKind.FLUENCY, Severity.MINOR, 0, 3, "One", 0.5, "probe")]


def _context(references: int) -> AuditContext:
    mt = segment_document(Document("One sentence here."))
    refs = tuple(segment_document(Document("Another sentence there.")) for _ in range(references))
    empty = np.zeros((1, 0))
    return AuditContext(
        mt=mt, references=refs, source=None, mt_vectors=np.zeros((1, 4)),
        reference_vectors=tuple(np.zeros((1, 4)) for _ in refs),
        similarity=tuple(empty for _ in refs), alignments=(), sentence_scores=(),
        config=AuditConfig(), resources=Resources(encoder=None),  # type: ignore[arg-type]
    )


def test_the_base_skips_a_detector_whose_input_is_missing():
    probe = _Probe()
    assert probe.detect(_context(references=0)) == []
    assert probe.calls == 0


def test_the_base_stamps_the_detector_id_on_its_findings():
    probe = _Probe()
    findings = probe.detect(_context(references=1))
    assert probe.calls == 1
    assert [f.detector for f in findings] == ["probe"]
