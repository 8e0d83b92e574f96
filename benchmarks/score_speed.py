"""Speed and memory of `auditor score` on line-aligned files, next to sacrebleu chrF.

    .venv/bin/python benchmarks/score_speed.py [--systems N] [--memory 1000,2000,4000]

Builds line-aligned files from the TED dev data in ../shared/data (each MT system's segments of
the three talks, refB as the reference, the Chinese source, talk ids as --doc-ids; written to a
temporary folder, never into the repository) and prints:
- `auditor score -t MT -s SRC -r REF --doc-ids IDS --jsonl OUT` in a fresh process per system
  (cold: model loading included) and the warm library time (`auditor.segments.score_systems`
  with the models loaded): segments per second;
- sacrebleu's chrF on the same lines: `sacrebleu REF -i MT -m chrf` (corpus score) and the
  per-line sentence scores (what comet-score-style segment output needs), segments per second;
- peak memory (max RSS of the `auditor score` process) for growing inputs made of the TED lines
  of every system in turn (distinct MT lines, talks as documents), and the figure the
  least-squares line through the runs gives for 100,000 segments (extrapolated: a real
  100,000-line run takes hours on a loaded 2-core machine).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mqm_data import load_documents  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
       "TOKENIZERS_PARALLELISM": "false", "PYTHONPATH": str(ROOT)}


def write_ted(folder: Path, n_systems: int) -> list[tuple[str, dict[str, Path], int]]:
    """Per MT system: its files (mt, src, ref, ids) and its number of lines."""
    by_system: dict[str, list] = {}
    for doc in load_documents("ted"):
        by_system.setdefault(doc.system, []).append(doc)
    out = []
    for system in sorted(by_system)[:n_systems]:
        parts: dict[str, list[str]] = {"mt": [], "src": [], "ref": [], "ids": []}
        for doc in by_system[system]:
            for seg in doc.segments:
                parts["mt"].append(" ".join(seg.mt.split()))
                parts["src"].append(" ".join(seg.source.split()))
                parts["ref"].append(" ".join(seg.reference.split()))
                parts["ids"].append(doc.doc)
        files = {}
        for key, lines in parts.items():
            path = folder / f"{system}.{key}.txt"
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            files[key] = path
        out.append((system, files, len(parts["mt"])))
    return out


def run_cli(files: dict[str, Path], out: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one `auditor score` process."""
    cmd = [sys.executable, "-m", "auditor", "score", "-t", str(files["mt"]),
           "-s", str(files["src"]), "-r", str(files["ref"]), "--doc-ids", str(files["ids"]),
           "--jsonl", str(out), "--no-progress"]
    start = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak, not all children's
        seconds = time.perf_counter() - start
        errors.seek(0)
        err = errors.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"auditor score failed: {err.strip()[-500:]}")
    return seconds, usage.ru_maxrss / 1024


def chrf_speed(files: dict[str, Path]) -> tuple[float, float, float]:
    """(corpus chrF, seconds for the sacrebleu CLI corpus score, seconds for sentence chrF)."""
    from sacrebleu.metrics import CHRF

    hyps = files["mt"].read_text(encoding="utf-8").splitlines()
    refs = files["ref"].read_text(encoding="utf-8").splitlines()
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "sacrebleu", str(files["ref"]), "-i",
                           str(files["mt"]), "-m", "chrf", "-b"], env=ENV, capture_output=True,
                          text=True, check=True)
    cli = time.perf_counter() - start
    chrf = CHRF()
    start = time.perf_counter()
    for h, r in zip(hyps, refs, strict=True):
        chrf.sentence_score(h, [r])
    return float(proc.stdout.strip()), cli, time.perf_counter() - start


def warm_speed(systems: list[tuple[str, dict[str, Path], int]]) -> tuple[float, int]:
    """Seconds and segments for the library on every system, models loaded beforehand."""
    from auditor import AuditConfig, Auditor
    from auditor.config import AlignMode
    from auditor.formats.lines import line_segments
    from auditor.segments import SystemInput, score_systems

    auditor = Auditor(config=AuditConfig(mode=AlignMode.PARALLEL))
    auditor._source_encoder()  # load the multilingual encoder outside the timing
    auditor.resources.nlp  # noqa: B018 - and spaCy
    inputs = [SystemInput(name, (lambda f=files: line_segments(f["mt"], [f["ref"]], f["src"],
                                                                f["ids"])[1]), n)
              for name, files, n in systems]
    start = time.perf_counter()
    n = sum(len(o.segments) for _, o in score_systems(auditor, inputs))
    return time.perf_counter() - start, n


def distinct(systems: list[tuple[str, dict[str, Path], int]], folder: Path,
             n: int) -> dict[str, Path]:
    """n lines taken from every system in turn (distinct MT lines; each system's talks stay
    documents), repeated only past the 3,133 TED lines."""
    rows: dict[str, list[str]] = {"mt": [], "src": [], "ref": [], "ids": []}
    for name, files, _ in systems:
        for key in rows:
            lines = files[key].read_text(encoding="utf-8").splitlines()
            rows[key] += [f"{name}/{x}" for x in lines] if key == "ids" else lines
    out = {}
    for key, lines in rows.items():
        picked = [lines[i % len(lines)] for i in range(n)]
        if key == "ids":  # a repeat of the whole set is a new document
            picked = [f"{x}#{i // len(lines)}" for i, x in enumerate(picked)]
        out[key] = folder / f"n{n}.{key}.txt"
        out[key].write_text("\n".join(picked) + "\n", encoding="utf-8")
    return out


def cache_bounds(texts: list[str]) -> tuple[float, float, float]:
    """MB the three capped caches hold when full: MiniLM vectors (384-d) and USE vectors
    (512-d), 200,000 each as `CachedEncoder` keeps them, and 20,000 spaCy parses
    (`Resources.max_parses`), measured with tracemalloc on samples and scaled up."""
    import hashlib
    import tracemalloc

    import numpy as np

    from auditor.detect.nlp import load_spacy, parse_sentences

    def vectors(dim: int, n: int = 20_000) -> float:
        tracemalloc.start()
        cache = {hashlib.blake2b(str(i).encode(), digest_size=16).digest():
                 np.ones(dim, np.float32) for i in range(n)}
        size = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        del cache
        return size * (200_000 / n) / 2**20

    nlp = load_spacy()
    sample = texts[:500]
    tracemalloc.start()
    docs = parse_sentences(nlp, sample)
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del docs
    return vectors(384), vectors(512), size * (20_000 / len(sample)) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--systems", type=int, default=3, help="TED MT systems to time")
    parser.add_argument("--memory", default="250,500,1000",
                        help="line counts for the peak-memory runs")
    parser.add_argument("--skip-speed", action="store_true", help="only the memory runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # Memory first, while this process is small: a child's max RSS starts from its
        # parent's at fork, so runs after the warm in-process audit would report the parent.
        every = write_ted(folder, 13)
        print("| lines (distinct MT, TED systems in turn) | seconds | peak RSS (MB) |")
        print("|---:|---:|---:|")
        points = []
        for size in (int(x) for x in args.memory.split(",")):
            files = distinct(every, folder, size)
            seconds, peak = run_cli(files, folder / f"mem{size}.jsonl")
            points.append((size, peak, seconds))
            print(f"| {size} | {seconds:.0f} | {peak:.0f} |", flush=True)
        if len(points) >= 2:
            import numpy as np

            xs, ys, _ = np.array(points, dtype=float).T
            slope, intercept = np.polyfit(xs, ys, 1)
            rate = (xs[-1] - xs[0]) / max(points[-1][2] - points[0][2], 1e-9)
            print(f"\nPeak RSS grows by {slope * 1000:.1f} MB per 1,000 lines; the straight line "
                  f"gives {intercept + slope * 100_000:.0f} MB at 100,000 lines (extrapolated, "
                  f"not measured: about {100_000 / rate / 3600:.1f} h at these runs' marginal "
                  "speed).")
            mini, use, parses = cache_bounds(
                every[0][1]["mt"].read_text(encoding="utf-8").splitlines())
            print(f"Growth comes from caches that are capped: full, they hold {mini:.0f} MB "
                  f"(MiniLM vectors), {use:.0f} MB (USE vectors) and {parses:.0f} MB (spaCy "
                  f"parses); the bound is the first run's peak plus those: "
                  f"{points[0][1] + mini + use + parses:.0f} MB.\n")
        if args.skip_speed:
            return
        systems = every[: args.systems]
        lines = sum(n for _, _, n in systems)
        print(f"TED dev data: {len(systems)} MT systems x 3 talks, {lines} lines "
              f"(with source and refB reference, talk ids as --doc-ids)\n")
        print("| what | seconds | segments/s |")
        print("|---|---:|---:|")
        cold = 0.0
        for _, files, _ in systems:
            cold += run_cli(files, folder / "out.jsonl")[0]
        print(f"| `auditor score` CLI, cold (one process per system, models loaded each time)"
              f" | {cold:.1f} | {lines / cold:.1f} |", flush=True)
        warm, n = warm_speed(systems)
        print(f"| `auditor score` engine, warm (models loaded) | {warm:.1f} | {n / warm:.1f} |")
        cli = sentence = 0.0
        for _, files, _ in systems:
            _, c, s = chrf_speed(files)
            cli += c
            sentence += s
        print(f"| `sacrebleu REF -i MT -m chrf` CLI (corpus score) | {cli:.2f} | "
              f"{lines / cli:.0f} |")
        print(f"| sacrebleu sentence chrF, every line | {sentence:.2f} | {lines / sentence:.0f} |")


if __name__ == "__main__":
    main()
