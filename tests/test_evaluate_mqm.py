"""benchmarks/evaluate_mqm.py on the real news dev data: what its span columns count."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

from auditor.result import Finding, FindingKind, Severity

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))


def test_span_columns_leave_out_the_quality_stage_like_the_segment_columns():
    """The quality stage's whole-sentence findings come from a model fitted on this data: the
    segment columns skip them, so must the span columns (they counted them: 1640 "findings"
    against 953 flagged segments)."""
    import evaluate_mqm
    from mqm_data import load_documents

    doc = next(d for d in load_documents("news")
               if any(e.major and "mistranslation" in e.kinds and e.side == "target"
                      and e.start >= 0 for s in d.segments for e in s.errors))
    seg = next(s for s in doc.segments if any(
        e.major and "mistranslation" in e.kinds and e.side == "target" and e.start >= 0
        for e in s.errors))
    finding = Finding(kind=FindingKind.MISTRANSLATION, severity=Severity.MAJOR,
                      mt_start=seg.mt_start, mt_end=seg.mt_end, mt_text=seg.mt,
                      confidence=0.9, evidence="x", detector="quality")
    counts = evaluate_mqm.span_counts(doc, SimpleNamespace(findings=(finding,)))
    assert counts["mistranslation"][:2] == [0, 0]
    word_level = SimpleNamespace(findings=(replace(finding, detector="coverage"),))
    assert evaluate_mqm.span_counts(doc, word_level)["mistranslation"][:2] == [1, 1]
