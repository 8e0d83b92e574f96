"""Segment-level audits: the engine behind `auditor score` and `audit_batch(doc_column=...)`.

Translation pipelines hand over segments (a line of a sacrebleu/comet-score file, a row of a
JSONL/CSV table, a unit of an XLIFF or TMX file), not articles. Consecutive segments with the
same document id form one document: it is audited as a whole, so that alignment, name
consistency and the document score see the context, with one sentence per segment (a segment is
never re-split, as `--segmentation lines` does for `auditor audit`) and a true-translation
(parallel) alignment by default. Findings are then handed back to the segment they fall in, with
offsets into that segment's text.

Documents are audited one at a time (`score_segments` is a generator): memory stays bounded by
the largest document, however long the input is, and results can be written as they come.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from auditor.errors import AuditorError, InputError
from auditor.result import (
    Document,
    Finding,
    SegmentedDocument,
    Span,
    position_at,
)
from auditor.score import word_count

if TYPE_CHECKING:
    from auditor.pipeline import Auditor
    from auditor.result import AuditResult

# A document longer than this is audited in consecutive chunks of this many segments, so that
# one huge "document" (a 100,000-unit XLIFF <file>, a doc-ids file with one id) cannot exhaust
# memory or the (super-linear) name clustering. Not fitted: a size where a TED talk (about 120
# segments) and a news article (about 10) stay whole.
MAX_DOCUMENT_SEGMENTS = 400
SEGMENTATION = "lines"  # the segmenter in the signature of every segment-level result


def segmenter_label(max_segments: int) -> str:
    """What the signature records: one sentence per segment, and the chunk size (it changes
    results when a document is longer)."""
    return f"{SEGMENTATION}-chunk{max_segments}"


@dataclass(frozen=True)
class SegmentInput:
    """One segment: the MT, its references (same order in every segment), its source.

    `index` is the segment's position in the input (0-based line, row or unit); `doc` the id
    of the document it belongs to; `key` an identifier of the input's own (an XLIFF unit id).
    An empty string means "no text for this segment".
    """

    index: int
    doc: str
    mt: str
    references: tuple[str, ...] = ()
    source: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class LocatedSpan:
    """A reference or source stretch, with offsets into the segment (line) that holds it."""

    segment: int  # 0-based segment of the document on that side
    start: int
    end: int
    text: str
    doc: int | None = None  # the reference index; None for the source

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"segment": self.segment, "start": self.start, "end": self.end,
                               "text": self.text}
        return out if self.doc is None else {"doc": self.doc, **out}


@dataclass(frozen=True)
class SegmentFinding:
    """A finding moved into one segment: `finding` has offsets into the segment's MT text."""

    finding: Finding
    reference: LocatedSpan | None = None
    source: LocatedSpan | None = None

    def to_json(self) -> dict[str, Any]:
        out = self.finding.to_json()
        out["reference"] = self.reference.to_json() if self.reference else None
        out["source"] = self.source.to_json() if self.source else None
        return out


@dataclass(frozen=True)
class SegmentResult:
    """The audit of one segment. `score` is 0-100, higher is better; None when the segment's
    document could not be audited (`error` says why)."""

    index: int
    doc: str
    doc_segment: int
    mt: str
    score: float | None
    support: float | None
    words: int
    findings: tuple[SegmentFinding, ...]
    key: str | None = None
    error: str | None = None

    def to_json(self, signature: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "segment": self.index,
            "doc": self.doc,
            "doc_segment": self.doc_segment,
            "score": None if self.score is None else round(self.score, 4),
            "support": None if self.support is None else round(self.support, 4),
            "findings": [f.to_json() for f in self.findings],
        }
        if self.key is not None:
            out["id"] = self.key
        if self.error is not None:
            out["error"] = self.error
        if signature is not None:
            out["signature"] = signature
        return out


@dataclass(frozen=True)
class DocumentOutcome:
    """One audited document: the full result (None on error) and its segments in order."""

    doc: str
    segments: tuple[SegmentResult, ...]
    result: AuditResult | None
    error: str | None = None


_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")


def one_line(text: str) -> str:
    """The segment on one line, same length (offsets into it stay valid): line breaks inside a
    table cell or an XLIFF unit become spaces."""
    return _BREAKS.sub(" ", text)


def lines_document(texts: Sequence[str], name: str, lang: str) -> tuple[SegmentedDocument,
                                                                          list[int]]:
    """A document whose sentences are the given segments, never re-split: the library's
    `segmentation="lines"` (`segment_lines`) over the segments joined by newlines (offsets
    index that text); an empty segment has no sentence. Returns the document and, per
    sentence, the segment it is."""
    from auditor.segment import segment_lines

    parts = [one_line(t) for t in texts]
    segmented = segment_lines(Document(text="\n".join(parts), name=name, lang=lang))
    starts = _starts(parts)
    return segmented, [position_at(starts, s.start) for s in segmented.sentences]


def iter_documents(
    segments: Iterable[SegmentInput], max_segments: int = MAX_DOCUMENT_SEGMENTS
) -> Iterator[list[SegmentInput]]:
    """Consecutive segments with the same `doc`, in chunks of at most `max_segments`."""
    current: list[SegmentInput] = []
    for seg in segments:
        if current and (seg.doc != current[-1].doc or len(current) >= max_segments):
            yield current
            current = []
        current.append(seg)
    if current:
        yield current


def _starts(texts: Sequence[str]) -> list[int]:
    out, offset = [], 0
    for t in texts:
        out.append(offset)
        offset += len(t) + 1
    return out


def audit_document(auditor: Auditor, segments: Sequence[SegmentInput],
                   max_segments: int = MAX_DOCUMENT_SEGMENTS) -> DocumentOutcome:
    """Audit one document's segments together; findings go back to their segments.
    (`max_segments` only labels the signature: `iter_documents` cut the chunk.)"""
    from auditor.segment import detect_lang

    doc_id = segments[0].doc
    n_refs = max((len(s.references) for s in segments), default=0)
    mt_texts = [one_line(s.mt) for s in segments]
    ref_texts = [[one_line(s.references[d]) if d < len(s.references) else ""
                  for s in segments] for d in range(n_refs)]
    src_texts = [one_line(s.source or "") for s in segments]
    mt_doc, mt_owner = lines_document(mt_texts, f"{doc_id}:mt", "en")
    refs = []
    ref_keep = []  # which reference columns have any text in this document
    for d, texts in enumerate(ref_texts):
        if any(t.strip() for t in texts):
            refs.append(lines_document(texts, f"{doc_id}:ref{d}", "en")[0])
            ref_keep.append(d)
    source = None
    if any(t.strip() for t in src_texts):
        source = lines_document(src_texts, f"{doc_id}:src",
                                detect_lang("\n".join(src_texts)))[0]
    try:
        if not mt_doc.sentences:
            raise InputError(f"document {doc_id!r}: no MT text")
        if not refs and source is None:
            raise InputError(f"document {doc_id!r}: no reference or source text to audit "
                             "against")
        result = auditor.audit_segmented(mt_doc, refs, source)
    except AuditorError as exc:
        failed = tuple(
            SegmentResult(s.index, s.doc, k, s.mt, None, None, word_count(mt_texts[k]), (),
                          s.key, str(exc))
            for k, s in enumerate(segments)
        )
        return DocumentOutcome(doc_id, failed, None, str(exc))
    signature = replace(result.signature, segmenter=segmenter_label(max_segments))
    result = replace(result, signature=signature)

    mt_starts = _starts(mt_texts)
    ref_starts = [_starts(ref_texts[d]) for d in ref_keep]
    src_starts = _starts(src_texts)
    per_segment: list[list[SegmentFinding]] = [[] for _ in segments]
    for f in result.findings:
        k = _finding_segment(f, mt_owner, mt_starts, ref_starts, src_starts)
        per_segment[k].append(_move(f, k, mt_starts, ref_keep, ref_starts, ref_texts,
                                    src_starts, src_texts))
    support = {mt_owner[s.index]: s.support for s in result.sentence_scores}
    # A segment is one sentence: its score is that sentence's learned `quality`, so the
    # word-weighted mean of a document's segment scores is its `overall`.
    quality = {mt_owner[s.index]: s.quality for s in result.sentence_scores}
    out = []
    for k, seg in enumerate(segments):
        words = word_count(mt_texts[k]) if mt_texts[k].strip() else 0
        sup = support.get(k)
        # An empty MT segment carries nothing of its reference or source: score 0.
        q = quality.get(k)
        score = float(q) if q is not None else 0.0
        out.append(SegmentResult(seg.index, seg.doc, k, seg.mt, score, sup, words,
                                 tuple(per_segment[k]), seg.key))
    return DocumentOutcome(doc_id, tuple(out), result)


def _finding_segment(f: Finding, mt_owner: Sequence[int], mt_starts: Sequence[int],
                     ref_starts: Sequence[Sequence[int]], src_starts: Sequence[int]) -> int:
    """The segment a finding belongs to: its MT sentence, else its MT offset, else the line of
    the reference or source text it cites (an omission with nowhere to point in the MT)."""
    if f.mt_sentence is not None and 0 <= f.mt_sentence < len(mt_owner):
        return mt_owner[f.mt_sentence]
    if f.mt_start is not None:
        return position_at(mt_starts, f.mt_start)
    if f.reference is not None and f.reference.doc is not None and \
            f.reference.doc < len(ref_starts):
        return position_at(ref_starts[f.reference.doc], f.reference.start)
    if f.source is not None:
        return position_at(src_starts, f.source.start)
    return 0


def _span(span: Span | None, starts: Sequence[int], texts: Sequence[str],
          doc: int | None) -> LocatedSpan | None:
    if span is None:
        return None
    k = position_at(starts, span.start)
    start = span.start - starts[k]
    end = min(span.end - starts[k], len(texts[k]))
    return LocatedSpan(k, start, max(start, end), span.text, doc)


def _move(f: Finding, k: int, mt_starts: Sequence[int], ref_keep: Sequence[int],
          ref_starts: Sequence[Sequence[int]], ref_texts: Sequence[Sequence[str]],
          src_starts: Sequence[int], src_texts: Sequence[str]) -> SegmentFinding:
    base = mt_starts[k]
    moved = replace(
        f,
        mt_start=None if f.mt_start is None else max(0, f.mt_start - base),
        mt_end=None if f.mt_end is None else max(0, f.mt_end - base),
        mt_sentence=None,
    )
    ref = None
    if f.reference is not None and f.reference.doc is not None:
        d = f.reference.doc
        ref = _span(f.reference, ref_starts[d], ref_texts[ref_keep[d]], ref_keep[d])
    return SegmentFinding(moved, ref, _span(f.source, src_starts, src_texts, None))


def score_segments(
    auditor: Auditor,
    segments: Iterable[SegmentInput],
    *,
    max_segments: int = MAX_DOCUMENT_SEGMENTS,
    progress: bool = False,
    total: int | None = None,
    done: Container[int] = frozenset(),
) -> Iterator[DocumentOutcome]:
    """Audit a stream of segments document by document; yield each document when done.

    A document whose segments (by `index`) are all in `done` is passed over without auditing:
    what `--resume` found already written.
    """
    from tqdm.auto import tqdm

    bar = tqdm(total=total, disable=not progress, desc="auditing", unit="seg",
               dynamic_ncols=True)
    try:
        for doc_segments in iter_documents(segments, max_segments):
            if all(s.index in done for s in doc_segments):
                bar.update(len(doc_segments))
                continue
            outcome = audit_document(auditor, doc_segments, max_segments)
            bar.update(len(doc_segments))
            yield outcome
    finally:
        bar.close()


@dataclass(frozen=True)
class SystemInput:
    """One system's segments: a name, a way to (re)open its segment stream, its length, and
    the key of what it reads (`input_key`: what `--resume` matches done rows by)."""

    name: str
    segments: Callable[[], Iterable[SegmentInput]]
    total: int | None = None
    key: str | None = None


def input_key(paths: Sequence[Path], *settings: str) -> str:
    """What a system reads, as a short hash: each file's resolved path and content, and the
    settings that choose its segments (format, columns, languages). The same inputs typed
    another way (`./mt.txt`, a symlink) give the same key; a file changed since gives
    another."""
    digest = hashlib.blake2b(digest_size=12)
    for path in paths:
        digest.update(str(path.resolve()).encode("utf-8", "surrogateescape") + b"\0")
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
        digest.update(b"\0")
    for setting in settings:
        digest.update(setting.encode("utf-8", "surrogateescape") + b"\0")
    return digest.hexdigest()


def score_systems(
    auditor: Auditor,
    systems: Sequence[SystemInput],
    *,
    done: Mapping[str, Container[int]] | None = None,
    max_segments: int = MAX_DOCUMENT_SEGMENTS,
    progress: bool = False,
) -> Iterator[tuple[str, DocumentOutcome]]:
    """Every system's documents in turn, as `(system name, outcome)`; `done` per system."""
    for system in systems:
        for outcome in score_segments(
            auditor, system.segments(), max_segments=max_segments, progress=progress,
            total=system.total, done=(done or {}).get(system.name, frozenset()),
        ):
            yield system.name, outcome


# ---- system level ---------------------------------------------------------------------------
def system_score(scores: Sequence[float]) -> float:
    """The system score: the mean segment score, as comet-score reports a system."""
    return float(np.mean(scores)) if len(scores) else 0.0


@dataclass(frozen=True)
class PairedResult:
    """A system against the baseline (the first system), as sacrebleu --paired-bs reports it."""

    name: str
    score: float
    mean: float  # bootstrap mean
    ci: float  # half-width of the 95% interval
    p_value: float | None  # None for the baseline itself


def paired_bootstrap(
    systems: Sequence[tuple[str, Sequence[float]]], n_samples: int = 1000, seed: int = 12345
) -> list[PairedResult]:
    """Paired bootstrap resampling (Koehn 2004) over segments, as sacrebleu's `--paired-bs`:
    the same resampled segment indices for every system; p is the share of resamples whose
    centred |difference| to the baseline reaches the observed one ((c + 1) / (n + 1), capped
    at 1).

    Segments scored None in any system (documents that failed) are left out of every system,
    so that the test stays paired.
    """
    from sacrebleu.significance import estimate_ci

    if not systems:
        return []
    matrix = np.array([[np.nan if s is None else s for s in scores] for _, scores in systems],
                      dtype=float)
    keep = ~np.isnan(matrix).any(axis=0)
    matrix = matrix[:, keep]
    n = matrix.shape[1]
    if n == 0:
        raise InputError("no segment could be scored in every system")
    rng = np.random.default_rng(seed)
    idxs = rng.choice(n, size=(n_samples, n), replace=True)
    samples = matrix[:, idxs].mean(axis=2)  # systems x resamples
    real = matrix.mean(axis=1)
    out = []
    for i, (name, _) in enumerate(systems):
        mean, ci = estimate_ci(samples[i])
        p = None
        if i > 0:
            diffs = np.abs(samples[i] - samples[0])
            stats = diffs - diffs.mean()
            # ">=" where sacrebleu has ">": a system compared with an identical one gets p = 1,
            # not 1 / (n + 1); for differing systems the two agree.
            c = int(np.sum(stats >= abs(real[i] - real[0])))
            p = min(1.0, (c + 1) / (n_samples + 1))
        out.append(PairedResult(name, float(real[i]), float(mean), float(ci), p))
    return out


__all__ = [
    "MAX_DOCUMENT_SEGMENTS", "DocumentOutcome", "LocatedSpan", "PairedResult", "SegmentFinding",
    "SegmentInput", "SegmentResult", "SystemInput", "audit_document", "input_key",
    "iter_documents",
    "lines_document", "paired_bootstrap", "score_segments", "score_systems",
    "system_score",
]
