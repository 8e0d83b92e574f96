"""What the feed tests share: the fixture feeds (tests/data/feeds/), the stories in them and a
feed config over them. Fixtures are invented stories: garbled machine-translated wire copy
with mangled names, the English reports of the same stories, and hostile or broken feeds.
The `served` fixture (tests/conftest.py) serves them over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from datetime import datetime, timezone
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

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


def translated_stories(root: Path = FIXTURES) -> list:
    """The translated fixture stories (RSS and JSON Lines feeds) under `root`, as ingested."""
    from auditor.feed.config import FeedSource, FetchSettings, Role
    from auditor.feed.ingest import load_feed

    settings = FetchSettings()
    return [*load_feed(FeedSource("w", str(root / "translated.rss"), Role.TRANSLATED),
                       settings).items,
            *load_feed(FeedSource("j", str(root / "translated.jsonl"), Role.TRANSLATED),
                       settings).items]


def write_resent_copies(path: Path, stories: list, total: int, guid_suffix: str = "-") -> None:
    """`total` distinct items as JSON Lines: the stories in turn, each copy with its own GUID
    (story GUID + `guid_suffix` + n) and a correction line, as a wire re-sends a story."""
    with path.open("w", encoding="utf-8") as handle:
        for n in range(total):
            story = stories[n % len(stories)]
            handle.write(json.dumps({
                "guid": f"{story.guid}{guid_suffix}{n}", "title": story.title,
                "published": story.published.isoformat(),
                "text": f"{story.text}\n\nCorrection {n}: this copy was re-sent {n} times.",
            }) + "\n")


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass


def copy_fixtures(dest: Path) -> Path:
    shutil.copytree(FIXTURES, dest)
    # A .txt report has no date of its own: its file time stands in (set to the story's day).
    stamp = datetime(2026, 11, 13, 12, tzinfo=timezone.utc).timestamp()
    os.utime(dest / "references" / "veland-tariffs.txt", (stamp, stamp))
    return dest


def feed_config(root: Path, base: str, db: Path, **audit: object) -> dict:
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


def audits_per_item(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT i.guid, COUNT(a.id) FROM items i LEFT JOIN audits a "
                            "ON a.item_id = i.id WHERE i.role = 'translated' GROUP BY i.id")
        return dict(rows.fetchall())
