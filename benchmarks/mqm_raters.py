"""How much of the dev data's document MQM score is the rater who happened to rate it?

    python benchmarks/mqm_raters.py

Every rating (one rater's points for one segment of one system's translation, WMT 2021
weights) is modelled as segment + system + rater (additive, least squares). Fitted with one
source document held out (a TED talk, a news document), the held-out document's system x
document scores are then predicted from what no metric sees, the severity of the raters who
rated its segments ("rater mix"), and from what a perfect metric could at best learn about a
system from the other documents ("system effect"). The document Kendall tau of each with the
gold score (over system x document pairs, and within a document) says how far the gold ranking
is the raters' rather than the translations': on TED (one rater per segment) it mostly is.
The last line, fitted on everything (in-sample, an oracle), is what a rater-blind metric that
knew every segment's difficulty and every system's quality would reach.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import wmt_stats as st  # noqa: E402
from mqm_data import MqmDocument, error_points, load_documents  # noqa: E402

HUMAN = ("ref", "refB")  # the human translations rated alongside the MT systems
DAMP = 0.1  # ridge on the effects, so that a rater seen on a few segments stays near 0


def ratings(docs: Sequence[MqmDocument]) -> list[tuple[str, str, str, float]]:
    """(segment key, system, rater, that rater's points) for every rating."""
    out = []
    for d in docs:
        for s in d.segments:
            for rater in s.raters:
                points = sum(error_points(e.category, e.severity)
                             for e in s.errors if e.rater == rater)
                out.append((f"{d.doc}#{s.index}", d.system, rater, points))
    return out


def fit_effects(rows: Sequence[tuple[str, str, str, float]]) -> dict[tuple[str, str], float]:
    """Least-squares segment, system and rater effects; systems and raters centred."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.linalg import lsqr

    cols: dict[tuple[str, str], int] = {}
    i, j = [], []
    for n, (seg, system, rater, _) in enumerate(rows):
        for key in (("seg", seg), ("sys", system), ("rater", rater)):
            i.append(n)
            j.append(cols.setdefault(key, len(cols)))
    x = csr_matrix((np.ones(len(i)), (i, j)), shape=(len(rows), len(cols)))
    beta = lsqr(x, np.array([r[3] for r in rows]), damp=DAMP)[0]
    effects = {k: float(beta[c]) for k, c in cols.items()}
    for kind in ("sys", "rater"):
        mean = np.mean([v for k, v in effects.items() if k[0] == kind])
        effects.update({k: v - mean for k, v in effects.items() if k[0] == kind})
    return effects


def analyse(dataset: str) -> dict[str, tuple[float, float]]:
    docs = [d for d in load_documents(dataset) if d.system not in HUMAN]
    gold = np.array([d.mqm for d in docs])
    names = [d.doc for d in docs]
    rater_mix, system = np.zeros(len(docs)), np.zeros(len(docs))
    for held in sorted(set(names)):
        effects = fit_effects(ratings([d for d in docs if d.doc != held]))
        for k, d in enumerate(docs):
            if d.doc != held:
                continue
            rater_mix[k] = -np.mean([np.mean([effects.get(("rater", r), 0.0) for r in s.raters])
                                     for s in d.segments])
            system[k] = -effects.get(("sys", d.system), 0.0)
    effects = fit_effects(ratings(docs))
    oracle = np.array([-np.mean([effects[("seg", f"{d.doc}#{s.index}")] for s in d.segments])
                       - effects[("sys", d.system)] for d in docs])

    def taus(score: np.ndarray) -> tuple[float, float]:
        return st.kendall(score, gold), st.grouped_tau(score, gold, names)

    return {"rater mix (held-out document)": taus(rater_mix),
            "system effect (held-out document)": taus(system),
            "rater-blind oracle: segment + system (in-sample)": taus(oracle),
            "_docs": (len(docs), len(set(names)))}


def main() -> int:
    for dataset in ("ted", "news"):
        res = analyse(dataset)
        n_docs, n_sources = res.pop("_docs")
        print(f"{dataset}: {n_docs} system x document scores, {n_sources} source documents")
        for name, (tau, within) in res.items():
            # nan within a document: every system of it was rated by the same raters
            inside = "n/a (same raters)" if np.isnan(within) else f"{within:+.3f}"
            print(f"  {name:50s} doc tau {tau:+.3f}   tau within document {inside}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
