"""Benchmark (and calibration) of the omission/addition detector on the public TED MQM data.

Each MT document (one system's translation of one talk) is audited against the human
translation `refB`, read directly from ../shared/data (never copied). A segment counts as a
gold major omission (addition) when its rater marked a Major `Accuracy/Omission`
(`Accuracy/Addition`). The auditor flags a segment when a major finding of that kind falls in
it: additions by their MT offset, omissions by the refB segment their reference span lies in
(MT segment k translates refB segment k). Two baselines run on the same segments:

- length ratio: MT words / refB words; low ratio -> omission, high ratio -> addition;
- chrF: sentence chrF of the MT segment against refB; low -> both kinds.

Each baseline is shown at the auditor's own flag rate (same number of flagged segments) and at
its best threshold chosen on these labels (an optimistic upper bound for the baseline).

    .venv/bin/python benchmarks/content_benchmark.py [--limit N] [--calibrate] [--seed]

`--seed` only prints the agreement of seed 001's findings with reference/seed-001.json.

`--calibrate` refits `ContentConfig.support_weights` (auditor/config.py) without any error labels:
MT clauses against the full refB (supported) and against refB with the counterpart segment and
its two neighbours removed (same story, no counterpart), and the same from the refB side.
"""

from __future__ import annotations

import argparse
import bisect
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
TED = ROOT.parent / "shared" / "data" / "mqm_ted_zhen.dev.tsv"
MARK = re.compile(r"</?v>")
HUMAN = ("ref", "refB")


@dataclass
class TedDoc:
    system: str
    talk: str
    segments: list[str]
    reference: list[str]
    omission: np.ndarray  # bool per segment: gold major omission
    addition: np.ndarray
    accuracy: np.ndarray  # any major Accuracy/* error (omission, addition, mistranslation, ...)

    @staticmethod
    def starts(segments: list[str]) -> list[int]:
        """Character offsets of each segment in "\\n".join(segments)."""
        out, pos = [], 0
        for seg in segments:
            out.append(pos)
            pos += len(seg) + 1
        return out


def load_ted(path: Path = TED) -> list[TedDoc]:
    import pandas as pd

    frame = pd.read_csv(path, sep="\t", quoting=3, dtype=str, keep_default_na=False)
    frame["seg_id"] = frame["seg_id"].astype(int)
    frame["clean"] = frame["target"].str.replace(MARK, "", regex=True).str.strip()
    reference = {
        (talk, seg): text
        for talk, seg, text in frame[frame.system == "refB"][["doc", "seg_id", "clean"]]
        .drop_duplicates(["doc", "seg_id"]).itertuples(index=False)
    }
    docs = []
    for (system, talk), rows in frame[~frame.system.isin(HUMAN)].groupby(["system", "doc"]):
        seg_ids = sorted(s for s in rows.seg_id.unique() if (talk, s) in reference)
        first = rows.drop_duplicates("seg_id").set_index("seg_id")["clean"]
        major = rows[rows.severity == "Major"]
        omitted = set(major[major.category == "Accuracy/Omission"].seg_id)
        added = set(major[major.category == "Accuracy/Addition"].seg_id)
        inaccurate = set(major[major.category.str.startswith("Accuracy/")].seg_id)
        docs.append(TedDoc(
            system=system, talk=talk,
            segments=[first[s] for s in seg_ids],
            reference=[reference[(talk, s)] for s in seg_ids],
            omission=np.array([s in omitted for s in seg_ids]),
            addition=np.array([s in added for s in seg_ids]),
            accuracy=np.array([s in inaccurate for s in seg_ids]),
        ))
    return docs


def segment_of(starts: list[int], offset: int) -> int:
    return bisect.bisect_right(starts, offset) - 1


def prf(pred: np.ndarray, gold: np.ndarray) -> tuple[float, float, float, int]:
    tp = int((pred & gold).sum())
    p = tp / max(int(pred.sum()), 1)
    r = tp / max(int(gold.sum()), 1)
    f = 2 * p * r / max(p + r, 1e-9)
    return p, r, f, int(pred.sum())


def at_rate(score: np.ndarray, n_flag: int) -> np.ndarray:
    """Flag the n_flag segments with the highest score (a baseline at the auditor's flag rate)."""
    pred = np.zeros(len(score), bool)
    if n_flag > 0:
        pred[np.argsort(-score, kind="stable")[:n_flag]] = True
    return pred


def best_threshold(score: np.ndarray, gold: np.ndarray) -> tuple[float, np.ndarray]:
    """Best-F1 threshold on the labels themselves: an optimistic bound for a baseline."""
    best_f, best_pred = -1.0, np.zeros(len(score), bool)
    for t in np.unique(np.quantile(score, np.linspace(0.5, 0.995, 100))):
        pred = score >= t
        f = prf(pred, gold)[2]
        if f > best_f:
            best_f, best_pred = f, pred
    return best_f, best_pred


# ---- calibration ---------------------------------------------------------------------------
def calibration_features(docs: list[TedDoc], nlp, encoder) -> tuple[np.ndarray, np.ndarray]:
    """Label-free (features, supported?) rows from MT vs refB, counterpart present or removed."""
    from auditor.detect.clauses import parsed_sentences, split_clauses, with_sentence_units
    from auditor.detect.content import support_features
    from auditor.detect.nlp import parse_sentences
    from auditor.detect.units import idf_weights, unit_vectors
    from auditor.result import Document
    from auditor.segment import segment_document

    rows, labels = [], []
    for doc in docs:
        sides = []
        for d, segs in ((-1, doc.segments), (0, doc.reference)):
            seg = segment_document(Document("\n".join(segs)))
            clauses = split_clauses(d, parsed_sentences(seg, parse_sentences(nlp, seg.texts)))
            starts = TedDoc.starts(segs)
            flat = [c for s in clauses for c in s]
            units = with_sentence_units(clauses, seg)
            context = [frozenset().union(*(c.content for c in clauses[u.sentence]))
                       for u in units]
            sides.append({
                "rows": flat, "units": units, "context": context, "clauses": clauses,
                "row_seg": np.array([segment_of(starts, c.start) for c in flat]),
                "unit_seg": np.array([segment_of(starts, u.start) for u in units]),
            })
        vectors = unit_vectors(encoder, [u for side in sides for u in side["units"]])
        idf = idf_weights([frozenset().union(*(c.content for c in s))
                           for side in sides for s in side["clauses"]])
        for row_side, col_side in ((sides[0], sides[1]), (sides[1], sides[0])):
            rows_c, cols_c = row_side["rows"], col_side["units"]
            if not rows_c or not cols_c:
                continue
            sim = (np.vstack([vectors[(c.doc, c.start, c.end)] for c in rows_c])
                   @ np.vstack([vectors[(u.doc, u.start, u.end)] for u in cols_c]).T)
            keep = np.array([len(c.content) >= 3 and c.has_verb for c in rows_c])
            if not keep.any():
                continue
            cos, lex, mar, _ = support_features(sim, rows_c, cols_c, col_side["context"], idf)
            rows.append(np.c_[cos, lex, mar][keep])
            labels.append(np.ones(int(keep.sum())))
            for i in np.nonzero(keep)[0]:
                idx = np.nonzero(np.abs(col_side["unit_seg"] - row_side["row_seg"][i]) > 1)[0]
                if len(idx) < 5:
                    continue
                c, lx, m, _ = support_features(
                    sim[i : i + 1, idx], [rows_c[i]], [cols_c[j] for j in idx],
                    [col_side["context"][j] for j in idx], idf,
                )
                rows.append(np.c_[c, lx, m])
                labels.append(np.zeros(1))
    return np.vstack(rows), np.concatenate(labels)


def fit_logistic(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Class-balanced logistic regression (scipy), weights (intercept, cos, lex, margin)."""
    from scipy.optimize import minimize

    w_pos = 0.5 / max(y.mean(), 1e-9)
    w_neg = 0.5 / max(1 - y.mean(), 1e-9)
    sample = np.where(y == 1, w_pos, w_neg)
    design = np.c_[np.ones(len(x)), x]

    def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
        z = design @ beta
        p = 1 / (1 + np.exp(-z))
        ll = sample * (y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z))
        grad = design.T @ (sample * (p - y))
        return float(ll.sum() + 1e-3 * beta[1:] @ beta[1:]), grad + np.r_[0, 2e-3 * beta[1:]]

    return minimize(loss, np.zeros(design.shape[1]), jac=True, method="L-BFGS-B").x


def calibrate(docs: list[TedDoc]) -> None:
    from auditor.detect.nlp import load_spacy
    from auditor.embed import load_encoder

    x, y = calibration_features(docs, load_spacy(), load_encoder())
    beta = fit_logistic(x, y)
    z = np.c_[np.ones(len(x)), x] @ beta
    pred = z >= 0
    acc_pos, acc_neg = pred[y == 1].mean(), (~pred[y == 0]).mean()
    print(f"calibration rows: {int(y.sum())} supported, {int((1 - y).sum())} unsupported")
    print("ContentConfig.support_weights = (" + ", ".join(f"{b:.3f}" for b in beta) + ")")
    print(f"balanced accuracy {0.5 * (acc_pos + acc_neg):.3f} "
          f"(supported {acc_pos:.3f}, unsupported {acc_neg:.3f})")


# ---- benchmark -----------------------------------------------------------------------------
def run(docs: list[TedDoc], mode: str) -> None:  # noqa: C901 - one flat report
    from sacrebleu.metrics import CHRF

    from auditor import Auditor
    from auditor.config import AlignMode, AuditConfig
    from auditor.result import Document, FindingKind, Severity

    auditor = Auditor(detectors=["content"], config=AuditConfig(mode=AlignMode(mode)))
    chrf = CHRF()
    gold_o, gold_a, pred_o, pred_a, any_o, any_a, ratio, chrf_score = ([] for _ in range(8))
    gold_acc, pred_acc = [], []
    started = time.perf_counter()
    for doc in docs:
        mt_text, ref_text = "\n".join(doc.segments), "\n".join(doc.reference)
        result = auditor.audit(Document(mt_text, f"{doc.system}/{doc.talk}"),
                               [Document(ref_text, f"refB/{doc.talk}")])
        mt_starts, ref_starts = TedDoc.starts(doc.segments), TedDoc.starts(doc.reference)
        n = len(doc.segments)
        major = {k: np.zeros(n, bool) for k in ("o", "a", "m")}
        anyk = {k: np.zeros(n, bool) for k in ("o", "a", "m")}
        for f in result.findings:
            if f.kind is FindingKind.ADDITION and f.mt_start is not None:
                k, seg = "a", segment_of(mt_starts, f.mt_start)
            elif f.kind is FindingKind.MISTRANSLATION and f.mt_start is not None:
                k, seg = "m", segment_of(mt_starts, f.mt_start)
            elif f.kind is FindingKind.OMISSION and f.reference is not None:
                k, seg = "o", segment_of(ref_starts, f.reference.start)
            else:
                continue
            anyk[k][seg] = True
            if f.severity in (Severity.MAJOR, Severity.CRITICAL):
                major[k][seg] = True
        gold_acc.append(doc.accuracy)
        pred_acc.append(major["o"] | major["a"] | major["m"])
        gold_o.append(doc.omission)
        gold_a.append(doc.addition)
        pred_o.append(major["o"])
        pred_a.append(major["a"])
        any_o.append(anyk["o"])
        any_a.append(anyk["a"])
        ratio.append(np.array([len(m.split()) / max(len(r.split()), 1)
                               for m, r in zip(doc.segments, doc.reference, strict=True)]))
        chrf_score.append(np.array([chrf.sentence_score(m, [r]).score
                                    for m, r in zip(doc.segments, doc.reference, strict=True)]))
    elapsed = time.perf_counter() - started
    g_o, g_a = np.concatenate(gold_o), np.concatenate(gold_a)
    p_o, p_a = np.concatenate(pred_o), np.concatenate(pred_a)
    a_o, a_a = np.concatenate(any_o), np.concatenate(any_a)
    r, c = np.concatenate(ratio), np.concatenate(chrf_score)
    print(f"TED zh-en, {len(docs)} MT documents vs refB ({mode} mode), {len(g_o)} segments, "
          f"{elapsed:.0f} s; gold major omissions {int(g_o.sum())}, additions {int(g_a.sum())}")
    print(f"{'kind':9} {'method':34} {'P':>6} {'R':>6} {'F1':>6} {'flagged':>8}")

    def line(kind: str, method: str, pred: np.ndarray, gold: np.ndarray) -> None:
        p, rec, f, n = prf(pred, gold)
        print(f"{kind:9} {method:34} {p:6.3f} {rec:6.3f} {f:6.3f} {n:8d}")

    for kind, gold, pred, anyp, low_side in (
        ("omission", g_o, p_o, a_o, -r), ("addition", g_a, p_a, a_a, r),
    ):
        line(kind, "auditor (major findings)", pred, gold)
        line(kind, "auditor (any severity)", anyp, gold)
        n_flag = int(pred.sum())
        line(kind, "length ratio @ auditor rate", at_rate(low_side, n_flag), gold)
        line(kind, "chrF @ auditor rate", at_rate(-c, n_flag), gold)
        line(kind, "length ratio, best threshold (oracle)", best_threshold(low_side, gold)[1],
             gold)
        line(kind, "chrF, best threshold (oracle)", best_threshold(-c, gold)[1], gold)
        line(kind, "random @ auditor rate (expected P)",
             at_rate(np.random.default_rng(0).random(len(gold)), n_flag), gold)
    # False alarms of the repetition/fluency detector on human text: refB as the "MT".
    fluency = Auditor(encoder=auditor.encoder, detectors=["repetition"])
    talks = {doc.talk: doc for doc in docs}
    alarms = [f for doc in talks.values() for f in fluency.audit(
        Document("\n".join(doc.reference), "refB"),
        [Document("\n".join(doc.segments), doc.system)]).findings]
    n_ref = sum(len(doc.reference) for doc in talks.values())
    print(f"repetition/fluency findings on the human refB itself (false alarms): {len(alarms)} "
          f"in {n_ref} segments")
    g_acc, p_acc = np.concatenate(gold_acc), np.concatenate(pred_acc)
    print(f"context: any major Accuracy error (incl. mistranslation), {int(g_acc.sum())} segments")
    line("accuracy", "auditor (major om/add/mistranslation)", p_acc, g_acc)
    line("accuracy", "chrF @ auditor rate", at_rate(-c, int(p_acc.sum())), g_acc)
    line("accuracy", "length ratio |log| @ auditor rate",
         at_rate(np.abs(np.log(np.maximum(r, 1e-3))), int(p_acc.sum())), g_acc)


# ---- seed agreement ------------------------------------------------------------------------
def seed_report() -> None:
    """Precision and recall of this issue's findings against reference/seed-001.json."""
    import json

    from auditor import Auditor

    annotation = json.loads((ROOT / "reference" / "seed-001.json").read_text(encoding="utf-8"))
    auditor = Auditor(detectors=["content", "numbers", "repetition"])
    result = auditor.audit(ROOT / annotation["mt"], [ROOT / r for r in annotation["references"]])
    text = result.mt.doc.text
    print(f"seed {annotation['mt']}: findings vs the hand annotation (MT span overlap)")
    for kind in ("addition", "number", "repetition", "fluency"):
        gold = [(text.index(g["mt_text"]), text.index(g["mt_text"]) + len(g["mt_text"]),
                 g["severity"]) for g in annotation["findings"] if g["kind"] == kind]
        found = [f for f in result.findings if f.kind.value == kind]

        def hit(f, g) -> bool:
            return f.mt_start < g[1] and g[0] < f.mt_end

        tp = [f for f in found if any(hit(f, g) for g in gold)]
        found_gold = [g for g in gold if any(hit(f, g) for f in found)]
        same_severity = sum(1 for g in gold for f in found if hit(f, g)
                            and f.severity.value == g[2])
        print(f"  {kind:10} precision {len(tp)}/{len(found)}  recall {len(found_gold)}/"
              f"{len(gold)}  same severity {same_severity}")
    found = [f for f in result.findings if f.kind.value == "omission"]

    def match(f, g) -> bool:
        return (f.reference is not None and f.reference.doc == g["ref"]
                and g["ref_text"][:40] in f.reference.text)

    gold_om = annotation["omissions"]
    tp = [f for f in found if any(match(f, g) for g in gold_om)]
    hits = [g for g in gold_om if any(match(f, g) for f in found)]
    label = sum(1 for g in gold_om for f in found if match(f, g)
                and ("background" in f.evidence) == (g["likely"] == "background"))
    print(f"  omission   precision {len(tp)}/{len(found)}  recall {len(hits)}/{len(gold_om)}  "
          f"same dropped/background label {label}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="audit only the first N MT docs")
    parser.add_argument("--calibrate", action="store_true",
                        help="refit ContentConfig.support_weights")
    parser.add_argument("--seed", action="store_true",
                        help="only compare seed 001's findings with reference/seed-001.json")
    parser.add_argument("--mode", default="parallel", choices=["parallel", "comparable"],
                        help="alignment mode; refB is a true translation, hence parallel")
    parser.add_argument("--systems", default=None,
                        help="comma-separated systems to use (default: all 13 MT systems)")
    args = parser.parse_args(argv)
    if args.seed:
        seed_report()
        return 0
    if not TED.exists():
        print(f"no data at {TED}", file=sys.stderr)
        return 2
    docs = load_ted()
    if args.systems:
        wanted = set(args.systems.split(","))
        docs = [d for d in docs if d.system in wanted]
    if args.limit:
        docs = docs[: args.limit]
    if args.calibrate:
        calibrate(docs)
    else:
        run(docs, args.mode)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
