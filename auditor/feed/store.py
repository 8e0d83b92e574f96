"""SQLite history of feed audits: items, story matches, audits, findings, runs and problems.

Items are deduplicated by content hash, so a re-run stores and audits only what is new. Each
audit is written in one transaction together with its matches and findings (WAL journal):
a run killed with SIGKILL leaves every item either fully audited or not audited at all, and
`audits.item_id` is UNIQUE, so a resumed run can never store a second audit of one item.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from auditor.errors import InputError
from auditor.feed.config import Role
from auditor.feed.ingest import FeedItem

SCHEMA_VERSION = 1

LOCK_TIMEOUT_S = 30.0
"""How long an opener waits for another process's lock: a feed run's longest write is one
audit's transaction, well under a second."""
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL DEFAULT 'running',      -- running | complete | stopped | interrupted
    config TEXT,
    new_items INTEGER DEFAULT 0,
    audited INTEGER DEFAULT 0,
    unmatched INTEGER DEFAULT 0,
    failed INTEGER DEFAULT 0,
    rejected INTEGER DEFAULT 0,
    pid INTEGER,                                 -- the process, to tell a killed run
    host TEXT
);
CREATE TABLE IF NOT EXISTS claims (
    item_id INTEGER PRIMARY KEY REFERENCES items(id),
    run_id INTEGER NOT NULL,
    expires_at REAL NOT NULL                     -- unix time
);
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY,
    content_hash TEXT NOT NULL UNIQUE,
    feed TEXT NOT NULL,
    role TEXT NOT NULL,
    guid TEXT NOT NULL,
    title TEXT NOT NULL,
    link TEXT,
    published TEXT NOT NULL,
    text TEXT NOT NULL,
    first_run INTEGER REFERENCES runs(id),
    first_seen TEXT NOT NULL,
    status TEXT,                 -- translated items: NULL (new) | matched | unmatched | failed
    status_message TEXT,
    checked_refs INTEGER         -- highest reference id when last matched: retry if new arrive
);
CREATE INDEX IF NOT EXISTS items_role ON items(role, status);
CREATE TABLE IF NOT EXISTS matches (
    item_id INTEGER NOT NULL REFERENCES items(id),
    reference_id INTEGER NOT NULL REFERENCES items(id),
    rank INTEGER NOT NULL,
    similarity REAL NOT NULL,
    PRIMARY KEY (item_id, reference_id)
);
CREATE TABLE IF NOT EXISTS audits (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL UNIQUE REFERENCES items(id),
    run_id INTEGER REFERENCES runs(id),
    audited_at TEXT NOT NULL,
    overall REAL, fidelity REAL, mqm REAL, words INTEGER,
    n_findings INTEGER NOT NULL,
    signature TEXT NOT NULL,
    result_json TEXT NOT NULL,
    report_path TEXT
);
CREATE TABLE IF NOT EXISTS findings (
    id INTEGER PRIMARY KEY,
    audit_id INTEGER NOT NULL REFERENCES audits(id),
    item_id INTEGER NOT NULL REFERENCES items(id),
    kind TEXT NOT NULL, severity TEXT NOT NULL,
    mt_start INTEGER, mt_end INTEGER, mt_text TEXT, canonical TEXT,
    confidence REAL, evidence TEXT, detector TEXT, reference_text TEXT
);
CREATE INDEX IF NOT EXISTS findings_kind ON findings(kind);
CREATE TABLE IF NOT EXISTS problems (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES runs(id),
    at TEXT NOT NULL,
    feed TEXT,
    guid TEXT,
    message TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class StoredItem:
    id: int
    content_hash: str
    feed: str
    role: Role
    guid: str
    title: str
    text: str
    link: str | None
    published: datetime


def _alive(pid: int | None) -> bool:
    """Whether a process of this host is still running (a killed run's is not)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _switch_to_wal(conn: sqlite3.Connection) -> None:
    """`PRAGMA journal_mode=WAL`, waiting as for any lock: while another connection is
    switching the same new file, SQLite answers "database is locked" at once instead of
    calling its busy handler, so two runs starting together would fail."""
    deadline = time.monotonic() + LOCK_TIMEOUT_S
    pause = 0.01
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(pause)
            pause = min(2 * pause, 0.5)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class FeedStore:
    """One SQLite file. Open it with `FeedStore.open(path)`; use as a context manager."""

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn = conn
        self.path = path

    @classmethod
    def open(cls, path: str | Path, create: bool = True) -> FeedStore:
        path = Path(path)
        if not create and not path.is_file():
            raise InputError(f"{path}: no feed history database here")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=LOCK_TIMEOUT_S, isolation_level=None)
            conn.row_factory = sqlite3.Row
            # WAL: readers (the history report) never block the runner; NORMAL sync is
            # durable against a killed process, which is the failure we must survive.
            _switch_to_wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise InputError(f"{path}: written by a newer auditor (schema {version})")
            conn.executescript(_SCHEMA)
            columns = {row[1] for row in conn.execute("PRAGMA table_info(runs)")}
            if "pid" not in columns:  # databases from before runs recorded their process
                conn.execute("ALTER TABLE runs ADD COLUMN pid INTEGER")
                conn.execute("ALTER TABLE runs ADD COLUMN host TEXT")
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise InputError(f"{path}: not a usable SQLite database ({exc})") from None
        return cls(conn, path)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> FeedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error: all or nothing."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # ---- runs and problems -------------------------------------------------------------
    def start_run(self, config_json: str) -> int:
        """A new run; runs of this host still `running` whose process is gone (killed) are
        marked `interrupted` first, keeping the counts they committed."""
        host = socket.gethostname()
        with self.transaction() as c:
            for run_id, pid in c.execute("SELECT id, pid FROM runs WHERE status='running' AND "
                                         "host=?", (host,)).fetchall():
                if not _alive(pid):
                    c.execute("UPDATE runs SET status='interrupted', finished_at=? WHERE id=?",
                              (_now(), run_id))
                    c.execute("DELETE FROM claims WHERE run_id=?", (run_id,))
            cur = c.execute("INSERT INTO runs(started_at, config, pid, host) VALUES (?,?,?,?)",
                            (_now(), config_json, os.getpid(), host))
            return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, status: str, counts: dict[str, int]) -> None:
        with self.transaction() as c:
            c.execute("DELETE FROM claims WHERE run_id=?", (run_id,))
            c.execute(
                "UPDATE runs SET finished_at=?, status=?, new_items=?, audited=?, unmatched=?, "
                "failed=?, rejected=? WHERE id=?",
                (_now(), status, counts.get("new_items", 0), counts.get("audited", 0),
                 counts.get("unmatched", 0), counts.get("failed", 0),
                 counts.get("rejected", 0), run_id),
            )

    def claim(self, item_id: int, run_id: int, lease_seconds: float) -> bool:
        """Claim an item for this run before auditing it (in one IMMEDIATE transaction, so two
        runners cannot both win): False when it has an audit, or another live run holds an
        unexpired claim on it."""
        now = time.time()
        with self.transaction() as c:
            if c.execute("SELECT 1 FROM audits WHERE item_id=?", (item_id,)).fetchone():
                return False
            held = c.execute("SELECT c.run_id, c.expires_at, r.status FROM claims c LEFT JOIN "
                             "runs r ON r.id = c.run_id WHERE c.item_id=?",
                             (item_id,)).fetchone()
            # a claim holds while it has not expired and its run is still running (a killed
            # run is marked interrupted by the next start, and its claims lapse with it)
            if held is not None and held[0] != run_id and held[1] > now and \
                    held[2] == "running":
                return False
            c.execute("INSERT OR REPLACE INTO claims(item_id, run_id, expires_at) "
                      "VALUES (?,?,?)", (item_id, run_id, now + lease_seconds))
        return True

    def add_problem(self, run_id: int, feed: str | None, message: str,
                    guid: str | None = None) -> None:
        with self.transaction() as c:
            c.execute("INSERT INTO problems(run_id, at, feed, guid, message) VALUES (?,?,?,?,?)",
                      (run_id, _now(), feed, guid, message))

    # ---- items -------------------------------------------------------------------------
    def add_items(self, items: Iterable[FeedItem], run_id: int) -> list[int]:
        """Store items whose text is new; return the new ids. One transaction per feed."""
        new_ids: list[int] = []
        with self.transaction() as c:
            for item in items:
                cur = c.execute(
                    "INSERT OR IGNORE INTO items(content_hash, feed, role, guid, title, link, "
                    "published, text, first_run, first_seen) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (item.content_hash, item.feed, item.role.value, item.guid, item.title,
                     item.link, item.published.isoformat(), item.text, run_id, _now()),
                )
                if cur.rowcount:
                    new_ids.append(int(cur.lastrowid or 0))
        return new_ids

    def _item(self, row: sqlite3.Row) -> StoredItem:
        return StoredItem(
            id=row["id"], content_hash=row["content_hash"], feed=row["feed"],
            role=Role(row["role"]), guid=row["guid"], title=row["title"], text=row["text"],
            link=row["link"], published=datetime.fromisoformat(row["published"]),
        )

    def reference_items(self, since: datetime | None = None,
                        until: datetime | None = None) -> list[StoredItem]:
        """Reference items, optionally only those published in [since, until] (the window
        around the pending items: months of history need not be embedded again)."""
        sql, params = "SELECT * FROM items WHERE role=?", [Role.REFERENCE.value]
        if since is not None:
            sql += " AND julianday(published) >= julianday(?)"
            params.append(since.isoformat())
        if until is not None:
            sql += " AND julianday(published) <= julianday(?)"
            params.append(until.isoformat())
        return [self._item(r) for r in self.conn.execute(sql + " ORDER BY id", params)]

    def latest_reference_id(self) -> int:
        row = self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM items WHERE role=?",
                                (Role.REFERENCE.value,)).fetchone()
        return int(row[0])

    def pending_items(self, window_hours: float) -> list[StoredItem]:
        """Translated items to (re)consider: never matched yet, or unmatched/failed while a
        reference published within their time window has arrived since they were last
        checked. Audited items are never pending again."""
        rows = self.conn.execute(
            "SELECT * FROM items i WHERE i.role=? AND NOT EXISTS "
            "(SELECT 1 FROM audits a WHERE a.item_id=i.id) AND (i.status IS NULL OR EXISTS "
            "(SELECT 1 FROM items r WHERE r.role=? AND r.id > COALESCE(i.checked_refs, 0) "
            "AND ABS(julianday(r.published) - julianday(i.published)) * 24 <= ?)) "
            "ORDER BY i.id",
            (Role.TRANSLATED.value, Role.REFERENCE.value, window_hours),
        )
        return [self._item(r) for r in rows]

    # ---- outcomes ----------------------------------------------------------------------
    def record_status(self, item_id: int, status: str, message: str | None,
                      checked_refs: int, matches: Sequence[tuple[int, float]] = ()) -> None:
        """An item that was not audited this time (unmatched, or its audit failed)."""
        with self.transaction() as c:
            self._write_matches(c, item_id, matches)
            c.execute("UPDATE items SET status=?, status_message=?, checked_refs=? WHERE id=?",
                      (status, message, checked_refs, item_id))

    def record_audit(self, item_id: int, run_id: int, matches: Sequence[tuple[int, float]],
                     result: dict[str, Any], signature: str, checked_refs: int,
                     report_path: str | None = None) -> bool:
        """Store one audit with its matches and findings atomically. False if the item already
        has an audit (another run got there first); nothing is written then."""
        scores = result.get("scores", {})
        findings = result.get("findings", [])
        with self.transaction() as c:
            if c.execute("SELECT 1 FROM audits WHERE item_id=?", (item_id,)).fetchone():
                return False
            self._write_matches(c, item_id, matches)
            cur = c.execute(
                "INSERT INTO audits(item_id, run_id, audited_at, overall, fidelity, mqm, words, "
                "n_findings, signature, result_json, report_path) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (item_id, run_id, _now(), scores.get("overall"), scores.get("fidelity"),
                 scores.get("mqm"), scores.get("words"), len(findings), signature,
                 json.dumps(result, ensure_ascii=False), report_path),
            )
            audit_id = cur.lastrowid
            c.executemany(
                "INSERT INTO findings(audit_id, item_id, kind, severity, mt_start, mt_end, "
                "mt_text, canonical, confidence, evidence, detector, reference_text) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [(audit_id, item_id, f.get("kind"), f.get("severity"), f.get("mt_start"),
                  f.get("mt_end"), f.get("mt_text"), f.get("canonical"), f.get("confidence"),
                  f.get("evidence"), f.get("detector"),
                  (f.get("reference") or {}).get("text")) for f in findings],
            )
            c.execute("UPDATE items SET status='matched', status_message=NULL, checked_refs=? "
                      "WHERE id=?", (checked_refs, item_id))
            # counted in the audit's own transaction: a killed run keeps its true count
            c.execute("UPDATE runs SET audited = audited + 1 WHERE id=?", (run_id,))
        return True

    @staticmethod
    def _write_matches(c: sqlite3.Connection, item_id: int,
                       matches: Sequence[tuple[int, float]]) -> None:
        c.execute("DELETE FROM matches WHERE item_id=?", (item_id,))
        c.executemany("INSERT INTO matches(item_id, reference_id, rank, similarity) "
                      "VALUES (?,?,?,?)",
                      [(item_id, ref, rank, sim) for rank, (ref, sim) in enumerate(matches)])

    # ---- reading back ------------------------------------------------------------------
    def count(self, table: str) -> int:
        if table not in {"runs", "items", "matches", "audits", "findings", "problems"}:
            raise ValueError(f"unknown table {table!r}")
        return int(self.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(sql, params)]


__all__ = ["FeedStore", "SCHEMA_VERSION", "StoredItem"]
