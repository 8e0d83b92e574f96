"""Sentence-alignment benchmarks on the dev MQM data (../shared/data), not seen by any test.

Parallel alignment with exact groups (the default run). Each MQM segment is split into sentences
on both sides; the gold groups are the segments (all sentences of segment k on one side <-> all
of segment k on the other). Scored as vecalign's score.py: strict = the exact group, lax = a
predicted group overlapping a gold group on both sides; precision over predicted groups, recall
over gold groups (groups empty on one side are left out of both). Case sets:
- ted-ref:   MT <-> refB (English, MiniLM), automatic segmentation of each segment;
- ted-src, news-src: MT <-> Chinese source (multilingual USE);
- lines-ref, lines-src: sentence-per-line text, each segment one line (so the base alignment
  is exactly 1-1: in the sets above a segment of two sentences on both sides is one 2-2 gold
  group even where its sentences pair 1-1), with synthetic merges and splits (two neighbouring
  lines joined, a line split at a clause boundary, on either side, each at rate 0.15), so 1-2,
  2-1 and 2-2 groups are frequent; given to the aligner line by line.
"before" is the single sum-of-vectors pass (AuditConfig(parallel_refine=False)), "after" the
shipped config. Speed: texts sent to the encoder per sentence (both sides; each distinct text
once) and CPU seconds of embedding + alignment per 1,000 sentences, from an empty cache.

    python benchmarks/align_benchmark.py [--limit N]      # before / after table
    python benchmarks/align_benchmark.py --fit            # grouped 5-fold CV of the 2nd pass
    python benchmarks/align_benchmark.py --search         # how wide the 2nd pass must look
    python benchmarks/align_benchmark.py --ratios         # expected character-length ratios
    python benchmarks/align_benchmark.py --comparable     # the comparable-mode proxy (below)
    python benchmarks/align_benchmark.py --fit --fast --sets ted-src news-src lines-src
                                                          # fast mode's source floor

Comparable-alignment proxy (--comparable), used to choose the comparable aligner's defaults:
for each talk and several MT systems, the MT keeps a random 80% of its segments and the human
reference (refB) a random 70%, shuffled: like two independent reports, order differs and each
side has sentences the other lacks. Gold: segment ids. Printed: precision and recall of each MT
sentence's best aligned counterpart, for a grid of margin thresholds and lexical weights.
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from auditor.align import Group, align_comparable, cosine_matrix, lexical_similarity  # noqa: E402
from auditor.config import AuditConfig  # noqa: E402
from auditor.embed import CachedEncoder, load_encoder  # noqa: E402
from auditor.result import Document  # noqa: E402
from auditor.segment import segment_document  # noqa: E402

TED = ROOT.parent / "shared" / "data" / "mqm_ted_zhen.dev.tsv"
SYSTEMS = ("Online-W", "DIDI-NLP", "metricsystem5", "ref")
CASE_SETS = ("ted-ref", "ted-src", "news-src", "lines-ref", "lines-src")
SYNTHETIC_RATE = 0.15


# ---- parallel cases with exact gold groups ------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One document pair: sentences of both sides and the gold groups (segments)."""

    name: str
    group: str  # the source document (talk or news story): the unit of cross-validation
    mt: tuple[str, ...]
    other: tuple[str, ...]
    other_lang: str
    gold: tuple[Group, ...]


def _split_segment(text: str, lang: str) -> list[str]:
    return segment_document(Document(text, lang=lang)).texts if text.strip() else []


_CLAUSE = {"en": re.compile(r"[,;:] "), "zh": re.compile(r"[，；：]")}


def _clause_split(sentence: str, lang: str) -> tuple[str, str] | None:
    """Split at the clause mark nearest the middle, if it leaves two halves of >= 25%."""
    best = None
    for match in _CLAUSE[lang].finditer(sentence):
        cut = match.end()
        if 0.25 <= cut / len(sentence) <= 0.75 and (
                best is None or abs(cut - len(sentence) / 2) < abs(best - len(sentence) / 2)):
            best = cut
    if best is None:
        return None
    return sentence[:best].strip(), sentence[best:].strip()


def _synthetic(segments: list[tuple[list[str], list[str]]], langs: tuple[str, str],
               rng: np.random.Generator) -> list[tuple[list[str], list[str]]]:
    """Join neighbouring sentences across segments (the two segments become one gold group)
    and split sentences at a clause boundary, on either side, each at SYNTHETIC_RATE."""
    joiners = tuple("" if lang == "zh" else " " for lang in langs)
    out: list[tuple[list[str], list[str]]] = []
    for mt, other in segments:
        sides = [list(mt), list(other)]
        if out and all(out[-1]) and all(sides):
            for s in (0, 1):
                if rng.random() < SYNTHETIC_RATE:
                    prev = [list(out[-1][0]), list(out[-1][1])]
                    prev[s][-1] = prev[s][-1] + joiners[s] + sides[s][0]
                    sides[s] = sides[s][1:]
                    merged = (prev[0] + sides[0], prev[1] + sides[1])
                    out[-1] = merged
                    sides = []
                    break
        if not sides:
            continue
        out.append((sides[0], sides[1]))
    result = []
    for mt, other in out:
        sides = [list(mt), list(other)]
        for s in (0, 1):
            if sides[s] and rng.random() < SYNTHETIC_RATE:
                k = int(rng.integers(len(sides[s])))
                halves = _clause_split(sides[s][k], langs[s])
                if halves and all(halves):
                    sides[s][k : k + 1] = list(halves)
        result.append((sides[0], sides[1]))
    return result


def _case(name: str, group: str, segments: list[tuple[list[str], list[str]]],
          other_lang: str) -> Case:
    mt: list[str] = []
    other: list[str] = []
    gold: list[Group] = []
    for m_sents, o_sents in segments:
        m_sents = [s for s in m_sents if s.strip()]
        o_sents = [s for s in o_sents if s.strip()]
        if m_sents and o_sents:
            gold.append((tuple(range(len(mt), len(mt) + len(m_sents))),
                         tuple(range(len(other), len(other) + len(o_sents)))))
        mt += m_sents
        other += o_sents
    return Case(name, group, tuple(mt), tuple(other), other_lang, tuple(gold))


def build_parallel_cases(names: tuple[str, ...], limit: int | None, seed: int = 0
                         ) -> list[Case]:
    from mqm_data import load_documents

    rng = np.random.default_rng(seed)
    cases: list[Case] = []
    ted = load_documents("ted") if any(n.endswith("-ref") or n == "ted-src" for n in names) else []
    news = load_documents("news") if any(n.endswith("-src") for n in names) else []
    for name in names:
        source_side = name.endswith("-src")
        docs = news if name in ("news-src", "lines-src") else ted
        if limit is not None and limit < len(docs):
            step = len(docs) / limit
            docs = [docs[int(i * step)] for i in range(limit)]
        for doc in docs:
            lang = "zh" if source_side else "en"
            segs = [(s.mt, s.source if source_side else s.reference) for s in doc.segments]
            if name.startswith("lines"):
                # each segment one line (so the base alignment is exactly 1-1), then merges
                # and splits whose groups are known exactly
                split = [([" ".join(s.split())] if s.strip() else [],
                          [" ".join(o.split())] if o.strip() else []) for s, o in segs]
                split = _synthetic(split, ("en", lang), rng)
            else:
                split = [(_split_segment(s, "en"), _split_segment(o, lang)) for s, o in segs]
            cases.append(_case(name, f"{doc.dataset}:{doc.doc}", split, lang))
    return cases


# ---- scoring as vecalign's score.py ------------------------------------------------------
def score_counts(gold: tuple[Group, ...], test: list[Group]) -> np.ndarray:
    """[strict tp, strict fp, lax tp, lax fp] of `test` against `gold` (swap for recall)."""
    gold_set = set(gold)
    src_to_tgt: dict[int, set[int]] = defaultdict(set)
    for a, b in gold:
        for i in a:
            src_to_tgt[i].update(b)
    out = np.zeros(4, dtype=np.int64)
    for a, b in test:
        if (a, b) in gold_set:
            out += (1, 0, 1, 0)
            continue
        targets = set().union(*(src_to_tgt[i] for i in a)) if a else set()
        out += (0, 1, 1, 0) if targets & set(b) else (0, 1, 0, 1)
    return out


def prf(precision_counts: np.ndarray, recall_counts: np.ndarray) -> dict[str, float]:
    def f(tp: int, fp: int) -> float:
        return tp / max(tp + fp, 1)

    out = {}
    for label, k in (("strict", 0), ("lax", 2)):
        p = f(precision_counts[k], precision_counts[k + 1])
        r = f(recall_counts[k], recall_counts[k + 1])
        out[f"{label}_p"], out[f"{label}_r"] = p, r
        out[f"{label}_f1"] = 2 * p * r / (p + r) if p + r else 0.0
    return out


# ---- running the aligner -----------------------------------------------------------------
def align_case(case: Case, encoder, config: AuditConfig) -> list[Group]:
    """The pipeline's parallel alignment of one case, sentences given one per line."""
    from auditor.pipeline import align_parallel_texts
    from auditor.segment import segment_lines

    mt = segment_lines(Document("\n".join(case.mt), lang="en"))
    other = segment_lines(Document("\n".join(case.other), lang=case.other_lang))
    mt_vectors, other_vectors = encoder.encode(mt.texts), encoder.encode(other.texts)
    min_sim = config.source_min_similarity if case.other_lang != "en" else config.min_similarity
    groups, _ = align_parallel_texts(mt, other, mt_vectors, other_vectors, encoder, config,
                                     min_sim)
    return groups


class StoredEncoder:
    """The real encoder behind a vector store kept on disk under /tmp between runs (so a rerun
    or a grid point embeds nothing new), counting the distinct texts each run asks for: the
    texts a fresh `CachedEncoder` would send to the model."""

    def __init__(self, inner, path: Path):
        self.inner, self.path = inner, path
        self.name, self.multilingual = inner.name, inner.multilingual
        self.store: dict[str, np.ndarray] = {}
        if path.exists():
            data = np.load(path, allow_pickle=False)
            self.store = dict(zip(data["texts"].tolist(), data["vectors"], strict=True))
        self.asked: set[str] = set()
        self.dirty = False

    def encode(self, texts) -> np.ndarray:
        self.asked.update(texts)
        missing = list(dict.fromkeys(t for t in texts if t not in self.store))
        if missing:
            self.store.update(zip(missing, self.inner.encode(missing), strict=True))
            self.dirty = True
        return np.vstack([self.store[t] for t in texts])

    def save(self) -> None:
        if self.dirty:
            texts = list(self.store)
            np.savez(self.path, texts=np.array(texts), vectors=np.vstack(list(self.store.values())))
            self.dirty = False


def run(cases: list[Case], encoders: dict[str, object], config: AuditConfig
        ) -> tuple[dict[str, list[list[Group]]], dict[str, float]]:
    """Predicted groups per case set, and the distinct texts embedded per sentence."""
    predicted: dict[str, list[list[Group]]] = defaultdict(list)
    calls = {}
    for name in dict.fromkeys(c.name for c in cases):
        mine = [c for c in cases if c.name == name]
        encoder = encoders["src" if name.endswith("-src") else "ref"]
        encoder.asked = set()  # type: ignore[attr-defined]
        for case in mine:
            predicted[name].append(align_case(case, encoder, config))
        encoder.save()  # type: ignore[attr-defined]
        calls[name] = len(encoder.asked) / sum(len(c.mt) + len(c.other) for c in mine)  # type: ignore[attr-defined]
    return predicted, calls


def seconds_per_1000(cases: list[Case], encoders: dict[str, object], config: AuditConfig
                     ) -> float:
    """CPU seconds (all threads) of embedding + alignment per 1,000 sentences, real model,
    empty cache: on a shared machine wall time says more about the neighbours."""
    started = time.process_time()
    sentences = 0
    for case in cases:
        inner = encoders["src" if case.name.endswith("-src") else "ref"].inner  # type: ignore[attr-defined]
        align_case(case, CachedEncoder(inner), config)
        sentences += len(case.mt) + len(case.other)
    return (time.process_time() - started) / sentences * 1000


def evaluate(cases: list[Case], predicted: list[list[Group]]) -> dict[str, float]:
    p = sum((score_counts(c.gold, g) for c, g in zip(cases, predicted, strict=True)),
            np.zeros(4, dtype=np.int64))
    r = sum((score_counts(tuple(g), list(c.gold)) for c, g in zip(cases, predicted, strict=True)),
            np.zeros(4, dtype=np.int64))
    return prf(p, r)


def group_shapes(cases: list[Case]) -> str:
    counts: dict[str, int] = defaultdict(int)
    for c in cases:
        for a, b in c.gold:
            counts["1-1" if len(a) == len(b) == 1 else f"{min(len(a), 3)}-{min(len(b), 3)}"] += 1
    total = sum(counts.values())
    top = sorted(counts.items(), key=lambda kv: -kv[1])[:5]
    return ", ".join(f"{k} {v / total:.0%}" for k, v in top)


STORE = Path("/tmp/auditor-align-benchmark")


def encoders_for(names: tuple[str, ...], fast: bool = False) -> dict[str, object]:
    """English side: MiniLM, or with `fast` its static distillation (fast mode); source side:
    the multilingual USE, or with `fast` the gloss encoder on the static vectors."""
    STORE.mkdir(exist_ok=True)
    out: dict[str, object] = {}
    if any(n.endswith("-ref") for n in names):
        # the store is named by the encoder (the default MiniLM is int8 now: float vectors
        # stored earlier under "minilm.npz" must not be read as its own)
        ref = load_encoder("fast", cache=False) if fast else load_encoder(cache=False)
        out["ref"] = StoredEncoder(ref, STORE / f"{ref.name}.npz")
    if any(n.endswith("-src") for n in names):
        out["src"] = (StoredEncoder(load_encoder("cedict-gloss-static256", cache=False),
                                    STORE / "gloss256.npz") if fast else
                      StoredEncoder(load_encoder("use-multilingual-v3", cache=False),
                                    STORE / "usem3.npz"))
    return out


def before_after(args: argparse.Namespace) -> None:
    names = tuple(args.sets)
    cases = build_parallel_cases(names, args.limit)
    encoders = encoders_for(names, args.fast)
    base = AuditConfig().for_fast() if args.fast else AuditConfig()
    configs = {"before": base.with_(parallel_refine=False), "after": base}
    if args.before:
        configs.pop("after")
    print("| set | docs | gold groups (shapes) | run | strict P / R / F1 | lax P / R / F1 | "
          "encoded per sentence |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        mine = [c for c in cases if c.name == name]
        for label, config in configs.items():
            predicted, calls = run(mine, encoders, config)
            m = evaluate(mine, predicted[name])
            print(f"| {name} | {len(mine)} | {sum(len(c.gold) for c in mine)} "
                  f"({group_shapes(mine)}) | {label} | "
                  f"{m['strict_p']:.3f} / {m['strict_r']:.3f} / {m['strict_f1']:.3f} | "
                  f"{m['lax_p']:.3f} / {m['lax_r']:.3f} / {m['lax_f1']:.3f} | "
                  f"{calls[name]:.2f} |", flush=True)
    if args.speed:
        print("\n| set | run | CPU s per 1,000 sentences (embedding + alignment, empty cache) |")
        print("|---|---|---|")
        for name in names:
            mine = [c for c in cases if c.name == name][: args.speed]
            for label, config in configs.items():
                print(f"| {name} ({len(mine)} docs) | {label} | "
                      f"{seconds_per_1000(mine, encoders, config):.1f} |", flush=True)


# ---- fitting the second pass (grouped cross-validation) ----------------------------------
GRID = {
    "size_exponent": (0.0, 1.0),
    "group_delta": (0.0, 0.05),
    "length_weight": (0.0, 0.2, 0.4),
    "anchor_similarity": (0.7,),  # 2.0 (no anchors) gave the same groups on a first run
}
# Fast mode (--fit --fast): the second pass keeps the settings fitted above; what reads the
# static vectors' cosines is refitted: the first pass's floor and the anchors.
FAST_GRID = {
    "min_similarity": (0.3, 0.4, 0.5, 0.6, 0.7),
    "anchor_similarity": (0.7, 0.8, 0.9),
}
# Fast mode's Chinese sources (--fit --fast --sets ted-src news-src lines-src): the floor of
# MT <-> source alignment on the gloss encoder's cosines (`FastConfig.source_min_similarity`).
FAST_SOURCE_GRID = {"source_min_similarity": (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)}


def fit(args: argparse.Namespace) -> None:
    """Choose the second pass's settings by 5-fold CV with folds grouped by source document;
    the figure reported is the pooled strict F1 of each held-out fold under the settings chosen
    on the other four."""
    from sklearn.model_selection import GroupKFold

    names = tuple(args.sets)
    cases = build_parallel_cases(names, args.limit)
    encoders = encoders_for(names, args.fast)
    base = AuditConfig().for_fast() if args.fast else AuditConfig()
    space = GRID
    if args.fast:
        space = (FAST_SOURCE_GRID if all(n.endswith("-src") for n in names) else FAST_GRID)
    grid = [dict(zip(space, values, strict=True))
            for values in itertools.product(*space.values())]
    counts = np.zeros((len(grid), len(cases), 8), dtype=np.int64)  # precision + recall counts
    for g, settings in enumerate(grid):
        config = base.with_(**settings)
        for k, case in enumerate(cases):  # one cache per encoder: each text embedded once
            encoder = encoders["src" if case.name.endswith("-src") else "ref"]
            groups = align_case(case, encoder, config)
            counts[g, k, :4] = score_counts(case.gold, groups)
            counts[g, k, 4:] = score_counts(tuple(groups), list(case.gold))
        for encoder in encoders.values():
            encoder.save()  # type: ignore[attr-defined]
        print(f"grid {g + 1}/{len(grid)} {settings}: strict F1 "
              f"{prf(counts[g, :, :4].sum(0), counts[g, :, 4:].sum(0))['strict_f1']:.3f}",
              file=sys.stderr, flush=True)
    groups = np.array([c.group for c in cases])
    cv = np.zeros(8, dtype=np.int64)
    chosen = []
    folds = min(5, len(set(groups.tolist())))
    for train, test in GroupKFold(n_splits=folds).split(cases, groups=groups):
        f1 = [prf(counts[g, train, :4].sum(0), counts[g, train, 4:].sum(0))["strict_f1"]
              for g in range(len(grid))]
        best = int(np.argmax(f1))
        chosen.append(grid[best])
        cv += counts[best, test].sum(0)
    m = prf(cv[:4], cv[4:])
    print("chosen per fold:", chosen)
    print(f"cross-validated: strict P/R/F1 {m['strict_p']:.3f}/{m['strict_r']:.3f}/"
          f"{m['strict_f1']:.3f}, lax F1 {m['lax_f1']:.3f}")
    f1_all = [prf(counts[g, :, :4].sum(0), counts[g, :, 4:].sum(0))["strict_f1"]
              for g in range(len(grid))]
    order = np.argsort(f1_all)[::-1][:8]
    for g in order:
        print(f"all dev data: {grid[g]} strict F1 {f1_all[g]:.3f}")


SEARCH = {"refine_window": (3, 2, 1), "max_group_sentences": (6, 5, 4),  # widest first
          "refine_prune_margin": (None, 0.2, 0.1, 0.0)}


def search(args: argparse.Namespace) -> None:
    """How far the second pass must look: every window / largest-group pair with the fitted
    scoring, strict and lax F1 per set and distinct texts embedded per sentence. The shipped
    pair is the cheapest whose strict F1 equals the widest search's on every set."""
    names = tuple(args.sets)
    cases = build_parallel_cases(names, args.limit)
    encoders = encoders_for(names)
    widest = {k: v[0] for k, v in SEARCH.items()}
    settings = sorted((dict(zip(SEARCH, values, strict=True))
                       for values in itertools.product(*SEARCH.values())),
                      key=lambda s: s != widest)  # the widest first: it embeds every span once
    print("| window | largest group | prune margin | "
          + " | ".join(f"{n} strict / lax / texts" for n in names) + " |")
    print("|---|---|---|" + "---|" * len(names))
    for setting in settings:
        predicted, calls = run(cases, encoders, AuditConfig().with_(**setting))
        cells = []
        for name in names:
            m = evaluate([c for c in cases if c.name == name], predicted[name])
            cells.append(f"{m['strict_f1']:.3f} / {m['lax_f1']:.3f} / {calls[name]:.2f}")
        print(f"| {setting['refine_window']} | {setting['max_group_sentences']} | "
              f"{setting['refine_prune_margin']} | "
              + " | ".join(cells) + " |", flush=True)


def ratios(args: argparse.Namespace) -> None:
    """Characters of MT per character of the reference (TED refB) and of the Chinese source
    (TED and news), per document; the mean is the expected ratio of the language pair."""
    from mqm_data import load_documents

    rows = []
    for dataset in ("ted", "news"):
        for doc in load_documents(dataset):
            mt = sum(len(s.mt) for s in doc.segments)
            rows.append(("zh", dataset, doc.doc, mt / max(sum(len(s.source)
                                                             for s in doc.segments), 1)))
            if doc.reference is not None:
                rows.append(("en", dataset, doc.doc, mt / max(sum(len(s.reference)
                                                                 for s in doc.segments), 1)))
    frame = pd.DataFrame(rows, columns=["other", "dataset", "doc", "ratio"])
    print(frame.groupby(["other", "dataset"]).ratio.describe().round(3).to_string())
    by_doc = frame.groupby(["other", "doc"]).ratio.mean().groupby("other")
    print("mean of per-source-document means:\n" + by_doc.mean().round(3).to_string())


# ---- the comparable-mode proxy -----------------------------------------------------------
TALK_CASES: list[tuple[str, int]] = []  # (talk, number of cases), in case order
def build_comparable_cases(seed: int) -> list[tuple[list[str], list[str], list[int], list[int]]]:
    df = pd.read_csv(TED, sep="\t", quoting=3)
    df["text"] = df.target.str.replace("<v>", "").str.replace("</v>", "")
    rng = np.random.default_rng(seed)
    cases = []
    TALK_CASES.clear()
    for talk in df.doc.unique():
        TALK_CASES.append((talk, 2 * len(SYSTEMS)))
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


def evaluate_comparable(cases, vectors, margin: float, lexical_weight: float,
                        min_similarity: float = 0.4) -> tuple[float, float]:
    tp, fp, fn = comparable_counts(cases, vectors, margin, lexical_weight, min_similarity)
    return tp / max(tp + fp, 1), tp / max(tp + fn, 1)


def comparable_counts(cases, vectors, margin: float, lexical_weight: float,
                      min_similarity: float = 0.4) -> tuple[int, int, int]:
    tp = fp = fn = 0
    for (mt, ref, mt_ids, ref_ids), (mv, rv) in zip(cases, vectors, strict=True):
        sim = cosine_matrix(mv, rv)
        if lexical_weight:
            sim = (1 - lexical_weight) * sim + lexical_weight * lexical_similarity(mt, ref)
        best: dict[int, int] = {}
        for mt_group, ref_group in align_comparable(sim, margin_threshold=margin,
                                                    min_similarity=min_similarity):
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
    return tp, fp, fn


def comparable(args: argparse.Namespace) -> None:
    cases = build_comparable_cases(args.seed)
    encoder = load_encoder("fast") if args.fast else load_encoder()
    vectors = [(encoder.encode(mt), encoder.encode(ref)) for mt, ref, _, _ in cases]
    print(f"{len(cases)} comparable pairs from {TED.name} ({encoder.name})")
    print("margin  lexical  minsim  precision  recall  F1")
    floors = (0.4, 0.5, 0.6) if args.fast else (0.4,)
    grid = list(itertools.product((1.0, 1.05, 1.1, 1.15, 1.2), (0.0, 0.25, 0.5), floors))
    for point in grid:
        p, r = evaluate_comparable(cases, vectors, *point)
        print(f"{point[0]:6.2f}  {point[1]:7.2f}  {point[2]:6.2f}  {p:9.3f}  {r:6.3f}  "
              f"{2 * p * r / max(p + r, 1e-9):.3f}")
    # cross-validated choice: each talk's cases scored under the grid point chosen on the
    # other talks (folds grouped by talk, as every fit on this data)
    talks = [talk for talk, n in TALK_CASES for _ in range(n)]
    tp = fp = fn = 0
    for held in dict.fromkeys(talks):
        train = [c for c, t in zip(cases, talks, strict=True) if t != held]
        train_v = [v for v, t in zip(vectors, talks, strict=True) if t != held]
        scores = {}
        for point in grid:
            p, r = evaluate_comparable(train, train_v, *point)
            scores[point] = 2 * p * r / max(p + r, 1e-9)
        best = max(grid, key=lambda g: scores[g])
        test = [c for c, t in zip(cases, talks, strict=True) if t == held]
        test_v = [v for v, t in zip(vectors, talks, strict=True) if t == held]
        counts = comparable_counts(test, test_v, *best)
        tp, fp, fn = tp + counts[0], fp + counts[1], fn + counts[2]
        print(f"held out {held}: chose margin {best[0]}, lexical {best[1]}, minsim {best[2]}")
    p, r = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    print(f"cross-validated (by talk): precision {p:.3f} recall {r:.3f} "
          f"F1 {2 * p * r / max(p + r, 1e-9):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0, help="comparable proxy's sampling seed")
    parser.add_argument("--sets", nargs="+", choices=CASE_SETS, default=list(CASE_SETS))
    parser.add_argument("--limit", type=int, default=None, help="documents per case set")
    parser.add_argument("--before", action="store_true", help="only the old single pass")
    parser.add_argument("--speed", type=int, default=0, metavar="DOCS",
                        help="also time this many documents per set with the real model")
    parser.add_argument("--fast", action="store_true",
                        help="fast mode: the static encoders and AuditConfig().for_fast()")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--fit", action="store_true")
    what.add_argument("--ratios", action="store_true")
    what.add_argument("--comparable", action="store_true")
    what.add_argument("--search", action="store_true")
    args = parser.parse_args()
    if args.search:
        search(args)
    elif args.comparable:
        comparable(args)
    elif args.ratios:
        ratios(args)
    elif args.fit:
        fit(args)
    else:
        before_after(args)


if __name__ == "__main__":
    main()
