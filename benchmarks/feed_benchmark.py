"""Feed runner throughput and memory: items audited per minute in one process and on a local
Dask cluster, and peak memory, for N synthetic items (default 1,000) built from the test feeds.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/feed_benchmark.py [--items N] [--workers 2]
        [--skip-local] [--skip-dask]

Each synthetic item is one of the five fixture stories (tests/data/feeds) with a distinct
closing sentence, so every item has its own content hash; the English reports are the fixture
reports. One story in five (the lantern festival) has no report, so of N items 4/5 are matched
and audited and 1/5 recorded as unmatched, as in a real feed. Figures printed:
- items/min end to end: the whole run (ingest, matching, audits, SQLite writes), the model
  already loaded for the local run; for Dask it includes starting the cluster and loading the
  model on every worker.
- items/min steady: between the first and the last stored audit.
- CPU seconds per item: this process, and the Dask worker processes (sampled);
- share of encoding: of this process's wall and CPU time in the run, the part spent inside the
  sentence encoder (local run; a Dask worker does the same work per item);
- memory: the largest resident memory seen (sampled every 50 ms) of this process plus its
  children, the peak of each worker process, and ru_maxrss of this process (the warm process
  that audited every item locally; the goal is under 1 GiB).
The load average is printed with the figures: the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.feeds import (  # noqa: E402 - the feed tests' fixtures and item writer
    FIXTURES,
    translated_stories,
    write_resent_copies,
)


class PeakMemory:
    """Samples RSS of this process and its children in a thread: `peak` is the max of the sum,
    `child_peaks` each child's max, `child_cpu` each child's last CPU seconds seen."""

    def __init__(self, interval: float = 0.05):
        import psutil

        self._process = psutil.Process()
        self._interval = interval
        self._stop = threading.Event()
        self.peak = 0
        self.child_peaks: dict[int, int] = {}
        self.child_cpu: dict[int, float] = {}
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            total = 0
            for proc in (self._process, *self._process.children(recursive=True)):
                try:
                    rss = proc.memory_info().rss
                    if proc.pid != self._process.pid:
                        cpu = proc.cpu_times()
                        self.child_cpu[proc.pid] = cpu.user + cpu.system
                        self.child_peaks[proc.pid] = max(self.child_peaks.get(proc.pid, 0), rss)
                    total += rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            time.sleep(self._interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def build_site(directory: Path, n_items: int) -> Path:
    """The fixture references plus `n_items` distinct translated items; returns the config."""

    shutil.copytree(FIXTURES / "references", directory / "references")
    shutil.copy(FIXTURES / "references.atom", directory / "references.atom")
    # The folder's .txt report takes its date from the file time: put it on the story's day.
    stamp = time.mktime((2026, 11, 13, 12, 0, 0, 0, 0, 0))
    os.utime(directory / "references" / "veland-tariffs.txt", (stamp, stamp))
    write_resent_copies(directory / "items.jsonl", translated_stories(), n_items)
    config = directory / "feeds.toml"
    config.write_text(
        '[[feeds]]\nname = "synthetic"\npath = "items.jsonl"\nrole = "translated"\n'
        '[[feeds]]\nname = "english"\npath = "references.atom"\nrole = "reference"\n'
        '[[feeds]]\nname = "english-folder"\npath = "references"\nrole = "reference"\n',
        encoding="utf-8")
    return config


class TimedEncoder:
    """Passes every batch to the model and adds up the wall and process CPU time inside it."""

    def __init__(self, inner: Any):
        self.inner = inner
        self.name, self.multilingual = inner.name, inner.multilingual
        self.backend = getattr(inner, "backend", "")
        self.wall = self.cpu = 0.0

    def encode(self, texts: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return self.inner.encode(texts)
        finally:
            self.wall += time.perf_counter() - wall
            self.cpu += time.process_time() - cpu


def measure(label: str, config, auditor, encoder: TimedEncoder | None = None  # noqa: ANN001
            ) -> None:
    """Run the feeds once and print the figures (config: FeedConfig, auditor: Auditor)."""
    from auditor.feed.runner import Status, run_feeds

    stamps: list[float] = []
    counts: dict[str, int] = {}
    if encoder is not None:
        encoder.wall = encoder.cpu = 0.0
    with PeakMemory() as memory:
        start, cpu0 = time.perf_counter(), time.process_time()
        for outcome in run_feeds(config, auditor, progress=False):
            counts[outcome.status.value] = counts.get(outcome.status.value, 0) + 1
            if outcome.status is Status.AUDITED:
                stamps.append(time.perf_counter())
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu0
    audited = len(stamps)
    steady = (audited - 1) / (stamps[-1] - stamps[0]) * 60 if audited > 1 else float("nan")
    max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = sorted(memory.child_peaks.items(), key=lambda kv: -kv[1])
    worker_cpu = sum(memory.child_cpu.values())
    lines = [f"{label}: {audited} audited ({counts}) in {elapsed:.1f} s wall "
             f"(load average {os.getloadavg()[0]:.1f}); {audited / elapsed * 60:.0f} items/min "
             f"end to end, {steady:.0f} items/min steady",
             f"  CPU: this process {cpu:.1f} s ({1000 * cpu / max(audited, 1):.0f} ms per audited "
             f"item)" + (f"; worker processes {worker_cpu:.1f} s "
                         f"({1000 * worker_cpu / max(audited, 1):.0f} ms per audited item)"
                         if workers else ""),
             f"  memory: peak RSS {memory.peak / 2**20:.0f} MiB (this process + workers), "
             f"ru_maxrss {max_rss_mb:.0f} MiB (this process)"
             + ("; per worker process " + ", ".join(f"{rss / 2**20:.0f} MiB"
                                                    for _, rss in workers) if workers else "")]
    if encoder is not None:
        wall_share, cpu_share = encoder.wall / elapsed, encoder.cpu / max(cpu, 1e-9)
        lines.append(f"  encoding: {encoder.wall:.1f} s wall ({100 * wall_share:.0f} % of the "
                     f"run), {encoder.cpu:.1f} s CPU ({100 * cpu_share:.0f} % of this process's "
                     "CPU)")
    print("\n".join(lines), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-local", action="store_true")
    parser.add_argument("--skip-dask", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    from auditor.feed.config import Executor, load_config
    from auditor.pipeline import Auditor

    start = time.perf_counter()
    auditor = Auditor()
    encoder = TimedEncoder(auditor.encoder.inner)  # type: ignore[attr-defined]
    auditor.encoder.inner = encoder  # type: ignore[attr-defined]
    print(f"model loaded in {time.perf_counter() - start:.1f} s; {os.cpu_count()} CPUs; "
          f"signature {auditor.signature.short()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        config = load_config(build_site(Path(tmp), args.items))
        if not args.skip_local:
            measure(f"local, {args.items} items",
                    config.with_store(Path(tmp) / "local.sqlite"), auditor, encoder)
        if not args.skip_dask:
            dask_config = replace(config.with_store(Path(tmp) / "dask.sqlite"),
                                  audit=replace(config.audit, executor=Executor.DASK,
                                                workers=args.workers))
            measure(f"dask LocalCluster {args.workers} workers x 1 thread, {args.items} items",
                    dask_config, auditor)


if __name__ == "__main__":
    main()
