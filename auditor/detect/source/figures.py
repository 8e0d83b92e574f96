"""Figures of the source (Chinese numerals, 万/亿, dates, ranges such as 六七千) that no figure of
the aligned MT equals, and figures the MT keeps in another currency."""

from __future__ import annotations

from dataclasses import replace

from auditor.detect.base import AuditContext
from auditor.detect.source.common import raw_text
from auditor.lang.currency import currency_name, en_currency, same_currency, zh_currency
from auditor.lang.en_figures import en_quantities
from auditor.lang.figures import Quantity, same_value
from auditor.lang.zh_figures import zh_quantities
from auditor.result import AlignmentPair, Finding, FindingKind, Severity, Span


def find_figures(ctx: AuditContext, pairs: list[AlignmentPair]) -> list[Finding]:
    """Source figures no figure of the aligned MT equals, paired with an MT figure the
    source does not have; and figures in another currency (`currency_findings`)."""
    assert ctx.source is not None
    findings = currency_findings(ctx, pairs)
    for pair in pairs:
        src_q: list[Quantity] = []
        for j in pair.other:
            s = ctx.source.sentences[j]
            src_q += [replace(q, start=q.start + s.start, end=q.end + s.start)
                      for q in zh_quantities(raw_text(ctx.source.doc.text, s))]
        mt_q: list[tuple[int, Quantity]] = []
        for i in pair.mt:
            s = ctx.mt.sentences[i]
            mt_q += [(i, replace(q, start=q.start + s.start, end=q.end + s.start))
                     for q in en_quantities(raw_text(ctx.mt.doc.text, s))]
        lone_src = [q for q in src_q if not any(same_value(q, m)
                                                for _, m in mt_q)]
        lone_mt = [(i, m) for i, m in mt_q if not any(same_value(m, q)
                                                      for q in src_q)]
        pairs_by_unit = [pair for unit in sorted({q.unit for q in lone_src}) for pair in zip(
            [q for q in lone_src if q.unit == unit],
            [(i, m) for i, m in lone_mt if m.unit == unit], strict=False)]
        for q, (i, m) in pairs_by_unit:
            findings.append(Finding(
                kind=FindingKind.NUMBER, severity=Severity.MAJOR,
                mt_start=m.start, mt_end=m.end, mt_text=m.text,
                confidence=ctx.config.source.figure_confidence,
                evidence=(f"the source says {q.text} ({q.shown}) where the MT says "
                          f"{m.text}{f' ({m.shown})' if m.shown != m.text else ''}; no figure "
                          "of the source sentence equals it"),
                source=Span(q.start, q.end, q.text),
                canonical=q.shown, mt_sentence=i,
            ))
    return findings


def currency_findings(ctx: AuditContext, pairs: list[AlignmentPair]) -> list[Finding]:
    """A figure the MT keeps but in another currency ("8000多元" -> "$8,000")."""

    assert ctx.source is not None
    findings = []
    for pair in pairs:
        src = []
        for j in pair.other:
            s = ctx.source.sentences[j]
            raw = raw_text(ctx.source.doc.text, s)
            src += [(q, s.start, code) for q in zh_quantities(raw)
                    if (code := zh_currency(raw, q.start, q.end)) is not None]
        for i in pair.mt:
            s = ctx.mt.sentences[i]
            raw = raw_text(ctx.mt.doc.text, s)
            for m in en_quantities(raw):
                code = en_currency(raw, m.start, m.end)
                match = next(((q, at, c) for q, at, c in src if same_value(q, m)), None)
                if code is None or match is None or same_currency(match[2], code):
                    continue
                q, at, src_code = match
                findings.append(Finding(
                    kind=FindingKind.NUMBER, severity=Severity.MAJOR,
                    mt_start=s.start + m.start, mt_end=s.start + m.end, mt_text=m.text,
                    confidence=ctx.config.source.figure_confidence,
                    evidence=(f"the figure is right but the currency is not: the source says "
                              f"{q.text} in {currency_name(src_code)}, the MT "
                              f"writes {currency_name(code)}"),
                    source=Span(at + q.start, at + q.end, q.text),
                    canonical=f"{q.shown} {currency_name(src_code)}",
                    mt_sentence=i,
                ))
    return findings


__all__ = ["currency_findings", "find_figures"]
