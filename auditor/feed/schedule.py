"""Run the feeds on a schedule: every N minutes/hours, or on a cron expression (APScheduler 3).

`watch_feeds` blocks, like a server; one Auditor (one model load) serves every run, runs never
overlap (a run still going when the next is due makes the next one wait and coalesce).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from auditor.errors import InputError

if TYPE_CHECKING:
    from auditor.feed.config import FeedConfig
    from auditor.feed.runner import ItemOutcome
    from auditor.pipeline import Auditor

log = logging.getLogger("auditor.feed")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_EVERY = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])")


def parse_every(text: str) -> timedelta:
    """'15m', '1h30m', '90s', '1d' -> timedelta; anything else is an InputError."""
    compact = text.strip().lower().replace(" ", "")
    parts = _EVERY.findall(compact)
    if not compact or not parts or "".join(a + b for a, b in parts) != compact:
        raise InputError(f"--every {text!r}: use a duration like 15m, 1h, 90s or 1h30m")
    delta = timedelta()
    for amount, unit in parts:
        delta += timedelta(**{_UNITS[unit]: float(amount)})
    if delta.total_seconds() < 1:
        raise InputError(f"--every {text!r}: the interval must be at least one second")
    return delta


def build_trigger(every: str | None = None, cron: str | None = None) -> Any:
    """An APScheduler trigger from exactly one of `every` and `cron` (5-field crontab)."""
    if (every is None) == (cron is None):
        raise InputError("give exactly one of --every and --cron")
    if every is not None:
        from apscheduler.triggers.interval import IntervalTrigger

        return IntervalTrigger(seconds=parse_every(every).total_seconds())
    from apscheduler.triggers.cron import CronTrigger

    try:
        return CronTrigger.from_crontab(str(cron), timezone="UTC")
    except ValueError as exc:
        raise InputError(f"--cron {cron!r}: not a 5-field cron expression ({exc})") from None


def watch_feeds(config: FeedConfig, auditor: Auditor | None = None, *, every: str | None = None,
                cron: str | None = None, max_runs: int | None = None,
                on_outcome: Callable[[ItemOutcome], None] | None = None,
                progress: bool = False) -> int:
    """Run the feeds now and then on the schedule until interrupted (or `max_runs` runs).
    Returns the number of runs made."""
    from datetime import datetime, timezone

    from apscheduler.schedulers.blocking import BlockingScheduler

    from auditor.feed.runner import load_auditor, run_feeds

    trigger = build_trigger(every, cron)
    scheduler = BlockingScheduler(timezone="UTC")
    runs = {"done": 0}
    shared = {"auditor": auditor}

    def one_run() -> None:
        try:
            if shared["auditor"] is None:
                shared["auditor"] = load_auditor(config)
            for outcome in run_feeds(config, shared["auditor"], progress=progress):
                if on_outcome is not None:
                    on_outcome(outcome)
        except Exception as exc:  # noqa: BLE001 - a failed run is logged; the schedule goes on
            log.error("run failed: %s: %s", type(exc).__name__, exc)
        runs["done"] += 1
        if max_runs is not None and runs["done"] >= max_runs:
            scheduler.shutdown(wait=False)

    scheduler.add_job(one_run, trigger, id="feed-run", max_instances=1, coalesce=True,
                      misfire_grace_time=None, next_run_time=datetime.now(timezone.utc))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    return runs["done"]


__all__ = ["build_trigger", "parse_every", "watch_feeds"]
