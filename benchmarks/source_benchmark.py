"""Source-only audits on the public WMT23 zh-en news MQM data (../shared/data, read in place).

Each system x document is audited with its Chinese source and no reference (detector
"source" only). A segment is predicted "omission" when an omission finding's source span
falls in it (or, without a source span, its MT point/span does), "addition" when an addition
finding's MT span overlaps it. Gold: some rater marked a Major error of that kind in it.
Printed: segment-level precision / recall / F1 for
- the source detector (all omissions, and major-severity ones only),
- a length-ratio baseline in the same run: log(MT chars / source chars) minus its median;
  a segment is an omission when the ratio is below -t, an addition when above +t, with t set
  to flag the same share of segments as the gold rate ("rate") and, as an upper bound, the t
  with the best F1 on this very data ("oracle");
the share of name and number findings that fall in a segment with a Major error of that kind
or a Major mistranslation (MQM files most wrong names and figures under Mistranslation);
and, per document, Kendall's tau of `overall` and `source_fidelity` with the WMT MQM score.

    .venv/bin/python benchmarks/source_benchmark.py [--limit 40] [--source-min-similarity 0.3]
        [--fast] [--clause-drops MINOR MAJOR] [--fit-clauses]

`--fast` audits in fast mode (the Chinese source on the gloss encoder's static vectors);
`--clause-drops` overrides the leave-one-out cuts (`SourceConfig.clause_drop_minor/major`);
`--fit-clauses` chooses them by the default's rule, cross-validated by document (`fit_clauses`).
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from mqm_data import MqmDocument, load_documents  # noqa: E402

from auditor.config import AuditConfig  # noqa: E402
from auditor.pipeline import Auditor  # noqa: E402
from auditor.result import AuditResult, Document, FindingKind, Severity  # noqa: E402


def prf(predicted: set[tuple[str, int]], gold: set[tuple[str, int]]) -> tuple[float, float, float]:
    tp = len(predicted & gold)
    p = tp / len(predicted) if predicted else 0.0
    r = tp / len(gold) if gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def source_segment(doc: MqmDocument, offset: int) -> int | None:
    for seg in doc.segments:
        if seg.source_start <= offset < seg.source_end:
            return seg.index
    return None


def predicted_segments(doc: MqmDocument, result: AuditResult, kind: FindingKind,
                       major_only: bool = False) -> set[int]:
    out: set[int] = set()
    for f in result.findings:
        if f.kind != kind or (major_only and f.severity == Severity.MINOR):
            continue
        if kind == FindingKind.OMISSION and f.source is not None:
            seg = source_segment(doc, f.source.start)
            if seg is not None:
                out.add(seg)
        elif f.mt_start is not None:
            out.update(doc.segments_overlapping(f.mt_start, f.mt_end or f.mt_start))
    return out


def length_ratio_baseline(docs: list[MqmDocument], gold: dict[str, set[tuple[str, int]]]):
    """(kind, variant) -> (threshold, P, R, F1) for the length-ratio baseline."""
    keys, ratios = [], []
    for d in docs:
        for s in d.segments:
            keys.append((d.key, s.index))
            ratios.append(math.log(max(len(s.mt), 1) / max(len(s.source), 1)))
    centred = np.array(ratios) - np.median(ratios)
    out = {}
    for kind, sign in (("omission", -1.0), ("addition", 1.0)):
        score = sign * centred  # higher = more suspicious
        order = np.argsort(-score)
        rate_n = len(gold[kind])
        rate_pred = {keys[i] for i in order[:rate_n]}
        out[(kind, "rate")] = (float(score[order[rate_n - 1]]) if rate_n else 0.0,
                               *prf(rate_pred, gold[kind]))
        best = (0.0, 0.0, 0.0, 0.0)
        for t in np.unique(np.round(score, 3)):
            pred = {keys[i] for i in np.flatnonzero(score >= t)}
            p, r, f = prf(pred, gold[kind])
            if f > best[3]:
                best = (float(t), p, r, f)
        out[(kind, "oracle")] = best
    return out


def with_cuts(config: AuditConfig, minor: float, major: float) -> AuditConfig:
    """`config` with these leave-one-out cuts, in the default's and fast mode's places."""
    return config.with_(source=replace(config.source, clause_drop_minor=minor,
                                       clause_drop_major=major),
                        fast=replace(config.fast, clause_drop_minor=minor,
                                     clause_drop_major=major))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="audit the first N documents")
    parser.add_argument("--source-min-similarity", type=float, default=None)
    parser.add_argument("--fast", action="store_true", help="fast mode (gloss encoder)")
    parser.add_argument("--clause-drops", type=float, nargs=2, default=None,
                        metavar=("MINOR", "MAJOR"))
    parser.add_argument("--fit-clauses", action="store_true",
                        help="cross-validate the leave-one-out cuts for this encoder")
    args = parser.parse_args()

    from scipy.stats import kendalltau

    docs = load_documents("news")[: args.limit]
    config = AuditConfig()
    if args.source_min_similarity is not None:
        config = config.with_(source_min_similarity=args.source_min_similarity)
    if args.clause_drops is not None:
        config = with_cuts(config, *args.clause_drops)
    auditor = (Auditor(config=config, detectors=["source"], fast=True) if args.fast else
               Auditor(model="use-multilingual-v3", config=config, detectors=["source"]))
    if args.fit_clauses:
        fit_clauses(auditor, docs)
        return
    gold: dict[str, set[tuple[str, int]]] = {"omission": set(), "addition": set()}
    pred: dict[str, set[tuple[str, int]]] = {"omission": set(), "omission-major": set(),
                                             "addition": set()}
    counts = {k: 0 for k in FindingKind}
    hits = {FindingKind.NAME: 0, FindingKind.NUMBER: 0}  # in a segment with a Major error
    doc_rows = []
    start = time.perf_counter()
    for d in docs:
        result = auditor.audit(Document(d.mt, d.key, "en"), source=Document(d.source, d.key, "zh"))
        for s in d.segments:
            for kind in ("omission", "addition"):
                if kind in s.major_kinds:
                    gold[kind].add((d.key, s.index))
        for name, kind, major in (("omission", FindingKind.OMISSION, False),
                                  ("omission-major", FindingKind.OMISSION, True),
                                  ("addition", FindingKind.ADDITION, False)):
            pred[name] |= {(d.key, i) for i in predicted_segments(d, result, kind, major)}
        for f in result.findings:
            counts[f.kind] += 1
            if f.kind in (FindingKind.NAME, FindingKind.NUMBER) and f.mt_start is not None:
                labels = {k for i in d.segments_overlapping(f.mt_start, f.mt_end or f.mt_start)
                          for k in d.segments[i].major_kinds}
                hits[f.kind] += bool(labels & {f.kind.value, "mistranslation"})
        doc_rows.append((d.mqm, result.scores.overall, result.scores.source_fidelity or 0.0))
    elapsed = time.perf_counter() - start

    n_segments = sum(len(d.segments) for d in docs)
    print(f"news zh-en MQM: {len(docs)} documents, {n_segments} segments, "
          f"{elapsed:.0f} s ({elapsed / max(len(docs), 1):.2f} s/doc); "
          f"source_min_similarity={auditor.config.source_min_similarity}, clause drops "
          f"{auditor.config.source.clause_drop_minor}/{auditor.config.source.clause_drop_major}"
          f", source encoder {auditor.signature.source_model}")
    print(f"gold major omission segments {len(gold['omission'])}, "
          f"major addition segments {len(gold['addition'])}")
    print(f"findings by kind: {', '.join(f'{k.value}={v}' for k, v in counts.items() if v)}")
    for kind, hit in hits.items():
        print(f"{kind.value} findings in segments with a Major {kind.value} or mistranslation "
              f"error: {hit}/{counts[kind]}")
    print(f"{'method':<34}{'kind':<10}{'flagged':>8}{'P':>7}{'R':>7}{'F1':>7}")
    for name, kind in (("source detector (all)", "omission"),
                       ("source detector (major only)", "omission-major"),
                       ("source detector", "addition")):
        gold_kind = kind.split("-")[0]
        p, r, f = prf(pred[kind], gold[gold_kind])
        print(f"{name:<34}{gold_kind:<10}{len(pred[kind]):>8}{p:>7.3f}{r:>7.3f}{f:>7.3f}")
    for (kind, variant), (t, p, r, f) in length_ratio_baseline(docs, gold).items():
        label = f"length ratio ({variant}, t={t:.2f})"
        print(f"{label:<34}{kind:<10}{'':>8}{p:>7.3f}{r:>7.3f}{f:>7.3f}")
    mqm, overall, fidelity = (np.array(c) for c in zip(*doc_rows, strict=True))
    print(f"document level: source_fidelity mean {fidelity.mean():.3f} "
          f"(min {fidelity.min():.3f}, max {fidelity.max():.3f}); overall mean "
          f"{overall.mean():.1f} (min {overall.min():.1f}, max {overall.max():.1f})")
    if len(docs) > 2:
        print(f"document level, Kendall tau with WMT MQM: overall "
              f"{kendalltau(mqm, overall).statistic:.3f}, source_fidelity "
              f"{kendalltau(mqm, fidelity).statistic:.3f}")


# ---- fast mode's leave-one-out cuts (--fit-clauses) -------------------------------------------
CUTS = tuple(round(-0.01 * k, 2) for k in range(16))  # 0.00 ... -0.15
_CHANGE = re.compile(r"leaving it out makes the source closer to the MT")


def clause_drops(auditor: Auditor, docs: list[MqmDocument]
                 ) -> tuple[dict[str, list[tuple[int, float]]], dict[str, set[int]]]:
    """Per document: (source segment, leave-one-out drop) of every clause the check reads, and
    the segments the sentence-level gap check flags as omissions (independent of the cuts)."""
    major = auditor.config.source.clause_drop_major
    probe = auditor.with_config(with_cuts(auditor.config, 1.0, major))
    drops: dict[str, list[tuple[int, float]]] = {}
    gaps: dict[str, set[int]] = {}
    for d in docs:
        result = probe.audit(Document(d.mt, d.key, "en"), source=Document(d.source, d.key, "zh"))
        drops[d.key], gaps[d.key] = [], set()
        for f in result.findings:
            if f.kind != FindingKind.OMISSION or f.source is None:
                continue
            seg = source_segment(d, f.source.start)
            if seg is None:
                continue
            if _CHANGE.search(f.evidence):
                # the exact drop: the confidence is -5 x drop, clipped to 0..1 (the evidence
                # text rounds it to 0.01); a clause whose drop is >= 0 is never flagged
                drops[d.key].append((seg, -f.confidence / 5))
            else:
                gaps[d.key].add(seg)
    return drops, gaps


def choose_cuts(keys: list[str], drops: dict[str, list[tuple[int, float]]],
                gaps: dict[str, set[int]], gold: set[tuple[str, int]], baseline_p: float
                ) -> tuple[float, float]:
    """The rule the default's cuts were set by (auditor/config.py SourceConfig), on `keys`:
    minor = the loosest cut whose segment precision (gap and clause omissions together) stays
    >= 1.5x the length-ratio baseline's; major = the loosest cut at which at least half of the
    flagged clauses fall in a segment with a Major omission (and not looser than minor)."""
    minor = CUTS[-1]
    for cut in CUTS:  # loosest first
        flagged = {(k, s) for k in keys for s in gaps[k]} | {
            (k, s) for k in keys for s, drop in drops[k] if drop < cut}
        p, _, _ = prf(flagged, gold)
        if flagged and p >= 1.5 * baseline_p:
            minor = cut
            break
    major = CUTS[-1]
    for cut in CUTS:
        hits = [(k, s) in gold for k in keys for s, drop in drops[k] if drop < cut]
        if len(hits) >= 5 and sum(hits) / len(hits) >= 0.5:
            major = cut
            break
    return minor, min(major, minor)


def fit_clauses(auditor: Auditor, docs: list[MqmDocument]) -> None:
    """Cross-validated choice of the leave-one-out cuts for this auditor's source encoder:
    five folds grouped by news document (every system's translation of a document in the
    same fold), each fold's cuts chosen on the other four by `choose_cuts`."""
    gold = {(d.key, s.index) for d in docs for s in d.segments if "omission" in s.major_kinds}
    drops, gaps = clause_drops(auditor, docs)
    names = sorted({d.doc for d in docs})
    folds = [names[k::5] for k in range(5)]
    pooled: set[tuple[str, int]] = set()
    for k, held in enumerate(folds):
        train = [d for d in docs if d.doc not in held]
        test = [d.key for d in docs if d.doc in held]
        base = length_ratio_baseline(train, {
            "omission": {g for g in gold if g[0] in {d.key for d in train}}, "addition": set()})
        minor, major = choose_cuts([d.key for d in train], drops, gaps, gold,
                                   base[("omission", "rate")][1])
        pooled |= {(key, s) for key in test for s in gaps[key]} | {
            (key, s) for key in test for s, drop in drops[key] if drop < minor}
        print(f"fold {k + 1}: minor {minor:+.2f}, major {major:+.2f}")
    p, r, f = prf(pooled, gold)
    print(f"cross-validated omission segments (gaps and clauses): P {p:.3f} R {r:.3f} F1 {f:.3f}"
          f" ({len(pooled)} flagged)")
    base = length_ratio_baseline(docs, {"omission": gold, "addition": set()})
    minor, major = choose_cuts([d.key for d in docs], drops, gaps, gold,
                               base[("omission", "rate")][1])
    print(f"all documents: clause_drop_minor {minor:+.2f}, clause_drop_major {major:+.2f}")


if __name__ == "__main__":
    main()
