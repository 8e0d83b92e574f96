"""`auditor feed run|watch|report`: a thin shell over auditor.feed (the library generator).

Bad input inside feeds is logged and the run goes on; a bad config, database or option is one
line on stderr and exit code 2.
"""

from __future__ import annotations

import logging
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from auditor.cli.entry import OneLineErrors, fail, run_app
from auditor.errors import AuditorError
from auditor.feed.config import Executor, FeedConfig

feed_app = typer.Typer(
    name="feed",
    help="Scheduled audits of syndicated news feeds, with history.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=OneLineErrors,
)

ConfigArg = Annotated[Path, typer.Argument(help="Feed config (.toml, .yaml or .yml).")]
DbOption = Annotated[
    Path | None, typer.Option("--db", help="SQLite history file (default: the config's store).")
]
ExecutorOption = Annotated[
    Executor | None, typer.Option("--executor", help="Where audits run (default: the config's).")
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Warnings and errors only.")]


def _setup_logging(quiet: bool) -> None:
    """The library logs; the command decides where the log goes (stderr, one line each)."""
    logger = logging.getLogger("auditor.feed")
    if not any(getattr(h, "_auditor_cli", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("auditor feed: %(levelname)s: %(message)s"))
        handler._auditor_cli = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.WARNING if quiet else logging.INFO)
    logger.propagate = False


def _config(config: Path, db: Path | None, executor: Executor | None) -> FeedConfig:
    from dataclasses import replace

    from auditor.feed.config import load_config

    cfg = load_config(config)
    if db is not None:
        cfg = cfg.with_store(db)
    if executor is not None:
        cfg = replace(cfg, audit=replace(cfg.audit, executor=executor))
    return cfg


def _summary(counts: Counter) -> str:
    order = ("audited", "unmatched", "failed", "rejected")
    return "run finished: " + ", ".join(f"{counts.get(k, 0)} {k}" for k in order)


@feed_app.command("run")
def run_command(
    config: ConfigArg,
    db: DbOption = None,
    executor: ExecutorOption = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    quiet: QuietOption = False,
) -> None:
    """Fetch every feed once, audit what is new, store it; print one line per audited item."""
    from auditor.feed.runner import Status, run_feeds

    _setup_logging(quiet)
    counts: Counter = Counter()
    try:
        cfg = _config(config, db, executor)
        for outcome in run_feeds(cfg, progress=progress):
            counts[outcome.status.value] += 1
            if outcome.status is Status.AUDITED and not quiet:
                typer.echo(f"{outcome.overall:5.1f}  {outcome.findings:3d} findings  "
                           f"{outcome.feed}: {outcome.title}")
    except AuditorError as exc:
        fail(str(exc))
    typer.echo(_summary(counts))


@feed_app.command("watch")
def watch_command(
    config: ConfigArg,
    every: Annotated[
        str | None, typer.Option("--every", help="Interval: 15m, 1h, 90s, 1h30m.")
    ] = None,
    cron: Annotated[
        str | None, typer.Option("--cron", help='Crontab, UTC: "*/15 * * * *".')
    ] = None,
    db: DbOption = None,
    executor: ExecutorOption = None,
    max_runs: Annotated[
        int | None, typer.Option("--max-runs", min=1, help="Stop after this many runs.")
    ] = None,
    quiet: QuietOption = False,
) -> None:
    """Run now, then on the schedule, until interrupted (Ctrl-C) or --max-runs."""
    from auditor.feed.schedule import build_trigger, watch_feeds

    _setup_logging(quiet)
    try:
        cfg = _config(config, db, executor)
        build_trigger(every, cron)  # a bad schedule fails now, not at the first tick
        runs = watch_feeds(cfg, every=every, cron=cron, max_runs=max_runs)
    except AuditorError as exc:
        fail(str(exc))
    typer.echo(f"watch stopped after {runs} run(s)")


@feed_app.command("report")
def report_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory for the history report.")],
    db: Annotated[
        Path | None, typer.Option("--db", help="SQLite history file.")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Take the database path from this "
                                  "feed config.")
    ] = None,
) -> None:
    """Write history.html, CSV tables and one page per audited item into --out."""
    from auditor.feed.config import DEFAULT_STORE, load_config
    from auditor.feed.history import write_history

    try:
        database = db or (load_config(config).store_path if config else Path(DEFAULT_STORE))
        written = write_history(database, out)
    except AuditorError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write the report: {exc.strerror or exc}")
    view = written["view"]
    typer.echo(f"wrote {written['html']} ({view.totals['audited']} audited items, "
               f"{written['item_pages']} item pages, {len(written['csv'])} CSV tables)")


def main() -> None:
    """`python -m auditor.feed`: the same commands, errors as one line and exit code 2."""
    run_app(feed_app, prog_name="auditor feed")


__all__ = ["feed_app", "main"]
