"""How far the auditor agrees with professional MQM annotators, next to plain baselines.

    .venv/bin/python benchmarks/evaluate_mqm.py [--data ted|news|all] [--limit N]

Builds documents from ../shared/data/ (benchmarks/mqm_data.py), audits every system x document
MT with one Auditor (TED against the human reference refB, parallel alignment; news against the
Chinese source, since it has no reference), maps each finding to the MQM segments its MT
character span overlaps, and prints (and writes to benchmarks/results.md):

- segment level, per finding kind and overall: precision, recall and F1 of "the auditor flags the
  segment" against "some rater marked a Major error of that kind" (benchmarks/mqm_data.py says
  how MQM categories map to kinds). Baselines flag the same number of segments as the auditor
  (its lowest-scoring ones), so they are compared at the same flag rate;
- span level, per finding kind: precision (share of findings whose span overlaps a span some
  rater marked as a Major error of that kind: the MT span, or the source span for omissions)
  and recall (share of marked Major spans some finding overlaps);
- the oracle length-ratio rule: per kind, the MT/other length ratio with its best threshold
  on the evaluated data itself (short for omissions, long for additions, far from the median
  otherwise), an upper bound for that baseline;
- document level: Kendall tau-b and Pearson r between each document score and the WMT MQM
  score, over all system x document pairs of a dataset.

Baselines from the same run: sentence chrF and BLEU of each MT segment against its reference
segment (sacrebleu; TED only, news has no reference), the length ratio (MT words over reference
words, or over source characters for news, scored as -|log(ratio / median ratio)|), and plain
embedding similarity: the cosine of each MT segment with its reference (or, cross-lingually, its
source) segment, with no alignment and no detectors. The baselines get the gold segment pairing
for free; the auditor has to find it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mqm_data import KINDS, MqmDocument, load_documents  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "benchmarks" / "results.md"
OVERALL = "overall"
# `overall` is the learned quality score, fitted on this very data: its figures here are
# in-sample. The cross-validated ones are in the quality section (benchmarks/quality_eval.py).
IN_SAMPLE = "auditor overall (in-sample, see the cross-validated table)"


@dataclass
class DocumentRecord:
    """Everything the summary needs from one audited document."""

    dataset: str
    key: str
    gold_mqm: float
    scores: dict[str, float]  # document scores, higher = better
    gold: dict[str, list[bool]]  # kind -> per-segment Major label
    flagged: dict[str, list[bool]]  # kind -> per-segment "auditor has a finding of this kind"
    segment_scores: dict[str, list[float]]  # baseline -> per-segment score, higher = better
    findings: int = 0
    unmapped: int = 0
    seconds: float = 0.0
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# ---- auditing and mapping -----------------------------------------------------------------
def audit_document(auditor: Any, doc: MqmDocument) -> Any:
    from auditor.result import Document

    mt = Document(text=doc.mt, name=doc.key, lang="en")
    if doc.reference is not None:
        return auditor.audit(mt, [Document(text=doc.reference, name="refB", lang="en")])
    return auditor.audit(mt, [], Document(text=doc.source, name="source", lang="zh"))


def _overlapping(starts: np.ndarray, ends: np.ndarray, start: int, end: int) -> list[int]:
    end = max(end, start + 1)
    return np.nonzero((starts < end) & (start < ends))[0].tolist()


def finding_segments(doc: MqmDocument, result: Any, finding: Any) -> list[int]:
    """MQM segments a finding points at: its MT span; else its MT sentence; else (omissions)
    the source or reference span it says is missing, mapped through the segment pairing."""
    segs = doc.segments
    if finding.mt_start is not None and finding.mt_end is not None:
        hit = _overlapping(np.array([s.mt_start for s in segs]),
                           np.array([s.mt_end for s in segs]),
                           finding.mt_start, finding.mt_end)
        if hit:
            return hit
    if finding.mt_sentence is not None and finding.mt_sentence < len(result.mt.sentences):
        sent = result.mt.sentences[finding.mt_sentence]
        return _overlapping(np.array([s.mt_start for s in segs]),
                            np.array([s.mt_end for s in segs]), sent.start, sent.end)
    if finding.source is not None:
        return _overlapping(np.array([s.source_start for s in segs]),
                            np.array([s.source_end for s in segs]),
                            finding.source.start, finding.source.end)
    if finding.reference is not None and doc.reference is not None:
        return _overlapping(np.array([s.reference_start for s in segs]),
                            np.array([s.reference_end for s in segs]),
                            finding.reference.start, finding.reference.end)
    return []


def _marked_spans(doc: MqmDocument, kind: str) -> list[tuple[str, int, int, int]]:
    """Distinct Major spans of one kind: (side, segment, start, end) in document offsets."""
    out: set[tuple[str, int, int, int]] = set()
    for seg in doc.segments:
        for e in seg.errors:
            if e.major and kind in e.kinds and e.start >= 0:
                base = seg.source_start if e.side == "source" else seg.mt_start
                out.add((e.side, seg.index, base + e.start, base + max(e.end, e.start + 1)))
    return sorted(out)


def _finding_side_span(finding: Any, side: str) -> tuple[int, int] | None:
    if side == "source":
        if finding.source is None:
            return None
        return finding.source.start, max(finding.source.end, finding.source.start + 1)
    if finding.mt_start is None or finding.mt_end is None:
        return None
    return finding.mt_start, max(finding.mt_end, finding.mt_start + 1)


def span_counts(doc: MqmDocument, result: Any) -> dict[str, list[int]]:
    """Per kind: [findings with a span on the marked side, of them overlapping a marked Major
    span, marked Major spans, of them overlapped by a finding]. The marked side is the source
    for omissions (MQM marks what was left out in the source), the MT otherwise."""
    out: dict[str, list[int]] = {}
    for kind in KINDS:
        marked = _marked_spans(doc, kind)
        side = "source" if kind == "omission" else "target"
        # as in the segment columns: the quality stage's findings are judged out of fold in
        # benchmarks/quality_eval.py (its model was fitted on this data)
        mine = [f for f in result.findings if f.kind.value == kind and f.detector != "quality"]
        spans = [s for f in mine if (s := _finding_side_span(f, side)) is not None]
        hit_findings = sum(1 for a, b in spans
                           if any(m[0] == side and a < m[3] and m[2] < b for m in marked))
        hit_marked = sum(1 for m in marked if m[0] == side and any(
            a < m[3] and m[2] < b for a, b in spans))
        out[kind] = [len(spans), hit_findings, sum(1 for m in marked if m[0] == side),
                     hit_marked]
    return out


# ---- baselines ------------------------------------------------------------------------------
def segment_baselines(doc: MqmDocument, auditor: Any) -> dict[str, list[float]]:
    """Per-segment baseline scores (higher = better) with the gold segment pairing."""
    from sacrebleu.metrics import BLEU, CHRF

    mts = [s.mt for s in doc.segments]
    out: dict[str, list[float]] = {}
    if doc.reference is not None:
        refs = [s.reference for s in doc.segments]
        chrf, bleu = CHRF(), BLEU(effective_order=True)
        out["chrF"] = [chrf.sentence_score(h, [r]).score for h, r in zip(mts, refs, strict=True)]
        out["BLEU"] = [bleu.sentence_score(h, [r]).score for h, r in zip(mts, refs, strict=True)]
        encoder = auditor.encoder
        others = refs
        out["length"] = [len(h.split()) / max(len(r.split()), 1) for h, r in
                         zip(mts, refs, strict=True)]
    else:
        encoder = auditor._source_encoder("zh")  # fast mode: its own Chinese encoder
        others = [s.source for s in doc.segments]
        out["length"] = [len(h.split()) / max(len(r), 1) for h, r in zip(mts, others, strict=True)]
    a = encoder.encode([t or " " for t in mts])
    b = encoder.encode([t or " " for t in others])
    out["embedding"] = np.sum(a * b, axis=1).astype(float).tolist()
    return out


def document_baselines(seg: dict[str, list[float]], doc: MqmDocument) -> dict[str, float]:
    """Document baselines: word-weighted segment means; the raw length ratio is scored later."""
    weights = np.array([max(len(s.mt.split()), 1) for s in doc.segments], dtype=float)
    out = {}
    for name, values in seg.items():
        if name == "length":
            continue
        out[name] = float(np.average(np.asarray(values, dtype=float), weights=weights))
    other_len = (sum(len(s.reference.split()) for s in doc.segments) if doc.reference is not None
                 else sum(len(s.source) for s in doc.segments))
    out["length_ratio_raw"] = sum(len(s.mt.split()) for s in doc.segments) / max(other_len, 1)
    return out


def finding_lines(doc: MqmDocument, result: Any) -> dict[str, Any]:
    """Every finding of one audit with its exact confidence (`repr`, not the JSON report's
    rounding), and the sentence qualities and document scores: `--findings` writes one such
    line per document, so two runs (a speed-up before and after) can be diffed finding by
    finding."""

    def span(s: Any) -> list[Any] | None:
        return None if s is None else [s.doc, s.start, s.end, s.text]

    return {
        "doc": doc.key,
        "findings": [[f.detector, f.kind.value, f.severity.value, f.mt_start, f.mt_end,
                      f.mt_text, f.mt_sentence, span(f.source), span(f.reference),
                      repr(float(f.confidence)), f.evidence] for f in result.findings],
        "quality": [None if s.quality is None else repr(float(s.quality))
                    for s in result.sentence_scores],
        "scores": [repr(float(x)) for x in (result.scores.overall, result.scores.fidelity,
                                            result.scores.mqm)],
    }


def evaluate_document(auditor: Any, doc: MqmDocument,
                      findings_out: list[dict[str, Any]] | None = None) -> DocumentRecord:
    t0 = time.perf_counter()
    result = audit_document(auditor, doc)
    seconds = time.perf_counter() - t0
    if findings_out is not None:
        findings_out.append(finding_lines(doc, result))
    n = len(doc.segments)
    flagged = {k: [False] * n for k in (*KINDS, OVERALL)}
    unmapped = 0
    for f in result.findings:
        kind = f.kind.value
        if kind not in KINDS or f.detector == "quality":
            # the quality model was fitted on this data: its findings are judged out of fold
            # in benchmarks/quality_eval.py, not here
            continue
        segs = finding_segments(doc, result, f)
        if not segs:
            unmapped += 1
        for i in segs:
            flagged[kind][i] = True
            flagged[OVERALL][i] = True
    gold = {k: [k in s.major_kinds for s in doc.segments] for k in KINDS}
    gold[OVERALL] = [bool(s.major_kinds) for s in doc.segments]
    spans = span_counts(doc, result)
    seg_scores = segment_baselines(doc, auditor)
    sc = result.scores
    scores = {
        IN_SAMPLE: sc.overall,
        "auditor fidelity": sc.fidelity,
        "auditor -mqm points": -sc.mqm,
        **document_baselines(seg_scores, doc),
    }
    counts = _finding_counts(result.findings)
    scores.update(candidate_scores(sc.fidelity, sc.mqm, serious_points(counts), sc.words))
    recall = other_side_support(result)
    f1 = 2 * sc.fidelity * recall / max(sc.fidelity + recall, 1e-9)
    scores["candidate: 100·F1(fidelity, recall) − mqm"] = 100.0 * f1 - sc.mqm
    return DocumentRecord(
        dataset=doc.dataset, key=doc.key, gold_mqm=doc.mqm, scores=scores, gold=gold,
        flagged=flagged, segment_scores=seg_scores, findings=len(result.findings),
        unmapped=unmapped, seconds=seconds,
        extra={
            "words": sc.words, "auditor_mqm": sc.mqm, "source_fidelity": sc.source_fidelity,
            "coverage": list(sc.coverage_per_reference), "doc_chrf": list(sc.chrf_per_reference),
            "counts": counts,
            "support": [x.support for x in result.sentence_scores],
            "recall": recall,
            "sentence_words": [len(x.text.split()) for x in result.mt.sentences],
            "spans": spans,
        },
    )


def other_side_support(result: Any) -> float:
    """Fidelity seen from the reference (or source) side: word-weighted best pair similarity of
    each reference sentence, 0 when no MT sentence carries it. MT-side fidelity cannot see an
    omission (a dropped sentence has no MT sentence to score); this can."""
    from auditor.score import word_count

    other = result.references[0] if result.references else result.source
    doc = 0 if result.references else -1
    if other is None or not other.sentences:
        return 0.0
    best = np.zeros(len(other.sentences))
    for pair in result.alignments:
        if pair.doc == doc:
            for j in pair.other:
                best[j] = max(best[j], pair.similarity)
    weights = np.array([word_count(x.text) for x in other.sentences], dtype=float)
    return float((best * weights).sum() / max(weights.sum(), 1e-9))


def serious_points(counts: dict[str, int]) -> float:
    """MQM points of the Major and Critical findings only, from "kind/severity" counts."""
    from auditor.result import SEVERITY_POINTS, Severity

    return float(sum(n * SEVERITY_POINTS[Severity(key.split("/")[1])]
                     for key, n in counts.items() if not key.endswith("/minor")))


def candidate_scores(fidelity: float, mqm: float, serious: float, words: int
                     ) -> dict[str, float]:
    """Other ways to combine fidelity and findings, without fitted weights (for comparison)."""
    return {
        "candidate: 100·fidelity − mqm, unclipped": 100.0 * fidelity - mqm,
        "candidate: 100·fidelity·exp(−mqm/100)": 100.0 * fidelity * math.exp(-mqm / 100.0),
        "candidate: 100·fidelity − major/critical points": 100.0 * fidelity
        - 100.0 * serious / max(words, 1),
    }


def _finding_counts(findings: Sequence[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in findings:
        key = f"{f.kind.value}/{f.severity.value}"
        counts[key] = counts.get(key, 0) + 1
    return counts


# ---- statistics -----------------------------------------------------------------------------
def prf(gold: np.ndarray, pred: np.ndarray) -> tuple[float, float, float]:
    tp = float(np.sum(gold & pred))
    p = tp / pred.sum() if pred.sum() else 0.0
    r = tp / gold.sum() if gold.sum() else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def flag_lowest(scores: np.ndarray, count: int) -> np.ndarray:
    """Flag the `count` lowest-scoring segments (ties broken by position, deterministic)."""
    pred = np.zeros(len(scores), dtype=bool)
    if count > 0:
        pred[np.argsort(scores, kind="stable")[:count]] = True
    return pred


def score_length(records: Sequence[DocumentRecord]) -> None:
    """Length ratio as a score: -|log(ratio / median ratio of the dataset)| (closer = better)."""
    for dataset in {r.dataset for r in records}:
        mine = [r for r in records if r.dataset == dataset and r.error is None]
        median = float(np.median([r.scores["length_ratio_raw"] for r in mine]))
        for r in mine:
            r.scores["length ratio"] = -abs(math.log(max(r.scores["length_ratio_raw"], 1e-6)
                                                     / max(median, 1e-6)))
        seg_all = np.concatenate([np.asarray(r.segment_scores["length"]) for r in mine])
        seg_median = float(np.median(seg_all[seg_all > 0])) if np.any(seg_all > 0) else 1.0
        for r in mine:
            raw = np.asarray(r.segment_scores["length"], dtype=float)
            r.segment_scores["length ratio"] = (
                -np.abs(np.log(np.maximum(raw, 1e-6) / seg_median))).tolist()
            r.extra["length_raw"] = raw.tolist()
            del r.segment_scores["length"]


def correlations(records: Sequence[DocumentRecord], name: str) -> tuple[float, float, int]:
    from scipy.stats import kendalltau, pearsonr

    pairs = [(r.scores[name], r.gold_mqm) for r in records if name in r.scores]
    if len(pairs) < 3:
        return math.nan, math.nan, len(pairs)
    x, y = np.array(pairs).T
    if np.std(x) == 0:
        return math.nan, math.nan, len(pairs)
    return float(kendalltau(x, y).statistic), float(pearsonr(x, y).statistic), len(pairs)


def within_document_tau(records: Sequence[DocumentRecord], name: str) -> float:
    """Kendall tau over the systems of each source document, averaged over documents (WMT's
    "group by item"): which translation of the same text is better, free of the fact that
    some talks or articles are harder than others."""
    from scipy.stats import kendalltau

    by_doc: dict[str, list[tuple[float, float]]] = {}
    for r in records:
        if name in r.scores:
            by_doc.setdefault(r.key.split(":", 2)[2], []).append((r.scores[name], r.gold_mqm))
    taus = []
    for pairs in by_doc.values():
        if len(pairs) >= 3:
            x, y = np.array(pairs).T
            t = kendalltau(x, y).statistic
            if not math.isnan(t):
                taus.append(t)
    return float(np.mean(taus)) if taus else math.nan


DOC_SCORERS = (IN_SAMPLE, "auditor fidelity", "auditor -mqm points", "chrF", "BLEU",
               "embedding", "length ratio", "candidate: 100·fidelity − mqm, unclipped",
               "candidate: 100·fidelity·exp(−mqm/100)",
               "candidate: 100·fidelity − major/critical points",
               "candidate: 100·F1(fidelity, recall) − mqm",
               "candidate: 100·fidelity − w·mqm, w fitted on the other dataset")
FIT_GRID = tuple(round(0.1 * k, 1) for k in range(0, 51))  # w in 0..5: mqm points per fidelity pt
SEG_BASELINES = ("chrF", "BLEU", "embedding", "length ratio")


def oracle_length(raw: np.ndarray, gold: np.ndarray, kind: str) -> list[float]:
    """P, R, F1 and threshold of the length-ratio rule with its best threshold on this very
    data: ratio <= t for omissions, >= t for additions, |log(ratio / median)| >= t otherwise."""
    if kind == "omission":
        values = -raw
    elif kind == "addition":
        values = raw
    else:
        values = np.abs(np.log(np.maximum(raw, 1e-6) / max(float(np.median(raw)), 1e-6)))
    best = [0.0, 0.0, 0.0, math.nan]
    for t in np.unique(np.round(values, 3)):
        p, r, f = prf(gold, values >= t)
        if f > best[2]:
            best = [p, r, f, float(abs(t))]
    return best


def cross_fit(records: Sequence[DocumentRecord]) -> dict[str, float]:
    """w for 100·fidelity − w·mqm chosen by Kendall tau on one dataset, scored on the other
    (never on the data it was fitted on); sets the candidate score on every record."""
    from scipy.stats import kendalltau

    chosen: dict[str, float] = {}
    ok = [r for r in records if r.error is None]
    for target, fit_on in (("ted", "news"), ("news", "ted")):
        train = [r for r in ok if r.dataset == fit_on]
        test = [r for r in ok if r.dataset == target]
        if len(train) < 3 or not test:
            continue
        gold = [r.gold_mqm for r in train]

        def tau(w: float, rows: Sequence[DocumentRecord] = train,
                gold: Sequence[float] = gold) -> float:
            x = [100 * r.scores["auditor fidelity"] - w * r.extra["auditor_mqm"] for r in rows]
            t = kendalltau(x, gold).statistic
            return -1.0 if math.isnan(t) else float(t)

        w = max(FIT_GRID, key=tau)
        chosen[target] = w
        for r in test:
            r.scores["candidate: 100·fidelity − w·mqm, w fitted on the other dataset"] = (
                100 * r.scores["auditor fidelity"] - w * r.extra["auditor_mqm"])
    return chosen


def summarise(records: Sequence[DocumentRecord]) -> dict[str, Any]:
    ok = [r for r in records if r.error is None]
    fitted = cross_fit(ok)
    out: dict[str, Any] = {"datasets": {}}
    for dataset in ("ted", "news"):
        mine = [r for r in ok if r.dataset == dataset]
        if not mine:
            continue
        docs: dict[str, Any] = {}
        for name in DOC_SCORERS:
            tau, r_, n = correlations(mine, name)
            if n:
                docs[name] = {"kendall_tau": tau, "pearson": r_, "n": n,
                              "within_document_tau": within_document_tau(mine, name)}
        segs: dict[str, Any] = {}
        for kind in (*KINDS, OVERALL):
            gold = np.concatenate([np.asarray(r.gold[kind], dtype=bool) for r in mine])
            pred = np.concatenate([np.asarray(r.flagged[kind], dtype=bool) for r in mine])
            p, rec, f = prf(gold, pred)
            row: dict[str, Any] = {"gold": int(gold.sum()), "flagged": int(pred.sum()),
                                   "segments": int(len(gold)), "auditor": [p, rec, f]}
            # Baselines flag as many segments as the auditor; if it flags none, as many as gold.
            count = int(pred.sum()) or int(gold.sum())
            row["baseline_flags"] = count
            for base in SEG_BASELINES:
                if base not in mine[0].segment_scores:
                    continue
                values = np.concatenate([np.asarray(r.segment_scores[base], dtype=float)
                                         for r in mine])
                row[base] = list(prf(gold, flag_lowest(values, count)))
            if all("length_raw" in r.extra for r in mine):
                raw = np.concatenate([np.asarray(r.extra["length_raw"], dtype=float)
                                      for r in mine])
                row["oracle length"] = oracle_length(raw, gold, kind)
            if kind != OVERALL and all("spans" in r.extra for r in mine):
                counts = np.sum([r.extra["spans"][kind] for r in mine], axis=0).tolist()
                n_f, hit_f, n_m, hit_m = counts
                sp = hit_f / n_f if n_f else 0.0
                sr = hit_m / n_m if n_m else 0.0
                row["span"] = [sp, sr, 2 * sp * sr / (sp + sr) if sp + sr else 0.0, n_f, n_m]
            segs[kind] = row
        out["datasets"][dataset] = {
            "documents": len(mine),
            "segments": int(sum(len(r.gold[OVERALL]) for r in mine)),
            "findings": int(sum(r.findings for r in mine)),
            "unmapped_findings": int(sum(r.unmapped for r in mine)),
            "audit_seconds": float(sum(r.seconds for r in mine)),
            "document": docs,
            "segment": segs,
        }
    out["errors"] = [{"key": r.key, "error": r.error} for r in records if r.error]
    out["fitted_w"] = fitted
    return out


# ---- rendering ------------------------------------------------------------------------------
def _f(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3f}"


def _prf(v: Sequence[float] | None) -> str:
    return "n/a" if v is None else f"{v[0]:.2f} / {v[1]:.2f} / {v[2]:.2f}"


def machine_line() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def git_commit() -> str:
    """Short HEAD, marked "+ uncommitted changes" when auditor/ differs from it."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                              capture_output=True, check=False).stdout.strip() or "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "auditor"], cwd=ROOT,
                               text=True, capture_output=True, check=False).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head} + uncommitted changes" if dirty else head


def render_markdown(summary: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        "# Agreement with professional MQM annotations (WMT zh→en, dev split)",
        "",
        f"- command: `{meta['command']}`",
        f"- machine: {meta['machine']}",
        f"- commit: {meta['commit']}, {meta['date']}, {meta['seconds']:.0f} s in all",
        f"- encoder: {meta['encoder']}; detectors: {', '.join(meta['detectors']) or '(none)'}",
        f"- word-level coverage weights: {meta.get('coverage weights', 'packaged')}",
        "- TED: audited against the human reference refB (parallel alignment); news: against the "
        "Chinese source (no reference exists). MQM score: WMT 2021 weights, mean over segments.",
        "",
        "## Document level: correlation with the MQM score",
        "",
        "τ: Kendall tau-b and r: Pearson over all system × document pairs; τ within doc: "
        "Kendall tau over the systems of each source document, averaged over documents.",
        "",
    ]
    datasets = list(summary["datasets"])
    head = "| score | " + " | ".join(
        f"{d.upper()} τ | {d.upper()} r | {d.upper()} τ within doc" for d in datasets) + " |"
    lines += [head, "|---" * (1 + 3 * len(datasets)) + "|"]
    for name in DOC_SCORERS:
        cells = []
        for d in datasets:
            row = summary["datasets"][d]["document"].get(name)
            cells += ([_f(row["kendall_tau"]), _f(row["pearson"]),
                       _f(row.get("within_document_tau", math.nan))] if row
                      else ["n/a", "n/a", "n/a"])
        label = f"sentence {name}" if name in ("chrF", "BLEU") else name
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    if summary.get("fitted_w"):
        lines.append("")
        lines.append("Candidates are not the shipped score; w fitted on the other dataset: "
                     + ", ".join(f"{d.upper()} scored with w = {w}"
                                 for d, w in summary["fitted_w"].items()) + ".")
    lines.append("")
    lines.append("| dataset | documents | segments | findings (unmapped) | audit time |")
    lines.append("|---|---|---|---|---|")
    for d in datasets:
        s = summary["datasets"][d]
        lines.append(f"| {d.upper()} | {s['documents']} | {s['segments']} | {s['findings']} "
                     f"({s['unmapped_findings']}) | {s['audit_seconds']:.0f} s |")
    for d in datasets:
        s = summary["datasets"][d]["segment"]
        lines += [
            "",
            f"## Segment level, {d.upper()}: Major errors, precision / recall / F1",
            "",
            "Gold: some rater marked a Major error of the kind in the segment. Baselines flag as "
            "many segments as the auditor (their lowest-scoring ones; as many as gold when the "
            "auditor flags none).",
            "",
            "| kind | gold | flagged | auditor | " + " | ".join(
                b for b in SEG_BASELINES if b in s[OVERALL]) + " | oracle length (threshold) |",
            "|---" * (5 + sum(1 for b in SEG_BASELINES if b in s[OVERALL])) + "|",
        ]
        for kind in (*KINDS, OVERALL):
            row = s[kind]
            base = " | ".join(_prf(row.get(b)) for b in SEG_BASELINES if b in s[OVERALL])
            oracle = row.get("oracle length")
            oracle_cell = f"{_prf(oracle)} ({oracle[3]:.3g})" if oracle else "n/a"
            lines.append(f"| {kind} | {row['gold']} | {row['flagged']} | {_prf(row['auditor'])} "
                         f"| {base} | {oracle_cell} |")
        lines += [
            "",
            f"Span level, {d.upper()}: a finding counts when its span overlaps a span a rater "
            "marked as a Major error of its kind (the source span for omissions, the MT span "
            "otherwise); recall is over the marked spans.",
            "",
            "| kind | findings with a span | marked spans | precision / recall / F1 |",
            "|---|---|---|---|",
        ]
        for kind in KINDS:
            sp = s[kind].get("span")
            if sp:
                lines.append(f"| {kind} | {sp[3]} | {sp[4]} | {_prf(sp[:3])} |")
    if summary["errors"]:
        lines += ["", f"{len(summary['errors'])} documents failed to audit:"]
        lines += [f"- {e['key']}: {e['error']}" for e in summary["errors"][:10]]
    return "\n".join(lines) + "\n"


def _record_from_json(data: dict[str, Any]) -> DocumentRecord:
    """A saved record; candidate scores are recomputed when the run predates them."""
    record = DocumentRecord(**data)
    record.scores = {k: v for k, v in record.scores.items() if not k.startswith("candidate")}
    if record.error is None:
        record.scores.update(candidate_scores(
            record.scores["auditor fidelity"], record.extra["auditor_mqm"],
            serious_points(record.extra.get("counts", {})), record.extra["words"]))
    return record


# ---- entry point ----------------------------------------------------------------------------
def use_fold_weights(auditor: Any, folder: Path, name: str) -> None:
    """Give the auditor's coverage detector the weights fitted without this document's fold."""
    from auditor.detect.coverage import CoverageDetector, models_from_json

    for det in auditor.detectors:
        if isinstance(det, CoverageDetector):
            det.models = models_from_json((folder / name).read_bytes())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", choices=("ted", "news", "all"), default="all")
    parser.add_argument("--limit", type=int, default=None,
                        help="at most this many documents per dataset (spread over systems)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="markdown results table")
    parser.add_argument("--json", type=Path, default=None,
                        help="also write the summary and per-document records as JSON")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--model", default=None, help="encoder (default: the auditor's)")
    parser.add_argument("--fast", action="store_true",
                        help="fast mode (Auditor(fast=True)): static embeddings, refitted "
                        "thresholds and quality weights, contextual detectors skipped")
    parser.add_argument("--without", nargs="+", default=(), metavar="DETECTOR",
                        help="leave these detectors out (e.g. --fast --without names numbers: "
                        "what fast mode's spaCy detectors bring, README fast mode)")
    parser.add_argument("--parse-scope", choices=("all", "cues"), default=None,
                        help="with --fast: which sentences the names and numbers detectors "
                        "parse (default: fast mode's, `FastConfig.parse_scope`; `all`: every "
                        "sentence, as before fast mode parsed only cued ones)")
    parser.add_argument("--no-quality", action="store_true",
                        help="skip the cross-validated quality-score section (quality_eval.py)")
    parser.add_argument("--coverage-folds", type=Path, default=None, metavar="DIR",
                        help="audit each document with the coverage weights fitted without "
                        "its fold (benchmarks/fit_coverage.py --folds DIR): out-of-fold "
                        "word-level findings instead of weights fitted on this very data")
    parser.add_argument("--findings", type=Path, default=None, metavar="JSONL",
                        help="also write every finding with its exact confidence, one line per "
                        "document (diff two runs to check a change leaves results identical)")
    parser.add_argument("--from-json", type=Path, default=None,
                        help="re-summarise the records of an earlier --json run, no auditing")
    args = parser.parse_args(argv)
    if args.from_json:
        saved = json.loads(args.from_json.read_text(encoding="utf-8"))
        records = [_record_from_json(r) for r in saved["records"]]
        summary = summarise(records)
        markdown = render_markdown(summary, saved["meta"])
        print(markdown)
        args.out.write_text(markdown, encoding="utf-8")
        return 0

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from tqdm import tqdm

    from auditor import Auditor
    from auditor.config import AlignMode, AuditConfig, FastConfig

    started = time.perf_counter()
    datasets = ["ted", "news"] if args.data == "all" else [args.data]
    docs: list[MqmDocument] = []
    for name in datasets:
        mine = load_documents(name, args.data_dir)  # type: ignore[arg-type]
        if args.limit is not None and args.limit < len(mine):
            # every k-th document, so a short run still covers several systems and documents
            step = len(mine) / args.limit
            mine = [mine[int(i * step)] for i in range(args.limit)]
        docs += mine

    kwargs: dict[str, Any] = {"model": args.model} if args.model else {}
    if args.fast:
        kwargs["fast"] = True
    if args.without:
        from auditor.detect import DEFAULT_DETECTORS, FAST_DETECTORS

        kwargs["detectors"] = [d for d in (FAST_DETECTORS if args.fast else DEFAULT_DETECTORS)
                               if d not in args.without]
    base_config = AuditConfig()
    if args.parse_scope:
        base_config = AuditConfig(fast=FastConfig(parse_scope=args.parse_scope))
    auditors = {
        # refB translates the same source: a parallel (monotonic) alignment is the right model
        "ted": Auditor(config=base_config.with_(mode=AlignMode.PARALLEL), **kwargs),
    }
    # News runs the default (comparable) config; both share one set of loaded models.
    auditors["news"] = Auditor(config=base_config, encoder=auditors["ted"].encoder,
                               **({"detectors": kwargs["detectors"]} if args.without else {}))
    auditors["news"].resources = auditors["ted"].resources
    records: list[DocumentRecord] = []
    lines: list[dict[str, Any]] | None = [] if args.findings else None
    folds = (json.loads((args.coverage_folds / "folds.json").read_text(encoding="utf-8"))
             if args.coverage_folds else {})
    for doc in tqdm(docs, desc="auditing", unit="doc", file=sys.stderr):
        if folds:
            use_fold_weights(auditors[doc.dataset], args.coverage_folds,
                             folds[f"{doc.dataset}:{doc.doc}"])
        try:
            records.append(evaluate_document(auditors[doc.dataset], doc, lines))
        except Exception as exc:  # noqa: BLE001 - one broken detector must not hide the rest
            records.append(DocumentRecord(doc.dataset, doc.key, doc.mqm, {}, {}, {}, {},
                                          error=f"{type(exc).__name__}: {exc}"))
    score_length(records)
    summary = summarise(records)
    command = "python benchmarks/evaluate_mqm.py" + (" " + " ".join(argv or sys.argv[1:])
                                                     if (argv or sys.argv[1:]) else "")
    meta = {
        "command": command.strip(),
        "coverage weights": ("out of fold (fit_coverage.py --folds)" if folds
                             else "packaged (fitted on this dev data: in-sample)"),
        "machine": machine_line(),
        "commit": git_commit(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "seconds": time.perf_counter() - started,
        "encoder": auditors["ted"].encoder.name,
        "detectors": list(auditors["ted"].detector_ids),
    }
    markdown = render_markdown(summary, meta)
    if not args.no_quality and args.data == "all" and args.limit is None:
        import quality_eval

        markdown += "\n" + quality_eval.render(quality_eval.run(fast=args.fast), 1000,
                                                level=2)
    print(markdown)
    args.out.write_text(markdown, encoding="utf-8")
    if args.findings and lines is not None:
        args.findings.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n"
                                         for line in lines), encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "summary": summary,
                                         "records": [r.__dict__ for r in records]}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
