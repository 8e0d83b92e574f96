"""Plain, frozen data passed between pipeline stages and returned to users.

Every stage is a function over these types; renderers (JSON, CSV, HTML) only read them.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported lazily: the library must not pay for it at import time
    import pandas as pd

    from auditor.signature import AuditSignature


class Severity(str, Enum):
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


# How bad each severity is, worst highest: for ordering and for "the worse of two".
SEVERITY_RANK: dict[Severity, int] = {Severity.MINOR: 1, Severity.MAJOR: 2, Severity.CRITICAL: 3}
# MQM points per error, WMT 2021 weights (Freitag et al. 2021): minor 1, major 5, critical 10.
SEVERITY_POINTS: dict[Severity, float] = {Severity.MINOR: 1.0, Severity.MAJOR: 5.0,
                                          Severity.CRITICAL: 10.0}

# `doc` of the source text where a document index is expected (`AlignmentPair.doc`, report
# comparisons); references are 0, 1, ...
SOURCE_DOC = -1
# `doc` of the MT inside detectors (clauses, name mentions, `AuditContext.parsed`), where the
# other documents are the references 0, 1, ...
MT_DOC = -1


class FindingKind(str, Enum):
    NAME = "name"
    OMISSION = "omission"
    ADDITION = "addition"
    NUMBER = "number"
    REPETITION = "repetition"
    MISTRANSLATION = "mistranslation"
    FLUENCY = "fluency"
    UNTRANSLATED = "untranslated"


@dataclass(frozen=True)
class Document:
    """A decoded input text. `name` is a path or a label; `lang` an ISO 639-1 code; `notes` say
    what loading had to repair (invalid UTF-8 bytes, lone surrogates), one line each."""

    text: str
    name: str = "<string>"
    lang: str = "en"
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sentence:
    """One segment; `start`/`end` are character offsets into the decoded document text."""

    index: int
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class SegmentedDocument:
    doc: Document
    sentences: tuple[Sentence, ...]
    notes: tuple[str, ...] = ()
    """What segmenting had to do beyond sentence splitting (over-long sentences split)."""
    pieces: frozenset[int] = frozenset()
    """Indices of the sentences that are pieces of an over-long sentence (cut at a space, so
    not sentences themselves: clause analysis leaves them whole)."""

    @property
    def texts(self) -> list[str]:
        return [s.text for s in self.sentences]


@dataclass(frozen=True)
class AlignmentPair:
    """A (possibly many-to-many) link between MT sentences and sentences of one other document.

    `doc` is the reference index, or `SOURCE_DOC` for the source text.
    """

    doc: int
    mt: tuple[int, ...]
    other: tuple[int, ...]
    similarity: float
    chrf: float
    bleu: float

    @property
    def from_source(self) -> bool:
        """Links the MT to the source text, not to a reference."""
        return self.doc == SOURCE_DOC


@dataclass(frozen=True)
class Span:
    """A stretch of a reference (`doc` >= 0) or of the source (`doc` is None: `in_source`)."""

    start: int
    end: int
    text: str
    doc: int | None = None

    @property
    def in_source(self) -> bool:
        return self.doc is None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"start": self.start, "end": self.end, "text": self.text}
        if not self.in_source:
            out = {"doc": self.doc, **out}
        return out


@dataclass(frozen=True)
class Finding:
    """One error the auditor reports, located by character offsets into the MT text."""

    kind: FindingKind
    severity: Severity
    mt_start: int | None
    mt_end: int | None
    mt_text: str
    confidence: float
    evidence: str
    detector: str = ""
    """Id of the detector that made it; stamped by `Detector.detect`."""
    reference: Span | None = None
    source: Span | None = None
    canonical: str | None = None
    mt_sentence: int | None = None
    scored: bool = True
    """False for context that is not evidence of a translation error (background only an
    independent reference reports): shown to the reviewer, left out of the MQM points."""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "severity": self.severity.value,
            "mt_start": self.mt_start,
            "mt_end": self.mt_end,
            "mt_text": self.mt_text,
            "mt_sentence": self.mt_sentence,
            "reference": self.reference.to_json() if self.reference else None,
            "source": self.source.to_json() if self.source else None,
            "canonical": self.canonical,
            "confidence": round(float(self.confidence), 4),
            "evidence": self.evidence,
            "detector": self.detector,
            "scored": self.scored,
        }


def finding_order(finding: Finding) -> tuple[int, str]:
    """The one order of findings everywhere: by MT offset (unplaced findings last), then kind."""
    start = finding.mt_start if finding.mt_start is not None else 1 << 62
    return start, finding.kind.value


def position_at(starts: Sequence[int], offset: int) -> int:
    """Which of the units starting at `starts` (ascending) holds a character offset: the last one
    starting at or before it, so an offset in the gap after a unit (or at its end) belongs to that
    unit, and one before the first unit to the first."""
    return max(bisect_right(starts, offset) - 1, 0)


def sentence_at(sentences: Sequence[Sentence], offset: int) -> int | None:
    """Index of the sentence holding a character offset (the rule of `position_at`); None when
    there are no sentences."""
    if not sentences:
        return None
    return sentences[position_at([s.start for s in sentences], offset)].index


@dataclass(frozen=True)
class SentenceScore:
    """How well one MT sentence is supported: its best counterpart in any reference (or source)."""

    index: int
    support: float
    best_doc: int | None
    best_sentence: int | None
    chrf: float
    bleu: float
    aligned: bool
    quality: float | None = None
    """Learned sentence quality, 0..100 (auditor/quality.py); None before that stage ran."""


@dataclass(frozen=True)
class DocumentScores:
    """Document-level figures; see README "What the scores mean"."""

    fidelity: float
    fidelity_per_reference: tuple[float, ...]
    coverage_per_reference: tuple[float, ...]
    chrf_per_reference: tuple[float, ...]
    bleu_per_reference: tuple[float, ...]
    source_fidelity: float | None = None
    mqm: float = 0.0
    overall: float = 0.0
    words: int = 0

    def to_json(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class AuditResult:
    signature: AuditSignature
    mt: SegmentedDocument
    references: tuple[SegmentedDocument, ...]
    source: SegmentedDocument | None
    alignments: tuple[AlignmentPair, ...]
    sentence_scores: tuple[SentenceScore, ...]
    scores: DocumentScores
    findings: tuple[Finding, ...]
    similarity: tuple[Any, ...] = field(default=(), repr=False)
    """MT x other-document cosine matrices (numpy), references first, then the source."""
    notes: tuple[str, ...] = ()
    """One line each for what the audit had to repair, split or cap (invalid bytes replaced,
    an over-long sentence split, candidates capped): the result is still complete otherwise."""

    # ---- conversions -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "signature": self.signature.to_dict(),
            "scores": self.scores.to_json(),
            "documents": {
                "mt": {"name": self.mt.doc.name, "lang": self.mt.doc.lang},
                "references": [{"name": r.doc.name, "lang": r.doc.lang} for r in self.references],
                "source": (
                    {"name": self.source.doc.name, "lang": self.source.doc.lang}
                    if self.source
                    else None
                ),
            },
            "sentences": [
                {
                    "index": s.index,
                    "text": s.text,
                    "start": s.start,
                    "end": s.end,
                    "support": round(sc.support, 4),
                    "best_doc": sc.best_doc,
                    "best_sentence": sc.best_sentence,
                    "aligned": sc.aligned,
                    "quality": None if sc.quality is None else round(sc.quality, 2),
                }
                for s, sc in zip(self.mt.sentences, self.sentence_scores, strict=True)
            ],
            "alignments": [
                {
                    "doc": a.doc,
                    "mt": list(a.mt),
                    "src" if a.from_source else "ref": list(a.other),
                    "similarity": round(a.similarity, 4),
                    "chrf": round(a.chrf, 2),
                    "bleu": round(a.bleu, 2),
                }
                for a in self.alignments
            ],
            "findings": [f.to_json() for f in self.findings],
            "notes": list(self.notes),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def sentences_df(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.to_dict()["sentences"])

    def alignments_df(self) -> pd.DataFrame:
        import pandas as pd

        rows = []
        for a in self.alignments:
            other = self.source if a.from_source else self.references[a.doc]
            assert other is not None
            rows.append(
                {
                    "doc": a.doc,
                    "mt_sentences": ",".join(map(str, a.mt)),
                    "other_sentences": ",".join(map(str, a.other)),
                    "mt_text": " ".join(self.mt.sentences[i].text for i in a.mt),
                    "other_text": " ".join(other.sentences[j].text for j in a.other),
                    "similarity": a.similarity,
                    "chrf": a.chrf,
                    "bleu": a.bleu,
                }
            )
        return pd.DataFrame(rows, columns=ALIGNMENT_COLUMNS)

    def findings_df(self) -> pd.DataFrame:
        import pandas as pd

        rows = []
        for f in self.findings:
            rows.append(
                {
                    "kind": f.kind.value,
                    "severity": f.severity.value,
                    "mt_start": f.mt_start,
                    "mt_end": f.mt_end,
                    "mt_sentence": f.mt_sentence,
                    "mt_text": f.mt_text,
                    "canonical": f.canonical,
                    "ref_doc": f.reference.doc if f.reference else None,
                    "ref_start": f.reference.start if f.reference else None,
                    "ref_end": f.reference.end if f.reference else None,
                    "ref_text": f.reference.text if f.reference else None,
                    "src_start": f.source.start if f.source else None,
                    "src_end": f.source.end if f.source else None,
                    "src_text": f.source.text if f.source else None,
                    "confidence": f.confidence,
                    "evidence": f.evidence,
                    "detector": f.detector,
                    "scored": f.scored,
                }
            )
        df = pd.DataFrame(rows, columns=FINDING_COLUMNS)
        for col in ("mt_start", "mt_end", "mt_sentence", "ref_doc", "ref_start", "ref_end",
                    "src_start", "src_end"):
            df[col] = df[col].astype("Int64")
        return df

    def to_dataframes(self) -> dict[str, pd.DataFrame]:
        return {
            "sentences": self.sentences_df(),
            "alignments": self.alignments_df(),
            "findings": self.findings_df(),
        }

    def count(self, kind: FindingKind | str | None = None) -> int:
        kind = FindingKind(kind) if kind is not None else None
        return sum(1 for f in self.findings if kind is None or f.kind == kind)


FINDING_COLUMNS = [
    "kind", "severity", "mt_start", "mt_end", "mt_sentence", "mt_text", "canonical",
    "ref_doc", "ref_start", "ref_end", "ref_text", "src_start", "src_end", "src_text",
    "confidence", "evidence", "detector", "scored",
]
ALIGNMENT_COLUMNS = [
    "doc", "mt_sentences", "other_sentences", "mt_text", "other_text", "similarity", "chrf", "bleu",
]
