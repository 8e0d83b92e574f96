"""Scheduled feed runs: intervals and durations (auditor.feed.schedule)."""

from __future__ import annotations

import sqlite3

import pytest

from auditor.errors import InputError
from auditor.feed.config import config_from_dict
from tests.feeds import MATCHED, feed_config


def test_watch_runs_on_an_interval(served, auditor, tmp_path):
    from auditor.feed.schedule import watch_feeds

    root, base = served
    db = tmp_path / "watch.sqlite"
    seen = []
    history = tmp_path / "history"
    config = config_from_dict({**feed_config(root, base, db), "output": {"history": str(history)}})
    runs = watch_feeds(config, auditor, every="1s", max_runs=2, on_outcome=seen.append)
    assert runs == 2
    assert (history / "history.html").is_file()  # refreshed after every complete run
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT status, audited FROM runs ORDER BY id").fetchall()
    assert rows[0] == ("complete", len(MATCHED)) and rows[1] == ("complete", 0)
    assert sum(o.status.value == "audited" for o in seen) == len(MATCHED)



def test_parse_every():
    from datetime import timedelta

    from auditor.feed.schedule import parse_every

    assert parse_every("15m") == timedelta(minutes=15)
    assert parse_every("1h30m") == timedelta(hours=1, minutes=30)
    with pytest.raises(InputError):
        parse_every("15 minutes")
