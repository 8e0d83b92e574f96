"""Repetition loops and garbled fragments in the MT text (kinds "repetition" and "fluency").

- phrase loops: a run of two or more words, holding two content words, repeated back to back
  ("Korea, the United States, Korea, the United States and Japan"), a typical decoder loop;
  major from three words on (a whole phrase said twice), minor below;
- word stutters: one word three or more times with only spaces between ("to to to"): minor;
- repeated sentences: a sentence the MT says twice (near-identical, rapidfuzz ratio >= 90);
- dangling fragments: a sentence that ends on ":" or another joining mark with nothing after
  it ("Credit :"), i.e. a label whose content was lost;
- verbless fragments: a sentence inside a paragraph that ends like a sentence but has no verb
  ("Cooperation with Korea, the United States and Japan."), usually a clause broken off the
  sentence before it.

A pattern that a reference has too (a rhetorical repetition the writer meant) is not reported.
Headlines and lines standing alone (bylines, credits, datelines) are not fragments.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Collection
from typing import Any

import numpy as np

from auditor.config import ParseScope, RepetitionConfig
from auditor.detect.base import AuditContext, Detector
from auditor.result import MT_DOC, Finding, FindingKind, Severity

_WORDS = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
# A finite auxiliary or a verb contraction: a sentence that holds one has a verb. In fast
# mode (`ParseScope.CUES`) such a sentence is not parsed for the verbless check: of 3,806 MT
# and reference sentences of the WMT TED and news dev data, 2,440 hold one and spaCy tags a
# verb in every one of them. (Not "can", "may", "will", "must", "being": also nouns or
# months; not "'s": also a possessive.)
FINITE_VERB_CUE = re.compile(r"\b(?:is|are|was|were|am|been|has|have|had|did|would|could|should"
                             r"|might)\b|\w['’](?:re|m|ve|ll|d)\b|n['’]t\b", re.IGNORECASE)
# Sizes, ratios and confidences: RepetitionConfig in auditor/config.py (AuditConfig.repetition).
_DEFAULT = RepetitionConfig()
# Characters that promise continuation: a sentence ending on one of them is cut off.
DANGLING_END = (":", ",", ";", "(", "-", "–", "—", "/", "&")


def phrase_loops(text: str, stop_words: frozenset[str], settings: RepetitionConfig = _DEFAULT
                 ) -> list[tuple[int, int, str]]:
    """Back-to-back repeats of a 2-8 word phrase: (start, end, repeated phrase) in `text`.

    Words are compared case-insensitively, punctuation between them ignored; each loop is
    reported once, at its longest phrase.
    """
    if settings.min_loop_words >= 2:
        # a loop repeats at least one pair of words: most sentences repeat none
        plain = [w.lower() for w in _WORDS.findall(text)]
        if len(set(zip(plain, plain[1:], strict=False))) == max(len(plain) - 1, 0):
            return []
    words = [(m.start(), m.end(), m.group().lower()) for m in _WORDS.finditer(text)]
    tokens = [w for _, _, w in words]
    loops: list[tuple[int, int, str]] = []
    covered_until = -1
    i = 0
    while i < len(tokens):
        found = None
        longest = min(settings.max_loop_words, (len(tokens) - i) // 2)
        for length in range(longest, settings.min_loop_words - 1, -1):
            if tokens[i] != tokens[i + length]:  # the phrases differ in their first word
                continue
            first, second = tokens[i : i + length], tokens[i + length : i + 2 * length]
            if first != second:  # the cheap test first: its content words only for a repeat
                continue
            content = {w for w in first if w not in stop_words}
            if len(content) >= settings.min_loop_content and \
                    not any(ch.isdigit() for w in first for ch in w):
                found = length
                break
        if found and i > covered_until:
            start, end = words[i][0], words[i + 2 * found - 1][1]
            loops.append((start, end, " ".join(tokens[i : i + found])))
            covered_until = i + 2 * found - 1
            i += found
            continue
        i += 1
    return loops


_STUTTER = re.compile(r"(?<![\w'’-])([^\W\d_]+)(?:[ \t]+\1){2,}(?![\w'’-])", re.IGNORECASE)


def word_stutters(text: str) -> list[tuple[int, int, str]]:
    """One word said three or more times with only spaces between ("to to to", "the the the"):
    (start, end, word). Said twice it is often grammar ("that that", "had had"); set off by
    commas it is speech ("very, very, very"); with nothing between, three times, a decoder
    stutter."""
    return [(m.start(), m.end(), m.group(1).lower()) for m in _STUTTER.finditer(text)]


def _normalised(text: str) -> str:
    """The words of `text`, lower-cased, one space apart. (Lower-cased after joining: the same
    as word by word, since only a final sigma reads its neighbours and a space stops that.)"""
    return " ".join(_WORDS.findall(text)).lower()


class RepetitionDetector(Detector):
    """Phrase loops, repeated sentences and broken or dangling fragments."""

    id = "repetition"
    parses = True
    produces = frozenset({FindingKind.REPETITION, FindingKind.FLUENCY})

    def find(self, ctx: AuditContext) -> list[Finding]:
        nlp = ctx.resources.nlp
        stop_words = frozenset(w.lower() for w in nlp.Defaults.stop_words)
        reference_text = " ".join(_normalised(r.doc.text) for r in ctx.references)
        findings = self._loops(ctx, stop_words, reference_text)
        findings += self._duplicates(ctx, reference_text)
        findings += self._fragments(ctx)
        return findings

    def _loops(self, ctx: AuditContext, stop_words: frozenset[str],
               reference_text: str) -> list[Finding]:
        findings = []
        for sent in ctx.mt.sentences:
            raw = ctx.mt.doc.text[sent.start:sent.end]
            for start, end, phrase in phrase_loops(raw, stop_words, ctx.config.repetition):
                if f"{phrase} {phrase}" in reference_text:
                    continue  # the references repeat it too: meant, not a loop
                findings.append(Finding(
                    kind=FindingKind.REPETITION,
                    severity=Severity.MAJOR if len(phrase.split()) >= 3 else Severity.MINOR,
                    mt_start=sent.start + start,
                    mt_end=sent.start + end,
                    mt_text=raw[start:end],
                    confidence=ctx.config.repetition.loop_confidence,
                    evidence=f"the phrase {phrase!r} is repeated back to back",
                    mt_sentence=sent.index,
                ))
            for start, end, word in word_stutters(raw):
                if _normalised(raw[start:end]) in reference_text:
                    continue
                findings.append(Finding(
                    kind=FindingKind.REPETITION, severity=Severity.MINOR,
                    mt_start=sent.start + start, mt_end=sent.start + end, mt_text=raw[start:end],
                    confidence=ctx.config.repetition.loop_confidence,
                    evidence=(f"the word {word!r} is said {len(raw[start:end].split())} times "
                              "with nothing between"),
                    mt_sentence=sent.index,
                ))
        return findings

    def _duplicates(self, ctx: AuditContext, reference_text: str) -> list[Finding]:
        """A sentence that repeats an earlier one (the first at or above `duplicate_ratio`).
        The ratios come from rapidfuzz's `cdist` (its `fuzz.ratio`, the same values, in one C
        call: a Python call per pair of sentences was most of this check)."""
        from rapidfuzz import fuzz, process

        findings = []
        texts = [_normalised(s.text) for s in ctx.mt.sentences]
        settings = ctx.config.repetition
        checked = [j for j in range(len(texts))
                   if not (len(texts[j].split()) < settings.min_duplicate_words
                           or texts[j] in reference_text)]
        if not checked:
            return []
        ratios = process.cdist([texts[j] for j in checked], texts, scorer=fuzz.ratio,
                               dtype=np.float64, workers=1)
        for row, j in zip(ratios, checked, strict=True):
            earlier = np.flatnonzero(row[:j] >= settings.duplicate_ratio)
            if len(earlier):
                i, later = int(earlier[0]), ctx.mt.sentences[j]
                findings.append(Finding(
                    kind=FindingKind.REPETITION,
                    severity=Severity.MINOR,
                    mt_start=later.start,
                    mt_end=later.end,
                    mt_text=ctx.mt.doc.text[later.start:later.end],
                    confidence=fuzz.ratio(texts[i], texts[j]) / 100.0,
                    evidence=f"repeats sentence {i + 1}: {ctx.mt.sentences[i].text!r}",
                    mt_sentence=later.index,
                ))
        return findings

    def plan_parses(self, ctx: AuditContext) -> list[tuple[int, Collection[int], bool]]:
        """Fast mode: the sentences whose parse decides the verbless check."""
        if ctx.config.parse_scope is not ParseScope.CUES:
            return []
        return [(MT_DOC, [s.index for s in self._fragment_candidates(ctx)[1]], False)]

    def _fragment_candidates(self, ctx: AuditContext) -> tuple[list[tuple[Any, str]], list[Any]]:
        """Dangling fragments (sentence, why), and the sentences whose parse decides whether
        they are verbless fragments; once per audit."""

        def build() -> tuple[list[tuple[Any, str]], list[Any]]:
            text = ctx.mt.doc.text
            sentences = ctx.mt.sentences
            starts = [o.start for o in sentences]  # in document order
            candidates: list[tuple[Any, str]] = []
            verbless: list[Any] = []  # sentences whose parse decides: only those are parsed
            in_references = {_normalised(s.text) for r in ctx.references for s in r.sentences}
            cues_only = ctx.config.parse_scope is ParseScope.CUES
            min_words = ctx.config.repetition.min_fragment_words
            for sent in sentences:
                stripped = sent.text.rstrip()
                if _normalised(stripped) in in_references:
                    continue
                if stripped.endswith(DANGLING_END):
                    candidates.append((sent, "ends on a joining mark with nothing after it"))
                elif (stripped.endswith((".", "!", "?"))
                      and len(_WORDS.findall(stripped)) >= min_words
                      and self._shares_line(text, sent, starts)
                      and not (cues_only and FINITE_VERB_CUE.search(stripped))):
                    verbless.append(sent)
            return candidates, verbless

        found: tuple[list[tuple[Any, str]], list[Any]] = ctx.word_evidence("repetition:fragments",
                                                                           build)
        return found

    def _fragments(self, ctx: AuditContext) -> list[Finding]:
        """Dangling and verbless fragments; one a reference also has as a sentence is the
        house style of the story (a "Credit :" line), not a translation error."""
        text = ctx.mt.doc.text
        dangling, verbless = self._fragment_candidates(ctx)
        candidates = list(dangling)
        parses = ctx.resources.parse([s.text for s in verbless])
        candidates += [(sent, "a sentence without a verb, broken off its neighbour")
                       for sent, parsed in zip(verbless, parses, strict=True)
                       if not any(t.pos_ in ("VERB", "AUX") for t in parsed)]
        return [Finding(
            kind=FindingKind.FLUENCY,
            severity=Severity.MINOR,
            mt_start=sent.start,
            mt_end=sent.end,
            mt_text=text[sent.start:sent.end],
            confidence=ctx.config.repetition.fragment_confidence,
            evidence=f"fragment: {why}",
            mt_sentence=sent.index,
        ) for sent, why in sorted(candidates, key=lambda c: c[0].index)]

    @staticmethod
    def _shares_line(text: str, sent: Any, starts: list[int]) -> bool:
        """True when another sentence starts on this sentence's line (paragraph)."""
        line_start = text.rfind("\n", 0, sent.start) + 1
        line_end = text.find("\n", sent.end)
        line_end = len(text) if line_end < 0 else line_end
        return bisect.bisect_left(starts, line_end) - bisect.bisect_left(starts, line_start) > 1


__all__ = ["RepetitionDetector", "phrase_loops", "word_stutters"]
