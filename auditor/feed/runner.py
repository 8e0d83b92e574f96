"""The feed runner: a generator over one run (ingest -> match -> audit -> store).

    >>> for outcome in run_feeds(load_config("feeds.toml"), auditor):
    ...     print(outcome.status, outcome.title)

The same per-item function (`audit_task`) runs in this process or on Dask workers; only the
main process writes to the store, one transaction per item, so a run can be killed at any time
and the next run picks up exactly the items still unaudited.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.errors import AuditorError
from auditor.feed.config import Executor, FeedConfig
from auditor.result import AuditResult, Document

if TYPE_CHECKING:
    from auditor.feed.store import FeedStore, StoredItem
    from auditor.pipeline import Auditor

log = logging.getLogger("auditor.feed")
PLUGIN_NAME = "auditor-feed"


class Status(str, Enum):
    AUDITED = "audited"
    UNMATCHED = "unmatched"  # no English report of the story (yet)
    FAILED = "failed"  # the audit raised an AuditorError (its message is kept)
    REJECTED = "rejected"  # bad input: an unreadable feed or an unusable item


@dataclass(frozen=True)
class ItemOutcome:
    """What happened to one item (or one rejected feed) in this run."""

    status: Status
    feed: str | None
    message: str = ""
    item_id: int | None = None
    guid: str | None = None
    title: str | None = None
    overall: float | None = None
    findings: int | None = None
    references: tuple[int, ...] = ()


@dataclass(frozen=True)
class AuditTask:
    """Everything one audit needs; small and picklable, so it can travel to a worker."""

    item_id: int
    mt: Document
    references: tuple[Document, ...]


@dataclass(frozen=True)
class TaskResult:
    item_id: int
    result: AuditResult | None
    error: str | None = None
    skipped: bool = False  # another runner claimed the item: nothing to record


def audit_task(auditor: Auditor, task: AuditTask) -> TaskResult:
    """The per-item function, identical locally and on a worker."""
    try:
        return TaskResult(task.item_id, auditor.audit(task.mt, task.references))
    except AuditorError as exc:
        return TaskResult(task.item_id, None, str(exc))
    except Exception as exc:  # noqa: BLE001 - one bad item must not stop a scheduled run
        return TaskResult(task.item_id, None, f"internal error {type(exc).__name__}: {exc}")


def run_feeds(config: FeedConfig, auditor: Auditor | None = None, *, progress: bool = True,
              executor: Executor | None = None) -> Iterator[ItemOutcome]:
    """Run every feed of `config` once, yielding an outcome per rejected input and per item
    considered. The Auditor (and its model) loads only when there is something to match."""
    from auditor.feed.ingest import load_feed
    from auditor.feed.store import FeedStore

    counts = {"new_items": 0, "audited": 0, "unmatched": 0, "failed": 0, "rejected": 0}
    store = FeedStore.open(config.store_path)
    run_id = store.start_run(config.to_json())
    status = "stopped"
    try:
        for source in config.feeds:
            load = load_feed(source, config.fetch)
            for problem in load.problems:
                log.warning(problem.message)
                store.add_problem(run_id, problem.feed, problem.message, problem.guid)
                counts["rejected"] += 1
                yield ItemOutcome(Status.REJECTED, problem.feed, problem.message,
                                  guid=problem.guid)
            new_ids = store.add_items(load.items, run_id)
            counts["new_items"] += len(new_ids)
            log.info("feed %r: %d items, %d new", source.name, len(load.items), len(new_ids))
        pending = store.pending_items(config.match.window_hours)
        if pending:
            auditor = auditor or load_auditor(config)
            yield from _match_and_audit(store, run_id, pending, config, auditor, counts,
                                        progress, executor or config.audit.executor)
        status = "complete"
    finally:
        store.finish_run(run_id, status, counts)
        store.close()
        log.info("run %d %s: %s", run_id, status,
                 ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))
        if config.output.history is not None and status == "complete":
            from auditor.feed.history import write_history

            write_history(config.store_path, config.output.history)


def load_auditor(config: FeedConfig) -> Auditor:
    """The Auditor a feed config asks for (its model), loaded once per run or schedule."""
    from auditor.pipeline import Auditor

    return Auditor(model=config.audit.model, fast=config.audit.fast)


def _match_and_audit(store: FeedStore, run_id: int, pending: list[StoredItem],
                     config: FeedConfig, auditor: Auditor, counts: dict[str, int],
                     progress: bool, executor: Executor) -> Iterator[ItemOutcome]:
    from auditor.feed.match import match_stories

    checked_refs = store.latest_reference_id()
    window = timedelta(hours=config.match.window_hours)
    references = store.reference_items(since=min(x.published for x in pending) - window,
                                       until=max(x.published for x in pending) + window)
    bar = config.match.fast_min_similarity if auditor.fast else config.match.min_similarity
    matches = match_stories(pending, references, auditor.encoder,
                            replace(config.match, min_similarity=bar))
    by_id = {item.id: item for item in (*pending, *references)}
    tasks: list[AuditTask] = []
    match_of: dict[int, tuple[tuple[int, float], ...]] = {}
    for match in matches:
        item = by_id[match.item_id]
        if not match.matched:
            best = (f"best in-window similarity {match.best_similarity:.2f} < "
                    f"{bar:g}" if match.best_similarity is not None
                    else "no reference within the time window")
            message = f"feed {item.feed!r} item {item.guid!r}: no matching English report ({best})"
            log.info(message)
            store.record_status(item.id, Status.UNMATCHED.value, message, checked_refs)
            counts["unmatched"] += 1
            yield ItemOutcome(Status.UNMATCHED, item.feed, message, item.id, item.guid,
                              item.title)
            continue
        match_of[item.id] = match.references
        tasks.append(AuditTask(
            item_id=item.id,
            mt=Document(text=item.text, name=f"{item.feed}:{item.guid}", lang="en"),
            references=tuple(
                Document(text=by_id[r].text, name=f"{by_id[r].feed}:{by_id[r].guid}", lang="en")
                for r, _ in match.references
            ),
        ))
    if not tasks:
        return
    from tqdm.auto import tqdm

    lease = config.audit.lease_seconds
    if executor is Executor.DASK:  # the whole batch travels at once: claim it first
        tasks = [t for t in tasks if store.claim(t.item_id, run_id, lease)]
        results = _dask_results(tasks, auditor, config) if tasks else iter(())
    else:  # one at a time, so a second runner takes the items this one has not reached
        results = _local_results(
            tasks, auditor, claim=lambda item_id: store.claim(item_id, run_id, lease))
    with tqdm(total=len(tasks), desc="auditing", unit="item", disable=not progress) as bar:
        for done in results:
            item = by_id[done.item_id]
            bar.update(1)
            if done.skipped:
                continue
            if done.result is None:
                message = f"feed {item.feed!r} item {item.guid!r}: audit failed ({done.error})"
                log.warning(message)
                store.record_status(item.id, Status.FAILED.value, message, checked_refs,
                                    match_of[item.id])
                counts["failed"] += 1
                yield ItemOutcome(Status.FAILED, item.feed, message, item.id, item.guid,
                                  item.title)
                continue
            try:
                report = _write_item_report(done.result, item, config.output.item_reports)
            except (OSError, AuditorError) as exc:  # the audit is still worth storing
                log.warning("feed %r item %r: per-item report not written (%s)", item.feed,
                            item.guid, exc)
                report = None
            stored = store.record_audit(
                item.id, run_id, match_of[item.id], done.result.to_dict(),
                done.result.signature.short(), checked_refs, report,
            )
            if not stored:  # another run audited it meanwhile: keep theirs, count nothing
                continue
            counts["audited"] += 1
            yield ItemOutcome(
                Status.AUDITED, item.feed, "", item.id, item.guid, item.title,
                overall=done.result.scores.overall, findings=len(done.result.findings),
                references=tuple(r for r, _ in match_of[item.id]),
            )


def _local_results(tasks: Sequence[AuditTask], auditor: Auditor,
                   claim: Callable[[int], bool] | None = None) -> Iterator[TaskResult]:
    """Audit each task this run can claim; an item another runner holds is skipped (None)."""
    for task in tasks:
        if claim is not None and not claim(task.item_id):
            yield TaskResult(task.item_id, None, skipped=True)
            continue
        yield audit_task(auditor, task)


# ---- Dask ------------------------------------------------------------------------------------
def _worker_plugin(model: str, config: Any, detectors: tuple[str, ...]) -> Any:
    """A WorkerPlugin that loads one Auditor per worker process, when the worker starts."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class AuditorWorkerPlugin(WorkerPlugin):
        name = PLUGIN_NAME

        def __init__(self) -> None:
            self.model, self.config, self.detectors = model, config, detectors
            self.auditor: Auditor | None = None

        def setup(self, worker: Any) -> None:
            from auditor.embed import load_encoder
            from auditor.pipeline import Auditor

            # One model thread per worker thread: processes already give the parallelism. (It
            # imported torch to set them, which the ONNX encoder never needs: about 7 s of
            # CPU and 300 MB more per worker.)
            threads = max(1, int(getattr(worker.state, "nthreads", 1) or 1))
            self.auditor = Auditor(config=self.config, detectors=self.detectors,
                                   encoder=load_encoder(self.model, threads=threads))

    return AuditorWorkerPlugin()


def audit_on_worker(task: AuditTask) -> TaskResult:
    """`audit_task` with the worker's own Auditor (loaded once by the plugin)."""
    from distributed import get_worker

    plugin = get_worker().plugins[PLUGIN_NAME]
    return audit_task(plugin.auditor, task)


def _dask_results(tasks: Sequence[AuditTask], auditor: Auditor,
                  config: FeedConfig) -> Iterator[TaskResult]:
    """Results as workers finish them, with at most `batch_size` tasks per worker in flight
    (a bounded window, so 100,000 pending items never sit in the scheduler at once)."""
    from distributed import Client, LocalCluster, as_completed

    settings = config.audit
    cluster = None
    if settings.dask_address:
        client = Client(settings.dask_address)
    else:
        cluster = LocalCluster(n_workers=settings.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    try:
        # Cloudpickle ships the plugin class by value; a registered plugin is set up on every
        # worker now and on any that joins later.
        client.register_plugin(
            _worker_plugin(auditor.encoder.name, auditor.config, auditor.detector_ids),
            name=PLUGIN_NAME,
        )
        window = settings.batch_size * max(1, len(client.scheduler_info()["workers"]))
        queue = iter(tasks)
        pending = as_completed()
        for task in _take(queue, window):
            pending.add(client.submit(audit_on_worker, task, pure=False))
        for future in pending:
            try:
                yield future.result()
            finally:
                future.release()
            for task in _take(queue, 1):
                pending.add(client.submit(audit_on_worker, task, pure=False))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _take(iterator: Iterator[AuditTask], n: int) -> list[AuditTask]:
    out = []
    for _ in range(n):
        try:
            out.append(next(iterator))
        except StopIteration:
            break
    return out


def _write_item_report(result: AuditResult, item: StoredItem,
                       directory: Path | None) -> str | None:
    """A full per-item HTML report."""
    if directory is None:
        return None
    from auditor.report.html import write_html

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"item-{item.id}-{item.content_hash[:10]}.html"
    write_html(result, path)
    return str(path)


__all__ = ["AuditTask", "ItemOutcome", "Status", "TaskResult", "audit_on_worker", "audit_task",
           "run_feeds"]
