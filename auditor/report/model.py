"""The report view model: built once from an AuditResult, read by the HTML (and CSV) renderers.

Everything here is plain data (frozen dataclasses, tuples, strings, numbers), so templates never
compute anything and every renderer shows the same figures. Text stays raw: escaping is the
renderer's job (Jinja2 autoescape, JSON with `<`, `>`, `&` escaped).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from auditor.result import (
    SEVERITY_RANK,
    SOURCE_DOC,
    AlignmentPair,
    AuditResult,
    FindingKind,
    SegmentedDocument,
    Sentence,
    Severity,
    sentence_at,
)

# How many findings the summary lists first; the full table holds all of them.
WORST_FINDINGS = 8

KIND_MEANINGS = {
    FindingKind.NAME: "a person, place or organisation name the MT renders differently from the "
    "references",
    FindingKind.OMISSION: "reference content the MT does not carry (dropped)",
    FindingKind.ADDITION: "MT content not supported by the references (closest reference text "
    "as evidence; not proof of invention)",
    FindingKind.NUMBER: "a number or date that disagrees with the references",
    FindingKind.REPETITION: "text repeated within the MT",
    FindingKind.MISTRANSLATION: "a passage whose meaning differs from its aligned reference",
    FindingKind.FLUENCY: "garbled or ungrammatical English",
    FindingKind.UNTRANSLATED: "source-language text left in the MT (Chinese, Japanese or "
                              "Korean letters)",
}

SCORE_MEANINGS = {
    "overall": "0-100, higher is better: word-weighted mean sentence quality, a model fitted on "
    "professional MQM annotations (WMT zh-en) that estimates each sentence's error penalty.",
    "fidelity": "0-1: word-weighted mean, over MT sentences, of the embedding similarity to the "
    "best aligned reference sentence (0 when a sentence has no counterpart).",
    "mqm": "error points per 100 MT words from the findings (minor 1, major 5, critical 10); "
    "lower is better.",
    "source_fidelity": "0-1: the same as fidelity, measured against the source text with a "
    "multilingual encoder.",
}


@dataclass(frozen=True)
class ScoreLine:
    key: str
    label: str
    value: str
    meaning: str


@dataclass(frozen=True)
class Count:
    key: str
    n: int
    meaning: str = ""


@dataclass(frozen=True)
class FindingView:
    """One finding, flattened for display; `id` is its position in `result.findings`."""

    id: int
    kind: str
    severity: str
    rank: int
    mt_start: int | None
    mt_end: int | None
    mt_text: str
    mt_sentence: int | None
    confidence: float
    evidence: str
    detector: str
    canonical: str | None
    reference_label: str | None
    reference_text: str | None
    source_text: str | None
    ref_doc: int | None = None
    ref_start: int | None = None
    ref_end: int | None = None
    src_start: int | None = None
    src_end: int | None = None

    @property
    def located(self) -> bool:
        return self.mt_start is not None and self.mt_end is not None

    @property
    def point(self) -> bool:
        """Located at a point (e.g. where dropped content would have been), not on text."""
        return self.located and self.mt_end == self.mt_start

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "severity": self.severity,
            "mt_text": self.mt_text, "mt_sentence": self.mt_sentence,
            "confidence": round(self.confidence, 3), "evidence": self.evidence,
            "detector": self.detector, "canonical": self.canonical,
            "reference_label": self.reference_label, "reference_text": self.reference_text,
            "source_text": self.source_text,
        }


@dataclass(frozen=True)
class WorstItem:
    """A finding for the summary, standing for all findings of the same kind and MT text."""

    finding: FindingView
    count: int
    sentences: tuple[int, ...]


@dataclass(frozen=True)
class Piece:
    """A run of MT sentence text covered by the same set of findings (none: plain text)."""

    text: str
    finding_ids: tuple[int, ...] = ()
    kind: str | None = None
    severity: str | None = None
    title: str = ""
    point: bool = False
    evidence: bool = False
    """On the reference/source side: the text a finding cites, not the error itself."""


@dataclass(frozen=True)
class SentenceView:
    index: int
    pieces: tuple[Piece, ...]
    support: float
    aligned: bool
    finding_ids: tuple[int, ...]
    quality: float | None = None

    @property
    def quality_bucket(self) -> str:
        """q-good / q-fair / q-poor for colouring: quality >= 70, >= 40, below."""
        if self.quality is None:
            return ""
        return "q-good" if self.quality >= 70 else "q-fair" if self.quality >= 40 else "q-poor"


@dataclass(frozen=True)
class Row:
    """One line of a side-by-side table: MT sentences beside their counterpart (if any)."""

    mt: tuple[int, ...]
    other: tuple[int, ...]
    similarity: float | None = None
    chrf: float | None = None
    bleu: float | None = None

    @property
    def bucket(self) -> int:
        """0-10, the similarity in tenths, for a linear colour scale."""
        return 0 if self.similarity is None else max(0, min(10, int(self.similarity * 10)))


@dataclass(frozen=True)
class Heatmap:
    """A cosine matrix, MT sentences x other sentences, as base64 bytes (0-255 for 0..1)."""

    rows: int
    cols: int
    data_b64: str
    pairs: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Comparison:
    """The MT against one reference (doc >= 0) or against the source (doc == SOURCE_DOC)."""

    key: str
    doc: int
    label: str
    name: str
    sentences: tuple[str, ...]
    rows: tuple[Row, ...]
    unmatched: tuple[int, ...]
    scores: tuple[ScoreLine, ...]
    heatmap: Heatmap | None
    pieces: tuple[tuple[Piece, ...], ...] = ()
    """Each other-document sentence, cut where findings cite it (dropped text, evidence)."""


@dataclass(frozen=True)
class NameVariant:
    variant: str
    occurrences: int
    confidence: float
    sentences: tuple[int, ...]
    finding_ids: tuple[int, ...]


@dataclass(frozen=True)
class NameGroup:
    canonical: str
    variants: tuple[NameVariant, ...]

    @property
    def occurrences(self) -> int:
        return sum(v.occurrences for v in self.variants)


@dataclass(frozen=True)
class ReportModel:
    title: str
    mt_name: str
    mt_lang: str
    reference_names: tuple[str, ...]
    source_name: str | None
    signature_short: str
    signature_long: str
    signature: dict[str, Any]
    scores: tuple[ScoreLine, ...]
    overall: float
    kinds: tuple[Count, ...]
    severities: tuple[Count, ...]
    findings: tuple[FindingView, ...]
    worst: tuple[WorstItem, ...]
    sentences: tuple[SentenceView, ...]
    comparisons: tuple[Comparison, ...]
    names: tuple[NameGroup, ...]
    omissions: tuple[FindingView, ...]
    additions: tuple[FindingView, ...]
    unlocated: tuple[FindingView, ...]
    words: int
    notes: tuple[str, ...] = ()  # what loading, segmenting or a detector had to do or leave out

    def data(self) -> dict[str, Any]:
        """What the page script needs, as JSON-ready data (findings, texts, heatmaps)."""
        return {
            "findings": [f.to_json() for f in self.findings],
            "mt": [
                "".join(p.text for p in s.pieces) for s in self.sentences
            ],
            "comparisons": [
                {
                    "key": c.key, "label": c.label, "sentences": list(c.sentences),
                    "heatmap": None if c.heatmap is None else {
                        "rows": c.heatmap.rows, "cols": c.heatmap.cols,
                        "data": c.heatmap.data_b64,
                        "pairs": [list(p) for p in c.heatmap.pairs],
                    },
                }
                for c in self.comparisons
            ],
        }


# ---- building ---------------------------------------------------------------------------
def _other_label(result: AuditResult, doc: int | None) -> str | None:
    if doc is None:
        return "source" if result.source is not None else None
    if 0 <= doc < len(result.references):
        return f"ref {doc + 1}: {result.references[doc].doc.name}"
    return f"ref {doc + 1}"


def finding_views(result: AuditResult) -> tuple[FindingView, ...]:
    views = []
    for i, f in enumerate(result.findings):
        located = f.mt_start is not None and f.mt_end is not None and f.mt_end >= f.mt_start
        sentence = f.mt_sentence
        if sentence is None and located:
            sentence = sentence_at(result.mt.sentences, int(f.mt_start))  # type: ignore[arg-type]
        views.append(
            FindingView(
                id=i, kind=f.kind.value, severity=f.severity.value,
                rank=SEVERITY_RANK.get(f.severity, 0),
                mt_start=f.mt_start if located else None, mt_end=f.mt_end if located else None,
                mt_text=f.mt_text or "", mt_sentence=sentence,
                confidence=float(f.confidence), evidence=f.evidence or "", detector=f.detector,
                canonical=f.canonical,
                reference_label=_other_label(result, f.reference.doc) if f.reference else None,
                reference_text=f.reference.text if f.reference else None,
                source_text=f.source.text if f.source else None,
                ref_doc=f.reference.doc if f.reference else None,
                ref_start=f.reference.start if f.reference else None,
                ref_end=f.reference.end if f.reference else None,
                src_start=f.source.start if f.source else None,
                src_end=f.source.end if f.source else None,
            )
        )
    return tuple(views)


def _worst_first(views: Sequence[FindingView]) -> list[FindingView]:
    return sorted(views, key=lambda v: (-v.rank, -v.confidence, v.id))


def worst_items(views: Sequence[FindingView], limit: int) -> tuple[WorstItem, ...]:
    """The worst findings, one line per (kind, MT text, canonical), so that a name mangled
    ten times does not fill the whole list."""
    groups: dict[tuple[str, str, str | None], list[FindingView]] = {}
    for v in _worst_first(views):
        key = (v.kind, v.mt_text.strip().lower() or v.evidence, v.canonical)
        groups.setdefault(key, []).append(v)
    items = [
        WorstItem(found[0], len(found),
                  tuple(sorted({f.mt_sentence for f in found if f.mt_sentence is not None})))
        for found in groups.values()
    ]
    return tuple(items[:limit])


def _title(here: Sequence[FindingView]) -> str:
    return " | ".join(f"{f.kind} ({f.severity}): {f.evidence}" for f in here)[:600]


Located = tuple[int, int, FindingView]


def split_pieces(sentence: Sentence, findings: Sequence[FindingView]) -> tuple[Piece, ...]:
    """Cut an MT sentence at every finding boundary inside it, so overlapping findings become
    non-overlapping pieces, each listing all the findings that cover it (worst first).

    Point findings given for this sentence become empty pieces (markers) at their offset.
    """
    spans = [(f.mt_start, f.mt_end, f) for f in findings if f.located and not f.point]
    points = [(f.mt_start, f) for f in findings if f.point]
    return _split(sentence, spans, points)  # type: ignore[arg-type]


def _split(
    sentence: Sentence,
    spans: Sequence[Located],
    points: Sequence[tuple[int, FindingView]] = (),
    evidence: frozenset[str] = frozenset(),
) -> tuple[Piece, ...]:
    """The general cut: `spans` are (start, end, finding) in document offsets; findings whose
    kind is in `evidence` are marked as cited text rather than as errors."""
    size = len(sentence.text)
    covering = [(a, b, f) for a, b, f in spans if a < sentence.end and b > sentence.start]
    at_points: dict[int, list[FindingView]] = {}
    for at, f in points:
        at_points.setdefault(max(0, min(size, at - sentence.start)), []).append(f)
    if not covering and not at_points:
        return (Piece(sentence.text),)
    cuts = {0, size, *at_points}
    for a, b, _ in covering:
        cuts.add(max(0, min(size, a - sentence.start)))
        cuts.add(max(0, min(size, b - sentence.start)))
    edges = sorted(cuts)
    pieces = []
    for a, b in zip(edges, [*edges[1:], None], strict=True):
        if a in at_points:
            here = _worst_first(at_points[a])
            pieces.append(Piece("", tuple(f.id for f in here), here[0].kind, here[0].severity,
                                _title(here), point=True))
        if b is None:
            break
        lo, hi = sentence.start + a, sentence.start + b
        inside = [(e - s, f) for s, e, f in covering if s < hi and e > lo]
        if not inside:
            pieces.append(Piece(sentence.text[a:b]))
            continue
        here = _worst_first([f for _, f in inside])
        # Colour by the most specific (shortest) finding: the wider ones stay visible around it.
        shown = min(inside, key=lambda item: (item[0], -item[1].rank))[1]
        pieces.append(
            Piece(sentence.text[a:b], tuple(f.id for f in here), shown.kind, shown.severity,
                  _title(here), evidence=shown.kind in evidence)
        )
    return tuple(pieces)


def _rows(mt: SegmentedDocument, pairs: Sequence[AlignmentPair]) -> tuple[Row, ...]:
    """MT order; an aligned group appears once, at its first MT sentence."""
    by_first: dict[int, AlignmentPair] = {}
    covered: set[int] = set()
    for p in pairs:
        if not p.mt:
            continue
        by_first.setdefault(min(p.mt), p)
        covered.update(p.mt)
    rows = []
    for s in mt.sentences:
        pair = by_first.get(s.index)
        if pair is not None:
            rows.append(Row(tuple(sorted(pair.mt)), tuple(sorted(pair.other)),
                            float(pair.similarity), float(pair.chrf), float(pair.bleu)))
        elif s.index not in covered:
            rows.append(Row((s.index,), ()))
    return tuple(rows)


def _heatmap(matrix: Any, pairs: Sequence[AlignmentPair]) -> Heatmap | None:
    import numpy as np

    m = np.asarray(matrix, dtype=np.float32)
    if m.ndim != 2 or m.size == 0:
        return None
    # Negative cosines carry no more meaning than 0 here; the scale is 0..1 in 255 steps.
    scaled = np.rint(np.clip(np.nan_to_num(m), 0.0, 1.0) * 255).astype(np.uint8)
    links = tuple(sorted({(i, j) for p in pairs for i in p.mt for j in p.other
                          if i < m.shape[0] and j < m.shape[1]}))
    return Heatmap(int(m.shape[0]), int(m.shape[1]),
                   base64.b64encode(scaled.tobytes(order="C")).decode("ascii"), links)


def _cited_pieces(
    doc: int, other: SegmentedDocument, views: Sequence[FindingView]
) -> tuple[tuple[Piece, ...], ...]:
    """The other document's sentences with the text findings cite highlighted: dropped text
    (omissions) as errors, everything else (canonical names, closest text) as evidence."""
    if doc != SOURCE_DOC:
        spans = [(v.ref_start, v.ref_end, v) for v in views
                 if v.ref_doc == doc and v.ref_start is not None and v.ref_end is not None
                 and v.ref_end > v.ref_start]
    else:
        spans = [(v.src_start, v.src_end, v) for v in views
                 if v.src_start is not None and v.src_end is not None and v.src_end > v.src_start]
    cited = frozenset(k.value for k in FindingKind) - {FindingKind.OMISSION.value}
    return tuple(_split(s, spans, evidence=cited) for s in other.sentences)  # type: ignore[arg-type]


def _comparison(
    result: AuditResult, doc: int, other: SegmentedDocument, matrix: Any,
    views: Sequence[FindingView] = (),
) -> Comparison:
    pairs = [a for a in result.alignments if a.doc == doc]
    matched = {j for p in pairs for j in p.other}
    s = result.scores
    lines: list[ScoreLine] = []
    if doc != SOURCE_DOC:
        per = [
            ("fidelity", "fidelity", s.fidelity_per_reference, "{:.3f}"),
            ("coverage", "coverage", s.coverage_per_reference, "{:.0%}"),
            ("chrf", "chrF", s.chrf_per_reference, "{:.1f}"),
            ("bleu", "BLEU", s.bleu_per_reference, "{:.1f}"),
        ]
        for key, label, values, fmt in per:
            if doc < len(values):
                lines.append(ScoreLine(key, label, fmt.format(values[doc]), ""))
    elif s.source_fidelity is not None:
        lines.append(ScoreLine("fidelity", "fidelity", f"{s.source_fidelity:.3f}", ""))
    return Comparison(
        key=f"ref{doc}" if doc != SOURCE_DOC else "src",
        doc=doc,
        label=f"Reference {doc + 1}" if doc != SOURCE_DOC else "Source",
        name=other.doc.name,
        sentences=tuple(other.texts),
        rows=_rows(result.mt, pairs),
        unmatched=tuple(x.index for x in other.sentences if x.index not in matched),
        scores=tuple(lines),
        heatmap=_heatmap(matrix, pairs) if matrix is not None else None,
        pieces=_cited_pieces(doc, other, views),
    )


def _names(views: Sequence[FindingView]) -> tuple[NameGroup, ...]:
    groups: dict[str, dict[str, list[FindingView]]] = {}
    for v in views:
        if v.kind != FindingKind.NAME.value:
            continue
        canonical = v.canonical or "(no canonical form)"
        groups.setdefault(canonical, {}).setdefault(v.mt_text, []).append(v)
    out = []
    for canonical, variants in groups.items():
        rows = tuple(
            NameVariant(
                variant=variant, occurrences=len(found),
                confidence=max(f.confidence for f in found),
                sentences=tuple(sorted({f.mt_sentence for f in found
                                        if f.mt_sentence is not None})),
                finding_ids=tuple(f.id for f in found),
            )
            for variant, found in sorted(variants.items(), key=lambda kv: -len(kv[1]))
        )
        out.append(NameGroup(canonical, rows))
    return tuple(sorted(out, key=lambda g: (-g.occurrences, g.canonical)))


def _score_lines(result: AuditResult) -> tuple[ScoreLine, ...]:
    s = result.scores
    lines = [
        ScoreLine("overall", "Overall", f"{s.overall:.1f}", SCORE_MEANINGS["overall"]),
        ScoreLine("fidelity", "Fidelity", f"{s.fidelity:.3f}", SCORE_MEANINGS["fidelity"]),
        ScoreLine("mqm", "MQM points / 100 words", f"{s.mqm:.1f}", SCORE_MEANINGS["mqm"]),
    ]
    if s.source_fidelity is not None:
        lines.append(ScoreLine("source_fidelity", "Source fidelity", f"{s.source_fidelity:.3f}",
                               SCORE_MEANINGS["source_fidelity"]))
    return tuple(lines)


def build_report_model(result: AuditResult, worst: int = WORST_FINDINGS) -> ReportModel:
    """Everything the renderers show, computed once from `result`."""
    views = finding_views(result)
    per_sentence: dict[int, list[FindingView]] = {}
    for v in views:
        if v.point:
            if v.mt_sentence is not None:
                per_sentence.setdefault(v.mt_sentence, []).append(v)
        elif v.located:
            for s in result.mt.sentences:
                if v.mt_start < s.end and v.mt_end > s.start:  # type: ignore[operator]
                    per_sentence.setdefault(s.index, []).append(v)
    scores = {sc.index: sc for sc in result.sentence_scores}
    sentences = tuple(
        SentenceView(
            index=s.index,
            pieces=split_pieces(s, per_sentence.get(s.index, [])),
            support=float(scores[s.index].support) if s.index in scores else 0.0,
            aligned=bool(scores[s.index].aligned) if s.index in scores else False,
            finding_ids=tuple(v.id for v in _worst_first(per_sentence.get(s.index, []))),
            quality=scores[s.index].quality if s.index in scores else None,
        )
        for s in result.mt.sentences
    )
    matrices = list(result.similarity)
    comparisons = [
        _comparison(result, d, ref, matrices[d] if d < len(matrices) else None, views)
        for d, ref in enumerate(result.references)
    ]
    if result.source is not None:
        n = len(result.references)
        comparisons.append(
            _comparison(result, SOURCE_DOC, result.source,
                        matrices[n] if n < len(matrices) else None, views)
        )
    kinds = tuple(
        Count(k.value, sum(1 for v in views if v.kind == k.value), KIND_MEANINGS[k])
        for k in FindingKind
    )
    severities = tuple(
        Count(sev.value, sum(1 for v in views if v.severity == sev.value))
        for sev in sorted(Severity, key=lambda x: -SEVERITY_RANK[x])
    )
    return ReportModel(
        title=f"MT audit: {result.mt.doc.name}",
        mt_name=result.mt.doc.name,
        mt_lang=result.mt.doc.lang,
        reference_names=tuple(r.doc.name for r in result.references),
        source_name=result.source.doc.name if result.source else None,
        signature_short=result.signature.short(),
        signature_long=result.signature.long(),
        signature=result.signature.to_dict(),
        scores=_score_lines(result),
        overall=float(result.scores.overall),
        kinds=kinds,
        severities=severities,
        findings=views,
        worst=worst_items(views, worst),
        sentences=sentences,
        comparisons=tuple(comparisons),
        names=_names(views),
        # Worst first; additions of equal severity in MT order, so they read like the text.
        omissions=tuple(_worst_first([v for v in views if v.kind == FindingKind.OMISSION.value])),
        additions=tuple(sorted(
            (v for v in views if v.kind == FindingKind.ADDITION.value),
            key=lambda v: (-v.rank, v.mt_start if v.mt_start is not None else 1 << 62, v.id),
        )),
        unlocated=tuple(v for v in views if not v.located and v.kind != "omission"),
        words=int(result.scores.words),
        notes=tuple(result.notes),
    )
