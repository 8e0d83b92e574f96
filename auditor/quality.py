"""Stage 4b: a segment-level quality estimate learned from professional MQM annotations.

Every MT sentence gets a vector of evidence the audit already has (cosine with its aligned
counterpart under the main encoder and under the multilingual USE, sentence chrF, margin over
the next-best counterpart, length against the expected ratio, the word-level coverage of
`auditor.detect.coverage`, the detectors' findings in it, untranslated CJK characters). Small
models fitted on the public WMT MQM dev data by `benchmarks/fit_quality.py` and shipped as
JSON (`auditor/data/quality.json`) turn it into the expected MQM penalty of the sentence (WMT
2021 weights: Major 5, Minor 1, mean over raters; a log-linear Poisson model, so evidence
multiplies what the sentence's length makes likely) and into the probability that a rater
marks a Major error in it (logistic). Besides the sentence's own evidence, the model reads the
`document_context` (how often the audit found errors in the rest of the document). One weight
set per evidence at hand ("reference", "source"); with both, the two sets' heads are averaged
unless the file has a "both" set.

- `quality` per sentence: 100 - 15 x expected penalty, clipped to 0..100: a sentence expected
  to carry one Major error (5 points, the meaning changed) is at 25, the top of the bottom
  quarter of the scale; 6.7 expected points or more is 0;
- the document's `overall`: 100 - 15 x the word-weighted mean expected penalty, clipped (the
  word-weighted mean sentence quality when no sentence is at 0);
- a `mistranslation` finding where a Major error is likely and no other finding explains it.

Features are one line each in `FEATURES` (name -> function of one sentence's evidence); a
weight set lists the features it uses, so a feature added here is inert
until a refit.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from auditor.lang.scripts import cjk_text_count
from auditor.result import (
    AlignmentPair,
    Finding,
    FindingKind,
    SegmentedDocument,
    Severity,
)

WEIGHTS_FILE = "quality.json"
# Fast mode's weights: the same features read from audits on the static vectors, without the
# skipped detectors' findings (`python benchmarks/fit_quality.py --fast`).
FAST_WEIGHTS_FILE = "quality-fast.json"
# Quality points lost per point of expected MQM penalty. A scale choice, not a fitted value:
# one expected Major error (5 points under the WMT 2021 weights: the meaning changed) puts a
# sentence at 25, where the bottom quarter ("poor") begins.
POINTS_PER_PENALTY = 15.0


@dataclass(frozen=True)
class SideEvidence:
    """What one side (references or source) says about an MT sentence."""

    aligned: bool
    cosine: float  # main encoder (or USE for the source) cosine of the best aligned group
    use_cosine: float  # multilingual USE cosine of the same group (nan when not computed)
    chrf: float  # sentence chrF of the group, 0..100 (nan for the source)
    margin: float  # best cosine in the sentence's row minus the second best
    log_length: float  # log(MT group words / counterpart words or CJK characters)


@dataclass(frozen=True)
class SentenceEvidence:
    """Everything the quality model may read about one MT sentence."""

    index: int
    words: int
    cjk_share: float
    ref: SideEvidence | None
    src: SideEvidence | None
    findings: tuple[tuple[str, str], ...]  # (kind, severity) of the scored findings in it
    # word-level coverage (auditor.detect.coverage.SentenceCoverage), nan when not measured:
    # share of the aligned source's / parallel reference's content words the sentence carries,
    # share of its own content words explained, log of its length over the expected length
    source_carried: float = math.nan
    reference_carried: float = math.nan
    mt_explained: float = math.nan
    length_deviation: float = math.nan


def _count(e: SentenceEvidence, kinds: Sequence[str] = (), severe: bool | None = None) -> float:
    n = 0
    for kind, severity in e.findings:
        if kinds and kind not in kinds:
            continue
        if severe is not None and (severity != Severity.MINOR.value) != severe:
            continue
        n += 1
    return float(n)


def _side(e: SentenceEvidence, side: str) -> SideEvidence | None:
    return e.ref if side == "ref" else e.src


def _unaligned(e: SentenceEvidence, side: str) -> float:
    s = _side(e, side)
    return 0.0 if s is not None and s.aligned else 1.0


def _distance(e: SentenceEvidence, side: str, attr: str = "cosine") -> float:
    """1 - cosine of the aligned group; 1 when the sentence has no counterpart."""
    s = _side(e, side)
    if s is None or not s.aligned or math.isnan(getattr(s, attr)):
        return 1.0
    return 1.0 - getattr(s, attr)


def _length_deviation(e: SentenceEvidence, side: str, expected: float) -> float:
    s = _side(e, side)
    if s is None or not s.aligned:
        return 0.0
    return abs(s.log_length - expected)


def _missing(value: float) -> float:
    """1 - a coverage share; 0 (no evidence against) when it was not measured."""
    return 0.0 if math.isnan(value) else 1.0 - value


def _deviation(value: float, sign: float) -> float:
    """How far the sentence is too long (sign 1) or too short (sign -1), 0 when unmeasured."""
    return 0.0 if math.isnan(value) else max(sign * value, 0.0)


def _counterpart_words(e: SentenceEvidence, side: str) -> float:
    """Length of what the sentence translates (words of its reference group, CJK characters
    of its source group): the chances for error a segment offers, without counting the MT's
    own length against it (an omission makes a translation shorter)."""
    s = _side(e, side)
    if s is None or not s.aligned:
        return float(e.words)
    return e.words / math.exp(s.log_length)


def document_context(evidence: Sequence[SentenceEvidence]) -> dict[str, float]:
    """What the rest of the document says about the system that wrote it, the same for every
    sentence: the share of its sentences holding a scored finding, and its repetition/fluency
    findings per sentence. Within a segment, the translation of a system that errs elsewhere
    is the likelier to be wrong (cross-validated on the dev data, README "The quality score")."""
    n = max(len(evidence), 1)
    return {
        "doc_flagged": sum(1 for e in evidence if e.findings) / n,
        "doc_fluency": sum(_count(e, ("repetition", "fluency")) for e in evidence) / n,
    }


# Every feature is oriented so that higher means worse (a fit with non-negative weights then
# cannot give collinear cosines opposite signs). `params` holds fitted constants (expected
# length ratios) and the `document_context`. One line per feature.
Feature = Callable[[SentenceEvidence, dict[str, float]], float]
FEATURES: dict[str, Feature] = {
    "ref_distance": lambda e, p: _distance(e, "ref"),
    "ref_use_distance": lambda e, p: _distance(e, "ref", "use_cosine"),
    "ref_chrf_gap": lambda e, p: (1.0 - e.ref.chrf / 100.0) if e.ref and e.ref.aligned else 1.0,
    "ref_unaligned": lambda e, p: _unaligned(e, "ref"),
    "ref_low_margin": lambda e, p: -(e.ref.margin if e.ref and e.ref.aligned else 0.0),
    "ref_length": lambda e, p: _length_deviation(e, "ref", p.get("ref_log_length", 0.0)),
    "src_distance": lambda e, p: _distance(e, "src"),
    "src_unaligned": lambda e, p: _unaligned(e, "src"),
    "src_low_margin": lambda e, p: -(e.src.margin if e.src and e.src.aligned else 0.0),
    "src_length": lambda e, p: _length_deviation(e, "src", p.get("src_log_length", 0.0)),
    "log_words": lambda e, p: math.log1p(e.words),
    "words": lambda e, p: float(e.words),
    "ref_words": lambda e, p: _counterpart_words(e, "ref"),
    "src_words": lambda e, p: _counterpart_words(e, "src"),
    "log_ref_words": lambda e, p: math.log1p(_counterpart_words(e, "ref")),
    "log_src_words": lambda e, p: math.log1p(_counterpart_words(e, "src")),
    "cjk_share": lambda e, p: e.cjk_share,
    "major_findings": lambda e, p: _count(e, severe=True),
    "minor_findings": lambda e, p: _count(e, severe=False),
    "name_findings": lambda e, p: _count(e, ("name",)),
    "number_findings": lambda e, p: _count(e, ("number",)),
    "content_findings": lambda e, p: _count(e, ("omission", "addition", "mistranslation")),
    "fluency_findings": lambda e, p: _count(e, ("repetition", "fluency")),
    "src_uncarried": lambda e, p: _missing(e.source_carried),
    "ref_uncarried": lambda e, p: _missing(e.reference_carried),
    "mt_unexplained": lambda e, p: _missing(e.mt_explained),
    "too_short": lambda e, p: _deviation(e.length_deviation, -1.0),
    "too_long": lambda e, p: _deviation(e.length_deviation, 1.0),
    "doc_flagged": lambda e, p: p.get("doc_flagged", 0.0),
    "doc_fluency": lambda e, p: p.get("doc_fluency", 0.0),
}
# Features read from the word-level coverage: an audit computes it only when a weight set
# reads one of them.
COVERAGE_FEATURES = frozenset(
    {"src_uncarried", "ref_uncarried", "mt_unexplained", "too_short", "too_long"})
# Features that sum over the sentences of a multi-sentence segment when fitting (counts);
# `LOG_COUNTS` are the log of such a sum; the others are word-weighted means.
COUNT_FEATURES = frozenset(
    {"words", "ref_words", "src_words", "major_findings", "minor_findings", "name_findings",
     "number_findings", "content_findings", "fluency_findings"})
LOG_COUNTS = {"log_words": "words", "log_ref_words": "ref_words", "log_src_words": "src_words"}


def feature_row(e: SentenceEvidence, names: Sequence[str], params: dict[str, float]) -> list[float]:
    return [float(FEATURES[n](e, params)) for n in names]


# ---- evidence -------------------------------------------------------------------------------
def _cjk_share(text: str) -> float:
    """Share of the sentence's non-space characters in a CJK script (left untranslated)."""
    chars = len("".join(text.split()))  # (split() drops what isspace() calls space)
    return cjk_text_count(text) / chars if chars else 0.0


def _side_evidence(
    i: int,
    pairs: Sequence[AlignmentPair],
    mt: SegmentedDocument,
    others: Sequence[SegmentedDocument],
    similarity: Sequence[np.ndarray],
    use_vectors: tuple[np.ndarray, Sequence[np.ndarray]] | None,
) -> SideEvidence:
    """The best pair holding MT sentence i (over all documents of one side)."""
    from auditor.align import group_similarity
    from auditor.score import word_count

    best: AlignmentPair | None = None
    for pair in pairs:
        if i in pair.mt and (best is None or pair.similarity > best.similarity):
            best = pair
    if best is None:
        return SideEvidence(False, 0.0, math.nan, math.nan, 0.0, 0.0)
    d = max(best.doc, 0)
    row = np.sort(similarity[d][i])[::-1] if similarity[d].shape[1] else np.zeros(1)
    margin = float(row[0] - row[1]) if len(row) > 1 else float(row[0])
    other = others[d]
    mt_words = sum(word_count(mt.sentences[k].text) for k in best.mt)
    other_words = sum(word_count(other.sentences[k].text) for k in best.other)
    use = math.nan
    if use_vectors is not None:
        use = group_similarity(use_vectors[0], use_vectors[1][d], (best.mt, best.other))
    return SideEvidence(
        aligned=True, cosine=float(best.similarity), use_cosine=use,
        chrf=float(best.chrf) if best.doc >= 0 else math.nan, margin=margin,
        log_length=math.log(max(mt_words, 1) / max(other_words, 1)),
    )


def gather_evidence(
    mt: SegmentedDocument,
    references: Sequence[SegmentedDocument],
    source: SegmentedDocument | None,
    alignments: Sequence[AlignmentPair],
    similarity: Sequence[np.ndarray],
    source_similarity: np.ndarray | None,
    findings: Sequence[Finding],
    ref_use_vectors: tuple[np.ndarray, Sequence[np.ndarray]] | None = None,
    coverage: Sequence[Any] | None = None,
) -> tuple[SentenceEvidence, ...]:
    """Per MT sentence evidence. `alignments` holds reference pairs (doc >= 0) and source
    pairs (doc -1); `ref_use_vectors` = (MT, per-reference) USE vectors when available;
    `coverage` = `AuditContext.sentence_coverage()` when a weight set reads it."""
    from auditor.score import word_count

    ref_pairs = [a for a in alignments if a.doc >= 0]
    src_pairs = [a for a in alignments if a.doc < 0]
    in_sentence: dict[int, list[tuple[str, str]]] = {}
    for f in findings:
        if f.scored and f.mt_sentence is not None:
            in_sentence.setdefault(f.mt_sentence, []).append((f.kind.value, f.severity.value))
    def share(value: float | None) -> float:
        return math.nan if value is None else float(value)

    by_index = {c.index: c for c in coverage or ()}
    out = []
    for s in mt.sentences:
        c = by_index.get(s.index)
        ref = (_side_evidence(s.index, ref_pairs, mt, references, similarity, ref_use_vectors)
               if references else None)
        src = None
        if source is not None and source_similarity is not None:
            src = _side_evidence(s.index, src_pairs, mt, [source], [source_similarity], None)
            if src.aligned:  # the source side is encoded with USE already
                src = SideEvidence(src.aligned, src.cosine, src.cosine, src.chrf, src.margin,
                                   src.log_length)
        out.append(SentenceEvidence(
            index=s.index, words=word_count(s.text), cjk_share=_cjk_share(s.text),
            ref=ref, src=src, findings=tuple(in_sentence.get(s.index, ())),
            source_carried=share(c.source_carried) if c else math.nan,
            reference_carried=share(c.reference_carried) if c else math.nan,
            mt_explained=share(c.mt_explained) if c else math.nan,
            length_deviation=share(c.length_deviation) if c else math.nan,
        ))
    return tuple(out)


# ---- the fitted model ----------------------------------------------------------------------
@dataclass(frozen=True)
class LinearHead:
    """y = intercept + sum(coef * (x - mean) / scale); `link` "identity", "logistic" or "log"
    (exp(y): a Poisson model of MQM points, where evidence multiplies the expected points)."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    link: str = "identity"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LinearHead:
        return cls(tuple(data["features"]), tuple(data["mean"]), tuple(data["scale"]),
                   tuple(data["coef"]), float(data["intercept"]), data.get("link", "identity"))

    def predict(self, x: np.ndarray) -> np.ndarray:
        """x: (n, len(features)) -> (n,)."""
        z = (x - np.asarray(self.mean)) / np.asarray(self.scale)
        y = self.intercept + z @ np.asarray(self.coef)
        if self.link == "logistic":
            return 1.0 / (1.0 + np.exp(-y))
        if self.link == "log":
            return np.exp(np.minimum(y, 50.0))
        return y


@dataclass(frozen=True)
class QualityWeights:
    """One weight set per evidence side available: "reference", "source", "both"."""

    version: str
    sha: str
    params: dict[str, float]
    penalty: dict[str, LinearHead]
    major: dict[str, LinearHead]
    mistranslation: dict[str, tuple[float, float]]  # side -> (minor, major) probability cuts

    @property
    def tag(self) -> str:
        """Version and content hash, recorded in the signature."""
        return f"{self.version}-{self.sha}"

    def reads(self, features: str | frozenset[str], side: str) -> bool:
        """Whether the heads used for `side` read the feature (or any of the features)."""
        wanted = {features} if isinstance(features, str) else features
        return any(wanted & set(h.features) for pair in _heads(self, side) for h in pair)

    def side(self, has_references: bool, has_source: bool) -> str:
        """The evidence at hand: "both", "reference" or "source"."""
        if has_references and has_source:
            return "both"
        return "reference" if has_references else "source"


@lru_cache(maxsize=2)
def load_weights(name: str = WEIGHTS_FILE) -> QualityWeights:
    """Shipped weights (package data, JSON; `FAST_WEIGHTS_FILE` for fast mode), parsed once
    per process."""
    raw = resources.files("auditor").joinpath("data", name).read_bytes()
    data = json.loads(raw)
    return QualityWeights(
        version=str(data["version"]),
        sha=hashlib.sha256(raw).hexdigest()[:12],
        params={k: float(v) for k, v in data["params"].items()},
        penalty={k: LinearHead.from_json(v) for k, v in data["penalty"].items()},
        major={k: LinearHead.from_json(v) for k, v in data["major"].items()},
        mistranslation={k: (float(v["minor"]), float(v["major"]))
                        for k, v in data["mistranslation"].items()},
    )


@dataclass(frozen=True)
class SentenceQuality:
    """The model's reading of one MT sentence."""

    index: int
    penalty: float  # expected MQM points (>= 0)
    p_major: float  # probability that a rater marks a Major error
    quality: float  # 0..100, higher is better


def _heads(weights: QualityWeights, side: str) -> list[tuple[LinearHead, LinearHead]]:
    """The (penalty, major) heads for a side; with references and source but no "both" set
    fitted, the reference and source heads are averaged, so neither side's evidence is lost."""
    if side in weights.penalty:
        return [(weights.penalty[side], weights.major[side])]
    return [(weights.penalty[s], weights.major[s]) for s in ("reference", "source")]


def predict_quality(
    evidence: Sequence[SentenceEvidence], weights: QualityWeights, side: str
) -> tuple[SentenceQuality, ...]:
    if not evidence:
        return ()
    penalty = np.zeros(len(evidence))
    p_major = np.zeros(len(evidence))
    heads = _heads(weights, side)
    params = {**weights.params, **document_context(evidence)}
    for pen, maj in heads:
        xp = np.array([feature_row(e, pen.features, params) for e in evidence])
        xm = np.array([feature_row(e, maj.features, params) for e in evidence])
        penalty += np.maximum(pen.predict(xp), 0.0) / len(heads)
        p_major += maj.predict(xm) / len(heads)
    quality = np.clip(100.0 - POINTS_PER_PENALTY * penalty, 0.0, 100.0)
    return tuple(SentenceQuality(e.index, float(a), float(b), float(c))
                 for e, a, b, c in zip(evidence, penalty, p_major, quality, strict=True))


def document_quality(qualities: Sequence[SentenceQuality], words: Sequence[int]) -> float:
    """100 - POINTS_PER_PENALTY x the word-weighted mean expected penalty, clipped to 0..100:
    the word-weighted mean sentence quality when no sentence is below 0. Averaging penalties
    rather than clipped qualities keeps apart two documents whose bad sentences are all at 0
    (measured on the dev data, document tau on news 0.38 -> 0.39, TED 0.25 -> 0.28)."""
    if not qualities:
        return 0.0
    w = np.asarray(words, dtype=float)
    p = np.array([x.penalty for x in qualities])
    mean = float((p * w).sum() / max(w.sum(), 1e-9))
    return float(np.clip(100.0 - POINTS_PER_PENALTY * mean, 0.0, 100.0))


# ---- possible mistranslation ---------------------------------------------------------------
def _evidence_words(e: SentenceEvidence) -> str:
    parts = []
    if e.src is not None:
        parts.append(f"cross-lingual similarity to the source {e.src.cosine:.2f}"
                     if e.src.aligned else "no source counterpart")
    if e.ref is not None:
        if e.ref.aligned:
            part = f"similarity to the reference {e.ref.cosine:.2f}"
            if not math.isnan(e.ref.chrf):
                part += f", chrF {e.ref.chrf:.0f}"
            parts.append(part)
        else:
            parts.append("no reference counterpart")
    if e.cjk_share > 0:
        parts.append(f"{100 * e.cjk_share:.0f}% untranslated CJK characters")
    return "; ".join(parts)


def mistranslation_findings(
    mt: SegmentedDocument,
    evidence: Sequence[SentenceEvidence],
    qualities: Sequence[SentenceQuality],
    weights: QualityWeights,
    findings: Sequence[Finding],
    side: str,
) -> list[Finding]:
    """A sentence likely to hold a Major error that no other finding covers: minor and major
    from the side's two probability cuts (fitted on dev data, see benchmarks/fit_quality.py)."""
    cuts = ([weights.mistranslation[side]] if side in weights.mistranslation else
            [weights.mistranslation[s] for s in ("reference", "source")
             if s in weights.mistranslation and side == "both"])
    if not cuts:
        return []
    minor, major = max(c[0] for c in cuts), max(c[1] for c in cuts)
    explained = {f.mt_sentence for f in findings if f.mt_sentence is not None}
    out = []
    for e, q in zip(evidence, qualities, strict=True):
        if e.index in explained or q.p_major < minor:
            continue
        sentence = mt.sentences[e.index]
        severity = Severity.MAJOR if q.p_major >= major else Severity.MINOR
        out.append(Finding(
            kind=FindingKind.MISTRANSLATION, severity=severity,
            mt_start=sentence.start, mt_end=sentence.end, mt_text=sentence.text,
            confidence=q.p_major,
            evidence=(f"possible mistranslation: estimated probability of a Major error "
                      f"{q.p_major:.2f} ({_evidence_words(e)}); no other finding explains it"),
            detector="quality", mt_sentence=e.index,
        ))
    return out
