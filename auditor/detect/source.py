"""Source-side checks: what the MT dropped from, added to, or changed in the source text.

Works from the cross-lingual alignment the pipeline builds when a source is given
(`ctx.source_alignments`, multilingual USE vectors), so it needs no English reference:
- omission: a source sentence with no MT counterpart (and which does not merely belong to a
  neighbouring translated group), and a source clause whose removal makes the source *closer*
  to its aligned MT (leave-one-out: the MT carries nothing of it);
- addition: an MT sentence with no source counterpart, worded "not supported by the source";
- number: a figure of the source (Chinese numerals, 万/亿, dates, ranges such as 六七千) that no
  figure of the aligned MT sentences equals, paired with an MT figure that the source does not
  have; and a figure the MT keeps in another currency (`_currencies`);
- name: a Chinese source name whose MT rendering is one or two letters off its pinyin, and a
  transliterated foreign name that the MT spells as the pinyin of the Chinese characters,
  syllables split like a Chinese name ("Peng Peiao" for 蓬佩奥), and another Chinese-looking
  name standing where the source names a person no MT name renders (`_wrong_names`).
`merge_sides` combines these with the reference-side findings of the other detectors.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from auditor.detect.base import AuditContext, Detector
from auditor.result import AlignmentPair, Finding, FindingKind, Sentence, Severity, Span
from auditor.zh import SourceName

# Leave-one-out drop (cosine with the clause minus cosine without it) below which a source
# clause counts as omitted. Measured on the WMT23 zh-en news MQM dev data (5,097 clauses of
# multi-clause aligned sentences): drop < -0.08 flags 25 clauses of which 52% overlap a Major
# omission (base rate 5.5%), so those are Major. At segment level (benchmarks/source_benchmark.py)
# the minor cut -0.05 / -0.04 / -0.03 / -0.02 gives P 0.41 / 0.35 / 0.32 / 0.28 and R 0.09 /
# 0.11 / 0.13 / 0.17; -0.03 is the loosest cut whose precision stays >= 1.5x the length-ratio
# baseline's (0.19-0.20).
CLAUSE_DROP_MINOR = -0.03
CLAUSE_DROP_MAJOR = -0.08
# A clause needs this many Han characters (or letters) to state something worth flagging.
MIN_CLAUSE_CHARS = 4
# An unaligned sentence next to an aligned group belongs to it (a split or merged translation,
# not a gap) when adding it does not lower the group's cosine by more than this. Measured on
# the news MQM dev data: 0.03 / 0.06 / 0.10 raise addition precision 0.23 -> 0.23 / 0.29 / 0.31
# but cut recall 0.18 -> 0.16 / 0.13 / 0.09; F1 is best at 0.
ABSORB_TOLERANCE = 0.0
# A Chinese name's MT rendering this close to its pinyin (rapidfuzz ratio, 0-100) but not
# equal is a misspelling: one wrong letter in a 2-3 syllable name scores 80-92.
NAME_NEAR_MISS = 80.0

_ZH_CLAUSE = re.compile(r"[^，；：,;:【】]+[，；：,;:】]*")
_CONTENT_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7afA-Za-z0-9]")


def _content_chars(text: str) -> int:
    return len(_CONTENT_CHAR.findall(text))


def _raw(doc_text: str, sentence: Sentence) -> str:
    return doc_text[sentence.start : sentence.end]


def _unit(vectors: np.ndarray, rows: Sequence[int]) -> np.ndarray:
    v = vectors[list(rows)].sum(axis=0)
    return v / max(float(np.linalg.norm(v)), 1e-12)


class SourceDetector(Detector):
    """Omissions, additions, numbers and names checked against the source text."""

    id = "source"

    def find(self, ctx: AuditContext) -> list[Finding]:
        if ctx.source is None or ctx.source_vectors is None or ctx.mt_source_vectors is None:
            return []
        pairs = sorted(ctx.source_alignments, key=lambda p: (p.mt, p.other))
        findings = self._gaps(ctx, pairs)
        findings += self._clause_omissions(ctx, pairs)
        if ctx.source.doc.lang in ("zh", "ja"):
            findings += self._numbers(ctx, pairs)
        if ctx.source.doc.lang == "zh":
            findings += self._names(ctx, pairs)
        return findings

    # ---- whole sentences -------------------------------------------------------------
    def _absorbed(self, ctx: AuditContext, pair: AlignmentPair | None, mt: int | None,
                  src: int | None) -> bool:
        """Does adding this MT or source sentence to `pair` keep the pair as similar?"""
        if pair is None:
            return False
        assert ctx.mt_source_vectors is not None and ctx.source_vectors is not None
        mt_rows = list(pair.mt) + ([mt] if mt is not None else [])
        src_rows = list(pair.other) + ([src] if src is not None else [])
        merged = float(_unit(ctx.mt_source_vectors, mt_rows) @ _unit(ctx.source_vectors,
                                                                      src_rows))
        return merged >= pair.similarity - ABSORB_TOLERANCE

    def _gaps(self, ctx: AuditContext, pairs: list[AlignmentPair]) -> list[Finding]:
        """Sentences left between two aligned groups, when only one side left any."""
        assert ctx.source is not None and ctx.source_similarity is not None
        mt_sents, src_sents = ctx.mt.sentences, ctx.source.sentences
        bounds = [None, *pairs, None]
        findings: list[Finding] = []
        for before, after in zip(bounds, bounds[1:], strict=False):
            mt_lo = before.mt[-1] + 1 if before else 0
            mt_hi = after.mt[0] if after else len(mt_sents)
            src_lo = before.other[-1] + 1 if before else 0
            src_hi = after.other[0] if after else len(src_sents)
            lone_mt = [
                i for i in range(mt_lo, mt_hi)
                if _content_chars(mt_sents[i].text) >= MIN_CLAUSE_CHARS
                and not (i == mt_lo and self._absorbed(ctx, before, i, None))
                and not (i == mt_hi - 1 and self._absorbed(ctx, after, i, None))
            ]
            lone_src = [
                j for j in range(src_lo, src_hi)
                if _content_chars(src_sents[j].text) >= MIN_CLAUSE_CHARS
                and not (j == src_lo and self._absorbed(ctx, before, None, j))
                and not (j == src_hi - 1 and self._absorbed(ctx, after, None, j))
            ]
            if lone_mt and lone_src:
                continue  # both sides left something: a poor translation pair, not a gap
            for j in lone_src:
                findings.append(self._sentence_omission(ctx, j, before, after))
            for i in lone_mt:
                findings.append(self._sentence_addition(ctx, i))
        return findings

    def _sentence_omission(self, ctx: AuditContext, j: int, before: AlignmentPair | None,
                           after: AlignmentPair | None) -> Finding:
        assert ctx.source is not None and ctx.source_similarity is not None
        sent = ctx.source.sentences[j]
        if before is not None:  # point at the end of the MT text that precedes the gap
            at_sentence = ctx.mt.sentences[before.mt[-1]]
            at = at_sentence.end
        elif after is not None:
            at_sentence = ctx.mt.sentences[after.mt[0]]
            at = at_sentence.start
        else:
            at_sentence, at = None, None
        best = float(ctx.source_similarity[:, j].max()) if ctx.mt.sentences else 0.0
        return Finding(
            kind=FindingKind.OMISSION, severity=Severity.MAJOR,
            mt_start=at, mt_end=at, mt_text="",
            confidence=float(np.clip(1.0 - best, 0.0, 1.0)),
            evidence=(f"source sentence with no counterpart in the MT "
                      f"(best cross-lingual cosine {best:.2f})"),
            detector=self.id,
            source=Span(sent.start, sent.end, _raw(ctx.source.doc.text, sent)),
            mt_sentence=at_sentence.index if at_sentence else None,
        )

    def _sentence_addition(self, ctx: AuditContext, i: int) -> Finding:
        assert ctx.source is not None and ctx.source_similarity is not None
        sent = ctx.mt.sentences[i]
        row = ctx.source_similarity[i]
        j = int(row.argmax()) if row.size else None
        closest = ctx.source.sentences[j] if j is not None else None
        best = float(row.max()) if row.size else 0.0
        return Finding(
            kind=FindingKind.ADDITION, severity=Severity.MAJOR,
            mt_start=sent.start, mt_end=sent.end, mt_text=_raw(ctx.mt.doc.text, sent),
            confidence=float(np.clip(1.0 - best, 0.0, 1.0)),
            evidence=(f"not supported by the source: no source sentence carries it "
                      f"(closest, cosine {best:.2f}, is shown)"),
            detector=self.id,
            source=(Span(closest.start, closest.end, _raw(ctx.source.doc.text, closest))
                    if closest else None),
            mt_sentence=i,
        )

    # ---- clauses ---------------------------------------------------------------------
    def _clause_omissions(self, ctx: AuditContext, pairs: list[AlignmentPair]) -> list[Finding]:
        """Leave-one-out over the clauses of each aligned source group (see module docs)."""
        assert ctx.source is not None
        encoder = ctx.resources.source_encoder
        if encoder is None:
            return []
        src_text, mt_text = ctx.source.doc.text, ctx.mt.doc.text
        # pair, index of the group texts, clause start/end, index of the text without it
        jobs: list[tuple[AlignmentPair, int, int, int, int]] = []
        texts: list[str] = []
        for pair in pairs:
            src_start = ctx.source.sentences[pair.other[0]].start
            src_end = ctx.source.sentences[pair.other[-1]].end
            group_src = src_text[src_start:src_end]
            clauses = [(m.start(), m.end()) for m in _ZH_CLAUSE.finditer(group_src)]
            if len(clauses) < 2:
                continue
            group_mt = " ".join(ctx.mt.sentences[i].text for i in pair.mt)
            base = len(texts)
            texts += [group_mt, group_src]
            for a, b in clauses:
                if _content_chars(group_src[a:b]) < MIN_CLAUSE_CHARS:
                    continue
                jobs.append((pair, base, src_start + a, src_start + b, len(texts)))
                texts.append(group_src[:a] + group_src[b:])
        if not jobs:
            return []
        vectors = encoder.encode(texts)
        findings = []
        for pair, base, start, end, without in jobs:
            drop = float(vectors[base] @ vectors[base + 1] - vectors[base] @ vectors[without])
            if drop >= CLAUSE_DROP_MINOR:
                continue
            last = ctx.mt.sentences[pair.mt[-1]]
            clause = src_text[start:end].rstrip("，；：,;:】 ")
            findings.append(Finding(
                kind=FindingKind.OMISSION,
                severity=Severity.MAJOR if drop < CLAUSE_DROP_MAJOR else Severity.MINOR,
                mt_start=ctx.mt.sentences[pair.mt[0]].start, mt_end=last.end,
                mt_text=mt_text[ctx.mt.sentences[pair.mt[0]].start:last.end],
                confidence=float(np.clip(-drop * 5, 0.0, 1.0)),
                evidence=(f"source clause not carried by the aligned MT: leaving it out makes "
                          f"the source closer to the MT (cosine change {-drop:+.2f})"),
                detector=self.id,
                source=Span(start, start + len(clause), clause),
                mt_sentence=pair.mt[0],
            ))
        return findings

    # ---- numbers ---------------------------------------------------------------------
    def _numbers(self, ctx: AuditContext, pairs: list[AlignmentPair]) -> list[Finding]:
        from auditor.zh import Quantity, en_quantities, same_value, zh_quantities

        assert ctx.source is not None
        findings = self._currencies(ctx, pairs)
        for pair in pairs:
            src_q: list[Quantity] = []
            for j in pair.other:
                s = ctx.source.sentences[j]
                src_q += [replace(q, start=q.start + s.start, end=q.end + s.start)
                          for q in zh_quantities(_raw(ctx.source.doc.text, s))]
            mt_q: list[tuple[int, Quantity]] = []
            for i in pair.mt:
                s = ctx.mt.sentences[i]
                mt_q += [(i, replace(q, start=q.start + s.start, end=q.end + s.start))
                         for q in en_quantities(_raw(ctx.mt.doc.text, s))]
            lone_src = [q for q in src_q if not any(same_value(q, m)
                                                    for _, m in mt_q)]
            lone_mt = [(i, m) for i, m in mt_q if not any(same_value(m, q)
                                                          for q in src_q)]
            for q, (i, m) in zip(lone_src, lone_mt, strict=False):
                findings.append(Finding(
                    kind=FindingKind.NUMBER, severity=Severity.MAJOR,
                    mt_start=m.start, mt_end=m.end, mt_text=m.text, confidence=0.7,
                    evidence=(f"the source says {q.text} ({q.shown}) where the MT says "
                              f"{m.text} ({m.shown}); no figure of the source sentence "
                              f"equals it"),
                    detector=self.id, source=Span(q.start, q.end, q.text),
                    canonical=q.shown, mt_sentence=i,
                ))
        return findings

    def _currencies(self, ctx: AuditContext, pairs: list[AlignmentPair]) -> list[Finding]:
        """A figure the MT keeps but in another currency ("8000多元" -> "$8,000")."""
        from auditor.currency import currency_name, en_currency, same_currency, zh_currency
        from auditor.zh import en_quantities, same_value, zh_quantities

        assert ctx.source is not None
        findings = []
        for pair in pairs:
            src = []
            for j in pair.other:
                s = ctx.source.sentences[j]
                raw = _raw(ctx.source.doc.text, s)
                src += [(q, s.start, code) for q in zh_quantities(raw)
                        if (code := zh_currency(raw, q.start, q.end)) is not None]
            for i in pair.mt:
                s = ctx.mt.sentences[i]
                raw = _raw(ctx.mt.doc.text, s)
                for m in en_quantities(raw):
                    code = en_currency(raw, m.start, m.end)
                    match = next(((q, at, c) for q, at, c in src if same_value(q, m)), None)
                    if code is None or match is None or same_currency(match[2], code):
                        continue
                    q, at, src_code = match
                    findings.append(Finding(
                        kind=FindingKind.NUMBER, severity=Severity.MAJOR,
                        mt_start=s.start + m.start, mt_end=s.start + m.end, mt_text=m.text,
                        confidence=0.7,
                        evidence=(f"the figure is right but the currency is not: the source says "
                                  f"{q.text} in {currency_name(src_code)}, the MT "
                                  f"writes {currency_name(code)}"),
                        detector=self.id, source=Span(at + q.start, at + q.end, q.text),
                        canonical=f"{q.shown} {currency_name(src_code)}",
                        mt_sentence=i,
                    ))
        return findings

    # ---- names -----------------------------------------------------------------------
    def _names(self, ctx: AuditContext, pairs: list[AlignmentPair]) -> list[Finding]:
        from rapidfuzz import fuzz

        from auditor.zh import capitalised_runs, romanisation_key, sub_runs, wade_giles, zh_names

        assert ctx.source is not None
        reference_keys = {
            romanisation_key(text)
            for ref in ctx.references for _, _, run in capitalised_runs(ref.doc.text)
            for _, _, text in sub_runs(0, run)
        }
        names_in = [zh_names(_raw(ctx.source.doc.text, s)) for s in ctx.source.sentences]
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
                for start, _, run in capitalised_runs(_raw(ctx.mt.doc.text, s)):
                    candidates += [(i, a, b, t) for a, b, t in sub_runs(s.start + start, run)]
            keyed = [(c, romanisation_key(c[3])) for c in candidates]
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
                            if romanisation_key(text) in reference_keys:
                                continue  # the references spell it the same way
                            findings.append(Finding(
                                kind=FindingKind.NAME, severity=Severity.MAJOR,
                                mt_start=a, mt_end=b, mt_text=text, confidence=0.7,
                                evidence=(f"'{text}' is the pinyin of {name.text}, a Chinese "
                                          f"transliteration of a foreign name: the original "
                                          f"spelling is probably different"),
                                detector=self.id, source=src_span, mt_sentence=i,
                            ))
                        continue
                    if exact or name.kind != "person":
                        continue
                    scored = [(max(fuzz.ratio(k, key) for key in keys), c) for c, k in keyed
                              if k and k[0] == next(iter(keys))[0]]
                    score, (i, a, b, text) = max(scored, key=lambda x: x[0],
                                                 default=(0.0, (0, 0, 0, "")))
                    if score < NAME_NEAR_MISS:
                        readings = readings_of[name.text]
                        surnames = frozenset(romanisation_key(r) for r in
                                             (name.romanisations[0].split()[0],
                                              *wade_giles(name.text[0])))
                        if not _renders(keyed, readings, surnames):
                            unrendered.append((name, src_span, readings))
                        continue
                    if romanisation_key(text) in reference_keys:
                        continue  # the references spell it so
                    pinyin = _title_pinyin(name.romanisations[0])
                    in_refs = keys & reference_keys
                    findings.append(Finding(
                        kind=FindingKind.NAME, severity=Severity.MAJOR,
                        mt_start=a, mt_end=b, mt_text=text, confidence=0.8 if in_refs else 0.6,
                        evidence=(f"'{text}' renders {name.text}, whose pinyin is '{pinyin}'"
                                  + (f"; the references write '{pinyin}'" if in_refs else "")),
                        detector=self.id, source=src_span, canonical=pinyin, mt_sentence=i,
                    ))
            if unrendered:
                findings += self._wrong_names(ctx, keyed, unrendered, source_keys | reference_keys)
        return findings

    def _wrong_names(self, ctx: AuditContext, keyed: list[tuple[tuple[int, int, int, str], str]],
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

        from auditor.zh import chinese_name_shape

        strangers = [(c, k) for c, k in keyed if chinese_name_shape(c[3]) and k not in known
                     and not _renders([(c, k)], known)]
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
                mt_text=text, confidence=0.75 if same_given else 0.55,
                evidence=(f"the source names {name.text} ('{pinyin}') here and no MT name renders "
                          f"it; '{text}' is named in its place, and neither the source nor the "
                          f"references name anyone so"
                          + ("; the given name matches, the surname does not" if same_given
                             else "")),
                detector=self.id, source=src_span, canonical=pinyin, mt_sentence=i,
            ))
        return findings


# spaCy entity labels of things that are not people: places, organisations, nationalities...
NOT_PERSON_LABELS = frozenset({"GPE", "LOC", "FAC", "ORG", "NORP", "PRODUCT", "EVENT",
                               "WORK_OF_ART", "LANGUAGE", "LAW"})


def _not_people(ctx: AuditContext, sentences: list[int]) -> list[tuple[int, int]]:
    """Document spans of MT entities (in these sentences) that spaCy labels as no person."""
    from auditor.clauses import sentence_offsets
    from auditor.nlp import add_entities

    chosen = [ctx.mt.sentences[i] for i in sentences]
    docs = ctx.resources.parse([s.text for s in chosen])
    add_entities(ctx.resources.nlp, docs)
    spans = []
    for sent, doc in zip(chosen, docs, strict=True):
        offsets = sentence_offsets(ctx.mt.doc.text, sent.start, sent.end, sent.text)
        spans += [(offsets[e.start_char], offsets[e.end_char - 1] + 1)
                  for e in doc.ents if e.label_ in NOT_PERSON_LABELS]
    return spans


def _renders(keyed: list[tuple[tuple[int, int, int, str], str]], readings: set[str],
             surnames: frozenset[str] = frozenset()) -> bool:
    """Some MT name is one of these readings, its surname alone ("Zhao said"), or a near spelling
    of a reading (same first letter, length within two letters: "Tsai Ing-wen" for "tsaiyingwen";
    a bare given name, "Chun-shan" of "Yang Chun-shan", does not render 赵春山)."""
    from rapidfuzz import fuzz

    return any(k in readings or k in surnames or any(
        k and k[0] == r[0] and abs(len(k) - len(r)) <= 2 and fuzz.ratio(k, r) >= NAME_NEAR_MISS
        for r in readings) for _, k in keyed)


def _title_pinyin(syllables: str) -> str:
    """Surname apart, given name joined: "xi jin ping" -> "Xi Jinping"."""
    parts = syllables.split()
    if len(parts) < 2:
        return syllables.title()
    return f"{parts[0].title()} {''.join(parts[1:]).title()}"


# ---- combining source-side and reference-side findings ---------------------------------

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

    Source-side findings are those of this detector; the rest of the kinds above are
    reference-side. When both inputs were given, an overlapping pair (same kind, overlapping
    MT span, or the same MT sentence for omissions) becomes one finding: the reference-side
    one, with the source span added and "supported by source and references" in its
    evidence; the others say "source only" or "references only". Other kinds pass unchanged.
    """
    if not (has_references and has_source):
        return list(findings)
    source_side = [f for f in findings if f.detector == SourceDetector.id]
    used: set[int] = set()
    out: list[Finding] = []
    for f in findings:
        if f.detector == SourceDetector.id or f.kind not in _SIDED_KINDS:
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
    out.sort(key=lambda f: (f.mt_start if f.mt_start is not None else 1 << 62, f.kind.value))
    return out


__all__ = ["SourceDetector", "merge_sides"]
