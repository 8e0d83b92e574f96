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
- peak RSS: the largest resident memory seen (sampled every 50 ms) of this process plus its
  children (the Dask workers), and ru_maxrss of this process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "data" / "feeds"


class PeakMemory:
    """Samples RSS of this process and its children in a thread; `peak` is the max of the sum."""

    def __init__(self, interval: float = 0.05):
        import psutil

        self._process = psutil.Process()
        self._interval = interval
        self._stop = threading.Event()
        self.peak = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            total = 0
            for proc in (self._process, *self._process.children(recursive=True)):
                try:
                    total += proc.memory_info().rss
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
    from auditor.feed.config import FeedSource, FetchSettings, Role
    from auditor.feed.ingest import load_feed

    shutil.copytree(FIXTURES / "references", directory / "references")
    shutil.copy(FIXTURES / "references.atom", directory / "references.atom")
    # The folder's .txt report takes its date from the file time: put it on the story's day.
    stamp = time.mktime((2026, 11, 13, 12, 0, 0, 0, 0, 0))
    os.utime(directory / "references" / "veland-tariffs.txt", (stamp, stamp))
    settings = FetchSettings()
    stories = [
        *load_feed(FeedSource("w", str(FIXTURES / "translated.rss"), Role.TRANSLATED),
                   settings).items,
        *load_feed(FeedSource("j", str(FIXTURES / "translated.jsonl"), Role.TRANSLATED),
                   settings).items,
    ]
    with (directory / "items.jsonl").open("w", encoding="utf-8") as handle:
        for n in range(n_items):
            story = stories[n % len(stories)]
            handle.write(json.dumps({
                "guid": f"{story.guid}-{n}", "title": story.title,
                "published": story.published.isoformat(),
                "text": f"{story.text}\n\nCorrection {n}: this copy was re-sent {n} times.",
            }) + "\n")
    config = directory / "feeds.toml"
    config.write_text(
        '[[feeds]]\nname = "synthetic"\npath = "items.jsonl"\nrole = "translated"\n'
        '[[feeds]]\nname = "english"\npath = "references.atom"\nrole = "reference"\n'
        '[[feeds]]\nname = "english-folder"\npath = "references"\nrole = "reference"\n',
        encoding="utf-8")
    return config


def measure(label: str, config, auditor) -> None:  # noqa: ANN001 - FeedConfig, Auditor
    from auditor.feed.runner import Status, run_feeds

    stamps: list[float] = []
    counts: dict[str, int] = {}
    with PeakMemory() as memory:
        start = time.perf_counter()
        for outcome in run_feeds(config, auditor, progress=True):
            counts[outcome.status.value] = counts.get(outcome.status.value, 0) + 1
            if outcome.status is Status.AUDITED:
                stamps.append(time.perf_counter())
        elapsed = time.perf_counter() - start
    audited = len(stamps)
    steady = (audited - 1) / (stamps[-1] - stamps[0]) * 60 if audited > 1 else float("nan")
    max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{label}: {audited} audited ({counts}) in {elapsed:.1f} s; "
          f"{audited / elapsed * 60:.0f} items/min end to end, {steady:.0f} items/min steady; "
          f"peak RSS {memory.peak / 1e6:.0f} MB (with workers), "
          f"ru_maxrss {max_rss_mb:.0f} MB (this process)", flush=True)


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
    print(f"model loaded in {time.perf_counter() - start:.1f} s; {os.cpu_count()} CPUs; "
          f"signature {auditor.signature.short()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        config = load_config(build_site(Path(tmp), args.items))
        if not args.skip_local:
            measure(f"local, {args.items} items",
                    config.with_store(Path(tmp) / "local.sqlite"), auditor)
        if not args.skip_dask:
            dask_config = replace(config.with_store(Path(tmp) / "dask.sqlite"),
                                  audit=replace(config.audit, executor=Executor.DASK,
                                                workers=args.workers))
            measure(f"dask LocalCluster {args.workers} workers x 1 thread, {args.items} items",
                    dask_config, auditor)


if __name__ == "__main__":
    main()
