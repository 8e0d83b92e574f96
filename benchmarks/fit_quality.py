"""Fit the quality model (auditor/data/quality.json) on the public MQM dev data.

    python benchmarks/fit_quality.py            # fit, cross-validate, write the weights
    python benchmarks/fit_quality.py --check    # refit and compare with the shipped file
    python benchmarks/fit_quality.py --fast     # fast mode's weights (quality-fast.json)

Evidence per MT sentence comes from real audits of every system x document of ../shared/data
(benchmarks/quality_data.py, cached under $AUDITOR_QUALITY_CACHE keyed by a hash of the code
and data). Three weight sets, one per evidence at hand:

- `reference`: TED against refB without the source, both alignment modes stacked;
- `source`: TED and news against the Chinese source only (each dataset weighing the same).
With both references and a source the audit averages the two sets' penalties (`AVERAGED`: a
set fitted on such audits ranked documents worse).

Each has two heads over the same features, all oriented so that higher is worse:
- `penalty`: the segment's expected MQM points (WMT 2021: Major 5, Minor 1, mean over raters)
  as exp(linear), non-negative weights, fitted in two stages (`fit_penalty`): the translation
  evidence within segments, the length terms across them;
- `major`: L2 logistic regression on "some rater marked a Major error"; a feature whose
  weight comes out negative is dropped and the head refitted.
A segment of several sentences is one row: count features summed, the others word-weighted;
log-length features are the log of the segment's total. Each set also reads one feature of the
`document_context` (what the audit found in the rest of the document, `CONTEXT_FEATURES`).

`mistranslation` thresholds on the `major` probability, per weight set, from its out-of-fold
predictions on sentences no other finding covers: `major` is the lowest probability at which the
precision of "a rater marked a Major error in the segment" is >= 0.75 (so that it stays above 0.6
on unseen data), `minor` the lowest at which it is >= 0.6 and at least 0.5.

Everything is deterministic (L-BFGS from fixed starting points on fixed data), and the weights
are rounded to 6 decimals, so this command reproduces the shipped file exactly.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality_data import evidence_from_dict, load_cache  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = ROOT / "auditor" / "data" / "quality.json"
FAST_WEIGHTS = ROOT / "auditor" / "data" / "quality-fast.json"
FAST = "-fast"  # the evidence settings of fast-mode audits (quality_data.py)
VERSION = "3"

# Every feature is oriented "higher is worse" (auditor.quality.FEATURES).
SIDE_FEATURES = {
    # USE against the reference is left out, so that a reference audit does not load the
    # multilingual encoder for it (chrF and MiniLM carry that side).
    "reference": ("ref_distance", "ref_chrf_gap", "ref_unaligned", "ref_low_margin",
                  "ref_length", "ref_uncarried", "ref_words", "log_ref_words"),
    "source": ("src_distance", "src_unaligned", "src_low_margin", "src_length",
               "src_uncarried", "src_words", "log_src_words"),
}
# the MT sentence itself, the detectors' findings in it, the word-level coverage
COMMON_FEATURES = ("words", "log_words", "cjk_share", "major_findings", "minor_findings",
                   "name_findings", "number_findings", "content_findings", "fluency_findings",
                   "mt_unexplained", "too_short", "too_long")
# What the rest of the document says (auditor.quality.document_context), one feature per set:
# chosen by the cross-validated figures among the context features tried (README "The
# learned quality score"): repetition per sentence against references, the share of flagged
# sentences against the source.
CONTEXT_FEATURES = {"reference": ("doc_fluency",), "source": ("doc_flagged",)}
WEIGHT_SETS = {
    "reference": (("ted-ref-comparable", "ted-ref-parallel"),
                  SIDE_FEATURES["reference"] + COMMON_FEATURES + CONTEXT_FEATURES["reference"]),
    "source": (("ted-src", "news-src"),
               SIDE_FEATURES["source"] + COMMON_FEATURES + CONTEXT_FEATURES["source"]),
}
# Fast mode's source set reads no word-level coverage: computing it (jieba's parts of speech
# and the gloss comparisons of every source word) cost more CPU than the rest of a fast source
# audit, which then embeds the source with static gloss vectors (auditor.embed.GlossEncoder).
# (auditor.quality.COVERAGE_FEATURES: with none of them read, the audit skips the coverage).
FAST_WITHOUT_COVERAGE = ("source",)


def set_features(name: str, fast: bool = False) -> tuple[str, ...]:
    """The features a weight set is fitted on (fast mode's source set: no coverage)."""
    from auditor.quality import COVERAGE_FEATURES

    skip = COVERAGE_FEATURES if fast and name in FAST_WITHOUT_COVERAGE else frozenset()
    return tuple(f for f in WEIGHT_SETS[name][1] if f not in skip)


# Evidence without a weight set of its own: references and source given. The audit averages
# the reference and source heads; a `both` set fitted on these audits (all the features of
# both sides) ranked the TED documents worse than that average (cross-validated document τ
# 0.269 against 0.352 comparable, 0.252 against 0.312 parallel), so none is shipped.
AVERAGED = {"both": (("ted-both-comparable", "ted-both-parallel"), ("reference", "source"))}
FIT_SETTINGS = tuple(s for settings, _ in WEIGHT_SETS.values() for s in settings)
# Length terms fitted across segments (stage 2 of `fit_penalty`): within a segment a longer
# translation has fewer errors (omissions), across segments more words mean more errors.
DIFFICULTY_FEATURES = frozenset(
    {"ref_words", "src_words", "log_ref_words", "log_src_words", "words", "log_words"})
# Regularisation, fixed in advance on standardised features (not tuned on the CV figures).
WITHIN_L2 = 1.0
POISSON_ALPHA = 1e-3
LOGISTIC_C = 1.0
MAJOR_PRECISION = 0.75
MINOR_PRECISION = 0.6
MIN_PROBABILITY = 0.5


@dataclass
class Table:
    """Segment rows (for fitting) and sentence rows (for the document score) of records."""

    seg_x: np.ndarray
    seg_points: np.ndarray
    seg_major: np.ndarray
    seg_group: list[str]  # dataset:doc, the fold unit
    seg_record: np.ndarray  # index of the record each segment row belongs to
    seg_index: np.ndarray  # the MQM segment index within its document
    seg_item: np.ndarray  # dataset:doc#segment: the same source segment across systems
    sent_x: np.ndarray
    sent_words: np.ndarray
    sent_record: np.ndarray
    sent_explained: np.ndarray  # the sentence holds a scored finding
    sent_major: np.ndarray  # its segment has a Major error
    sent_group: list[str]


def _params(records: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Expected log length ratios: medians over aligned sentences of the training records."""
    out = {}
    for side, key in (("ref", "ref_log_length"), ("src", "src_log_length")):
        values = [s["evidence"][side]["log_length"] for r in records for s in r["sentences"]
                  if s["evidence"][side] is not None and s["evidence"][side]["aligned"]]
        out[key] = round(float(np.median(values)), 6) if values else 0.0
    return out


def build_table(records: Sequence[dict[str, Any]], gold: dict[str, Any],
                features: Sequence[str], params: dict[str, float]) -> Table:
    from auditor.quality import (
        COUNT_FEATURES,
        FEATURES,
        LOG_COUNTS,
        document_context,
        feature_row,
    )

    seg_x, seg_points, seg_major, seg_group, seg_record, seg_index = [], [], [], [], [], []
    sent_x, sent_words, sent_record, sent_explained, sent_major, sent_group = [], [], [], [], [], []
    logs = [(k, LOG_COUNTS[f]) for k, f in enumerate(features) if f in LOG_COUNTS]
    for r_i, rec in enumerate(records):
        g = gold[f"{rec['dataset']}:{rec['system']}:{rec['doc']}"]
        group = f"{rec['dataset']}:{rec['doc']}"
        by_seg: dict[int, list[tuple[np.ndarray, int]]] = {}
        counts: dict[tuple[int, str], float] = {}
        evidence = [evidence_from_dict(s["evidence"]) for s in rec["sentences"]]
        context = {**params, **document_context(evidence)}  # as predict_quality reads it
        for s, e in zip(rec["sentences"], evidence, strict=True):
            row = np.array(feature_row(e, features, context))
            by_seg.setdefault(s["segment"], []).append((row, e.words))
            for _, base in logs:
                key = (s["segment"], base)
                counts[key] = counts.get(key, 0.0) + FEATURES[base](e, context)
            sent_x.append(row)
            sent_words.append(e.words)
            sent_record.append(r_i)
            sent_explained.append(bool(e.findings))
            sent_major.append(bool(g["major"][s["segment"]]))
            sent_group.append(group)
        for k, rows in by_seg.items():
            w = np.array([n for _, n in rows], dtype=float)
            x = np.array([row for row, _ in rows])
            agg = (x * w[:, None]).sum(axis=0) / max(w.sum(), 1e-9)
            for f_i, name in enumerate(features):
                if name in COUNT_FEATURES:
                    agg[f_i] = x[:, f_i].sum()
            for f_i, base in logs:  # the log of the segment's total, not a mean of logs
                agg[f_i] = math.log1p(counts[(k, base)])
            seg_x.append(agg)
            seg_points.append(g["points"][k])
            seg_major.append(bool(g["major"][k]))
            seg_group.append(group)
            seg_record.append(r_i)
            seg_index.append(k)
    return Table(np.array(seg_x), np.array(seg_points, float), np.array(seg_major, bool),
                 seg_group, np.array(seg_record), np.array(seg_index),
                 np.array([f"{g}#{k}" for g, k in zip(seg_group, seg_index, strict=True)]),
                 np.array(sent_x),
                 np.array(sent_words, float), np.array(sent_record),
                 np.array(sent_explained, bool), np.array(sent_major, bool), sent_group)


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    return mean, scale


def fit_penalty(z: np.ndarray, y: np.ndarray, items: np.ndarray,
                features: Sequence[str], weight: np.ndarray | None = None
                ) -> tuple[np.ndarray, float]:
    """Expected MQM points = exp(intercept + w . z) (Poisson, log link: evidence multiplies
    the points a segment's length makes likely), fitted in two stages with w >= 0.

    1. Translation evidence (everything but `DIFFICULTY_FEATURES`), within segments: given a
       segment's total points, the systems' translations share them in proportion to
       exp(w . z) (conditional Poisson = multinomial; the segment's difficulty cancels out),
       so these weights say which translation of a segment is worse, not which segments are
       hard. L2 penalty `WITHIN_L2`.
    2. Across segments, a Poisson fit with stage 1 as a fixed offset: the length terms
       (longer segments offer more chances for error) and, added to their stage-1 weights,
       what the evidence says about which segments hold errors (without it a garbled
       translation whose words are all there hardly loses points). A weight that
       comes out negative is dropped and the fit redone."""
    from scipy.optimize import minimize
    from sklearn.linear_model import PoissonRegressor

    d = [k for k, f in enumerate(features) if f in DIFFICULTY_FEATURES]
    q = [k for k in range(len(features)) if k not in d]
    _, codes = np.unique(items, return_inverse=True)
    n_items = int(codes.max()) + 1
    xq = z[:, q]
    weight = np.ones(len(y)) if weight is None else weight

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        eta = xq @ w
        top = np.full(n_items, -np.inf)
        np.maximum.at(top, codes, eta)
        ex = np.exp(eta - top[codes])
        norm = np.bincount(codes, weights=ex, minlength=n_items)
        p = ex / norm[codes]
        total = np.bincount(codes, weights=y, minlength=n_items)
        value = -(weight * y * np.log(np.maximum(p, 1e-300))).sum() + 0.5 * WITHIN_L2 * w @ w
        grad = -(xq.T @ (weight * (y - total[codes] * p))) + WITHIN_L2 * w
        return float(value), grad

    res = minimize(loss, np.zeros(len(q)), jac=True, method="L-BFGS-B",
                   bounds=[(0.0, None)] * len(q))
    coef = np.zeros(len(features))
    coef[q] = np.round(res.x, 8)
    offset = np.exp(xq @ coef[q])
    keep = list(range(len(features)))
    while True:
        model = PoissonRegressor(alpha=POISSON_ALPHA, max_iter=1000).fit(
            z[:, keep], y / offset, sample_weight=offset * weight)
        if (model.coef_ >= 0).all() or len(keep) == 1:
            break
        keep = [k for k, c in zip(keep, model.coef_, strict=True) if c >= 0]
    coef[keep] += np.maximum(model.coef_, 0.0)
    return coef, float(model.intercept_)


def _balance(groups: Sequence[str]) -> np.ndarray | None:
    """Row weights giving each dataset (TED, news) the same total weight, so the larger one
    does not decide alone how the evidence ranks translations; None with one dataset."""
    dataset = np.array([g.split(":")[0] for g in groups])
    names, codes, counts = np.unique(dataset, return_inverse=True, return_counts=True)
    if len(names) < 2:
        return None
    return (len(dataset) / (len(names) * counts))[codes]


def fit_heads(t: Table, features: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The penalty (ridge, non-negative) and major (logistic, signs checked) heads."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = _standardise(t.seg_x)
    z = (t.seg_x - mean) / scale
    coef, intercept = fit_penalty(z, t.seg_points, t.seg_item, features, _balance(t.seg_group))
    penalty = _head(features, mean, scale, coef, intercept, "log")
    keep = list(range(len(features)))
    while True:
        lr = LogisticRegression(C=LOGISTIC_C, max_iter=2000).fit(z[:, keep], t.seg_major)
        lcoef = lr.coef_[0]
        if (lcoef >= 0).all() or len(keep) == 1:
            break
        keep = [k for k, c in zip(keep, lcoef, strict=True) if c >= 0]
    major = _head([features[k] for k in keep], mean[keep], scale[keep], lcoef,
                  float(lr.intercept_[0]), "logistic")
    return {"penalty": penalty, "major": major}


def _r(x: float) -> float:
    return round(float(x), 6)


def _head(features: Sequence[str], mean: np.ndarray, scale: np.ndarray, coef: np.ndarray,
          intercept: float, link: str) -> dict[str, Any]:
    return {"features": list(features), "mean": [_r(v) for v in mean],
            "scale": [_r(v) for v in scale], "coef": [_r(v) for v in coef],
            "intercept": _r(intercept), "link": link}


def predict(head: dict[str, Any], features: Sequence[str], x: np.ndarray) -> np.ndarray:
    from auditor.quality import LinearHead

    h = LinearHead.from_json(head)
    cols = [list(features).index(f) for f in h.features]
    return h.predict(x[:, cols])


def document_score(penalty: np.ndarray, words: np.ndarray) -> float:
    """`overall` from sentence penalties, as the audit computes it."""
    from auditor.quality import SentenceQuality, document_quality

    q = [SentenceQuality(0, float(p), 0.0, 0.0) for p in np.maximum(penalty, 0.0)]
    return document_quality(q, [int(w) for w in words])


def set_settings(name: str, fast: bool = False) -> tuple[str, ...]:
    """The evidence settings a weight set is fitted on (fast mode: their `-fast` twins)."""
    return tuple(s + FAST if fast else s for s in WEIGHT_SETS[name][0])


def cross_validate(cache: dict[str, Any], name: str, fast: bool = False,
                   test_settings: Sequence[str] | None = None) -> dict[str, Any]:
    """Out-of-fold predictions for one weight set: folds = source documents (leave one
    document out), never a document in train and test at once. `test_settings`: score the
    records of these settings (default: the set's own) with heads fitted on the set's."""
    settings, features = set_settings(name, fast), set_features(name, fast)
    pool = [r for s in settings if s in cache["settings"] for r in cache["settings"][s]]
    records = pool if test_settings is None else [
        r for s in test_settings if s in cache["settings"] for r in cache["settings"][s]]
    groups = sorted({f"{r['dataset']}:{r['doc']}" for r in records})
    n_rec = len(records)
    doc_overall = np.full(n_rec, np.nan)
    doc_penalty = np.full(n_rec, np.nan)
    seg_pred: dict[tuple[int, int], float] = {}
    seg_prob: dict[tuple[int, int], float] = {}
    sent_prob: list[np.ndarray] = []
    sent_rows: list[tuple[np.ndarray, np.ndarray]] = []
    sent_record: list[np.ndarray] = []
    for held in groups:
        train = [r for r in pool if f"{r['dataset']}:{r['doc']}" != held]
        test_idx = [i for i, r in enumerate(records) if f"{r['dataset']}:{r['doc']}" == held]
        params = _params(train)
        heads = fit_heads(build_table(train, cache["documents"], features, params), features)
        t = build_table([records[i] for i in test_idx], cache["documents"], features, params)
        pen_seg = predict(heads["penalty"], features, t.seg_x)
        prob_seg = predict(heads["major"], features, t.seg_x)
        for k in range(len(pen_seg)):
            key = (test_idx[t.seg_record[k]], int(t.seg_index[k]))
            seg_pred[key] = float(pen_seg[k])
            seg_prob[key] = float(prob_seg[k])
        pen = predict(heads["penalty"], features, t.sent_x)
        p = predict(heads["major"], features, t.sent_x)
        for local, i in enumerate(test_idx):
            m = t.sent_record == local
            doc_overall[i] = document_score(pen[m], t.sent_words[m])
            doc_penalty[i] = float(np.average(np.maximum(pen[m], 0.0),
                                              weights=np.maximum(t.sent_words[m], 1e-9)))
        sent_prob.append(p)
        sent_rows.append((t.sent_explained, t.sent_major))
        sent_record.append(np.asarray(test_idx)[t.sent_record])
    return {"records": records, "doc_overall": doc_overall, "doc_penalty": doc_penalty,
            "seg_penalty": seg_pred,
            "seg_prob": seg_prob,
            "sent_prob": np.concatenate(sent_prob),
            "sent_explained": np.concatenate([a for a, _ in sent_rows]),
            "sent_major": np.concatenate([b for _, b in sent_rows]),
            "sent_record": np.concatenate(sent_record)}


def cross_validate_averaged(cache: dict[str, Any], name: str, fast: bool = False
                            ) -> dict[str, Any]:
    """Out-of-fold figures for evidence with no weight set of its own (`AVERAGED`): the
    audit averages the penalties of those sets' heads (auditor.quality._heads)."""
    from auditor.quality import POINTS_PER_PENALTY

    settings = tuple(s + FAST if fast else s for s in AVERAGED[name][0])
    parts = [cross_validate(cache, part, fast, settings) for part in AVERAGED[name][1]]
    penalty = np.mean([p["doc_penalty"] for p in parts], axis=0)
    keys = parts[0]["seg_penalty"].keys()
    return {"records": parts[0]["records"],
            "doc_overall": np.clip(100.0 - POINTS_PER_PENALTY * penalty, 0.0, 100.0),
            "seg_penalty": {k: float(np.mean([max(p["seg_penalty"][k], 0.0) for p in parts]))
                            for k in keys}}


def threshold_for(prob: np.ndarray, major: np.ndarray, precision: float,
                  min_flags: int = 20) -> float:
    """Lowest probability cut whose flags (at least `min_flags`) reach `precision`."""
    order = np.argsort(-prob, kind="stable")
    hits = np.cumsum(major[order])
    n = np.arange(1, len(order) + 1)
    ok = np.flatnonzero((hits / n >= precision) & (n >= min_flags))
    if not len(ok):
        return 1.0
    return _r(prob[order][ok[-1]])


def thresholds(prob: np.ndarray, major: np.ndarray) -> dict[str, float]:
    """Minor: precision >= MINOR_PRECISION and at least an even chance; major: precision >=
    MAJOR_PRECISION."""
    minor = max(threshold_for(prob, major, MINOR_PRECISION), MIN_PROBABILITY)
    return {"minor": minor, "major": max(threshold_for(prob, major, MAJOR_PRECISION), minor)}


def fit_all(cache: dict[str, Any], fast: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"version": VERSION, "params": {}, "penalty": {}, "major": {},
                           "fitted_on": {}}
    all_records = [r for s in cache["settings"].values() for r in s]
    out["params"] = _params(all_records)
    for name in WEIGHT_SETS:
        features = set_features(name, fast)
        settings = tuple(s for s in set_settings(name, fast) if s in cache["settings"])
        if not settings:
            continue
        records = [r for s in settings for r in cache["settings"][s]]
        heads = fit_heads(build_table(records, cache["documents"], features, out["params"]),
                          features)
        out["penalty"][name] = heads["penalty"]
        out["major"][name] = heads["major"]
        out["fitted_on"][name] = list(settings)
    # thresholds per weight set, from out-of-fold probabilities of unexplained sentences
    out["mistranslation"] = {}
    for name in out["penalty"]:
        cv = cross_validate(cache, name, fast)
        free = ~cv["sent_explained"]
        out["mistranslation"][name] = thresholds(cv["sent_prob"][free], cv["sent_major"][free])
    out["command"] = "python benchmarks/fit_quality.py" + (" --fast" if fast else "")
    out["data"] = "../shared/data/mqm_{ted,news}_zhen.dev.tsv (WMT MQM zh-en, dev halves)"
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="refit and compare with the shipped weights; write nothing")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"default {WEIGHTS.name}, with --fast {FAST_WEIGHTS.name}")
    parser.add_argument("--settings", nargs="*", default=None)
    parser.add_argument("--cached-only", action="store_true",
                        help="use only the settings already cached (for a quick look)")
    parser.add_argument("--fast", action="store_true",
                        help="fit fast mode's weights on fast-mode audits")
    args = parser.parse_args(argv)
    args.out = args.out or (FAST_WEIGHTS if args.fast else WEIGHTS)
    settings = args.settings or [s + FAST if args.fast else s for s in FIT_SETTINGS]
    cache = load_cache(tuple(settings), build=not args.cached_only)
    weights = fit_all(cache, args.fast)
    text = json.dumps(weights, indent=1, sort_keys=True) + "\n"
    if args.check:
        same = args.out.exists() and args.out.read_text() == text
        print("shipped weights reproduced exactly" if same else "weights DIFFER from the file")
        return 0 if same else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    for name in weights["penalty"]:
        pen = weights["penalty"][name]
        print(f"{name} penalty: " + ", ".join(
            f"{f} {c:+.3f}" for f, c in zip(pen["features"], pen["coef"], strict=True)))
        maj = weights["major"][name]
        print(f"{name} major:   " + ", ".join(
            f"{f} {c:+.3f}" for f, c in zip(maj["features"], maj["coef"], strict=True)))
    print("mistranslation thresholds:", weights["mistranslation"])
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
