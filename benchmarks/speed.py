"""Speed and memory of an audit, next to pure sentence encoding and the chrF baseline.

    .venv/bin/python benchmarks/speed.py [--limit N] [--profile]

Prints, for the seed article (001 against 000 and 004) and for MQM documents from
../shared/data (TED against refB, parallel; news against the Chinese source):
- cold CLI time: `auditor audit ... --json` in a fresh process (model loading included), and
  that process's peak memory; then the same with spaCy loaded in the background (as shipped)
  and in line, runs interleaved: the wall time the overlap saves;
- warm audit time (models loaded, empty sentence cache): per document and per 1,000 MT sentences;
- pure encoding time of exactly the sentences the audit encodes (MT + references in one batch,
  MT + source with the source encoder), through a fresh cache around the same model;
- ratio = whole audit / pure encoding (the goal is <= 1.5: everything but the encoder costs at
  most half as much again as the encoding);
- all encoder work: the same models encoding every text the audit sent them (sentences, and
  the clauses and leave-one-out variants the content and source detectors embed), in the same
  batches, and the audit's time over that: what everything that is not the encoder costs;
- sentence chrF (sacrebleu) over the same documents, the cheapest baseline;
- peak memory (max RSS) of this process;
- the word-level coverage detector's time over the pure sentence encoding (goal <= 1);
- the cold start taken apart: each heavy piece (the ONNX encoder, spaCy, the cached reading
  index of the names checks, jieba, the source encoder, and what is no longer loaded: pypinyin's
  and pykakasi's tables, scikit-learn, torch) imported and loaded alone in a fresh process, wall
  and CPU seconds over a bare `import numpy` process and its share of the cold CLI's CPU, next to
  the bare baselines of the acceptance line (python + the ONNX encoder loaded and encoding the
  seed sentences; the same encoding every text the audit sends the encoder, clauses included)
  and the cold CLI's ratio to each, in CPU and in wall time (medians of --repeat runs).
With --compare MODEL, the warm audits run again with that encoder (e.g. the reference
`sentence-transformers/all-MiniLM-L6-v2`, or `fast` for fast mode: its encoder, settings and
detectors) in the same run, and the speed and throughput ratios are printed.
With --repeat N, the cold CLI runs N times (the machine may be shared: min and median).
With --every-candidate, the warm MQM audits run again with the second alignment pass embedding
every candidate group, as it did before its search, and the CPU ratio is printed.
With --profile, a cProfile of the warm MQM audits (top functions by cumulative time).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The warm audits run as the `auditor` command and its feed workers run them: OpenBLAS on one
# thread (`auditor.console`; set before numpy loads it). A library caller sets it likewise.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from evaluate_mqm import machine_line  # noqa: E402
from mqm_data import MqmDocument, load_documents  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEED_MT = ROOT / "seeds" / "001_dda61ef40afe4077.txt"
SEED_REFS = [ROOT / "seeds" / "000_bf9eb7df09abd944.txt",
             ROOT / "seeds" / "004_cffa8e18d46157bb.txt"]


@dataclass
class Job:
    """One audit to time: documents already loaded, plus how to audit them."""

    name: str
    mt: Any
    references: tuple[Any, ...]
    source: Any | None
    mode: str  # "comparable" or "parallel"
    chrf_pairs: tuple[tuple[str, str], ...]  # (hypothesis, reference) for the chrF baseline


@dataclass
class Timing:
    documents: int = 0
    mt_sentences: int = 0
    encoded: int = 0
    audit: float = 0.0
    audit_cpu: float = 0.0  # process CPU seconds (all threads) of the audits
    encode: float = 0.0
    encode_cpu: float = 0.0  # process CPU seconds of the pure encoding
    chrf: float = 0.0
    all_texts: int = 0
    all_encode: float = 0.0
    encoder_texts: list[str] = field(default_factory=list)  # every text sent to the encoder


class Recorder:
    """Passes batches to an encoder and remembers them, to time the same work again alone."""

    def __init__(self, inner: Any):
        self.inner = inner
        self.name = inner.name
        self.backend = getattr(inner, "backend", "")
        self.multilingual = inner.multilingual
        self.batches: list[list[str]] = []

    def encode(self, texts: Sequence[str]) -> Any:
        self.batches.append(list(texts))
        return self.inner.encode(texts)


def replay_seconds(recorders: Sequence[Recorder]) -> tuple[float, int]:
    """Encode every recorded batch again with the bare model: the audit's whole encoder work."""
    t0 = time.perf_counter()
    for recorder in recorders:
        for batch in recorder.batches:
            recorder.inner.encode(batch)
    return time.perf_counter() - t0, sum(len(b) for r in recorders for b in r.batches)


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_process(cmd: Sequence[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one fresh process."""
    cpu0, t0 = _child_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False, env=env)
    seconds = time.perf_counter() - t0
    if proc.returncode not in (0, 1):  # 1 = --fail-under style verdicts, still a full audit
        raise RuntimeError(f"{cmd[:3]} failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")
    return seconds, _child_cpu() - cpu0


def cold_cli(tmp_json: Path, env: dict[str, str] | None = None
             ) -> tuple[float, float, float, str]:
    """Wall time, CPU time and peak RSS (MB) of one fresh `auditor audit` process on the seeds."""
    exe = ROOT / ".venv" / "bin" / "auditor"
    refs = [a for r in SEED_REFS for a in ("--ref", str(r))]
    args = ["audit", str(SEED_MT), *refs, "--json", str(tmp_json)]
    how = "auditor audit seeds/001 --ref seeds/000 --ref seeds/004 --json"
    if exe.exists():
        cmd = [str(exe), *args]
    else:  # no console script in this checkout: the same CLI through `python -m auditor`
        cmd = [sys.executable, "-m", "auditor", *args]
        how = "python -m " + how
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    seconds, cpu = timed_process(cmd, env)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, cpu, max(peak, before) / 1024, how


# The cold CLI through `python -c`, spaCy loaded in the background (as shipped) or, for the
# comparison in the same run, in line (its background start switched off): the wall time the
# overlap saves.
_CLI_CODE = ("import sys\n{patch}from auditor.cli import main\n"
             "sys.argv[0] = 'auditor'\nsys.exit(main())")
_IN_LINE = ("from auditor.detect.base import Resources\n"
            "Resources.start_loading_nlp = lambda self: None\n")


def cold_cli_pair(tmp_json: Path, repeat: int) -> list[str]:
    """The cold CLI with spaCy loaded in the background and in line, runs interleaved (the
    machine is shared: the load moves both alike): wall and CPU, min and median."""
    refs = [a for r in SEED_REFS for a in ("--ref", str(r))]
    args = ["audit", str(SEED_MT), *refs, "--json", str(tmp_json)]
    runs: dict[str, list[tuple[float, float]]] = {"background": [], "in line": []}
    loads = []
    for i in range(repeat):
        pair = (("background", ""), ("in line", _IN_LINE))
        for label, patch in pair if i % 2 else pair[::-1]:  # each goes first half the time
            loads.append(os.getloadavg()[0])
            runs[label].append(timed_process(
                [sys.executable, "-c", _CLI_CODE.format(patch=patch), *args]))
    gain = sorted(a[0] - b[0] for a, b in zip(runs["in line"], runs["background"], strict=True))
    cells = []
    for label, pairs in runs.items():
        walls, cpus = sorted(w for w, _ in pairs), sorted(c for _, c in pairs)
        cells.append(f"spaCy {label}: {walls[0]:.2f} s wall (median {walls[len(walls) // 2]:.2f}"
                     f" s), {cpus[0]:.2f} s CPU (median {cpus[len(cpus) // 2]:.2f} s)")
    return [f"- cold CLI, spaCy loaded in the background (shipped) against in line, {repeat} runs "
            f"each interleaved (load average {min(loads):.1f}-{max(loads):.1f}): "
            + "; ".join(cells) + f"; wall saved by the background load, median of the pairs: "
            f"{gain[len(gain) // 2]:.2f} s"]


def _seed_texts_code() -> str:
    return ("from auditor.load import load_document; from auditor.segment import segment_document\n"
            f"texts = [t for p in {[str(p) for p in [SEED_MT, *SEED_REFS]]!r} "
            "for t in segment_document(load_document(p)).texts]\n")


# What a cold audit may load, each alone in a fresh process: (label, when it loads, code).
COLD_PIECES = (
    ("python + import auditor.cli", "always", "import auditor.cli"),
    ("ONNX MiniLM (onnxruntime + tokenizer)", "always",
     "from auditor.embed import load_encoder; load_encoder().encode(['warm up'])"),
    ("spaCy en_core_web_sm", "content, names, numbers detectors",
     "from auditor.detect.nlp import load_spacy; load_spacy()"),
    ("reading index (cached: pypinyin syllables, pykakasi kanji)", "names: pinyin-looking words",
     "from auditor.lang.romanize import japanese_readings, wade_giles_key; "
     "japanese_readings('Antian'); wade_giles_key('Xia Liyan')"),
    ("jieba", "source audits: Chinese names",
     "import jieba, logging; jieba.setLogLevel(logging.WARNING); jieba.initialize()"),
    ("USE v3 (source encoder)", "source audits",
     "from auditor.embed import load_encoder; load_encoder('use-multilingual-v3').encode(['x'])"),
    ("static model (model2vec)", "--fast",
     "from auditor.embed import load_encoder; load_encoder('fast').encode(['warm up'])"),
    ("static model + CC-CEDICT gloss table", "--fast, Chinese sources (instead of USE)",
     "from auditor.embed import load_encoder; "
     "load_encoder('cedict-gloss-static256').encode(['欧盟峰会', 'EU summit'])"),
    ("pypinyin tables", "no longer on the reference audit path (source names only)",
     "from pypinyin.constants import PINYIN_DICT"),
    ("pykakasi", "no longer loaded (the reading index is built from it once)",
     "import pykakasi; pykakasi.kakasi().convert('岸田')"),
    ("scikit-learn TF-IDF", "no longer imported (written out in auditor.align)",
     "from sklearn.feature_extraction.text import TfidfVectorizer"),
    ("torch + sentence-transformers", "never by default (reference backend only)",
     "from auditor.embed import load_encoder; "
     "load_encoder('sentence-transformers/all-MiniLM-L6-v2').encode(['x'])"),
)


def cold_breakdown(cold_cpu: float | None, encoder_texts: Sequence[str],
                   repeat: int = 1) -> list[str]:
    """Each piece's import + load in a fresh process, over a bare `import numpy` process, and
    its share of the cold CLI's CPU; then the bare baselines (`repeat` runs each, medians) and
    the cold CLI's ratio to them, in CPU and in wall time: the median over `repeat` pairs of a
    baseline run and a cold CLI run side by side (which goes first alternates), since on a
    shared machine the load moves between separate series of runs."""
    base_wall, base_cpu = timed_process([sys.executable, "-c", "import numpy"])
    lines = ["", "Cold start taken apart (each piece alone in a fresh process; seconds over a "
             f"bare `python -c 'import numpy'`, which takes {base_wall:.2f} s wall, "
             f"{base_cpu:.2f} s CPU; share = CPU over the cold CLI's median CPU):", "",
             "| piece | loaded for | wall | CPU | share of the cold CLI |", "|---|---|---|---|---|"]

    def share(cpu: float) -> str:
        return f"{100 * cpu / cold_cpu:.0f} %" if cold_cpu else "n/a"

    for label, when, code in COLD_PIECES:
        wall, cpu = timed_process([sys.executable, "-c", code])
        lines.append(f"| {label} | {when} | {wall - base_wall:.2f} s | {cpu - base_cpu:.2f} s "
                     f"| {share(cpu - base_cpu)} |")
    texts_file = Path("/tmp/auditor-speed-encoder-texts.json")
    texts_file.write_text(json.dumps(list(encoder_texts)), encoding="utf-8")
    baselines = (
        ("the seed sentences", _seed_texts_code()),
        (f"every text the seed audit encodes ({len(encoder_texts)}: sentences, clauses, "
         "variants)", f"import json; texts = json.load(open({str(texts_file)!r}))\n"))
    ratios = []
    loads = [os.getloadavg()[0]]
    for what, texts_code in baselines:
        code = ("from auditor.embed import load_encoder\n" + texts_code
                + "load_encoder(cache=False).encode(texts)")
        runs, pairs = [], []
        for i in range(max(repeat, 1)):  # a cold CLI beside each run: the load moves both alike
            base = timed_process([sys.executable, "-c", code]) if i % 2 else None
            cold = cold_cli(Path("/tmp/auditor-speed.json")) if cold_cpu else None
            base = base or timed_process([sys.executable, "-c", code])
            runs.append(base)
            if cold:
                pairs.append((cold[1] / base[1], cold[0] / base[0]))
            loads.append(os.getloadavg()[0])
        wall = sorted(w for w, _ in runs)[len(runs) // 2]
        cpu = sorted(c for _, c in runs)[len(runs) // 2]
        cpu_ratio = sorted(p[0] for p in pairs)[len(pairs) // 2] if pairs else 0.0
        wall_ratio = sorted(p[1] for p in pairs)[len(pairs) // 2] if pairs else 0.0
        ratios.append(f"CPU {cpu_ratio:.2f}×, wall {wall_ratio:.2f}× over {what}"
                      if pairs else "n/a")
        lines.append(f"| bare baseline: python + ONNX MiniLM load + encoding {what} "
                     f"| - | {wall:.2f} s (total) | {cpu:.2f} s (total) | {share(cpu)} |")
    lines += ["", f"Cold CLI ÷ bare baseline, median of {max(repeat, 1)} pairs of runs side by "
              f"side (acceptance: <= 1.3; load average {min(loads):.1f}-{max(loads):.1f}): "
              + "; ".join(ratios)]
    return lines


def seed_job() -> Job:
    from auditor.load import load_document

    mt = load_document(SEED_MT)
    refs = tuple(load_document(r) for r in SEED_REFS)
    # no segment pairing exists for comparable reports: chrF of the whole MT against each ref
    pairs = tuple((mt.text, r.text) for r in refs)
    return Job("seeds", mt, refs, None, "comparable", pairs)


def mqm_jobs(docs: Sequence[MqmDocument]) -> list[Job]:
    from auditor.result import Document

    jobs = []
    for d in docs:
        mt = Document(text=d.mt, name=d.key, lang="en")
        if d.reference is not None:
            ref = Document(text=d.reference, name="refB", lang="en")
            pairs = tuple((s.mt, s.reference) for s in d.segments)
            jobs.append(Job(d.key, mt, (ref,), None, "parallel", pairs))
        else:
            src = Document(text=d.source, name="source", lang="zh")
            jobs.append(Job(d.key, mt, (), src, "comparable", ()))
    return jobs


def time_detectors(auditor: Any, totals: dict[str, float],
                   cpu: dict[str, float] | None = None) -> None:
    """Wrap each detector's `detect` so its wall time adds up in `totals`, and its process CPU
    time in `cpu` (benchmark only)."""
    for detector in auditor.detectors:
        inner = detector.detect

        def timed(ctx: Any, inner: Any = inner, key: str = detector.id) -> Any:
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                return inner(ctx)
            finally:
                totals[key] = totals.get(key, 0.0) + time.perf_counter() - t0
                if cpu is not None:
                    cpu[key] = cpu.get(key, 0.0) + time.process_time() - c0

        detector.detect = timed


def time_clause_drops(cpu: dict[str, float]) -> None:
    """Add the process CPU of the source check's leave-one-out clause drops to
    cpu["clause_drops"] (benchmark only): they run inside detector `source`, but for a Chinese
    source only the coverage detector reads them (`source` reports its own clause omissions only
    when coverage is off), so they are coverage's cost too."""
    from auditor.detect.source import gaps

    inner = gaps.text_clause_drops

    def timed(*args: Any, **kwargs: Any) -> Any:
        c0 = time.process_time()
        try:
            return inner(*args, **kwargs)
        finally:
            cpu["clause_drops"] = cpu.get("clause_drops", 0.0) + time.process_time() - c0

    gaps.text_clause_drops = timed


def bare(encoder: Any) -> Any:
    """The model under any cache or recorder."""
    while hasattr(encoder, "inner"):
        encoder = encoder.inner
    return encoder


def fresh_caches(auditor: Any) -> list[Recorder]:
    """Empty sentence caches around the same loaded models, so no audit reuses another's work;
    returns the recorders of what the audit sends to each model."""
    from auditor.embed import CachedEncoder

    recorders = [Recorder(bare(auditor.encoder))]
    auditor.encoder = CachedEncoder(recorders[0])  # type: ignore[arg-type]
    auditor.resources.encoder = auditor.encoder
    for slot in ("source_encoder", "gloss_encoder"):  # USE; fast mode's Chinese sources
        src = getattr(auditor.resources, slot)
        if src is not None:
            recorders.append(Recorder(bare(src)))
            setattr(auditor.resources, slot, CachedEncoder(recorders[-1]))  # type: ignore[arg-type]
    return recorders


def pure_encoding_seconds(auditor: Any, result: Any) -> tuple[float, int]:
    """Encode the audit's sentences as the pipeline batches them, through fresh caches."""
    from auditor.embed import CachedEncoder

    encoder = CachedEncoder(bare(auditor.encoder))
    t0 = time.perf_counter()
    encoder.encode(result.mt.texts + [t for r in result.references for t in r.texts])
    encoded = encoder.encoded
    if result.source is not None:
        src_encoder = CachedEncoder(bare(auditor._source_encoder(result.source.doc.lang)))
        src_encoder.encode(result.mt.texts + result.source.texts)
        encoded += src_encoder.encoded
    return time.perf_counter() - t0, encoded


def chrf_seconds(job: Job) -> float:
    from sacrebleu.metrics import CHRF

    t0 = time.perf_counter()
    chrf = CHRF()
    for hyp, ref in job.chrf_pairs:
        chrf.sentence_score(hyp, [ref])
    return time.perf_counter() - t0


def run_jobs(auditors: dict[str, Any], jobs: Sequence[Job], profiler: cProfile.Profile | None,
             fresh_parses: bool = False) -> Timing:
    """Audit each job once through fresh sentence caches. `fresh_parses`: empty the Auditor's
    spaCy parse cache before each audit too (by default parses of recurring sentences, such as
    one talk's reference audited against several systems, are reused, as in a warm process)."""
    timing = Timing()
    for job in jobs:
        auditor = auditors[job.mode]
        recorders = fresh_caches(auditor)
        if fresh_parses:
            auditor.resources._parses.clear()
        if profiler:
            profiler.enable()
        t0, c0 = time.perf_counter(), time.process_time()
        result = auditor.audit(job.mt, job.references, job.source)
        timing.audit += time.perf_counter() - t0
        timing.audit_cpu += time.process_time() - c0
        if profiler:
            profiler.disable()
        c0 = time.process_time()
        seconds, encoded = pure_encoding_seconds(auditor, result)
        timing.encode_cpu += time.process_time() - c0
        timing.encode += seconds
        timing.encoded += encoded
        seconds, texts = replay_seconds(recorders)
        timing.encoder_texts += [t for batch in recorders[0].batches for t in batch]
        timing.all_encode += seconds
        timing.all_texts += texts
        timing.chrf += chrf_seconds(job)
        timing.documents += 1
        timing.mt_sentences += len(result.mt.sentences)
    return timing


def report_lines(name: str, t: Timing) -> list[str]:
    per_doc = t.audit / max(t.documents, 1)
    per_k = 1000 * t.audit / max(t.mt_sentences, 1)
    cpu_k = 1000 * t.audit_cpu / max(t.mt_sentences, 1)
    ratio = t.audit / max(t.encode, 1e-9)
    all_ratio = t.audit / max(t.all_encode, 1e-9)
    chrf = f"{t.chrf:.3f} s" if t.chrf else "n/a (no reference)"
    return [f"| {name} | {t.documents} | {t.mt_sentences} | {t.encoded} | {per_doc:.2f} s "
            f"| {per_k:.1f} s | {cpu_k:.1f} s | {t.encode:.2f} s | {t.audit:.2f} s "
            f"| **{ratio:.2f}** "
            f"| {t.all_texts} texts, {t.all_encode:.2f} s | {all_ratio:.2f} | {chrf} |"]


def dictionary_lines() -> list[str]:
    """Cost of CC-CEDICT for the name checks: a cold process opening the cached index, one
    lookup by Chinese form, and reading one distinct MT mention back into dictionary entries
    (`rendering_glosses`, cached per mention after that)."""
    from auditor.lang.cedict import cache_dir, load_cedict
    from auditor.lang.name_glosses import rendering_glosses

    probe = ("import time; t = time.perf_counter(); from auditor.lang.cedict import load_cedict; "
             "load_cedict(); print(time.perf_counter() - t)")
    env = {**os.environ, "AUDITOR_CACHE_DIR": str(cache_dir())}
    load_cedict()  # builds the index once if this machine has none
    cold = min(float(subprocess.run([sys.executable, "-c", probe], capture_output=True,
                                    text=True, check=True, env=env).stdout) for _ in range(3))
    cedict = load_cedict()
    forms = ["普京", "横滨", "中", "韩联社", "美国", "记者", "会见"] * 200
    t = time.perf_counter()
    for form in forms:
        cedict.lookup(form)
    lookup = (time.perf_counter() - t) / len(forms)
    mentions = [f"{a} {b}" for a in ("Heng", "Pu", "Ma", "Lafu", "Wen") for b in
                ("Bin", "Jing", "Kelong", "Luofu", "Zaiyin", "Dingkang", "Chuan")]
    from auditor.lang.romanize import pinyin_inventory

    pinyin_inventory()  # pypinyin's table: loaded by the names detector's other evidence anyway
    rendering_glosses.cache_clear()
    t = time.perf_counter()
    for mention in mentions:
        rendering_glosses(mention)
    per_mention = (time.perf_counter() - t) / len(mentions)
    from auditor.lang.name_glosses import rendering_syllables
    from auditor.lang.transliteration import (
        _table,
        transliteration_match,
        transliteration_score,
    )

    t = time.perf_counter()
    _table()
    table_load = time.perf_counter() - t
    names = ["Putin", "Vladimir", "Sarkozy", "Navalny", "Thatcher", "Kishida", "Pompeo"]
    transliteration_score.cache_clear()
    transliteration_match.cache_clear()
    t = time.perf_counter()
    for mention in mentions:
        transliteration_match(rendering_syllables(mention)[:4], frozenset(names))
    per_pair = (time.perf_counter() - t) / (len(mentions) * len(names))
    return [f"- CC-CEDICT (names): cold open of the cached index {cold * 1000:.0f} ms, lookup "
            f"{lookup * 1e6:.0f} µs, one distinct MT mention read back into entries "
            f"{per_mention * 1000:.1f} ms; transliteration table (learned from CC-CEDICT) "
            f"read once {table_load * 1000:.0f} ms, one distinct mention scored against one "
            f"reference name {per_pair * 1e6:.0f} µs (cached after that)"]


def make_auditors(model: str | None) -> dict[str, Any]:
    """A comparable and a parallel Auditor sharing one encoder and the source encoder."""
    from auditor import Auditor
    from auditor.config import AlignMode, AuditConfig
    from auditor.embed import load_encoder

    comparable = Auditor(**({"model": model} if model else {}))
    comparable.resources.source_encoder = load_encoder("use-multilingual-v3")
    parallel = Auditor(config=AuditConfig(mode=AlignMode.PARALLEL), encoder=comparable.encoder)
    parallel.resources = comparable.resources
    return {"comparable": comparable, "parallel": parallel}


def every_candidate_lines(auditors: dict[str, Any], jobs: Sequence[Job], ted: Timing,
                          news: Timing) -> list[str]:
    """The warm MQM audits again with the second alignment pass embedding every candidate
    group (what it did before `auditor.align._possible_cells`), in the same run: the same
    groups, and what the search saves."""
    from unittest import mock

    from auditor import align

    with mock.patch.object(align, "_possible_cells",
                           lambda points, cells, ceilings, unknown, best: unknown), \
            mock.patch.object(align, "_MEASURED_PER_ROUND", 10**9):
        before = {"parallel": run_jobs(auditors, [j for j in jobs if j.mode == "parallel"], None),
                  "comparable": run_jobs(auditors, [j for j in jobs if j.mode == "comparable"],
                                         None)}
    lines = ["", "Warm audits with the second alignment pass embedding every candidate group "
             "(before its search), same documents, same run:", "",
             "| workload | texts encoded, search | every candidate | CPU / 1k MT sentences, "
             "search | every candidate | CPU ratio |", "|---|---|---|---|---|---|"]
    for name, mine, mode in (("MQM TED vs refB", ted, "parallel"),
                             ("MQM news vs source", news, "comparable")):
        old = before[mode]
        ca = 1000 * mine.audit_cpu / max(mine.mt_sentences, 1)
        cb = 1000 * old.audit_cpu / max(old.mt_sentences, 1)
        lines.append(f"| {name} | {mine.all_texts} | {old.all_texts} | {ca:.1f} s | {cb:.1f} s "
                     f"| **{cb / max(ca, 1e-9):.2f}×** |")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=10, help="MQM documents per dataset")
    parser.add_argument("--profile", action="store_true", help="cProfile the warm MQM audits")
    parser.add_argument("--no-cli", action="store_true", help="skip the cold CLI run")
    parser.add_argument("--repeat", type=int, default=3, help="cold CLI runs (min, median)")
    parser.add_argument("--no-breakdown", action="store_true",
                        help="skip taking the cold start apart")
    parser.add_argument("--model", default=None, help="encoder (default: the auditor's)")
    parser.add_argument("--compare", default=None, metavar="MODEL",
                        help="also time the warm audits with this encoder, in the same run")
    parser.add_argument("--every-candidate", action="store_true",
                        help="also time the warm MQM audits with the second alignment pass "
                             "embedding every candidate group (as before its search), same run")
    parser.add_argument("--append", type=Path, default=None,
                        help="also append the table to this markdown file (benchmarks/results.md)")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    lines = ["# Speed (benchmarks/speed.py)", ""]
    cold_cpu: float | None = None
    if not args.no_cli:
        runs = [cold_cli(Path("/tmp/auditor-speed.json")) for _ in range(max(args.repeat, 1))]
        walls = sorted(r[0] for r in runs)
        cpus = sorted(r[1] for r in runs)
        peak, how = max(r[2] for r in runs), runs[0][3]
        cold_cpu = cpus[len(cpus) // 2]
        lines += [f"- cold CLI, seeds: {walls[0]:.1f} s wall (min of {len(runs)}; median "
                  f"{walls[len(walls) // 2]:.1f} s), {cpus[0]:.2f} s CPU (median "
                  f"{cold_cpu:.2f} s), peak memory {peak:.0f} MB (`{how}`); load average "
                  f"{os.getloadavg()[0]:.1f}"]
        if os.environ.get("PYTHONDONTWRITEBYTECODE"):
            # This machine sets it: every fresh process compiles auditor's own modules again,
            # which no installed copy does. The same runs with byte code cached, for comparison.
            with tempfile.TemporaryDirectory() as prefix:
                env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
                env["PYTHONPYCACHEPREFIX"] = prefix
                cold_cli(Path("/tmp/auditor-speed.json"), env)  # writes the byte code
                cached = sorted(cold_cli(Path("/tmp/auditor-speed.json"), env)[1]
                                for _ in range(max(args.repeat, 1)))
            lines += [f"- the same with byte code cached (PYTHONDONTWRITEBYTECODE is set here, so "
                      f"the runs above compile auditor's modules each time): {cached[0]:.2f} s "
                      f"CPU (median {cached[len(cached) // 2]:.2f} s)"]
        lines += cold_cli_pair(Path("/tmp/auditor-speed.json"), max(args.repeat, 1))

    lines += dictionary_lines()

    t0 = time.perf_counter()
    auditors = make_auditors(args.model)
    comparable = auditors["comparable"]
    load_seconds = time.perf_counter() - t0

    seeds = seed_job()
    docs = []
    for name in ("ted", "news"):
        mine = load_documents(name)  # type: ignore[arg-type]
        step = max(len(mine) / args.limit, 1)
        docs += [mine[int(i * step)] for i in range(min(args.limit, len(mine)))]
    jobs = mqm_jobs(docs)
    # warm-up: load lazily loaded models (spaCy, torch kernels) outside the timed runs
    run_jobs(auditors, [seeds, jobs[0], jobs[-1]], None)

    detector_seconds: dict[str, dict[str, float]] = {"seeds": {}, "ted": {}, "news": {}}
    stage: dict[str, float] = {}
    stage_cpu: dict[str, float] = {}  # the same in process CPU time
    detector_cpu: dict[str, dict[str, float]] = {}
    for auditor in auditors.values():
        time_detectors(auditor, stage, stage_cpu)
    time_clause_drops(stage_cpu)
    profiler = cProfile.Profile() if args.profile else None
    seed_timing = run_jobs(auditors, [seeds], None)
    detector_seconds["seeds"] = dict(stage)
    stage.clear()
    stage_cpu.clear()
    ted = run_jobs(auditors, [j for j in jobs if j.mode == "parallel"], profiler)
    detector_seconds["ted"] = dict(stage)
    detector_cpu["ted"] = dict(stage_cpu)
    stage.clear()
    stage_cpu.clear()
    news = run_jobs(auditors, [j for j in jobs if j.mode == "comparable"], profiler)
    detector_seconds["news"] = dict(stage)
    detector_cpu["news"] = dict(stage_cpu)
    ted_unparsed = run_jobs(auditors, [j for j in jobs if j.mode == "parallel"], None,
                            fresh_parses=True)
    talks = len({j.mt.name.split(":")[-1] for j in jobs if j.mode == "parallel"})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines += [
        f"- warm process: models loaded in {load_seconds:.1f} s; peak memory {peak:.0f} MB; "
        f"encoder {comparable.encoder.name} on {comparable.encoder.backend}",
        f"- detectors: {', '.join(comparable.detector_ids) or '(none)'}",
        "",
        "| workload | docs | MT sentences | sentences encoded | audit / doc | audit / 1k MT "
        "sentences | CPU / 1k MT sentences | pure encoding | whole audit | audit ÷ encoding "
        "| all encoder work | audit ÷ all encoder work | sentence chrF |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        *report_lines("seeds (001 vs 000+004)", seed_timing),
        *report_lines("MQM TED vs refB", ted),
        *report_lines("MQM news vs source", news),
        "",
        "TED again with spaCy's parse cache emptied before each audit too (the table reuses "
        f"the parses of sentences seen before, as a warm process does: its {ted.documents} TED "
        f"documents come from {talks} talks, and a talk's reference recurs across its systems): "
        f"{1000 * ted_unparsed.audit / max(ted_unparsed.mt_sentences, 1):.1f} s wall, "
        f"{1000 * ted_unparsed.audit_cpu / max(ted_unparsed.mt_sentences, 1):.1f} s CPU per "
        "1k MT sentences",
        "",
        "Time inside each detector (included in the whole audit):",
        "",
        "| workload | " + " | ".join(comparable.detector_ids) + " |",
        "|---" * (1 + len(comparable.detector_ids)) + "|",
    ]
    for name, timing in (("seeds", seed_timing), ("ted", ted), ("news", news)):
        cells = [f"{detector_seconds[name].get(d, 0.0):.2f} s" for d in comparable.detector_ids]
        lines.append(f"| {name} ({timing.audit:.1f} s audit) | " + " | ".join(cells) + " |")
    core = {name: (t.audit - sum(detector_seconds[name].values())) / max(t.encode, 1e-9)
            for name, t in (("seeds", seed_timing), ("ted", ted), ("news", news))}
    lines += ["", "The audit without its detectors (load, segment, encode, align, score) ÷ pure "
              "encoding: " + ", ".join(f"{name} {ratio:.2f}" for name, ratio in core.items())]
    if "coverage" in comparable.detector_ids:
        # issue 15: the word-level checks may cost at most the sentence encoding they sit on
        words = {name: detector_seconds[name].get("coverage", 0.0) / max(t.encode, 1e-9)
                 for name, t in (("ted", ted), ("news", news))}
        lines += ["", "Word-level coverage (detector `coverage`) ÷ pure sentence encoding: "
                  + ", ".join(f"{name} {ratio:.2f}" for name, ratio in words.items())
                  + " (goal <= 1)"]
        # the same in process CPU time (the machine is shared: wall clock moves with the load;
        # CPU counts the ONNX encoder's worker threads too)
        words_cpu = {name: detector_cpu[name].get("coverage", 0.0) / max(t.encode_cpu, 1e-9)
                     for name, t in (("ted", ted), ("news", news))}
        lines += ["", "The same in CPU time: " + ", ".join(
            f"{name} {ratio:.2f} ({detector_cpu[name].get('coverage', 0.0):.2f} s against "
            f"{t.encode_cpu:.2f} s)" for (name, ratio), t in zip(words_cpu.items(), (ted, news),
                                                                  strict=True))
                  + f"; load average {os.getloadavg()[0]:.1f}"]
        drops = detector_cpu["news"].get("clause_drops", 0.0)
        both = detector_cpu["news"].get("coverage", 0.0) + drops
        lines += ["", "News with the clause drops counted in coverage (they run in detector "
                  "`source`, but for a Chinese source only coverage reads them), CPU: "
                  f"{both / max(news.encode_cpu, 1e-9):.2f} ({both:.2f} s, of which clause "
                  f"drops {drops:.2f} s, against {news.encode_cpu:.2f} s)"]
    if args.every_candidate:
        lines += every_candidate_lines(auditors, jobs, ted, news)
    if args.compare:
        others = make_auditors(args.compare)
        run_jobs(others, [seeds, jobs[0], jobs[-1]], None)
        lines += ["", f"Warm audits again with `{args.compare}` "
                  f"({others['comparable'].encoder.backend}), same documents, same run:", "",
                  "| workload | audit / 1k MT sentences, default | with the other encoder "
                  "| speed-up | CPU / 1k, default | CPU / 1k, other | CPU ratio |",
                  "|---|---|---|---|---|---|---|"]
        throughput: list[str] = []
        for name, mine, subset in (
                ("seeds", seed_timing, [seeds]),
                ("MQM TED vs refB", ted, [j for j in jobs if j.mode == "parallel"]),
                ("MQM news vs source", news, [j for j in jobs if j.mode == "comparable"])):
            theirs = run_jobs(others, subset, None)
            a = 1000 * mine.audit / max(mine.mt_sentences, 1)
            b = 1000 * theirs.audit / max(theirs.mt_sentences, 1)
            ca = 1000 * mine.audit_cpu / max(mine.mt_sentences, 1)
            cb = 1000 * theirs.audit_cpu / max(theirs.mt_sentences, 1)
            lines.append(f"| {name} | {a:.1f} s | {b:.1f} s | **{b / max(a, 1e-9):.2f}×** "
                         f"| {ca:.1f} s | {cb:.1f} s | {cb / max(ca, 1e-9):.2f}× |")
            throughput.append(f"{name} {ca / max(cb, 1e-9):.1f}×")
        lines += ["", f"Warm throughput of `{args.compare}` over the default (CPU seconds per "
                  "1,000 MT sentences, default ÷ other): " + ", ".join(throughput)]
    if not args.no_breakdown:  # after the warm runs: they recorded what the seed audit encodes
        lines += cold_breakdown(cold_cpu, seed_timing.encoder_texts, max(args.repeat, 1))
    command = "python benchmarks/speed.py" + "".join(
        f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
    lines.insert(2, f"- command: `{command}`; machine: {machine_line()}")
    print("\n".join(lines))
    if args.append:
        with args.append.open("a", encoding="utf-8") as handle:
            handle.write("\n" + "\n".join(lines) + "\n")
    if profiler:
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats(30)
        print(buffer.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
