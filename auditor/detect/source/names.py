"""Chinese source names the MT misspells, transliterated foreign names the MT writes as pinyin,
and Chinese-looking MT names standing where the source names someone else."""

from __future__ import annotations

import re

from auditor.config import ParseScope
from auditor.detect.base import AuditContext
from auditor.detect.source.common import raw_text
from auditor.detect.source.dictionary import dictionary_findings, unnamed_places
from auditor.lang.romanize import fold, wade_giles
from auditor.lang.zh_names import (
    SourceName,
    capitalised_runs,
    chinese_name_shape,
    sub_runs,
    zh_names,
)
from auditor.result import AlignmentPair, Finding, FindingKind, Severity, Span

# Thresholds and confidences: SourceConfig in auditor/config.py (AuditConfig.source).


def find_names(ctx: AuditContext, pairs: list[AlignmentPair]) -> list[Finding]:
    """Names the dictionary gives in English (`dictionary_findings`: the finding then names
    the English form), then misspelt Chinese names, pinyin for transliterated foreign names,
    and names standing in for another (`wrong_names`); see the package docstring."""
    assert ctx.source is not None
    reference_keys = {
        fold(text)
        for ref in ctx.references for _, _, run in capitalised_runs(ref.doc.text)
        for _, _, text in sub_runs(0, run)
    }
    names_in = [zh_names(raw_text(ctx.source.doc.text, s)) for s in ctx.source.sentences]
    source_keys = {fold(r) for names in names_in for name in names
                   for r in (*name.romanisations, *wade_giles(name.text))}
    known = dictionary_findings(ctx, pairs, reference_keys, source_keys)
    taken = [(f.mt_start or 0, f.mt_end or 0) for f in known]
    if ctx.config.parse_scope is not ParseScope.CUES:
        # fast mode leaves it out: the entity recogniser it needs would cost fast news audits
        # against the source about a fifth more CPU (README, "a place the source does not name")
        known += [f for f in unnamed_places(ctx, pairs, reference_keys)
                  if not any(a < (f.mt_end or 0) and (f.mt_start or 0) < b for a, b in taken)]
    taken = [(f.mt_start or 0, f.mt_end or 0) for f in known]
    return known + [f for f in romanised_names(ctx, pairs, reference_keys, names_in)
                    if not any(a < (f.mt_end or 0) and (f.mt_start or 0) < b for a, b in taken)]


def romanised_names(ctx: AuditContext, pairs: list[AlignmentPair], reference_keys: set[str],
                    names_in: list[list[SourceName]]) -> list[Finding]:
    """Misspelt Chinese names, pinyin for transliterated foreign names, and names standing
    in for another, from the pinyin and Wade-Giles readings of the source's names."""
    from rapidfuzz import fuzz

    assert ctx.source is not None
    settings = ctx.config.source
    # every reading of every name the source writes, in pinyin and Wade-Giles
    readings_of = {name.text: frozenset({r.replace(" ", "") for r in name.romanisations}
                                        | set(wade_giles(name.text)))
                   for names in names_in for name in names}
    source_keys = set().union(*readings_of.values())
    findings = []
    for pair in pairs:
        # source persons no MT name renders, with their pinyin and Wade-Giles readings
        unrendered: list[tuple[SourceName, Span, frozenset[str]]] = []
        candidates: list[tuple[int, int, int, str]] = []  # sentence, start, end, text
        for i in pair.mt:
            s = ctx.mt.sentences[i]
            for start, _, run in capitalised_runs(raw_text(ctx.mt.doc.text, s)):
                candidates += [(i, a, b, t) for a, b, t in sub_runs(s.start + start, run)]
        keyed = [(c, fold(c[3])) for c in candidates]
        for j in pair.other:
            s = ctx.source.sentences[j]
            for name in names_in[j]:
                keys = {r.replace(" ", "") for r in name.romanisations}
                src_span = Span(s.start + name.start, s.start + name.end, name.text)
                exact = [c for c, k in keyed if k in keys]
                if name.transliterated:
                    for i, a, b, text in exact:
                        if len(re.split(r"[ -]", text)) < 2:
                            continue  # one word ("Ali", "Amini"): pinyin and original
                            # spelling often coincide; split syllables read as Chinese
                        if fold(text) in reference_keys:
                            continue  # the references spell it the same way
                        findings.append(Finding(
                            kind=FindingKind.NAME, severity=Severity.MAJOR,
                            mt_start=a, mt_end=b, mt_text=text,
                            confidence=settings.pinyin_name_confidence,
                            evidence=(f"'{text}' is the pinyin of {name.text}, a Chinese "
                                      f"transliteration of a foreign name: the original "
                                      f"spelling is probably different"),
                            source=src_span, mt_sentence=i,
                        ))
                    continue
                if exact or name.kind != "person":
                    continue
                # an MT name starting as some reading does (王: 'wang' or 'yu'); every reading
                # counts alike, never whichever one a set happens to yield first (that order
                # changes with the process's hash seed)
                initials = {key[0] for key in keys if key}
                scored = [(max(fuzz.ratio(k, key) for key in keys), c) for c, k in keyed
                          if k and k[0] in initials]
                score, (i, a, b, text) = max(scored, key=lambda x: x[0],
                                             default=(0.0, (0, 0, 0, "")))
                if score < settings.name_near_miss:
                    readings = readings_of[name.text]
                    surnames = frozenset(fold(r) for r in
                                         (name.romanisations[0].split()[0],
                                          *wade_giles(name.text[0])))
                    if not _renders(keyed, readings, settings.name_near_miss, surnames):
                        unrendered.append((name, src_span, readings))
                    continue
                if fold(text) in reference_keys:
                    continue  # the references spell it so
                pinyin = _title_pinyin(name.romanisations[0])
                in_refs = keys & reference_keys
                findings.append(Finding(
                    kind=FindingKind.NAME, severity=Severity.MAJOR,
                    mt_start=a, mt_end=b, mt_text=text,
                    confidence=settings.misspelt_name_confidence[int(bool(in_refs))],
                    evidence=(f"'{text}' renders {name.text}, whose pinyin is '{pinyin}'"
                              + (f"; the references write '{pinyin}'" if in_refs else "")),
                    source=src_span, canonical=pinyin, mt_sentence=i,
                ))
        if unrendered:
            findings += wrong_names(ctx, keyed, unrendered, source_keys | reference_keys)
    return findings


def wrong_names(ctx: AuditContext, keyed: list[tuple[tuple[int, int, int, str], str]],
                unrendered: list[tuple[SourceName, Span, frozenset[str]]],
                known: set[str]) -> list[Finding]:
    """A Chinese-looking MT name standing where the source names someone else.

    Evidence on both sides: the aligned source sentences name a person whom no MT name
    there renders (in pinyin or Wade-Giles, even approximately), and the MT sentences name
    a Han Chinese-looking person ("Yang Chun-shan", "Xi Jinping") whom neither the source
    (anywhere) nor the references name. Each MT name is paired with one source name, the
    closest in spelling; a shared given name ("Chun-shan" for 赵春山) makes it likelier.
    """
    from rapidfuzz import fuzz

    strangers = [(c, k) for c, k in keyed if chinese_name_shape(c[3]) and k not in known
                 and not _renders([(c, k)], known, ctx.config.source.name_near_miss)]
    if strangers:  # "Hong Kong" reads like a name too: keep what the NER calls a person
        others = _not_people(ctx, sorted({c[0] for c, _ in strangers}))
        strangers = [(c, k) for c, k in strangers
                     if not any(a < c[2] and c[1] < b for a, b in others)]
    findings: list[Finding] = []
    used: set[tuple[int, int]] = set()
    for name, src_span, keys in unrendered:
        readings = [r.split() for r in name.romanisations]
        options = [(max(fuzz.ratio(k, key) for key in keys), c, k) for c, k in strangers
                   if (c[1], c[2]) not in used]
        if not options:
            continue
        _, (i, a, b, text), key = max(options, key=lambda o: o[0])
        used.add((a, b))
        given = {"".join(r[1:]) for r in readings if len(r) > 1}
        same_given = any(key.endswith(g) and len(key) > len(g) for g in given)
        pinyin = _title_pinyin(name.romanisations[0])
        findings.append(Finding(
            kind=FindingKind.NAME, severity=Severity.MAJOR, mt_start=a, mt_end=b,
            mt_text=text, confidence=ctx.config.source.wrong_name_confidence[int(same_given)],
            evidence=(f"the source names {name.text} ('{pinyin}') here and no MT name renders "
                      f"it; '{text}' is named in its place, and neither the source nor the "
                      f"references name anyone so"
                      + ("; the given name matches, the surname does not" if same_given
                         else "")),
            source=src_span, canonical=pinyin, mt_sentence=i,
        ))
    return findings



# spaCy entity labels of things that are not people: places, organisations, nationalities...
NOT_PERSON_LABELS = frozenset({"GPE", "LOC", "FAC", "ORG", "NORP", "PRODUCT", "EVENT",
                               "WORK_OF_ART", "LANGUAGE", "LAW"})


def _not_people(ctx: AuditContext, sentences: list[int]) -> list[tuple[int, int]]:
    """Document spans of MT entities (in these sentences) that spaCy labels as no person."""
    from auditor.detect.clauses import sentence_offsets

    chosen = [ctx.mt.sentences[i] for i in sentences]
    docs = ctx.resources.parse([s.text for s in chosen])
    ctx.resources.add_entities(docs)
    spans = []
    for sent, doc in zip(chosen, docs, strict=True):
        offsets = sentence_offsets(ctx.mt.doc.text, sent.start, sent.end, sent.text)
        spans += [(offsets[e.start_char], offsets[e.end_char - 1] + 1)
                  for e in doc.ents if e.label_ in NOT_PERSON_LABELS]
    return spans


def _renders(keyed: list[tuple[tuple[int, int, int, str], str]], readings: set[str],
             near_miss: float, surnames: frozenset[str] = frozenset()) -> bool:
    """Some MT name is one of these readings, its surname alone ("Zhao said"), or a near spelling
    of a reading (same first letter, length within two letters: "Tsai Ing-wen" for "tsaiyingwen";
    a bare given name, "Chun-shan" of "Yang Chun-shan", does not render 赵春山)."""
    from rapidfuzz import fuzz

    return any(k in readings or k in surnames or any(
        k and k[0] == r[0] and abs(len(k) - len(r)) <= 2 and fuzz.ratio(k, r) >= near_miss
        for r in readings) for _, k in keyed)


def _title_pinyin(syllables: str) -> str:
    """Surname apart, given name joined: "xi jin ping" -> "Xi Jinping"."""
    parts = syllables.split()
    if len(parts) < 2:
        return syllables.title()
    return f"{parts[0].title()} {''.join(parts[1:]).title()}"



__all__ = ["find_names"]
