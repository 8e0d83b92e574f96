"""Source-language text left in an English MT (kind "untranslated", MQM Accuracy/Untranslated).

An English MT holds Chinese, Japanese or Korean letters only where the system passed them
through: a whole sentence it could not translate, or a name or term it did not know. Each
stretch of them in a sentence is one finding: Major when it is most of the sentence, Minor for a
word or a name. A stretch a reference writes too (a quoted slogan, a gloss) is not reported.
The MT is checked only when it should be English: every reference reads as English, or, with
no reference, the source does not.
"""

from __future__ import annotations

from auditor.detect.base import AuditContext, Detector
from auditor.lang.scripts import cjk_letter_count, cjk_runs
from auditor.result import Finding, FindingKind, Severity
from auditor.segment import detect_lang


class UntranslatedDetector(Detector):
    """Stretches of CJK letters in an MT that should be English."""

    id = "untranslated"
    produces = frozenset({FindingKind.UNTRANSLATED})

    def ready(self, ctx: AuditContext) -> bool:
        if not super().ready(ctx):
            return False
        if ctx.references:
            return all(detect_lang(r.doc.text) == "en" for r in ctx.references)
        return ctx.source is not None and detect_lang(ctx.source.doc.text) != "en"

    def find(self, ctx: AuditContext) -> list[Finding]:
        settings = ctx.config.untranslated
        quoted = " ".join(r.doc.text for r in ctx.references)
        findings = []
        for sent in ctx.mt.sentences:
            raw = ctx.mt.doc.text[sent.start:sent.end]
            runs = cjk_runs(raw)
            letters = sum(1 for ch in raw if ch.isalnum()) if runs else 0  # (read for a run)
            for start, end in runs:
                text = raw[start:end]
                if text in quoted:
                    continue  # the references write it too: a quotation or a gloss
                count = cjk_letter_count(text)
                share = count / max(letters, 1)
                findings.append(Finding(
                    kind=FindingKind.UNTRANSLATED,
                    severity=(Severity.MAJOR if share >= settings.major_share
                              else Severity.MINOR),
                    mt_start=sent.start + start, mt_end=sent.start + end, mt_text=text,
                    confidence=settings.confidence,
                    evidence=(f"left in the source language: {count} CJK "
                              f"letters, {share:.0%} of the sentence's letters"),
                    mt_sentence=sent.index,
                ))
        return findings


__all__ = ["UntranslatedDetector"]
