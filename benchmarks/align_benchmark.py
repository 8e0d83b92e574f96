"""Comparable-alignment proxy from the TED MQM data (../shared/data), used to choose the
comparable aligner's defaults without looking at the seeds.

For each talk and several MT systems, the MT keeps a random 80% of its segments and the human
reference (refB) a random 70%, shuffled: like two independent reports, order differs and each
side has sentences the other lacks. Gold: segment ids. Printed: precision and recall of each MT
sentence's best aligned counterpart, for a grid of margin thresholds and lexical weights.

    .venv/bin/python benchmarks/align_benchmark.py [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor.align import align_comparable, cosine_matrix, lexical_similarity  # noqa: E402
from auditor.embed import load_encoder  # noqa: E402

TED = ROOT.parent / "shared" / "data" / "mqm_ted_zhen.dev.tsv"
SYSTEMS = ("Online-W", "DIDI-NLP", "metricsystem5", "ref")


def build_cases(seed: int) -> list[tuple[list[str], list[str], list[int], list[int]]]:
    df = pd.read_csv(TED, sep="\t", quoting=3)
    df["text"] = df.target.str.replace("<v>", "").str.replace("</v>", "")
    rng = np.random.default_rng(seed)
    cases = []
    for talk in df.doc.unique():
        d = df[df.doc == talk]
        ref = d[d.system == "refB"].drop_duplicates("seg_id").set_index("seg_id").text
        for system in SYSTEMS:
            mt = d[d.system == system].drop_duplicates("seg_id").set_index("seg_id").text
            ids = sorted(set(ref.index) & set(mt.index))
            for _ in range(2):
                keep_mt = [i for i in ids if rng.random() > 0.2]
                keep_ref = [i for i in ids if rng.random() > 0.3]
                keep_ref = [keep_ref[k] for k in rng.permutation(len(keep_ref))]
                cases.append(
                    ([mt[i] for i in keep_mt], [ref[i] for i in keep_ref], keep_mt, keep_ref)
                )
    return cases


def evaluate(cases, vectors, margin: float, lexical_weight: float) -> tuple[float, float]:
    tp = fp = fn = 0
    for (mt, ref, mt_ids, ref_ids), (mv, rv) in zip(cases, vectors, strict=True):
        sim = cosine_matrix(mv, rv)
        if lexical_weight:
            sim = (1 - lexical_weight) * sim + lexical_weight * lexical_similarity(mt, ref)
        best: dict[int, int] = {}
        for mt_group, ref_group in align_comparable(sim, margin_threshold=margin):
            for i in mt_group:
                j = max(ref_group, key=lambda j: sim[i, j])
                if i not in best or sim[i, j] > sim[i, best[i]]:
                    best[i] = j
        for i, seg in enumerate(mt_ids):
            has_gold = seg in ref_ids
            if i in best:
                if has_gold and ref_ids[best[i]] == seg:
                    tp += 1
                else:
                    fp += 1
            elif has_gold:
                fn += 1
    return tp / max(tp + fp, 1), tp / max(tp + fn, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    cases = build_cases(args.seed)
    encoder = load_encoder()
    vectors = [(encoder.encode(mt), encoder.encode(ref)) for mt, ref, _, _ in cases]
    print(f"{len(cases)} comparable pairs from {TED.name}")
    print("margin  lexical  precision  recall  F1")
    for margin in (1.0, 1.05, 1.1, 1.15):
        for lexical in (0.0, 0.25, 0.5):
            p, r = evaluate(cases, vectors, margin, lexical)
            print(f"{margin:6.2f}  {lexical:7.2f}  {p:9.3f}  {r:6.3f}  {2 * p * r / (p + r):.3f}")


if __name__ == "__main__":
    main()
