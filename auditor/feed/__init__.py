"""Scheduled audits of syndicated news feeds, with a history in SQLite.

    >>> from auditor.feed import load_config, run_feeds
    >>> for outcome in run_feeds(load_config("feeds.toml")):
    ...     ...

Stages: config (TOML/YAML) -> ingest (RSS/Atom, folders, JSON Lines) -> match (story matching
by lead embeddings) -> runner (audit, locally or on Dask) -> store (SQLite) -> history (HTML/CSV).
Nothing heavy is imported here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditor.lazy import lazy_exports

_EXPORTS = {
    "FeedConfig": "auditor.feed.config",
    "load_config": "auditor.feed.config",
    "config_from_dict": "auditor.feed.config",
    "run_feeds": "auditor.feed.runner",
    "ItemOutcome": "auditor.feed.runner",
    "Status": "auditor.feed.runner",
    "watch_feeds": "auditor.feed.schedule",
    "write_history": "auditor.feed.history",
    "FeedStore": "auditor.feed.store",
}

if TYPE_CHECKING:
    from auditor.feed.config import FeedConfig, config_from_dict, load_config
    from auditor.feed.history import write_history
    from auditor.feed.runner import ItemOutcome, Status, run_feeds
    from auditor.feed.schedule import watch_feeds
    from auditor.feed.store import FeedStore


__getattr__ = lazy_exports(__name__, _EXPORTS)


__all__ = [
    "FeedConfig", "FeedStore", "ItemOutcome", "Status", "config_from_dict", "load_config",
    "run_feeds", "watch_feeds", "write_history",
]
