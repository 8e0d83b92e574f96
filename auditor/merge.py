"""Merging what the source side and the reference side found: one finding per MT error.

A stage of its own between detection and scoring, called by the pipeline, because it changes
what users see (evidence, source span and the noisy-OR confidence of a finding both sides made).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from auditor.detect.source.common import SOURCE_ID
from auditor.result import Finding, FindingKind, finding_order

_SIDED_KINDS = {FindingKind.OMISSION, FindingKind.ADDITION, FindingKind.NUMBER,
                FindingKind.NAME, FindingKind.MISTRANSLATION}


def _overlap(a: Finding, b: Finding) -> bool:
    if a.kind != b.kind:
        return False
    if a.mt_start is None or b.mt_start is None or a.mt_end is None or b.mt_end is None:
        return a.mt_sentence is not None and a.mt_sentence == b.mt_sentence
    if a.mt_start == a.mt_end or b.mt_start == b.mt_end:  # a point: where an omission is
        return (a.mt_sentence is not None and a.mt_sentence == b.mt_sentence) or (
            a.mt_start <= b.mt_end and b.mt_start <= a.mt_end)
    return a.mt_start < b.mt_end and b.mt_start < a.mt_end


def merge_sides(findings: Sequence[Finding], has_references: bool,
                has_source: bool) -> list[Finding]:
    """One finding per MT error when the source and the references both found it.

    Source-side findings are those of the source detector; the rest of the kinds above are
    reference-side. When both inputs were given, an overlapping pair (same kind, overlapping
    MT span, or the same MT sentence for omissions) becomes one finding: the reference-side
    one, with the source span added and "supported by source and references" in its
    evidence; the others say "source only" or "references only". Other kinds pass unchanged.
    """
    if not (has_references and has_source):
        return list(findings)
    source_side = [f for f in findings if f.detector == SOURCE_ID]
    used: set[int] = set()
    out: list[Finding] = []
    for f in findings:
        if f.detector == SOURCE_ID or f.kind not in _SIDED_KINDS:
            if f.kind not in _SIDED_KINDS:
                out.append(f)
            continue
        match = next((k for k, s in enumerate(source_side)
                      if k not in used and _overlap(f, s)), None)
        if match is None:
            out.append(replace(f, evidence=f"{f.evidence} [references only]"))
            continue
        used.add(match)
        s = source_side[match]
        out.append(replace(
            f, source=f.source or s.source,
            confidence=1.0 - (1.0 - f.confidence) * (1.0 - s.confidence),
            evidence=f"{f.evidence}; source: {s.evidence} [supported by source and references]",
        ))
    out += [replace(s, evidence=f"{s.evidence} [source only]")
            for k, s in enumerate(source_side) if k not in used]
    out.sort(key=finding_order)
    return out


__all__ = ["merge_sides"]
