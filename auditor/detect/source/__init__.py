"""Source-side checks: what the MT dropped from, added to, or changed in the source text.

Works from the cross-lingual alignment the pipeline builds when a source is given
(`ctx.source_alignments`, multilingual USE vectors), so it needs no English reference:
- omission: a source sentence with no MT counterpart (and which does not merely belong to a
  neighbouring translated group), and a source clause whose removal makes the source *closer*
  to its aligned MT (leave-one-out: the MT carries nothing of it);
- addition: an MT sentence with no source counterpart, worded "not supported by the source";
- number: a figure of the source (Chinese numerals, 万/亿, dates, ranges such as 六七千) that no
  figure of the aligned MT sentences equals, paired with an MT figure that the source does not
  have; and a figure the MT keeps in another currency;
- name: a Chinese source name whose MT rendering is one or two letters off its pinyin, and a
  transliterated foreign name that the MT spells as the pinyin of the Chinese characters,
  syllables split like a Chinese name ("Peng Peiao" for 蓬佩奥), and another Chinese-looking
  name standing where the source names a person no MT name renders.
Modules by what they check: `gaps` (sentences and clauses), `figures` (numbers and currencies),
`names`. `auditor.merge` combines these with the reference-side findings of the other detectors.
"""

from __future__ import annotations

from auditor.detect.base import COVERAGE_ID, AuditContext, Detector, Input
from auditor.detect.source.common import SOURCE_ID
from auditor.detect.source.figures import find_figures
from auditor.detect.source.gaps import clause_drops, find_clause_omissions, find_gaps
from auditor.detect.source.names import find_names
from auditor.result import Finding, FindingKind


class SourceDetector(Detector):
    """Omissions, additions, numbers and names checked against the source text."""

    id = SOURCE_ID
    requires = frozenset({Input.SOURCE})
    parses = True
    produces = frozenset({FindingKind.OMISSION, FindingKind.ADDITION, FindingKind.NUMBER,
                          FindingKind.NAME})

    def find(self, ctx: AuditContext) -> list[Finding]:
        assert ctx.source is not None
        pairs = sorted(ctx.source_alignments, key=lambda p: (p.mt, p.other))
        findings = find_gaps(ctx, pairs)
        drops = clause_drops(ctx)  # the clause check's evidence, shared through ctx
        if not (ctx.source.doc.lang == "zh" and COVERAGE_ID in ctx.detectors):
            # for a Chinese source the coverage detector weighs the clause drops with the word
            # evidence in one fitted decision per aligned group (auditor.detect.coverage)
            findings += find_clause_omissions(ctx, drops)
        if ctx.source.doc.lang in ("zh", "ja"):
            findings += find_figures(ctx, pairs)
        if ctx.source.doc.lang == "zh":
            findings += find_names(ctx, pairs)
        return findings


__all__ = ["SourceDetector"]
