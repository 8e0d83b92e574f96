"""Meta-evaluation statistics of the WMT metrics task, over plain arrays.

- `acc_eq`: pairwise accuracy with tie calibration (Deutsch, Foster and Freitag 2023, the
  WMT23/WMT24 segment-level statistic): over pairs of items, the share where metric and gold
  agree on which is better or both call a tie; the metric's tie threshold epsilon is the one
  that maximises the figure (part of the statistic's definition);
- `grouped_tau`: Kendall tau-b within each group (a segment's translations by the systems, or
  a document's), averaged over groups;
- `pairwise_accuracy`: system-level share of system pairs ranked as the gold ranks them;
- `bootstrap`: percentile interval of a statistic under resampling of source documents.
All scores are higher-is-better (gold = minus MQM points).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np


def _pairs(n: int, groups: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    if groups is None:
        i, j = np.triu_indices(n, k=1)
        return i, j
    out_i, out_j = [], []
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    bounds = np.flatnonzero(np.diff(sorted_groups)) + 1
    for members in np.split(order, bounds):
        if len(members) > 1:
            a, b = np.triu_indices(len(members), k=1)
            out_i.append(members[a])
            out_j.append(members[b])
    if not out_i:
        return np.zeros(0, int), np.zeros(0, int)
    return np.concatenate(out_i), np.concatenate(out_j)


def acc_eq(metric: Sequence[float], gold: Sequence[float],
           groups: Sequence[object] | None = None, max_pairs: int = 6_000_000,
           seed: int = 0) -> tuple[float, float]:
    """(accuracy, epsilon). `groups`: only pairs within a group count (e.g. the same segment
    translated by different systems); None: all pairs (sampled down to `max_pairs`)."""
    m = np.asarray(metric, dtype=float)
    g = np.asarray(gold, dtype=float)
    codes = None
    if groups is not None:
        _, codes = np.unique(np.asarray([str(x) for x in groups]), return_inverse=True)
    i, j = _pairs(len(m), codes)
    if len(i) > max_pairs:
        keep = np.random.default_rng(seed).choice(len(i), max_pairs, replace=False)
        i, j = i[keep], j[keep]
    if not len(i):
        return math.nan, 0.0
    dm = m[i] - m[j]
    dg = g[i] - g[j]
    gold_tie = dg == 0
    concordant = (np.sign(dm) == np.sign(dg)) & ~gold_tie
    order = np.argsort(np.abs(dm), kind="stable")
    adm = np.abs(dm)[order]
    tie_cum = np.concatenate([[0], np.cumsum(gold_tie[order])])
    conc_cum = np.concatenate([[0], np.cumsum(concordant[order])])
    # Tying the first k pairs (|dm| <= eps) is only possible at boundaries between values.
    ks = np.concatenate([[0], np.flatnonzero(np.diff(adm)) + 1, [len(adm)]])
    # exact zero differences are always ties
    zero = int(np.searchsorted(adm, 0.0, side="right"))
    ks = ks[ks >= zero]
    correct = tie_cum[ks] + (conc_cum[-1] - conc_cum[ks])
    best = int(np.argmax(correct))
    k = ks[best]
    eps = float(adm[k - 1]) if k > 0 else 0.0
    return float(correct[best] / len(adm)), eps


def kendall(x: Sequence[float], y: Sequence[float]) -> float:
    from scipy.stats import kendalltau

    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 3 or np.std(x) == 0 or np.std(y) == 0:
        return math.nan
    return float(kendalltau(x, y).statistic)


def pearson(x: Sequence[float], y: Sequence[float]) -> float:
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 3 or np.std(x) == 0 or np.std(y) == 0:
        return math.nan
    return float(np.corrcoef(x, y)[0, 1])


def grouped_tau(x: Sequence[float], y: Sequence[float], groups: Sequence[object]) -> float:
    """Mean Kendall tau-b within groups (groups where it is undefined are skipped)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    by: dict[object, list[int]] = {}
    for k, gr in enumerate(groups):
        by.setdefault(gr, []).append(k)
    taus = [kendall(x[idx], y[idx]) for idx in by.values() if len(idx) >= 3]
    taus = [t for t in taus if not math.isnan(t)]
    return float(np.mean(taus)) if taus else math.nan


def pairwise_accuracy(x: Sequence[float], y: Sequence[float]) -> float:
    """Share of pairs ordered alike (system level; gold ties count as agreement only when
    the metric ties too)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    i, j = np.triu_indices(len(x), k=1)
    if not len(i):
        return math.nan
    return float(np.mean(np.sign(x[i] - x[j]) == np.sign(y[i] - y[j])))


def bootstrap(stat: Callable[[np.ndarray], float], units: Sequence[object],
              n: int = 1000, seed: int = 0) -> tuple[float, float]:
    """95% percentile interval of `stat(indices of the resampled units)`."""
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n):
        v = stat(rng.integers(0, len(units), len(units)))
        if not math.isnan(v):
            values.append(v)
    if not values:
        return math.nan, math.nan
    lo, hi = np.percentile(values, [2.5, 97.5])
    return float(lo), float(hi)
