"""Feed runs end to end: store, resume after a kill, Dask, history report (auditor.feed.runner)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest
from typer.testing import CliRunner

from auditor.feed.config import config_from_dict
from tests.feeds import (
    MATCHED,
    ROOT,
    UNMATCHED,
    audits_per_item,
    copy_fixtures,
    feed_config,
    translated_stories,
    write_resent_copies,
)


def test_run_twice_then_report(served, auditor, tmp_path):
    from auditor.cli.feed import feed_app
    from auditor.feed.runner import Status, run_feeds

    root, base = served
    db = tmp_path / "history.sqlite"
    full = tmp_path / "full-reports"
    config = config_from_dict({**feed_config(root, base, db),
                               "output": {"item_reports": str(full)}})

    first = list(run_feeds(config, auditor, progress=False))
    audited = {o.guid: o for o in first if o.status is Status.AUDITED}
    assert set(audited) == set(MATCHED)
    assert [o.guid for o in first if o.status is Status.UNMATCHED] == [UNMATCHED]
    rejected = " | ".join(o.message for o in first if o.status is Status.REJECTED)
    for expected in ("entity-expansion bomb", "malformed XML", "HTTP 404", "unreachable",
                     "too large", "empty item", "duplicate GUID", "not JSON"):
        assert expected in rejected
    assert all(0 <= o.overall <= 100 for o in audited.values())
    # A full per-item report (the HTML renderer) is written beside the store for each audit.
    full_reports = sorted(full.glob("item-*.html"))
    assert len(full_reports) == len(MATCHED)

    second = list(run_feeds(config, auditor, progress=False))
    assert not [o for o in second if o.status in (Status.AUDITED, Status.UNMATCHED)]
    assert audits_per_item(db) == {**dict.fromkeys(MATCHED, 1), UNMATCHED: 0}

    # A report of the festival arrives later: only the item that had no match is audited.
    late = tmp_path / "late"
    late.mkdir()
    (late / "lantern-festival.txt").write_text(
        "Lantern festival draws 10,000 to Nanwell\n\nAbout 10,000 visitors attended the annual "
        "lantern festival in the town of Nanwell on Saturday evening, organisers said. This "
        "year 3,000 lanterns were hung, twice as many as last year. Mayor Greta Hoffman said "
        "the festival would run for three days with fireworks every night.\n", encoding="utf-8")
    stamp = datetime(2026, 11, 14, 23, tzinfo=timezone.utc).timestamp()
    os.utime(late / "lantern-festival.txt", (stamp, stamp))
    with_late = feed_config(root, base, db)
    with_late["feeds"].append({"name": "late-english", "path": str(late), "role": "reference"})
    third = list(run_feeds(config_from_dict(with_late), auditor, progress=False))
    assert [o.guid for o in third if o.status is Status.AUDITED] == [UNMATCHED]
    assert set(audits_per_item(db).values()) == {1}

    out = tmp_path / "report"
    result = CliRunner().invoke(feed_app, ["report", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = (out / "history.html").read_text(encoding="utf-8")
    for title in ("Bao Te Ai Li city pedestrian bridge collapse",
                  "Wei Lan &amp; Kai Sa Li Ya agree &lt;reduce&gt; agricultural product tariff"):
        assert title in html
    assert "<reduce>" not in html  # autoescaped
    assert "Recurring mangled names" in html and "entity-expansion bomb" in html
    with (out / "history_items.csv").open(encoding="utf-8") as handle:
        rows = list(__import__("csv").DictReader(handle))
    assert {r["guid"] for r in rows if r["status"] == "audited"} == {*MATCHED, UNMATCHED}
    assert all(r["signature"].startswith("auditor:") for r in rows if r["status"] == "audited")
    pages = sorted((out / "items").glob("item-*.html"))
    assert len(pages) == 5
    page = pages[0].read_text(encoding="utf-8")
    assert "Matched English reports" in page
    assert "../../full-reports/item-" in page  # links to the full report of the item


@pytest.mark.slow
def test_killed_run_resumes_with_one_audit_per_item(auditor, tmp_path):
    """SIGKILL a `python -m auditor.feed run` mid-batch, run again: every item audited once."""
    from auditor.feed.runner import Status, run_feeds

    root = copy_fixtures(tmp_path / "site")
    stories = [s for s in translated_stories(root) if s.guid in MATCHED]
    total = 8
    write_resent_copies(root / "many.jsonl", stories, total, "-v")
    db = tmp_path / "resume.sqlite"
    (tmp_path / "feeds.toml").write_text(
        f'[store]\npath = "{db}"\n'
        f'[[feeds]]\nname = "many"\npath = "{root / "many.jsonl"}"\nrole = "translated"\n'
        f'[[feeds]]\nname = "en"\npath = "{root / "references.atom"}"\nrole = "reference"\n'
        f'[[feeds]]\nname = "en-folder"\npath = "{root / "references"}"\nrole = "reference"\n',
        encoding="utf-8")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "auditor.feed", "run", str(tmp_path / "feeds.toml"),
         "--no-progress", "--quiet"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 600  # model loading alone can take minutes on a busy box
    stored = 0
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if db.exists():
                try:
                    with sqlite3.connect(db) as conn:
                        stored = conn.execute("SELECT COUNT(*) FROM audits").fetchone()[0]
                except sqlite3.OperationalError:
                    stored = 0  # tables not created yet
                if stored >= 2:
                    break
            time.sleep(0.02)
        assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr}"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        if proc.stderr:
            proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    before = audits_per_item(db)
    done_before = sum(before.values())
    assert 2 <= done_before < total and set(before.values()) <= {0, 1}

    from auditor.feed.config import load_config

    resumed = list(run_feeds(load_config(tmp_path / "feeds.toml"), auditor, progress=False))
    audited_now = [o for o in resumed if o.status is Status.AUDITED]
    assert len(audited_now) == total - done_before
    assert not {o.guid for o in audited_now} & {g for g, n in before.items() if n}
    after = audits_per_item(db)
    assert len(after) == total and set(after.values()) == {1}
    with sqlite3.connect(db) as conn:
        # No half-written audit: every audit has exactly the findings it says it has.
        mismatched = conn.execute(
            "SELECT COUNT(*) FROM audits a WHERE a.n_findings != "
            "(SELECT COUNT(*) FROM findings f WHERE f.audit_id = a.id)").fetchone()[0]
        runs = conn.execute("SELECT status, audited FROM runs ORDER BY id").fetchall()
    assert mismatched == 0
    # the killed run is marked interrupted by the next start, with the audits it committed
    assert runs == [("interrupted", done_before), ("complete", total - done_before)]


@pytest.mark.slow
def test_dask_cluster_of_two_workers_gives_the_local_results(served, auditor, tmp_path):
    from auditor.feed.runner import Status, run_feeds

    root, base = served
    local_db, dask_db = tmp_path / "local.sqlite", tmp_path / "dask.sqlite"
    local = {o.guid: o for o in run_feeds(config_from_dict(feed_config(root, base, local_db)),
                                          auditor, progress=False)
             if o.status is Status.AUDITED}
    dask_config = config_from_dict(feed_config(root, base, dask_db, executor="dask", workers=2,
                                           batch_size=2))
    remote = {o.guid: o for o in run_feeds(dask_config, auditor, progress=False)
              if o.status is Status.AUDITED}
    assert set(remote) == set(local) and len(remote) >= 4
    for guid, outcome in remote.items():
        # Workers run torch on one thread: float sums round differently, scores agree closely.
        assert outcome.overall == pytest.approx(local[guid].overall, abs=1e-3)
        assert outcome.findings == local[guid].findings
    assert set(audits_per_item(dask_db).values()) <= {0, 1}
