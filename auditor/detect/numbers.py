"""Numbers, dates, ranges and quantities that disagree with the aligned reference text.

Mentions come from spaCy's entity recogniser (DATE, TIME, CARDINAL, QUANTITY, MONEY, PERCENT,
and ORDINAL written with digits), so the digits of a name ("G20", "Boeing 737", "COVID-19") are
never read as numbers. Each mention is normalised to typed atoms: month, day, year, weekday
for dates; a numeric value for quantities ("six" = "6", "1,200" = "1200", "two-thirds" = 0.667),
and the currency of money ("$8,000" against "8,000 yuan" is a changed figure).

An MT mention is compared with the mentions of the same type in its counterpart: the reference
sentences of the closest reference clause (per reference) of the MT clause that holds it.

- same atoms: agreement, nothing reported;
- shared and differing atoms ("June 29 to 30" vs "June 30"): major, the MT changes the figure;
- no shared atom but comparable ones (June 29 vs July 3, 6 vs 8): major, the figures disagree;
- the reference has only a vaguer expression of that type ("August 1st to 3rd" vs "around the
  end of the month", "10th" vs "Thursday"): minor, the references do not confirm it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from auditor.config import ParseScope
from auditor.detect.base import AuditContext, Detector, Input
from auditor.detect.nlp import TIME_AND_QUANTITY_WORDS
from auditor.lang.currency import money_currency
from auditor.lang.en_figures import (
    DAY,
    FRACTIONS,
    MONTHS,
    SCALES,
    WEEKDAYS,
    date_atoms,
    magnitude,
    number_value,
    quantity_atoms,
)
from auditor.result import MT_DOC, Finding, FindingKind, Severity, Span

DATE_LABELS = frozenset({"DATE", "TIME"})
QUANTITY_LABELS = frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"})


@dataclass(frozen=True)
class NumberMention:
    """One number or date expression; `atoms` are typed values, e.g. ("day", 30)."""

    kind: str  # "date" or "quantity"
    text: str
    start: int
    end: int
    atoms: frozenset[tuple[str, float]]
    unit: str | None = None  # what a quantity counts ("kilometer", "worker", "year")


def currency_atoms(text: str) -> frozenset[tuple[str, Any]]:
    """The currency of a money expression ("$8,000", "8,000 yuan", "HK$3 billion"), if any."""
    code = money_currency(text)
    return frozenset() if code is None else frozenset({("currency", code)})


def extract_mentions(parsed: Any, offsets: Sequence[int]) -> list[NumberMention]:
    """Number and date mentions of one parsed sentence; offsets map characters to the doc."""
    out = []
    for ent in parsed.ents:
        day = DAY.match(ent.text)
        unit = None
        if ent.label_ in DATE_LABELS and _duration(ent):
            # "two weeks", "fourteen billion years": an amount of time, not a calendar date
            kind, atoms, unit = "quantity", quantity_atoms(ent.text), _unit(ent)
        elif ent.label_ in DATE_LABELS:
            kind, atoms = "date", date_atoms(ent.text)
        elif ent.label_ == "ORDINAL" and day and 1 <= int(day.group(1)) <= 31 and \
                not ent.text.isdigit():
            # "on the evening of 10th": a digit ordinal that can be a day of the month
            kind, atoms = "date", frozenset({("day", float(day.group(1)))})
        elif ent.label_ in QUANTITY_LABELS or (ent.label_ == "ORDINAL"
                                               and any(ch.isdigit() for ch in ent.text)):
            kind, atoms = "quantity", quantity_atoms(ent.text) | currency_atoms(ent.text)
            unit = _unit(ent) if ent.label_ != "MONEY" else None
        else:
            continue
        if _glued_to_name(parsed, ent):
            continue
        out.append(NumberMention(kind, ent.text, offsets[ent.start_char],
                           offsets[ent.end_char - 1] + 1, atoms, unit))
    return out


DURATION_UNITS = frozenset({"second", "minute", "hour", "day", "night", "weekend", "fortnight",
                            "week", "month", "year", "decade", "century", "millennium"})


def _unit(ent: Any) -> str | None:
    """What a quantity counts: the last noun inside the entity ("six kilometers"), else the
    noun the number modifies ("1,200 workers"); None when there is none."""
    nouns = [t for t in ent if t.pos_ == "NOUN"]
    if nouns:
        return str(nouns[-1].lemma_.lower())
    root = ent.root
    if root.dep_ in ("nummod", "quantmod") and root.head.pos_ == "NOUN":
        return str(root.head.lemma_.lower())
    return None


def _duration(ent: Any) -> bool:
    """A time entity that is an amount ("two weeks", "14 billion years"), not a date."""
    return (_unit(ent) in DURATION_UNITS
            and any(t.like_num for t in ent)
            and not any(t.lower_ in MONTHS or t.lower_ in WEEKDAYS for t in ent))


def _glued_to_name(parsed: Any, ent: Any) -> bool:
    """A number that is part of a name: "Boeing 737", "Windows 10", "Apollo 11"."""
    if ent.label_ not in QUANTITY_LABELS or len(ent) != 1:
        return False
    prev = parsed[ent.start - 1] if ent.start > 0 else None
    return prev is not None and prev.pos_ == "PROPN" and prev.ent_type_ not in ("DATE", "")\
        and prev.whitespace_ != "" and ent[0].dep_ in ("nummod", "appos", "compound", "npadvmod")


def compare(mt: NumberMention, refs: Iterable[NumberMention]
            ) -> tuple[str, NumberMention | None] | None:
    """How the reference mentions of the same type bear on one MT mention.

    Returns None (agreement, or nothing comparable), or (verdict, reference mention) with
    verdict "changed" (some atoms shared, some differ), "disagrees" (comparable atoms, none
    shared) or "unconfirmed" (the reference only has a vaguer expression of that type).
    """
    # figures of different things ("one million light-years", "six kilometers") do not compare
    same_type = [r for r in refs if r.kind == mt.kind and r.unit == mt.unit]
    if not same_type or not mt.atoms:
        return None
    if any(r.atoms == mt.atoms for r in same_type):
        return None
    if mt.kind == "date" and any(mt.atoms <= r.atoms for r in same_type):
        return None  # the reference is more precise and agrees ("June" vs "June 30, 2019")
    best: tuple[str, NumberMention] | None = None
    for r in same_type:
        mt_atoms, ref_atoms = _with_magnitudes(mt.atoms, r.atoms)
        fields = {f for f, _ in ref_atoms} & {f for f, _ in mt_atoms}
        if not fields:
            continue
        mt_part = {a for a in mt_atoms if a[0] in fields}
        ref_part = {a for a in ref_atoms if a[0] in fields}
        if mt_part == ref_part:
            return None  # agree where they can be compared
        verdict = "changed" if mt_part & ref_part else "disagrees"
        if best is None or (verdict == "changed" and best[0] == "disagrees"):
            best = (verdict, r)
    if best is not None:
        return best
    return ("unconfirmed", same_type[0])


def _with_magnitudes(mt: frozenset[tuple[str, float]], ref: frozenset[tuple[str, float]]
                     ) -> tuple[frozenset[tuple[str, float]], frozenset[tuple[str, float]]]:
    """Where one side is only a magnitude ("a few million"), the other side's figures gain
    theirs, so "two million" agrees with it and "3 billion" does not."""
    def vague(atoms: frozenset[tuple[str, float]]) -> bool:
        return any(f == "scale" for f, _ in atoms) and not any(f == "value" for f, _ in atoms)

    def widened(atoms: frozenset[tuple[str, float]]) -> frozenset[tuple[str, float]]:
        scales = {("scale", m) for f, v in atoms if f == "value"
                  and (m := magnitude(v)) is not None}
        return atoms | scales

    if vague(mt) and not vague(ref):
        return mt, widened(ref)
    if vague(ref) and not vague(mt):
        return widened(mt), ref
    return mt, ref


_CUE_WORD = re.compile(r"[A-Za-z]+|\d+(?:[.,]\d+)*")
# `figure_cues` kinds that carry no figure's atoms: a bare time or quantity word
_PLAIN_CUES = frozenset({"time"})
_CURRENCY_SIGNS = "$€£¥₩"


@lru_cache(maxsize=1 << 16)
def _word_cue(word: str) -> tuple[str, Any] | None:
    """The cue one word of `figure_cues` gives alone, memoised (fast mode reads the cues of
    every MT and reference sentence, and words recur): its value, a month or weekday name, a
    scale or fraction word, a time or quantity word, or None."""
    lower = word.lower()
    value = number_value(word)
    if value is not None:
        return ("value", value)
    if word[:1].isupper() and len(word) > 3 and (lower in MONTHS or lower in WEEKDAYS):
        return ("name", lower[:3])
    if lower in SCALES or lower in FRACTIONS:
        return ("word", lower)
    if lower in TIME_AND_QUANTITY_WORDS:
        return ("time", lower)
    return None


def figure_cues(text: str) -> frozenset[tuple[Any, Any]]:
    """What figures a sentence writes, without a parse (`ParseScope.CUES`): the value of each
    number word or numeral ("six" and "6" alike), alone and with the word after it, each
    capitalised month or weekday, each
    scale, fraction, time or quantity word ("the end of the month" is the vaguer date of
    "August 1st to 3rd"), and its currencies. An MT sentence whose cues its aligned reference
    sentences all write cannot hold a figure they contradict, so fast mode parses only the
    others; an MT time or quantity word alone does not count ("last week" has no atoms, and
    `compare` never reports an MT figure without)."""
    cues: set[tuple[Any, Any]] = set()
    words = _CUE_WORD.findall(text)
    for i, word in enumerate(words):
        cue = _word_cue(word)
        if cue is None:
            continue
        cues.add(cue)
        if cue[0] == "value":
            # and with the word after it: "two billion years" is not "two black holes"
            cues.add((words[i + 1].lower() if i + 1 < len(words) else "", cue[1]))
    currency = money_currency(text)  # of the first amount ("$8,000" against "8,000 yuan")
    cues |= {("currency", c) for c in [currency, *(ch for ch in text if ch in _CURRENCY_SIGNS)]
             if c}
    return frozenset(cues)


def written_nearby(mention: NumberMention, nearby: frozenset[tuple[Any, Any]]) -> bool:
    """Whether `nearby` (`figure_cues` of unparsed reference sentences) writes every value and
    month or weekday name of the mention: "30 kilometers" in the sentence after the aligned
    one, which says "six kilometers"."""
    own = {c for c in figure_cues(mention.text) if c[0] in ("value", "name")}
    return bool(own) and own <= nearby


def _cued_sentences(ctx: AuditContext) -> tuple[
        dict[int, tuple[list[set[int]], list[set[int]]]], list[list[frozenset[tuple[Any, Any]]]]]:
    """Fast mode's choice, once per audit: the MT sentences whose figure cues the reference
    sentences aligned to them (and next to those) do not all write, each with (aligned, next)
    sentences per reference; and every reference sentence's `figure_cues`."""

    def build() -> tuple[dict[int, tuple[list[set[int]], list[set[int]]]],
                         list[list[frozenset[tuple[Any, Any]]]]]:
        chosen: dict[int, tuple[list[set[int]], list[set[int]]]] = {}
        refs = ctx.references
        ref_cues = [[figure_cues(t) for t in ref.texts] for ref in refs]
        for sentence in ctx.mt.sentences:
            cues = {c for c in figure_cues(sentence.text) if c[0] not in _PLAIN_CUES}
            if not cues:
                continue
            aligned = ctx.counterparts([sentence.index])
            near = [{k for j in js for k in (j - 1, j + 1) if 0 <= k < len(ref_cues[d])} - js
                    for d, js in enumerate(aligned)]
            written = set().union(*(ref_cues[d][j] for d in range(len(refs))
                                    for j in aligned[d] | near[d]))
            if written and not cues <= written:
                chosen[sentence.index] = (aligned, near)
        return chosen, ref_cues

    found: tuple[dict[int, tuple[list[set[int]], list[set[int]]]],
                 list[list[frozenset[tuple[Any, Any]]]]] = ctx.word_evidence("numbers:cues", build)
    return found


class NumberDetector(Detector):
    """Numbers and dates of the MT compared with those of their counterpart reference text."""

    id = "numbers"
    requires = frozenset({Input.REFERENCES})
    parses = True
    parses_documents = True
    reads_entities = True
    produces = frozenset({FindingKind.NUMBER})

    def find(self, ctx: AuditContext) -> list[Finding]:
        if ctx.config.parse_scope is ParseScope.CUES:
            return self._find_in_aligned(ctx)
        mt_mentions = [extract_mentions(p.parsed, p.offsets)
                       for p in ctx.parsed(MT_DOC, entities=True)]
        if not any(mt_mentions):
            return []
        tables = ctx.clause_tables()
        ref_mentions = [
            [extract_mentions(p.parsed, p.offsets) for p in ctx.parsed(d, entities=True)]
            for d in range(len(ctx.references))
        ]
        findings = []
        for sent_clauses, mentions in zip(tables.mt, mt_mentions, strict=True):
            for mention in mentions:
                clause = next((c for c in sent_clauses if c.start <= mention.start < c.end),
                              sent_clauses[0] if sent_clauses else None)
                if clause is None:
                    continue
                inside, around = self._counterparts(ctx, tables, clause, ref_mentions)
                finding = self._judge(ctx, mention, inside, around, "its closest clause",
                                      "the sentence of its closest clause")
                if finding is not None:
                    findings.append(finding)
        return findings

    def _judge(self, ctx: AuditContext, mention: NumberMention,
               inside: list[tuple[int, NumberMention]], around: list[tuple[int, NumberMention]],
               where_inside: str, where_around: str = "",
               nearby: frozenset[tuple[Any, Any]] = frozenset()) -> Finding | None:
        """The finding for one MT figure against the mentions of its counterpart unit
        (`inside`) and of the text around it (`around`), or None when they agree or nothing
        compares. A figure whose values and month or weekday names are all among the
        `nearby` cues (`figure_cues` of fast mode's sentences next to the aligned ones, as a
        group's edges are less exact than a closest clause) agrees too."""
        outcome = compare(mention, [m for _, m in inside])
        context = inside
        if outcome is None and not any(m.kind == mention.kind for _, m in inside):
            # nothing comparable in the unit itself: look at the text around it, where only
            # a partly shared figure is strong evidence
            context = inside + around
            outcome = compare(mention, [m for _, m in context])
            if outcome is not None and outcome[0] == "disagrees":
                outcome = ("unconfirmed", outcome[1])
        elif outcome is not None and written_nearby(mention, nearby):
            return None
        if outcome is None:
            return None
        verdict, ref_mention = outcome
        assert ref_mention is not None
        doc = next(d for d, m in context if m is ref_mention)
        where = where_inside if context is inside else where_around
        return self._finding(ctx, mention, verdict, ref_mention, doc, where)

    def _find_in_aligned(self, ctx: AuditContext) -> list[Finding]:
        """Fast mode (`ParseScope.CUES`): a figure meets the mentions of the reference
        sentences aligned to its sentence (`AuditContext.counterparts`) instead of its closest
        reference clause; the same figure in a sentence just before or after them agrees too
        (read from its `figure_cues`, unparsed). Only MT sentences whose cues those sentences
        do not all write are parsed, with their aligned sentences."""
        chosen, ref_cues = _cued_sentences(ctx)
        refs = ctx.references
        # the MT side first: only its figures with atoms (the ones `compare` can report)
        # need their aligned reference sentences parsed
        mt_mentions = {p.sentence.index: [m for m in extract_mentions(p.parsed, p.offsets)
                                          if m.atoms]
                       for p in ctx.parsed(MT_DOC, entities=True, sentences=chosen)}
        mt_mentions = {i: found for i, found in mt_mentions.items() if found}
        needed = [set().union(*(chosen[i][0][d] for i in mt_mentions)) for d in range(len(refs))]
        ref_mentions = [{p.sentence.index: extract_mentions(p.parsed, p.offsets)
                         for p in ctx.parsed(d, entities=True, sentences=needed[d])}
                        for d in range(len(refs))] if mt_mentions else []
        findings = []
        for i, found in sorted(mt_mentions.items()):
            aligned, near = chosen[i]
            inside = [(d, m) for d in range(len(refs)) for j in sorted(aligned[d])
                      for m in ref_mentions[d][j]]
            nearby = frozenset().union(*(ref_cues[d][j] for d in range(len(refs))
                                         for j in near[d]))
            for mention in found:
                finding = self._judge(ctx, mention, inside, [], "its aligned sentence",
                                      nearby=nearby)
                if finding is not None:
                    findings.append(finding)
        return findings

    def plan_parses(self, ctx: AuditContext) -> list[tuple[int, Collection[int], bool]]:
        """Fast mode: the MT sentences `_find_in_aligned` parses first, and the reference
        sentences aligned to them, which it parses when the MT parse holds a figure with
        values (nearly always: a sentence is chosen for its figure cues). In the audit's one
        spaCy call they cost less than the second small call that parsed them after the MT
        side did: a small call cost about 10 ms of CPU on a warm TED audit, a sentence in
        the batch 2-4 ms."""
        if ctx.config.parse_scope is not ParseScope.CUES:
            return []
        chosen = _cued_sentences(ctx)[0]
        aligned = [set().union(*(chosen[i][0][d] for i in chosen))
                   for d in range(len(ctx.references))]
        return [(MT_DOC, chosen, True), *((d, js, True) for d, js in enumerate(aligned))]

    def _counterparts(self, ctx: AuditContext, tables: Any, clause: Any,
                      ref_mentions: list[list[list[NumberMention]]],
                      ) -> tuple[list[tuple[int, NumberMention]], list[tuple[int, NumberMention]]]:
        """Mentions in the closest reference unit (clause or sentence) and in its sentence.

        The unit states the same thing as the MT clause; the rest of its sentence may hold a
        dateline or another event, so figures found only there weigh less.
        """
        vector = tables.matrix([clause])[0]
        inside: list[tuple[int, NumberMention]] = []
        around: list[tuple[int, NumberMention]] = []
        best_similarity = -1.0
        for d in range(len(ctx.references)):
            units = tables.ref_candidates(d)
            if not units:
                continue
            sims = tables.matrix(units) @ vector
            j = int(np.argmax(sims))
            if sims[j] < ctx.config.min_similarity:
                continue
            unit = units[j]
            mentions = ref_mentions[d][unit.sentence]
            inside += [(d, m) for m in mentions if unit.start <= m.start < unit.end]
            if sims[j] > best_similarity:  # the sentence around: of the closest reference only
                best_similarity = float(sims[j])
                around = [(d, m) for m in mentions if not unit.start <= m.start < unit.end]
        return inside, around

    def _finding(self, ctx: AuditContext, mention: NumberMention, verdict: str, ref: NumberMention,
                 doc: int, where: str) -> Finding:
        settings = ctx.config.numbers
        if verdict == "unconfirmed":
            severity, confidence = Severity.MINOR, settings.unconfirmed_confidence
            why = (f"the references give only {ref.text!r} here; {mention.text!r} is not "
                   "supported by the references")
        elif verdict == "changed":
            severity, confidence = Severity.MAJOR, settings.changed_confidence
            why = f"{mention.text!r} partly differs from the reference's {ref.text!r}"
        else:
            severity, confidence = Severity.MAJOR, settings.disagrees_confidence
            why = f"{mention.text!r} disagrees with the reference's {ref.text!r}"
        return Finding(
            kind=FindingKind.NUMBER,
            severity=severity,
            mt_start=mention.start,
            mt_end=mention.end,
            mt_text=ctx.mt.doc.text[mention.start:mention.end],
            confidence=confidence,
            evidence=f"{why} (reference {doc}, {where})",
            reference=Span(ref.start, ref.end, ctx.references[doc].doc.text[ref.start:ref.end],
                           doc),
            mt_sentence=ctx.sentence_of(mention.start),
        )


__all__ = ["NumberMention", "NumberDetector", "compare", "date_atoms", "extract_mentions",
           "figure_cues", "quantity_atoms", "written_nearby"]
