"""Fit the quality model (auditor/data/quality.json) on the public MQM dev data.

    python benchmarks/fit_quality.py            # fit, cross-validate, write the weights
    python benchmarks/fit_quality.py --check    # refit and compare with the shipped file
    python benchmarks/fit_quality.py --fast     # fast mode's weights (quality-fast.json)

Evidence per MT sentence comes from real audits of every system x document of ../shared/data
(benchmarks/quality_data.py, cached under /tmp). Two weight sets, one per side of evidence:

- `reference`: TED against refB without the source, both alignment modes stacked;
- `source`: TED and news against the Chinese source only.
With both references and a source, the audit averages the two.

Each has two linear heads over the same features, all oriented so that higher is worse:
- `penalty`: ridge regression with non-negative weights on the segment's MQM points (WMT 2021:
  Major 5, Minor 1, mean over raters), so that collinear cosines cannot take opposite signs;
- `major`: L2 logistic regression on "some rater marked a Major error"; a feature whose
  weight comes out negative is dropped and the head refitted.
A segment of several sentences is one row: count features summed, the others word-weighted.

`mistranslation` thresholds on the `major` probability, per weight set, from its out-of-fold
predictions on sentences no other finding covers: `major` is the lowest probability at which the
precision of "a rater marked a Major error in the segment" is >= 0.75 (so that it stays above 0.6
on unseen data), `minor` the lowest at which it is >= 0.6 and at least 0.5.

Everything is deterministic (closed-form or lbfgs on fixed data), and the weights are rounded
to 6 decimals, so this command reproduces the shipped file exactly.
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
VERSION = "1"

SIDE_FEATURES = {
    # USE against the reference got no weight in a first fit (chrF carries the lexical side):
    # left out, so that a reference audit does not load the multilingual encoder for it.
    "reference": ("ref_distance", "ref_chrf_gap", "ref_unaligned", "ref_low_margin",
                  "ref_length"),
    "source": ("src_distance", "src_unaligned", "src_low_margin", "src_length"),
}
COMMON_FEATURES = ("words", "log_words", "cjk_share", "major_findings", "minor_findings",
                   "name_findings", "number_findings", "content_findings", "fluency_findings")
WEIGHT_SETS = {
    "reference": (("ted-ref-comparable", "ted-ref-parallel"),
                  SIDE_FEATURES["reference"] + COMMON_FEATURES),
    # source: also the length of the source group, so that across segments long sources expect
    # more errors without only counting a longer translation of the same source against it
    "source": (("ted-src", "news-src"),
               SIDE_FEATURES["source"] + ("src_words",) + COMMON_FEATURES),
}
# With references and a source, the audit averages the `reference` and `source` heads
# (auditor.quality._heads); a fitted `both` set would need the ted-both-* audits:
# "both": (("ted-both-comparable", "ted-both-parallel"),
#          SIDE_FEATURES["reference"] + SIDE_FEATURES["source"] + COMMON_FEATURES),
FIT_SETTINGS = tuple(s for settings, _ in WEIGHT_SETS.values() for s in settings)
RIDGE_ALPHA = 1.0  # on standardised features; fixed in advance, not tuned on the CV figures
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
    from auditor.quality import COUNT_FEATURES, feature_row

    seg_x, seg_points, seg_major, seg_group, seg_record, seg_index = [], [], [], [], [], []
    sent_x, sent_words, sent_record, sent_explained, sent_major, sent_group = [], [], [], [], [], []
    log_words = list(features).index("log_words") if "log_words" in features else -1
    for r_i, rec in enumerate(records):
        g = gold[f"{rec['dataset']}:{rec['system']}:{rec['doc']}"]
        group = f"{rec['dataset']}:{rec['doc']}"
        by_seg: dict[int, list[tuple[np.ndarray, int]]] = {}
        for s in rec["sentences"]:
            e = evidence_from_dict(s["evidence"])
            row = np.array(feature_row(e, features, params))
            by_seg.setdefault(s["segment"], []).append((row, e.words))
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
            if log_words >= 0:
                agg[log_words] = math.log1p(w.sum())
            seg_x.append(agg)
            seg_points.append(g["points"][k])
            seg_major.append(bool(g["major"][k]))
            seg_group.append(group)
            seg_record.append(r_i)
            seg_index.append(k)
    return Table(np.array(seg_x), np.array(seg_points, float), np.array(seg_major, bool),
                 seg_group, np.array(seg_record), np.array(seg_index), np.array(sent_x),
                 np.array(sent_words, float), np.array(sent_record),
                 np.array(sent_explained, bool), np.array(sent_major, bool), sent_group)


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    return mean, scale


def fit_heads(t: Table, features: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The penalty (ridge, non-negative) and major (logistic, signs checked) heads."""
    from sklearn.linear_model import LogisticRegression, Ridge

    mean, scale = _standardise(t.seg_x)
    z = (t.seg_x - mean) / scale
    ridge = Ridge(alpha=RIDGE_ALPHA, positive=True).fit(z, t.seg_points)
    penalty = _head(features, mean, scale, ridge.coef_, float(ridge.intercept_), "identity")
    keep = list(range(len(features)))
    while True:
        lr = LogisticRegression(C=LOGISTIC_C, max_iter=2000).fit(z[:, keep], t.seg_major)
        coef = lr.coef_[0]
        if (coef >= 0).all() or len(keep) == 1:
            break
        keep = [k for k, c in zip(keep, coef, strict=True) if c >= 0]
    major = _head([features[k] for k in keep], mean[keep], scale[keep], coef,
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


def quality_of(penalty: np.ndarray) -> np.ndarray:
    from auditor.quality import POINTS_PER_PENALTY

    return np.clip(100.0 - POINTS_PER_PENALTY * np.maximum(penalty, 0.0), 0.0, 100.0)


def set_settings(name: str, fast: bool = False) -> tuple[str, ...]:
    """The evidence settings a weight set is fitted on (fast mode: their `-fast` twins)."""
    return tuple(s + FAST if fast else s for s in WEIGHT_SETS[name][0])


def cross_validate(cache: dict[str, Any], name: str, fast: bool = False) -> dict[str, Any]:
    """Out-of-fold predictions for one weight set: folds = source documents (leave one
    document out), never a document in train and test at once."""
    settings, features = set_settings(name, fast), WEIGHT_SETS[name][1]
    records = [r for s in settings if s in cache["settings"] for r in cache["settings"][s]]
    groups = sorted({f"{r['dataset']}:{r['doc']}" for r in records})
    n_rec = len(records)
    doc_overall = np.full(n_rec, np.nan)
    seg_pred: dict[tuple[int, int], float] = {}
    seg_prob: dict[tuple[int, int], float] = {}
    sent_prob: list[np.ndarray] = []
    sent_rows: list[tuple[np.ndarray, np.ndarray]] = []
    sent_record: list[np.ndarray] = []
    for held in groups:
        train = [r for r in records if f"{r['dataset']}:{r['doc']}" != held]
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
        q = quality_of(predict(heads["penalty"], features, t.sent_x))
        p = predict(heads["major"], features, t.sent_x)
        for local, i in enumerate(test_idx):
            m = t.sent_record == local
            doc_overall[i] = float((q[m] * t.sent_words[m]).sum() / max(t.sent_words[m].sum(), 1))
        sent_prob.append(p)
        sent_rows.append((t.sent_explained, t.sent_major))
        sent_record.append(np.asarray(test_idx)[t.sent_record])
    return {"records": records, "doc_overall": doc_overall, "seg_penalty": seg_pred,
            "seg_prob": seg_prob,
            "sent_prob": np.concatenate(sent_prob),
            "sent_explained": np.concatenate([a for a, _ in sent_rows]),
            "sent_major": np.concatenate([b for _, b in sent_rows]),
            "sent_record": np.concatenate(sent_record)}


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
    for name, (_, features) in WEIGHT_SETS.items():
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
