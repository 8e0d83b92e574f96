"""Measure the story-matching threshold on public data (not the seeds), printing the figures.

Proxy for "the same story told twice": two different MT systems' leads (first two segments,
with the title) of one WMT23 zh-en news document; "different stories": leads of two different
documents. Independent English reports differ more than two translations do, so the threshold
should sit at the low end: we print the upper percentiles of different-story similarity (false
matches) next to the lower percentiles of same-story similarity.

    .venv/bin/python benchmarks/feed_match_threshold.py [--data PATH_TO_TSV] [--model fast]
"""

from __future__ import annotations

import argparse
import csv
import re
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import numpy as np

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mqm_news_zhen.dev.tsv"


def load_leads(path: Path, segments: int = 3) -> dict[tuple[str, str], str]:
    """(doc, system) -> the first `segments` target segments joined, markers removed."""
    seen: dict[tuple[str, str], dict[int, str]] = defaultdict(dict)
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            seg = int(row["docSegId"])
            if seg <= segments:
                text = re.sub(r"</?v>", "", row["target"])
                seen[(row["doc"], row["system"])].setdefault(seg, text)
    return {k: " ".join(v[s] for s in sorted(v)) for k, v in seen.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--model", default=None,
                        help="the encoder (default: the auditor's; `fast`: fast mode's static "
                        "one)")
    args = parser.parse_args()

    from auditor.embed import load_encoder

    leads = load_leads(args.data)
    keys = sorted(leads)
    encoder = load_encoder(args.model) if args.model else load_encoder()
    vectors = encoder.encode([leads[k] for k in keys])
    sims = vectors @ vectors.T
    same, different = [], []
    for i, j in combinations(range(len(keys)), 2):
        (same if keys[i][0] == keys[j][0] else different).append(float(sims[i, j]))
    same_a, diff_a = np.array(same), np.array(different)
    docs = len({k[0] for k in keys})
    print(f"{docs} documents, {len(keys)} leads; {len(same)} same-story pairs, "
          f"{len(different)} different-story pairs")
    for q in (50, 90, 95, 99, 99.9, 100):
        print(f"different-story similarity p{q:g}: {np.percentile(diff_a, q):.3f}")
    for q in (0, 1, 5, 10, 50):
        print(f"same-story similarity p{q:g}: {np.percentile(same_a, q):.3f}")
    for bar in (0.4, 0.5, 0.6, 0.65, 0.7, 0.75):
        print(f"at cosine >= {bar}: {np.mean(diff_a >= bar):.2%} of different-story pairs, "
              f"{np.mean(same_a >= bar):.2%} of same-story pairs")


if __name__ == "__main__":
    main()
