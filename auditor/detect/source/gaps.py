"""Source sentences the MT has no counterpart for (omissions), MT sentences the source has none
for (additions), and source clauses the aligned MT does not carry (leave-one-out)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from auditor.detect.base import AuditContext
from auditor.detect.source.common import content_chars, raw_text, unit
from auditor.embed import Encoder
from auditor.result import AlignmentPair, Finding, FindingKind, Severity, Span

# Thresholds: SourceConfig in auditor/config.py (AuditConfig.source).
_ZH_CLAUSE = re.compile(r"[^，；：,;:【】]+[，；：,;:】]*")


def absorbed(ctx: AuditContext, pair: AlignmentPair | None, mt: int | None,
             src: int | None) -> bool:
    """Does adding this MT or source sentence to `pair` keep the pair as similar?"""
    if pair is None:
        return False
    assert ctx.mt_source_vectors is not None and ctx.source_vectors is not None
    mt_rows = list(pair.mt) + ([mt] if mt is not None else [])
    src_rows = list(pair.other) + ([src] if src is not None else [])
    merged = float(unit(ctx.mt_source_vectors, mt_rows) @ unit(ctx.source_vectors, src_rows))
    return merged >= pair.similarity - ctx.config.source.absorb_tolerance


def find_gaps(ctx: AuditContext, pairs: list[AlignmentPair]) -> list[Finding]:
    """Sentences left between two aligned groups, when only one side left any."""
    assert ctx.source is not None and ctx.source_similarity is not None
    mt_sents, src_sents = ctx.mt.sentences, ctx.source.sentences
    min_chars = ctx.config.source.min_clause_chars
    bounds = [None, *pairs, None]
    findings: list[Finding] = []
    for before, after in zip(bounds, bounds[1:], strict=False):
        mt_lo = before.mt[-1] + 1 if before else 0
        mt_hi = after.mt[0] if after else len(mt_sents)
        src_lo = before.other[-1] + 1 if before else 0
        src_hi = after.other[0] if after else len(src_sents)
        lone_mt = [
            i for i in range(mt_lo, mt_hi)
            if content_chars(mt_sents[i].text) >= min_chars
            and not (i == mt_lo and absorbed(ctx, before, i, None))
            and not (i == mt_hi - 1 and absorbed(ctx, after, i, None))
        ]
        lone_src = [
            j for j in range(src_lo, src_hi)
            if content_chars(src_sents[j].text) >= min_chars
            and not (j == src_lo and absorbed(ctx, before, None, j))
            and not (j == src_hi - 1 and absorbed(ctx, after, None, j))
        ]
        if lone_mt and lone_src:
            continue  # both sides left something: a poor translation pair, not a gap
        for j in lone_src:
            findings.append(sentence_omission(ctx, j, before, after))
        for i in lone_mt:
            findings.append(sentence_addition(ctx, i))
    return findings


def sentence_omission(ctx: AuditContext, j: int, before: AlignmentPair | None,
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
        source=Span(sent.start, sent.end, raw_text(ctx.source.doc.text, sent)),
        mt_sentence=at_sentence.index if at_sentence else None,
    )


def sentence_addition(ctx: AuditContext, i: int) -> Finding:
    assert ctx.source is not None and ctx.source_similarity is not None
    sent = ctx.mt.sentences[i]
    row = ctx.source_similarity[i]
    j = int(row.argmax()) if row.size else None
    closest = ctx.source.sentences[j] if j is not None else None
    best = float(row.max()) if row.size else 0.0
    return Finding(
        kind=FindingKind.ADDITION, severity=Severity.MAJOR,
        mt_start=sent.start, mt_end=sent.end, mt_text=raw_text(ctx.mt.doc.text, sent),
        confidence=float(np.clip(1.0 - best, 0.0, 1.0)),
        evidence=(f"not supported by the source: no source sentence carries it "
                  f"(closest, cosine {best:.2f}, is shown)"),
        source=(Span(closest.start, closest.end, raw_text(ctx.source.doc.text, closest))
                if closest else None),
        mt_sentence=i,
    )


@dataclass(frozen=True)
class ClauseDrop:
    """One clause of an aligned source group and its leave-one-out drop: the group's MT/source
    cosine minus the cosine without the clause (negative: the source is closer to the MT
    without it, so the MT carries nothing of it). `start`/`end` index the source document."""

    pair: AlignmentPair
    start: int
    end: int
    drop: float


def text_clause_drops(groups: Sequence[tuple[str, str]], encoder: Encoder,
                      min_chars: int) -> list[list[tuple[int, int, float]]]:
    """Per (source text, MT text) group: (start, end, drop) of each clause of at least
    `min_chars` content characters, when the source has two clauses or more (one encoder call
    for all groups)."""
    jobs: list[tuple[int, int, int, int, int]] = []  # group, base text, clause start/end, text
    texts: list[str] = []
    for g, (src, mt) in enumerate(groups):
        clauses = [(m.start(), m.end()) for m in _ZH_CLAUSE.finditer(src)]
        if len(clauses) < 2:
            continue
        base = len(texts)
        texts += [mt, src]
        for a, b in clauses:
            if content_chars(src[a:b]) < min_chars:
                continue
            jobs.append((g, base, a, b, len(texts)))
            texts.append(src[:a] + src[b:])
    out: list[list[tuple[int, int, float]]] = [[] for _ in groups]
    if not jobs:
        return out
    vectors = encoder.encode(texts)
    for g, base, a, b, without in jobs:
        out[g].append((a, b, float(vectors[base] @ vectors[base + 1]
                                   - vectors[base] @ vectors[without])))
    return out


def clause_drops(ctx: AuditContext) -> list[ClauseDrop]:
    """Leave-one-out drops of the clauses of every aligned source group, once per audit: the
    clause omissions below and the coverage detector's group decision read them."""

    def build() -> list[ClauseDrop]:
        assert ctx.source is not None
        encoder = ctx.source_encoder or ctx.resources.source_encoder
        if encoder is None:
            return []
        src_text = ctx.source.doc.text
        pairs = sorted(ctx.source_alignments, key=lambda p: (p.mt, p.other))
        starts = [ctx.source.sentences[p.other[0]].start for p in pairs]
        groups = [(src_text[lo:ctx.source.sentences[p.other[-1]].end],
                   " ".join(ctx.mt.sentences[i].text for i in p.mt))
                  for p, lo in zip(pairs, starts, strict=True)]
        drops = text_clause_drops(groups, encoder, ctx.config.source.min_clause_chars)
        return [ClauseDrop(p, lo + a, lo + b, d)
                for p, lo, found in zip(pairs, starts, drops, strict=True) for a, b, d in found]

    if ctx.source is None:
        return []
    drops: list[ClauseDrop] = ctx.word_evidence("clause_drops", build)
    return drops


def find_clause_omissions(ctx: AuditContext, drops: Sequence[ClauseDrop]) -> list[Finding]:
    """Source clauses the aligned MT does not carry (leave-one-out drops, `clause_drops`)."""
    assert ctx.source is not None
    settings = ctx.config.source
    src_text, mt_text = ctx.source.doc.text, ctx.mt.doc.text
    findings = []
    for c in drops:
        if c.drop >= settings.clause_drop_minor:
            continue
        pair, drop = c.pair, c.drop
        last = ctx.mt.sentences[pair.mt[-1]]
        clause = src_text[c.start:c.end].rstrip("，；：,;:】 ")
        findings.append(Finding(
            kind=FindingKind.OMISSION,
            severity=Severity.MAJOR if drop < settings.clause_drop_major else Severity.MINOR,
            mt_start=ctx.mt.sentences[pair.mt[0]].start, mt_end=last.end,
            mt_text=mt_text[ctx.mt.sentences[pair.mt[0]].start:last.end],
            confidence=float(np.clip(-drop * 5, 0.0, 1.0)),
            evidence=(f"source clause not carried by the aligned MT: leaving it out makes "
                      f"the source closer to the MT (cosine change {-drop:+.2f})"),
            source=Span(c.start, c.start + len(clause), clause),
            mt_sentence=pair.mt[0],
        ))
    return findings


__all__ = ["ClauseDrop", "clause_drops", "find_clause_omissions", "find_gaps",
           "text_clause_drops"]
