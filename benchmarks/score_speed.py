"""Speed and memory of `auditor score` on line-aligned files, next to sacrebleu chrF.

    .venv/bin/python benchmarks/score_speed.py [--lines 100000] [--marks 10000,30000]
        [--no-fill] [--skip-speed] [--systems N]

Builds line-aligned files from the TED dev data in ../shared/data (each MT system's segments of
the three talks, refB as the reference, the Chinese source, talk ids as --doc-ids; written to a
temporary folder, never into the repository) and prints:
- peak memory of one `auditor score -t MT -s SRC -r REF --doc-ids IDS --jsonl OUT` process over
  `--lines` lines (the 3,133 TED MT lines of the 13 systems in turn, repeated; a repeat is a
  new document), measured, not extrapolated: the process's RSS is sampled every second and
  reported as the JSONL passes each of `--marks`, and the kernel's max RSS (wait4) at the end.
  Unless `--no-fill`, the process first fills every capped cache to its cap (encoder vectors,
  spaCy parses: what a file of distinct lines does on its own; repeated TED lines would not),
  so the figure is the worst case the caps allow. Then segments per CPU second of that run,
  and sacrebleu's chrF on the same lines;
- unless `--skip-speed`, `auditor score` in a fresh process per system (cold: model loading
  included) and the warm library time (`auditor.segments.score_systems` with the models
  loaded) on the first `--systems` TED systems, and sacrebleu's chrF on the same lines:
  `sacrebleu REF -i MT -m chrf` (corpus score) and the per-line sentence scores (what
  comet-score-style segment output needs), segments per second.
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


def fill_caches(auditor: object, texts: list[str]) -> tuple[int, int, int]:
    """Fill every capped store of the Auditor to its cap before the run: the MiniLM and USE
    vector caches (`CachedEncoder.max_items` entries each, vectors of the encoder's width, in
    batch arrays as the encoder returns them) and the spaCy parse cache (`Resources.
    max_parses` real parses of distinct sentences). A 100,000-line file of distinct lines
    fills them itself; TED lines repeated do not, so this makes the run the worst case."""
    import hashlib

    import numpy as np

    filled = []
    for encoder in (auditor.encoder, auditor._source_encoder()):  # type: ignore[attr-defined]
        cap = encoder._max_items
        width = encoder.encode(["x"]).shape[1]
        for start in range(len(encoder._cache), cap, 4096):
            n = min(4096, cap - start)
            block = np.ones((n, width), np.float32)
            encoder._cache.update(
                (hashlib.blake2b(f"fill {start + i}".encode(), digest_size=16).digest(),
                 block[i]) for i in range(n))
        filled.append(len(encoder._cache))
    resources = auditor.resources  # type: ignore[attr-defined]
    cap = resources.max_parses
    distinct_texts = [f"{texts[i % len(texts)]} ({i})" for i in range(cap)]
    for start in range(0, cap, 2000):
        resources.parse(distinct_texts[start:start + 2000])
    filled.append(len(resources._parses))
    return filled[0], filled[1], filled[2]


def child(args: argparse.Namespace) -> None:
    """`auditor score` in this process with its models loaded and (with --fill) its caches
    full: the CLI code path, the injected Auditor lending its models as a program would."""
    from auditor import AuditConfig, Auditor
    from auditor.cli import app
    from auditor.config import AlignMode

    auditor = Auditor(config=AuditConfig(mode=AlignMode.PARALLEL))
    if args.fill:
        texts = Path(args.fill).read_text(encoding="utf-8").splitlines()
        print("filled caches (MiniLM, USE, parses):", fill_caches(auditor, texts),
              file=sys.stderr, flush=True)
    app(args.cli, obj=auditor, prog_name="auditor", standalone_mode=False)


def run_big(files: dict[str, Path], out: Path, fill: Path | None,
            marks: list[int]) -> list[tuple[int, float, float, float]]:
    """One `auditor score` process over the files, its RSS sampled every second: rows of
    (segments written to the JSONL, CPU seconds, RSS MB, peak RSS MB so far) at each mark,
    and the last row at the end (peak from the kernel's own count, wait4)."""
    import psutil

    cli = ["score", "-t", str(files["mt"]), "-s", str(files["src"]), "-r", str(files["ref"]),
           "--doc-ids", str(files["ids"]), "--jsonl", str(out), "--no-progress"]
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", *(
        ["--fill", str(fill)] if fill else []), "--", *cli]
    rows = []
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=errors)
        watch = psutil.Process(proc.pid)
        peak, pending, done, offset = 0.0, list(marks), 0, 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)  # this child's own peak
            if pid:
                break
            time.sleep(1)
            try:
                rss = watch.memory_info().rss / 2**20
                cpu = sum(watch.cpu_times()[:2])
            except psutil.NoSuchProcess:
                break
            peak = max(peak, rss)
            if out.exists():
                with open(out, "rb") as fh:
                    fh.seek(offset)
                    chunk = fh.read()
                done += chunk.count(b"\n")
                offset += len(chunk)
            while pending and done >= pending[0]:
                rows.append((pending.pop(0), cpu, rss, peak))
                print(f"| {rows[-1][0]:,} | {cpu:.0f} | {rss:.0f} | {peak:.0f} |", flush=True)
        errors.seek(0)
        err = errors.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"auditor score failed: {err.strip()[-500:]}")
    print(err.strip().splitlines()[0] if err.strip() else "", file=sys.stderr)
    cpu = usage.ru_utime + usage.ru_stime
    n = sum(1 for _ in open(out, "rb"))
    rows.append((n, cpu, float("nan"), usage.ru_maxrss / 1024))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--systems", type=int, default=3, help="TED MT systems to time")
    parser.add_argument("--lines", type=int, default=100_000,
                        help="lines of the peak-memory run (0: none)")
    parser.add_argument("--marks", default="10000,30000",
                        help="line counts at which the memory run reports its RSS")
    parser.add_argument("--no-fill", action="store_true",
                        help="memory run without filling the caches first")
    parser.add_argument("--skip-speed", action="store_true", help="only the memory run")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--fill", help=argparse.SUPPRESS)
    parser.add_argument("cli", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # Memory first, while this process is small: a child's max RSS starts from its
        # parent's at fork, so runs after the warm in-process audit would report the parent.
        every = write_ted(folder, 13)
        if args.lines:
            files = distinct(every, folder, args.lines)
            fill = None
            if not args.no_fill:
                fill = folder / "fill.txt"
                fill.write_text("\n".join(
                    line for _, f, _ in every
                    for line in f["mt"].read_text(encoding="utf-8").splitlines()) + "\n",
                    encoding="utf-8")
            print(f"{args.lines:,} lines: the 3,133 TED MT lines of the 13 systems in turn, "
                  "repeated (a repeat is a new document), source and refB reference, "
                  f"caches {'left empty' if fill is None else 'filled to their caps first'}")
            print("| lines written | CPU seconds | RSS (MB) | peak RSS so far (MB) |")
            print("|---:|---:|---:|---:|")
            marks = [int(x) for x in args.marks.split(",") if x]
            rows = run_big(files, folder / "big.jsonl", fill, marks)
            n, cpu, _, peak = rows[-1]
            print(f"| {n:,} (end) | {cpu:.0f} | | {peak:.0f} (wait4 max RSS) |")
            chrf, cli, sentence = chrf_speed(files)
            print(f"\n`auditor score`: {n / cpu:.1f} segments per CPU second over the whole "
                  f"run (model loading and cache filling included); sacrebleu on the same "
                  f"lines: corpus chrF {chrf:.2f} in {cli:.1f} s (CLI), sentence chrF of "
                  f"every line {n / sentence:,.0f} segments/s\n", flush=True)
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
