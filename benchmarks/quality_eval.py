"""WMT-style meta-evaluation of the learned quality score, cross-validated, with baselines.

    python benchmarks/quality_eval.py [--boot 1000] [--out FILE.md]
    (also run by benchmarks/evaluate_mqm.py, whose table it appends)

Every figure of the quality model comes from out-of-fold predictions (fit_quality.cross_validate:
leave one source document out, so no talk or news document is ever in train and test at once).
Baselines use the gold segment pairing (they do not have to align anything): sentence chrF and
BLEU, MiniLM and USE cosine against refB, USE cosine against the Chinese source, and the length
ratio scored as -|log(ratio / median ratio)|. Document scores of baselines are word-weighted
segment means; the quality model's document score is the shipped `overall` (word-weighted mean
sentence quality). Statistics (benchmarks/wmt_stats.py):

- segment: acc_eq over all segment pairs (sampled to 6M pairs) and within each segment's
  translations; Kendall tau within segment, averaged;
- document: Kendall tau-b and Pearson over system x document pairs, with 95% intervals from
  resampling source documents (1000 draws); tau within document, averaged;
- system: pairwise accuracy of system means.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import wmt_stats as st  # noqa: E402
from fit_quality import (  # noqa: E402
    AVERAGED,
    FAST,
    WEIGHT_SETS,
    cross_validate,
    cross_validate_averaged,
)
from quality_data import load_cache  # noqa: E402

EVAL_SETTINGS = {
    "ted-ref-comparable": "reference", "ted-ref-parallel": "reference",
    "ted-both-comparable": "both", "ted-both-parallel": "both",
    "ted-src": "source", "news-src": "source",
}
LABELS = {
    "ted-ref-comparable": "TED vs refB, comparable (default mode)",
    "ted-ref-parallel": "TED vs refB, --mode parallel",
    "ted-both-comparable": "TED vs refB + source, comparable",
    "ted-both-parallel": "TED vs refB + source, parallel",
    "ted-src": "TED vs source only",
    "news-src": "news vs source only",
}
QUALITY = "quality (cross-validated)"
OLD = "previous overall (100·fidelity − mqm)"


def _length_score(raw: np.ndarray) -> np.ndarray:
    positive = raw[raw > 0]
    median = float(np.median(positive)) if len(positive) else 1.0
    return -np.abs(np.log(np.maximum(raw, 1e-6) / median))


def setting_tables(cache: dict[str, Any], cv: dict[str, Any], setting: str
                   ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Segment rows and document rows of one setting: metric name -> scores."""
    gold = cache["documents"]
    recs = [(i, r) for i, r in enumerate(cv["records"]) if r["setting"] == setting]
    seg: dict[str, list[float]] = {"gold": [], "item": [], "doc": [], "system": []}
    doc: dict[str, list[Any]] = {"gold": [], "doc": [], "system": []}
    metrics: dict[str, list[float]] = {}
    doc_metrics: dict[str, list[float]] = {}
    for i, r in recs:
        g = gold[f"{r['dataset']}:{r['system']}:{r['doc']}"]
        n = len(g["points"])
        pen = np.array([cv["seg_penalty"].get((i, k), math.nan) for k in range(n)])
        if np.isnan(pen).any():  # a segment with no MT sentence: the worst penalty of the doc
            pen[np.isnan(pen)] = np.nanmax(pen) if not np.isnan(pen).all() else 0.0
        words = np.maximum(np.array(g["words"], float), 1.0)
        per_seg = {QUALITY: -pen}
        for name, values in g["baselines"].items():
            v = np.asarray(values, float)
            if name.startswith("length ratio raw"):
                per_seg["length ratio" + name[len("length ratio raw"):]] = v  # scored below
            else:
                per_seg[name] = v
        for name, v in per_seg.items():
            metrics.setdefault(name, []).extend(v.tolist())
            if name != QUALITY and not name.startswith("length ratio"):
                doc_metrics.setdefault(name, []).append(float(np.average(v, weights=words)))
        doc_metrics.setdefault(QUALITY, []).append(float(cv["doc_overall"][i]))
        a = r["auditor"]
        doc_metrics.setdefault(OLD, []).append(
            float(np.clip(100 * a["fidelity"] - a["mqm"], 0, 100)))
        for name in per_seg:
            if name.startswith("length ratio"):
                side = name[len("length ratio"):]
                raw = np.asarray(g["baselines"]["length ratio raw" + side], float)
                doc_metrics.setdefault("_raw" + name, []).append(
                    float(np.average(raw, weights=words)))
        seg["gold"].extend((-np.asarray(g["points"], float)).tolist())
        seg["item"].extend(f"{r['doc']}#{k}" for k in range(n))
        seg["doc"].extend([r["doc"]] * n)
        seg["system"].extend([r["system"]] * n)
        doc["gold"].append(-float(np.mean(g["points"])))
        doc["doc"].append(r["doc"])
        doc["system"].append(r["system"])
    for name in list(metrics):
        if name.startswith("length ratio"):
            metrics[name] = _length_score(np.asarray(metrics[name])).tolist()
            raw = np.asarray(doc_metrics.pop("_raw" + name))
            doc_metrics[name] = _length_score(raw).tolist()
    seg.update({f"m:{k}": v for k, v in metrics.items()})
    doc.update({f"m:{k}": v for k, v in doc_metrics.items()})
    return seg, doc


def evaluate_setting(seg: dict[str, Any], doc: dict[str, Any], boot: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    sg = np.asarray(seg["gold"])
    dg = np.asarray(doc["gold"])
    docs = np.asarray(doc["doc"])
    units = sorted(set(doc["doc"]))
    for key in [k for k in doc if k.startswith("m:")]:
        name = key[2:]
        row: dict[str, Any] = {}
        if f"m:{name}" in seg:
            sm = np.asarray(seg[f"m:{name}"])
            row["acc_eq"] = st.acc_eq(sm, sg)[0]
            row["acc_eq_item"] = st.acc_eq(sm, sg, seg["item"])[0]
            row["seg_tau_item"] = st.grouped_tau(sm, sg, seg["item"])
        dm = np.asarray(doc[key])
        row["doc_tau"] = st.kendall(dm, dg)
        row["doc_r"] = st.pearson(dm, dg)
        row["doc_tau_within"] = st.grouped_tau(dm, dg, doc["doc"])

        def tau_of(draw: np.ndarray, dm: np.ndarray = dm) -> float:
            idx = np.concatenate([np.flatnonzero(docs == units[u]) for u in draw])
            return st.kendall(dm[idx], dg[idx])

        row["doc_tau_ci"] = st.bootstrap(tau_of, units, n=boot)
        systems = sorted(set(doc["system"]))
        sys_m = [float(np.mean(dm[np.asarray(doc["system"]) == s])) for s in systems]
        sys_g = [float(np.mean(dg[np.asarray(doc["system"]) == s])) for s in systems]
        row["sys_acc"] = st.pairwise_accuracy(sys_m, sys_g)
        out[name] = row
    return out


def mistranslation_precision(cvs: dict[str, Any]) -> dict[str, Any]:
    """Precision of the possible-mistranslation flags, nested: the thresholds that judge a
    source document's sentences are chosen, per weight set as fit_quality chooses them, on the
    other documents' out-of-fold probabilities."""
    from fit_quality import thresholds

    out: dict[str, Any] = {}
    pooled = {"major": [0, 0], "minor": [0, 0]}
    for _name, cv in sorted(cvs.items()):
        recs = cv["records"]
        free = ~cv["sent_explained"]
        prob = cv["sent_prob"][free]
        major = cv["sent_major"][free]
        rec_idx = cv["sent_record"][free]
        group = np.array([f"{recs[i]['dataset']}:{recs[i]['doc']}" for i in rec_idx])
        setting = np.array([recs[i]["setting"] for i in rec_idx])
        flag = np.full(len(prob), "", dtype=object)
        for g in sorted(set(group)):
            rest, mine = group != g, group == g
            cut = thresholds(prob[rest], major[rest])
            flag[mine & (prob >= cut["minor"])] = "minor"
            flag[mine & (prob >= cut["major"])] = "major"
        for s in sorted(set(setting)):
            sel = setting == s
            cell: dict[str, Any] = {"unexplained sentences": int(sel.sum())}
            for sev in ("major", "minor"):
                f = sel & (flag == sev)
                cell[sev] = (int(f.sum()), float(major[f].mean()) if f.any() else math.nan)
                pooled[sev][0] += int(f.sum())
                pooled[sev][1] += int(major[f].sum())
            out[s] = cell
    out["all"] = {"unexplained sentences": sum(c["unexplained sentences"] for c in out.values()),
                  **{sev: (n, hits / n if n else math.nan) for sev, (n, hits) in pooled.items()}}
    return out


def run(boot: int = 1000, settings: Sequence[str] = tuple(EVAL_SETTINGS),
        build: bool = True, fast: bool = False) -> dict[str, Any]:
    """With `fast`: fast mode's audits (the `-fast` evidence settings) and weight sets."""
    suffix = FAST if fast else ""
    # audits only what the table and the weight sets it needs are fitted on
    names = {EVAL_SETTINGS[s] for s in settings}
    sets = {n for name in names for n in (AVERAGED[name][1] if name in AVERAGED else (name,))}
    needed = dict.fromkeys([*settings, *(t for n in sorted(sets) for t in WEIGHT_SETS[n][0])])
    cache = load_cache(tuple(s + suffix for s in needed), build=build)
    settings = [s for s in settings if s + suffix in cache["settings"]]
    names = {EVAL_SETTINGS[s] for s in settings}
    cvs = {name: cross_validate(cache, name, fast) for name in names if name in WEIGHT_SETS}
    averaged = {name: cross_validate_averaged(cache, name, fast) for name in names
                if name in AVERAGED}
    results = {}
    for s in settings:
        seg, doc = setting_tables(cache, {**cvs, **averaged}[EVAL_SETTINGS[s]], s + suffix)
        results[s] = {"documents": len(doc["gold"]), "segments": len(seg["gold"]),
                      "metrics": evaluate_setting(seg, doc, boot)}
    return {"key": cache["key"], "settings": results,
            "mistranslation": mistranslation_precision(cvs)}


def _f(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def render(results: dict[str, Any], boot: int, level: int = 1) -> str:
    h1, h2 = "#" * level, "#" * (level + 1)
    lines = [
        f"{h1} Learned quality score: WMT-style meta-evaluation (cross-validated)",
        "",
        "Out-of-fold figures only: the quality model is refitted with each source document "
        "(TED talk, news document) held out and scores that document. Weight sets: "
        + "; ".join(f"`{k}` fitted on {', '.join(v[0])}" for k, v in WEIGHT_SETS.items())
        + "; ".join(f"; `{k}` ({', '.join(v[0])}): the average of the {' and '.join(v[1])} "
                    "heads, each fitted without the held-out document" for k, v in AVERAGED.items())
        + ". acc_eq: pairwise accuracy with tie calibration over all segment pairs, and within "
        "each segment's translations (item); seg τ: Kendall τ within segment, averaged; doc τ "
        f"with its 95% interval from {boot} resamples of the source documents; doc τ within: "
        "across the systems of each document, averaged; sys acc: pairwise accuracy of system "
        "means. Baselines use the gold segment pairing.",
    ]
    for s, res in results["settings"].items():
        lines += ["", f"{h2} {LABELS[s]} ({res['documents']} documents, {res['segments']} "
                  "segments)", "",
                  "| score | acc_eq | acc_eq item | seg τ item | doc τ [95% CI] | doc r | "
                  "doc τ within | sys acc |", "|---|---|---|---|---|---|---|---|"]
        for name, m in res["metrics"].items():
            lo, hi = m["doc_tau_ci"]
            lines.append(
                f"| {name} | {_f(m.get('acc_eq'))} | {_f(m.get('acc_eq_item'))} | "
                f"{_f(m.get('seg_tau_item'))} | {_f(m['doc_tau'])} [{_f(lo, 2)}, {_f(hi, 2)}] "
                f"| {_f(m['doc_r'])} | {_f(m['doc_tau_within'])} | {_f(m['sys_acc'])} |")
    lines += ["", f"{h2} Possible-mistranslation findings (nested cross-validation)", "",
              "Sentences with no other finding, flagged from the out-of-fold probability of a "
              "Major error; a flag is right when a rater marked a Major error in its segment. "
              "Thresholds for each document chosen on the other documents of its weight set.", "",
              "| setting | unexplained sentences | major flags | major precision | "
              "minor flags | minor precision |", "|---|---|---|---|---|---|"]
    for s, cell in results["mistranslation"].items():
        lines.append(f"| {s} | {cell['unexplained sentences']} | {cell['major'][0]} | "
                     f"{_f(cell['major'][1], 2)} | {cell['minor'][0]} | "
                     f"{_f(cell['minor'][1], 2)} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--boot", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--settings", nargs="*", default=list(EVAL_SETTINGS))
    parser.add_argument("--cached-only", action="store_true")
    parser.add_argument("--fast", action="store_true", help="fast mode's audits and weights")
    args = parser.parse_args(argv)
    text = render(run(args.boot, args.settings, build=not args.cached_only, fast=args.fast),
                  args.boot)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
