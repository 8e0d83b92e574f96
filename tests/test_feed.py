"""The feed runner end to end: feeds served over HTTP on 127.0.0.1, the real bundled model.

Fixtures (tests/data/feeds/) are invented stories: garbled machine-translated wire copy with
mangled names, the English reports of the same stories, and hostile or broken feeds.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.errors import InputError
from auditor.feed.config import FeedSource, FetchSettings, MatchSettings, Role, config_from_dict
from auditor.feed.ingest import check_xml, fetch_bytes, load_feed

FIXTURES = Path(__file__).parent / "data" / "feeds"
ROOT = Path(__file__).resolve().parent.parent
# The four translated stories that have an English report, by GUID -> reference title.
MATCHED = {
    "wire-1001": "Footbridge collapses in Port Ellery, injuring 14",
    "wire-1002": "Ostbrook Rovers sign striker Mateo Arriaga for record fee",
    "wire-1003": "Retired teacher discovers comet at Halden Observatory",
    "wire-2001": "Veland and Kessaria agree to cut tariffs on farm goods",
}
UNMATCHED = "wire-1004"  # the lantern festival: no English report of it


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass


def _copy_fixtures(dest: Path) -> Path:
    shutil.copytree(FIXTURES, dest)
    # A .txt report has no date of its own: its file time stands in (set to the story's day).
    stamp = datetime(2026, 11, 13, 12, tzinfo=timezone.utc).timestamp()
    os.utime(dest / "references" / "veland-tariffs.txt", (stamp, stamp))
    return dest


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A copy of the fixtures (plus a huge item) served on 127.0.0.1; yields (dir, base URL)."""
    root = _copy_fixtures(tmp_path_factory.mktemp("feeds") / "site")
    huge = {"guid": "huge-1", "title": "A very long item", "published": "2026-11-12T10:00:00Z",
            "text": "This sentence repeats to make a huge item. " * 30_000}
    (root / "huge.jsonl").write_text(json.dumps(huge) + "\n", encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _config(root: Path, base: str, db: Path, **audit: object) -> dict:
    return {
        "store": {"path": str(db)},
        "audit": dict(audit),
        "feeds": [
            {"name": "wire", "url": f"{base}/translated.rss", "role": "translated"},
            {"name": "wire-jsonl", "url": f"{base}/translated.jsonl", "role": "translated"},
            {"name": "english", "url": f"{base}/references.atom", "role": "reference"},
            {"name": "english-folder", "path": str(root / "references"), "role": "reference"},
            {"name": "bomb", "url": f"{base}/bomb.xml", "role": "translated"},
            {"name": "broken", "url": f"{base}/malformed.xml", "role": "translated"},
            {"name": "missing", "url": f"{base}/no-such-feed.rss", "role": "reference"},
            {"name": "unreachable", "url": "http://127.0.0.1:9/feed.rss", "role": "reference"},
            {"name": "huge", "url": f"{base}/huge.jsonl", "role": "translated"},
        ],
    }


def _audits_per_item(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT i.guid, COUNT(a.id) FROM items i LEFT JOIN audits a "
                            "ON a.item_id = i.id WHERE i.role = 'translated' GROUP BY i.id")
        return dict(rows.fetchall())


# ---- config ------------------------------------------------------------------------------
@pytest.mark.parametrize(("change", "message"), [
    ({"feeds": []}, "no feeds"),
    ({"feeds": [{"name": "a", "path": "x.rss"}]}, "needs a role"),
    ({"feeds": [{"name": "a", "path": "x.rss", "role": "translated"}]}, "no feed has role"),
    ({"feeds": [{"name": "a", "url": "ftp://x", "role": "reference"}]}, "http(s)://"),
    ({"match": {"min_similarity": 3}}, "between -1 and 1"),
    ({"match": {"window_hours": "soon"}}, "must be a number"),
    ({"audit": {"executor": "spark"}}, "local, dask"),
    ({"colour": {}}, "unknown section"),
    ({"match": {"threshold": 0.3}}, "unknown key(s) in match: threshold"),
])
def test_bad_config_is_one_line_error(change, message):
    base = {"feeds": [{"name": "t", "path": "t.rss", "role": "translated"},
                      {"name": "r", "path": "r.rss", "role": "reference"}]}
    with pytest.raises(InputError) as err:
        config_from_dict({**base, **change})
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_toml_and_yaml_configs_agree(tmp_path):
    from auditor.feed.config import load_config

    (tmp_path / "feeds.toml").write_text(
        '[store]\npath = "h.sqlite"\n[match]\nmin_similarity = 0.6\n'
        '[[feeds]]\nname = "t"\npath = "t.rss"\nrole = "translated"\n'
        '[[feeds]]\nname = "r"\nurl = "http://127.0.0.1/r.rss"\nrole = "reference"\n')
    (tmp_path / "feeds.yaml").write_text(
        "store: {path: h.sqlite}\nmatch: {min_similarity: 0.6}\nfeeds:\n"
        "  - {name: t, path: t.rss, role: translated}\n"
        "  - {name: r, url: 'http://127.0.0.1/r.rss', role: reference}\n")
    toml_cfg = load_config(tmp_path / "feeds.toml")
    yaml_cfg = load_config(tmp_path / "feeds.yaml")
    assert toml_cfg.to_json() == yaml_cfg.to_json().replace("feeds.yaml", "feeds.toml")
    assert toml_cfg.store_path == tmp_path.resolve() / "h.sqlite"
    assert toml_cfg.feeds[0].location == str(tmp_path.resolve() / "t.rss")
    assert toml_cfg.match.min_similarity == 0.6


# ---- ingest ------------------------------------------------------------------------------
def test_xml_bomb_and_malformed_feed_are_refused():
    start = time.perf_counter()
    with pytest.raises(InputError, match="entity-expansion"):
        check_xml((FIXTURES / "bomb.xml").read_bytes())
    assert time.perf_counter() - start < 5  # refused up front, not expanded
    with pytest.raises(InputError, match="malformed XML"):
        check_xml((FIXTURES / "malformed.xml").read_bytes())
    with pytest.raises(InputError, match="not an RSS or Atom feed"):
        check_xml(b"<html><body>hello</body></html>")
    check_xml((FIXTURES / "translated.rss").read_bytes())
    check_xml((FIXTURES / "references.atom").read_bytes())


def test_not_well_formed_feed_is_read_leniently_only_without_a_dtd(tmp_path):
    from auditor.feed.ingest import MalformedXMLError

    nbsp = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item>'
            b'<guid>n1</guid><title>Storm&nbsp;closes port</title><description>The port '
            b'closed on Monday.&nbsp;Ferries stopped.</description></item></channel></rss>')
    with pytest.raises(MalformedXMLError, match="undefined entity"):
        check_xml(nbsp)
    (tmp_path / "nbsp.rss").write_bytes(nbsp)
    load = load_feed(FeedSource("n", str(tmp_path / "nbsp.rss"), Role.TRANSLATED),
                     FetchSettings())
    assert [i.title for i in load.items] == ["Storm closes port"]
    assert "read leniently" in load.problems[0].message
    with_dtd = nbsp.replace(b"<rss", b'<!DOCTYPE rss SYSTEM "http://127.0.0.1/x.dtd"><rss', 1)
    (tmp_path / "dtd.rss").write_bytes(with_dtd)
    refused = load_feed(FeedSource("d", str(tmp_path / "dtd.rss"), Role.TRANSLATED),
                        FetchSettings())
    assert not refused.items and "with a DTD; refused" in refused.problems[0].message


def test_short_items_fetch_the_linked_article(served, tmp_path):
    _, base = served
    (tmp_path / "short.rss").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item>'
        f'<guid>s1</guid><title>Comet found</title><link>{base}/references/comet-halden.html'
        '</link><description>A comet was found.</description></item><item><guid>s2</guid>'
        f'<title>Gone</title><link>{base}/no-such-page.html</link><description>Only a '
        'summary.</description></item></channel></rss>', encoding="utf-8")
    load = load_feed(FeedSource("s", str(tmp_path / "short.rss"), Role.REFERENCE),
                     FetchSettings(fetch_articles=True))
    texts = {i.guid: i.text for i in load.items}
    assert "60-centimetre telescope at Halden Observatory" in texts["s1"]
    assert texts["s2"] == "Only a summary."  # the page is missing: the summary is kept
    assert any("article not fetched" in p.message and "HTTP 404" in p.message
               for p in load.problems)


def test_rss_items_and_their_problems():
    load = load_feed(FeedSource("wire", str(FIXTURES / "translated.rss"), Role.TRANSLATED),
                     FetchSettings())
    assert [i.guid for i in load.items] == ["wire-1001", "wire-1002", "wire-1003", "wire-1004"]
    first = load.items[0]
    assert first.text.startswith("Tuesday morning, the Port Ellery city")
    assert "<p>" not in first.text and "\n" in first.text  # HTML paragraphs became text
    assert first.published == datetime(2026, 11, 10, 11, 20, tzinfo=timezone.utc)
    messages = [p.message for p in load.problems]
    assert any("wire-1005" in m and "empty item" in m for m in messages)
    assert any("wire-1002" in m and "duplicate GUID" in m for m in messages)
    # The resent duplicate did not replace the first copy.
    assert "club record 80 million" in load.items[1].text


def test_jsonl_and_folder_feeds(tmp_path):
    jsonl = load_feed(FeedSource("j", str(FIXTURES / "translated.jsonl"), Role.TRANSLATED),
                      FetchSettings())
    assert [i.guid for i in jsonl.items] == ["wire-2001"]
    assert {("line 2" in p.message, "wire-2003" in p.message) for p in jsonl.problems} == {
        (True, False), (False, True)}
    root = _copy_fixtures(tmp_path / "site")
    folder = load_feed(FeedSource("f", str(root / "references"), Role.REFERENCE),
                       FetchSettings())
    by_guid = {i.guid: i for i in folder.items}
    comet = by_guid["comet-halden.html"]
    assert comet.title == "Retired teacher discovers comet at Halden Observatory"
    assert comet.published.date().isoformat() == "2026-11-12"  # from the page's metadata
    assert "Copyright" not in comet.text and "Home" not in comet.text  # boilerplate dropped
    assert by_guid["veland-tariffs.txt"].published.day == 13


def test_http_errors_are_one_line(served):
    _, base = served
    settings = FetchSettings(timeout=5)
    with pytest.raises(InputError, match="HTTP 404"):
        fetch_bytes(f"{base}/nothing-here.rss", settings)
    with pytest.raises(InputError, match="unreachable"):
        fetch_bytes("http://127.0.0.1:9/feed.rss", settings)
    with pytest.raises(InputError, match="too large"):
        fetch_bytes(f"{base}/translated.rss", FetchSettings(max_feed_bytes=1000))
    assert fetch_bytes(f"{base}/translated.rss", settings).startswith(b"<?xml")


# ---- matching ----------------------------------------------------------------------------
def _stored(items):
    from auditor.feed.store import StoredItem

    return [StoredItem(n, i.content_hash, i.feed, i.role, i.guid, i.title, i.text, i.link,
                       i.published) for n, i in enumerate(items, 1)]


def test_story_matching_with_the_real_encoder(auditor, tmp_path):
    from dataclasses import replace

    from auditor.feed.match import match_stories

    root = _copy_fixtures(tmp_path / "site")
    settings = FetchSettings()
    translated = [*load_feed(FeedSource("w", str(root / "translated.rss"), Role.TRANSLATED),
                             settings).items,
                  *load_feed(FeedSource("j", str(root / "translated.jsonl"), Role.TRANSLATED),
                             settings).items]
    refs = [*load_feed(FeedSource("e", str(root / "references.atom"), Role.REFERENCE),
                       settings).items,
            *load_feed(FeedSource("f", str(root / "references"), Role.REFERENCE),
                       settings).items]
    stored = _stored([*translated, *refs])
    items, references = stored[: len(translated)], stored[len(translated):]
    title_of = {r.id: r.title for r in references}
    matches = {m.item_id: m for m in match_stories(items, references, auditor.encoder,
                                                   MatchSettings())}
    for item in items:
        match = matches[item.id]
        if item.guid == UNMATCHED:
            assert not match.matched and match.best_similarity < 0.5
        else:
            assert title_of[match.references[0][0]] == MATCHED[item.guid], item.guid
            assert len(match.references) == 1  # the other stories stay below the bar
    # Outside the time window nothing matches, however similar.
    late = [replace(r, published=r.published.replace(year=2027)) for r in references]
    assert not any(m.matched for m in match_stories(items, late, auditor.encoder,
                                                    MatchSettings()))


# ---- runs --------------------------------------------------------------------------------
def test_run_twice_then_report(served, auditor, tmp_path):
    from auditor.cli.feed import feed_app
    from auditor.feed.runner import Status, run_feeds

    root, base = served
    db = tmp_path / "history.sqlite"
    full = tmp_path / "full-reports"
    config = config_from_dict({**_config(root, base, db), "output": {"item_reports": str(full)}})

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
    assert _audits_per_item(db) == {**dict.fromkeys(MATCHED, 1), UNMATCHED: 0}

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
    with_late = _config(root, base, db)
    with_late["feeds"].append({"name": "late-english", "path": str(late), "role": "reference"})
    third = list(run_feeds(config_from_dict(with_late), auditor, progress=False))
    assert [o.guid for o in third if o.status is Status.AUDITED] == [UNMATCHED]
    assert set(_audits_per_item(db).values()) == {1}

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


def test_killed_run_resumes_with_one_audit_per_item(auditor, tmp_path):
    """SIGKILL a `python -m auditor.feed run` mid-batch, run again: every item audited once."""
    from auditor.feed.runner import Status, run_feeds

    root = _copy_fixtures(tmp_path / "site")
    stories = [*load_feed(FeedSource("w", str(root / "translated.rss"), Role.TRANSLATED),
                          FetchSettings()).items,
               *load_feed(FeedSource("j", str(root / "translated.jsonl"), Role.TRANSLATED),
                          FetchSettings()).items]
    stories = [s for s in stories if s.guid in MATCHED]
    total = 8
    with (root / "many.jsonl").open("w", encoding="utf-8") as handle:
        for n in range(total):
            story = stories[n % len(stories)]
            handle.write(json.dumps({
                "guid": f"{story.guid}-v{n}", "title": story.title,
                "published": story.published.isoformat(),
                "text": f"{story.text}\n\nCorrection {n}: this copy was re-sent {n} times.",
            }) + "\n")
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
    deadline = time.monotonic() + 120
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
    before = _audits_per_item(db)
    done_before = sum(before.values())
    assert 2 <= done_before < total and set(before.values()) <= {0, 1}

    from auditor.feed.config import load_config

    resumed = list(run_feeds(load_config(tmp_path / "feeds.toml"), auditor, progress=False))
    audited_now = [o for o in resumed if o.status is Status.AUDITED]
    assert len(audited_now) == total - done_before
    assert not {o.guid for o in audited_now} & {g for g, n in before.items() if n}
    after = _audits_per_item(db)
    assert len(after) == total and set(after.values()) == {1}
    with sqlite3.connect(db) as conn:
        # No half-written audit: every audit has exactly the findings it says it has.
        mismatched = conn.execute(
            "SELECT COUNT(*) FROM audits a WHERE a.n_findings != "
            "(SELECT COUNT(*) FROM findings f WHERE f.audit_id = a.id)").fetchone()[0]
        statuses = [r[0] for r in conn.execute("SELECT status FROM runs ORDER BY id")]
    assert mismatched == 0
    assert statuses == ["running", "complete"]  # the killed run shows as never finished


def test_dask_cluster_of_two_workers_gives_the_local_results(served, auditor, tmp_path):
    from auditor.feed.runner import Status, run_feeds

    root, base = served
    local_db, dask_db = tmp_path / "local.sqlite", tmp_path / "dask.sqlite"
    local = {o.guid: o for o in run_feeds(config_from_dict(_config(root, base, local_db)),
                                          auditor, progress=False)
             if o.status is Status.AUDITED}
    dask_config = config_from_dict(_config(root, base, dask_db, executor="dask", workers=2,
                                           batch_size=2))
    remote = {o.guid: o for o in run_feeds(dask_config, auditor, progress=False)
              if o.status is Status.AUDITED}
    assert set(remote) == set(local) and len(remote) >= 4
    for guid, outcome in remote.items():
        # Workers run torch on one thread: float sums round differently, scores agree closely.
        assert outcome.overall == pytest.approx(local[guid].overall, abs=1e-3)
        assert outcome.findings == local[guid].findings
    assert set(_audits_per_item(dask_db).values()) <= {0, 1}


# ---- schedule and CLI --------------------------------------------------------------------
def test_watch_runs_on_an_interval(served, auditor, tmp_path):
    from auditor.feed.schedule import watch_feeds

    root, base = served
    db = tmp_path / "watch.sqlite"
    seen = []
    history = tmp_path / "history"
    config = config_from_dict({**_config(root, base, db), "output": {"history": str(history)}})
    runs = watch_feeds(config, auditor, every="1s", max_runs=2, on_outcome=seen.append)
    assert runs == 2
    assert (history / "history.html").is_file()  # refreshed after every complete run
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT status, audited FROM runs ORDER BY id").fetchall()
    assert rows[0] == ("complete", len(MATCHED)) and rows[1] == ("complete", 0)
    assert sum(o.status.value == "audited" for o in seen) == len(MATCHED)


@pytest.mark.parametrize(("args", "message"), [
    (["watch", "{cfg}", "--every", "soon"], "use a duration like 15m"),
    (["watch", "{cfg}", "--cron", "every day"], "not a 5-field cron expression"),
    (["watch", "{cfg}"], "exactly one of --every and --cron"),
    (["run", "{missing}"], "no such config file"),
    (["report", "--db", "{missing}", "--out", "{out}"], "no feed history database"),
    (["report", "--db", "{cfg}", "--out", "{out}"], "not a usable SQLite database"),
])
def test_cli_errors_are_one_line_exit_2(tmp_path, args, message):
    from auditor.cli.feed import feed_app

    cfg = tmp_path / "feeds.yaml"
    cfg.write_text("feeds:\n  - {name: t, path: t.rss, role: translated}\n"
                   "  - {name: r, path: r.rss, role: reference}\n", encoding="utf-8")
    filled = [a.format(cfg=cfg, missing=tmp_path / "nope.toml", out=tmp_path / "out")
              for a in args]
    result = CliRunner().invoke(feed_app, filled)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_parse_every():
    from datetime import timedelta

    from auditor.feed.schedule import parse_every

    assert parse_every("15m") == timedelta(minutes=15)
    assert parse_every("1h30m") == timedelta(hours=1, minutes=30)
    with pytest.raises(InputError):
        parse_every("15 minutes")
