"""Per-sentence evidence of audited MQM dev documents, cached under /tmp for cheap refits.

Each *setting* audits every system x document of the dev data in one way:

- `ted-ref-comparable`, `ted-ref-parallel`: TED MT against the human reference refB, in each
  alignment mode, no source;
- `ted-both-comparable`, `ted-both-parallel`: the same with the Chinese source given too;
- `ted-src`, `news-src`: against the Chinese source only (news has no reference).
A setting with the suffix `-fast` (`ted-ref-parallel-fast`...) audits the same way in fast mode
(`Auditor(fast=True)`), for the fast mode's own weights (`fit_quality.py --fast`).

For every MT sentence the cache holds `auditor.quality.SentenceEvidence` (as a dict), the MQM
segment it falls in, and for every segment its gold MQM points, whether a rater marked a Major
error, and the gold-paired baselines (sentence chrF and BLEU against refB, MiniLM and USE
cosine against refB, USE cosine against the source, length ratio). The cache key hashes the
auditor's code and the data files, so a changed detector invalidates it.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mqm_data import DATA_DIR, FILES, MqmDocument, load_documents  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = Path(os.environ.get("AUDITOR_QUALITY_CACHE", "/tmp/auditor-quality-cache"))
SETTINGS = ("ted-ref-comparable", "ted-ref-parallel", "news-src", "ted-src",
            "ted-both-comparable", "ted-both-parallel")
FAST = "-fast"


def code_key(data_dir: Path | None = None) -> str:
    """Hash of the code the evidence depends on (alignment, encoders, segmenter, detectors and
    their helpers, the evidence functions of auditor/quality.py), of the default encoder (its
    name, int8 recipe and calibration) and of the data files.
    Renderers, result types and the quality model's code are left out. The shipped quality
    weights are in: the evidence does not read them, but each record's `fidelity` and `mqm`
    (quality_eval.py's "previous overall" row) count the possible-mistranslation findings
    they decide, which a cache keyed without them kept from before a refit. `--rebuild`
    forces new audits after a change this key cannot see."""
    import inspect

    from auditor import quality
    from auditor.embed import DEFAULT_ENCODER
    from auditor.export_onnx import calibration_tag

    h = hashlib.sha256()
    # the encoder the audits use and, for int8, its recipe and calibration (the export code
    # and the calibration file are outside the folders hashed below)
    h.update(f"{DEFAULT_ENCODER}|{calibration_tag()}".encode())
    h.update((ROOT / "auditor" / "export_onnx.py").read_bytes())
    auditor_dir = ROOT / "auditor"
    paths = [p for p in sorted(auditor_dir.rglob("*.py"))
             if p.relative_to(auditor_dir).parts[0] in _EVIDENCE_CODE]
    for path in paths:
        h.update(path.relative_to(ROOT).as_posix().encode())
        h.update(path.read_bytes())
    for obj in (quality.gather_evidence, quality._side_evidence, quality._cjk_share,
                quality.SideEvidence, quality.SentenceEvidence):
        h.update(inspect.getsource(obj).encode())
    from auditor.quality import FAST_WEIGHTS_FILE, WEIGHTS_FILE

    for weights in (WEIGHTS_FILE, FAST_WEIGHTS_FILE):
        h.update((auditor_dir / "data" / weights).read_bytes())
    folder = data_dir or DATA_DIR
    for name in sorted(FILES.values()):
        h.update((folder / name).read_bytes())
    return h.hexdigest()[:16]


_EVIDENCE_CODE = {"detect", "lang", "align.py", "embed.py", "segment.py", "load.py",
                  "pipeline.py", "merge.py", "metrics.py", "score.py",
                  "clauses.py", "nlp.py", "romanize.py", "zh.py", "currency.py", "config.py"}


def _segment_of(doc: MqmDocument, start: int, end: int) -> int:
    """The MQM segment overlapping the MT span [start, end) the most."""
    best, best_overlap = 0, -1
    for seg in doc.segments:
        overlap = min(end, seg.mt_end) - max(start, seg.mt_start)
        if overlap > best_overlap:
            best, best_overlap = seg.index, overlap
    return best


def _baselines(doc: MqmDocument, minilm: Any, use: Any) -> dict[str, list[float]]:
    """Gold-paired per-segment baselines, higher = better except the raw length ratio."""
    from sacrebleu.metrics import BLEU, CHRF

    mts = [s.mt or " " for s in doc.segments]
    srcs = [s.source or " " for s in doc.segments]
    out: dict[str, list[float]] = {}
    mt_use = use.encode(mts)
    out["USE cosine (source)"] = np.sum(mt_use * use.encode(srcs), axis=1).tolist()
    out["length ratio raw (source)"] = [
        len(m.split()) / max(len(s), 1) for m, s in zip(mts, srcs, strict=True)]
    if doc.reference is not None:
        refs = [s.reference or " " for s in doc.segments]
        chrf, bleu = CHRF(), BLEU(effective_order=True)
        out["chrF"] = [chrf.sentence_score(h, [r]).score for h, r in zip(mts, refs, strict=True)]
        out["BLEU"] = [bleu.sentence_score(h, [r]).score for h, r in zip(mts, refs, strict=True)]
        out["MiniLM cosine"] = np.sum(minilm.encode(mts) * minilm.encode(refs), axis=1).tolist()
        out["USE cosine"] = np.sum(mt_use * use.encode(refs), axis=1).tolist()
        out["length ratio raw"] = [len(h.split()) / max(len(r.split()), 1)
                                   for h, r in zip(mts, refs, strict=True)]
    return out


def document_record(auditor: Any, doc: MqmDocument, setting: str) -> dict[str, Any]:
    """Audit one system x document in one setting; every feature the model could read."""
    from auditor.result import Document
    from auditor.segment import segment_document

    kind = setting.removesuffix(FAST)
    mt = segment_document(Document(text=doc.mt, name=doc.key, lang="en"))
    refs = ()
    if "-ref-" in kind or "-both-" in kind:
        refs = (segment_document(Document(text=doc.reference or "", name="refB", lang="en")),)
    src = None
    if "-both-" in kind or kind.endswith("-src"):
        src = segment_document(Document(text=doc.source, name="source", lang="zh"))
    result, evidence = auditor.audit_with_evidence(mt, refs, src, all_evidence=True)
    sentences = [
        {"segment": _segment_of(doc, s.start, s.end), "evidence": asdict(e)}
        for s, e in zip(result.mt.sentences, evidence, strict=True)
    ]
    return {
        "setting": setting, "dataset": doc.dataset, "system": doc.system, "doc": doc.doc,
        "sentences": sentences,
        "auditor": {"overall": result.scores.overall, "fidelity": result.scores.fidelity,
                    "mqm": result.scores.mqm},
    }


def _nan_safe(obj: Any) -> Any:
    if isinstance(obj, float) and math.isnan(obj):
        return None
    if isinstance(obj, dict):
        return {k: _nan_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_nan_safe(v) for v in obj]
    return obj


def load_cache(settings: tuple[str, ...] = SETTINGS, data_dir: Path | None = None,
               progress: bool = True, build: bool = True) -> dict[str, Any]:
    """{"documents": {key: gold and baselines}, "settings": {setting: [records]}}, building
    what is missing (one JSON file per setting and one for the gold side)."""
    key = code_key(data_dir)
    folder = CACHE_DIR / key
    folder.mkdir(parents=True, exist_ok=True)
    docs = {d.key: d for name in ("ted", "news") for d in load_documents(name, data_dir)}
    auditors: dict[bool, Any] = {}

    def get_auditor(mode: str, fast: bool = False) -> Any:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from auditor import Auditor
        from auditor.config import AlignMode, AuditConfig

        if fast not in auditors:
            from auditor.embed import CachedEncoder, USEEncoder

            # One thread per process: BLAS threads spinning on a shared, busy machine cost
            # far more than they gain (the audits are many small batches).
            source = (auditors[not fast].resources.source_encoder if (not fast) in auditors
                      else CachedEncoder(USEEncoder(threads=1)))
            auditors[fast] = Auditor(source_encoder=source, fast=fast)
        auditor = auditors[fast]
        config = AuditConfig(mode=AlignMode(mode))
        auditor.config = config.for_fast() if fast else config
        return auditor

    gold_path = folder / "gold.json"
    if gold_path.exists():
        gold = json.loads(gold_path.read_text())
    else:
        a = get_auditor("comparable")
        use = a._source_encoder()
        gold = {}
        for k, d in docs.items():
            gold[k] = {
                "dataset": d.dataset, "system": d.system, "doc": d.doc,
                "points": [s.points for s in d.segments],
                "major": [s.has_major for s in d.segments],
                "words": [len(s.mt.split()) for s in d.segments],
                "baselines": _baselines(d, a.encoder, use),
            }
        gold_path.write_text(json.dumps(gold))
    out: dict[str, Any] = {"documents": gold, "settings": {}, "key": key}
    for setting in settings:
        path = folder / f"{setting}.json"
        if path.exists():
            out["settings"][setting] = json.loads(path.read_text())
            continue
        if not build:
            continue
        fast = setting.endswith(FAST)
        mode = "parallel" if setting.removesuffix(FAST).endswith("parallel") else "comparable"
        a = get_auditor(mode, fast)
        dataset = setting.split("-")[0]
        records = []
        mine = [d for d in docs.values() if d.dataset == dataset]
        for i, d in enumerate(mine):
            if progress:
                print(f"\r{setting}: {i + 1}/{len(mine)}", end="", file=sys.stderr, flush=True)
            records.append(_nan_safe(document_record(a, d, setting)))
        if progress:
            print(file=sys.stderr)
        path.write_text(json.dumps(records))
        out["settings"][setting] = records
    return out


def evidence_from_dict(data: dict[str, Any]) -> Any:
    """A cached evidence dict back into `SentenceEvidence` (None -> nan)."""
    from auditor.quality import SentenceEvidence, SideEvidence

    def side(x: dict[str, Any] | None) -> SideEvidence | None:
        if x is None:
            return None
        return SideEvidence(**{k: (math.nan if v is None else v) for k, v in x.items()})

    def share(key: str) -> float:
        value = data.get(key)
        return math.nan if value is None else float(value)

    return SentenceEvidence(
        index=data["index"], words=data["words"], cjk_share=data["cjk_share"],
        ref=side(data["ref"]), src=side(data["src"]),
        findings=tuple(tuple(f) for f in data["findings"]),  # type: ignore[misc]
        source_carried=share("source_carried"), reference_carried=share("reference_carried"),
        mt_explained=share("mt_explained"), length_deviation=share("length_deviation"),
    )


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="build the evidence cache")
    parser.add_argument("--settings", nargs="*", default=list(SETTINGS))
    args = parser.parse_args()
    cache = load_cache(tuple(args.settings))
    print(cache["key"], {k: len(v) for k, v in cache["settings"].items()})
