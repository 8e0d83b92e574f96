"""The feed runner's configuration: a TOML or YAML file read into frozen dataclasses.

Every check happens here, so a bad config fails before any model loads or feed is fetched,
with one line naming the key at fault.

Example (TOML)::

    [store]
    path = "feeds.sqlite"            # relative paths are relative to the config file

    [match]
    min_similarity = 0.5
    window_hours = 72
    max_references = 3

    [audit]
    model = "all-MiniLM-L6-v2-int8"  # the default; "all-MiniLM-L6-v2" for float
    fast = false                     # true: static embeddings (python -m auditor.distill)
    batch_size = 16
    executor = "local"               # or "dask"
    workers = 2

    [output]
    item_reports = "reports/items"   # optional: a full report per audited item

    [[feeds]]
    name = "wire-translated"
    url = "https://example.org/wire.rss"
    role = "translated"

    [[feeds]]
    name = "english-reports"
    path = "reports/"                # a folder of .txt/.html files
    role = "reference"
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from auditor.embed import DEFAULT_ENCODER
from auditor.errors import InputError


class Role(str, Enum):
    TRANSLATED = "translated"  # machine-translated items to audit
    REFERENCE = "reference"  # independent English reports to audit against


class FeedKind(str, Enum):
    AUTO = "auto"  # guessed from the location: a folder, *.jsonl, otherwise an RSS/Atom feed
    RSS = "rss"  # RSS or Atom (feedparser), after a defusedxml safety check
    FOLDER = "folder"  # one item per .txt/.md/.html file
    JSONL = "jsonl"  # one JSON object per line


class Executor(str, Enum):
    LOCAL = "local"
    DASK = "dask"


@dataclass(frozen=True)
class FeedSource:
    """One feed: where it is, what role its items play and how to read it."""

    name: str
    location: str  # an http(s) or file URL, or a local path (absolute after loading)
    role: Role
    kind: FeedKind = FeedKind.AUTO


@dataclass(frozen=True)
class FetchSettings:
    # Ten seconds is generous for one feed document; a slow host must not stall the schedule.
    timeout: float = 10.0
    # Feeds are small documents; 10 MB stops a runaway or hostile response early.
    max_feed_bytes: int = 10_000_000
    # An item over 1 MB of text is not a news article; refusing it bounds memory per audit.
    max_item_bytes: int = 1_000_000
    # Follow an item's link to fetch the full article when the feed gives less text than this.
    fetch_articles: bool = False
    min_item_chars: int = 400


@dataclass(frozen=True)
class MatchSettings:
    # Cosine of title+lead embeddings (MiniLM). Measured on WMT23 zh-en news (not the seeds):
    # two leads of one story score >= 0.59, two different stories reach 0.5 in 1.4% of the
    # pairs (benchmarks/feed_match_threshold.py); independent reports word things more
    # differently than two translations do, so the bar sits at the low end of the gap.
    min_similarity: float = 0.5
    # The same bar for fast mode's static vectors (`audit.fast`), whose cosines run higher:
    # different stories reach 0.7 in 1.8% of the pairs, 99.5% of same-story pairs do
    # (`python benchmarks/feed_match_threshold.py --model fast`).
    fast_min_similarity: float = 0.7
    # Wire copy and reports of one event appear within about three days of each other.
    window_hours: float = 72.0
    # Several reports give the aligner more chances to find support; more mostly add noise.
    max_references: int = 3
    # Characters of each item (after its title) that stand for its story when matching.
    lead_chars: int = 600


@dataclass(frozen=True)
class AuditSettings:
    model: str = DEFAULT_ENCODER
    # Fast mode (`auditor audit --fast`): static embeddings, fewer checks, over 10x faster.
    fast: bool = False
    batch_size: int = 16
    executor: Executor = Executor.LOCAL
    workers: int = 2
    dask_address: str | None = None  # an existing scheduler; None starts a LocalCluster
    # A runner claims an item for this long before auditing it, so that two `feed run`
    # processes on one database split the work; a claim older than this belongs to a run that
    # died, and another run may take the item. An audit takes seconds: 15 minutes is ample.
    lease_seconds: float = 900.0


@dataclass(frozen=True)
class OutputSettings:
    item_reports: Path | None = None  # a directory for one full report per audited item
    history: Path | None = None  # a directory `feed run` refreshes the history report in


@dataclass(frozen=True)
class FeedConfig:
    feeds: tuple[FeedSource, ...]
    store_path: Path
    fetch: FetchSettings = field(default_factory=FetchSettings)
    match: MatchSettings = field(default_factory=MatchSettings)
    audit: AuditSettings = field(default_factory=AuditSettings)
    output: OutputSettings = field(default_factory=OutputSettings)
    source: Path | None = None  # the file this config was read from

    def with_store(self, path: str | Path) -> FeedConfig:
        from dataclasses import replace

        return replace(self, store_path=Path(path))

    def to_json(self) -> str:
        """The config as stored with every run (so history can say what a run used)."""

        def plain(value: Any) -> Any:
            if isinstance(value, Enum):
                return value.value
            if isinstance(value, Path):
                return str(value)
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return [plain(v) for v in value]
            return value

        return json.dumps(plain(asdict(self)), sort_keys=True)


DEFAULT_STORE = "auditor-feeds.sqlite"
_SECTIONS = {"feeds", "store", "fetch", "match", "audit", "output"}


def load_config(path: str | Path) -> FeedConfig:
    """Read and validate a .toml, .yaml or .yml feed config."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such config file")
    try:
        raw_text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read config ({exc})") from None
    suffix = path.suffix.lower()
    if suffix == ".toml":
        import tomllib

        try:
            data = tomllib.loads(raw_text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"{path}: invalid TOML ({exc})") from None
    elif suffix in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(raw_text)
        except yaml.YAMLError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(f"{path}: invalid YAML ({first})") from None
    else:
        raise InputError(f"{path}: config must be .toml, .yaml or .yml")
    return config_from_dict(data, base_dir=path.parent, source=path)


def config_from_dict(
    data: Any, base_dir: Path | None = None, source: Path | None = None
) -> FeedConfig:
    """Validate a parsed config mapping; relative paths resolve against `base_dir`."""
    where = str(source) if source else "config"
    if not isinstance(data, dict):
        raise InputError(f"{where}: the config must be a mapping of sections")
    unknown = set(data) - _SECTIONS
    if unknown:
        raise InputError(f"{where}: unknown section(s) {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(sorted(_SECTIONS))}")
    base = (base_dir or Path.cwd()).resolve()

    def section(name: str) -> dict[str, Any]:
        value = data.get(name, {})
        if not isinstance(value, dict):
            raise InputError(f"{where}: [{name}] must be a table of settings")
        return value

    feeds = _feeds(data.get("feeds"), base, where)
    store = section("store")
    _only(store, {"path"}, "store", where)
    store_path = _resolve(str(store.get("path", DEFAULT_STORE)), base)

    fetch = FetchSettings(**_typed(section("fetch"), FetchSettings(), "fetch", where))
    match = MatchSettings(**_typed(section("match"), MatchSettings(), "match", where))
    audit_raw = dict(section("audit"))
    if "executor" in audit_raw:
        audit_raw["executor"] = _enum(Executor, audit_raw["executor"], "audit.executor", where)
    audit = AuditSettings(**_typed(audit_raw, AuditSettings(), "audit", where))
    out = section("output")
    _only(out, {"item_reports", "history"}, "output", where)
    output = OutputSettings(
        item_reports=_resolve(str(out["item_reports"]), base) if out.get("item_reports") else None,
        history=_resolve(str(out["history"]), base) if out.get("history") else None,
    )

    def positive(value: float, key: str) -> None:
        if value <= 0:
            raise InputError(f"{where}: {key} must be positive (got {value})")

    positive(fetch.timeout, "fetch.timeout")
    positive(fetch.max_feed_bytes, "fetch.max_feed_bytes")
    positive(fetch.max_item_bytes, "fetch.max_item_bytes")
    positive(match.window_hours, "match.window_hours")
    positive(match.max_references, "match.max_references")
    positive(match.lead_chars, "match.lead_chars")
    positive(audit.batch_size, "audit.batch_size")
    positive(audit.workers, "audit.workers")
    for key in ("min_similarity", "fast_min_similarity"):
        value = getattr(match, key)
        if not -1.0 <= value <= 1.0:
            raise InputError(f"{where}: match.{key} is a cosine, between -1 and 1 "
                             f"(got {value})")
    return FeedConfig(feeds=feeds, store_path=store_path, fetch=fetch, match=match,
                      audit=audit, output=output, source=source)


def _feeds(raw: Any, base: Path, where: str) -> tuple[FeedSource, ...]:
    if not isinstance(raw, list) or not raw:
        raise InputError(f"{where}: no feeds; add [[feeds]] entries with name, url/path and role")
    feeds: list[FeedSource] = []
    for n, entry in enumerate(raw, 1):
        if not isinstance(entry, dict):
            raise InputError(f"{where}: feeds entry {n} must be a table")
        _only(entry, {"name", "url", "path", "role", "kind"}, f"feeds[{n}]", where)
        name = str(entry.get("name") or "").strip()
        if not name:
            raise InputError(f"{where}: feeds entry {n} has no name")
        if ("url" in entry) == ("path" in entry):
            raise InputError(f"{where}: feed {name!r} needs exactly one of url or path")
        if "role" not in entry:
            raise InputError(f"{where}: feed {name!r} needs a role (translated or reference)")
        role = _enum(Role, entry["role"], f"feed {name!r} role", where)
        kind = _enum(FeedKind, entry.get("kind", "auto"), f"feed {name!r} kind", where)
        if "url" in entry:
            location = str(entry["url"])
            if not location.startswith(("http://", "https://", "file://")):
                raise InputError(f"{where}: feed {name!r} url must be http(s):// or file:// "
                                 f"(use path = ... for local files)")
        else:
            location = str(_resolve(str(entry["path"]), base))
        feeds.append(FeedSource(name=name, location=location, role=role, kind=kind))
    names = [f.name for f in feeds]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InputError(f"{where}: feed names must be unique; repeated: {', '.join(duplicated)}")
    if not any(f.role is Role.TRANSLATED for f in feeds):
        raise InputError(f"{where}: no feed has role = \"translated\"; nothing to audit")
    if not any(f.role is Role.REFERENCE for f in feeds):
        raise InputError(f"{where}: no feed has role = \"reference\"; nothing to audit against")
    return tuple(feeds)


def _resolve(value: str, base: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _only(table: dict[str, Any], allowed: set[str], name: str, where: str) -> None:
    unknown = set(table) - allowed
    if unknown:
        raise InputError(f"{where}: unknown key(s) in {name}: {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(sorted(allowed))}")


def _enum(cls: type[Enum], value: Any, key: str, where: str) -> Any:
    try:
        return cls(str(value).lower())
    except ValueError:
        choices = ", ".join(m.value for m in cls)  # type: ignore[attr-defined]
        raise InputError(f"{where}: {key} must be one of {choices} (got {value!r})") from None


def _typed(table: dict[str, Any], defaults: Any, name: str, where: str) -> dict[str, Any]:
    """Check keys and coerce each value to the type of its default (int, float, bool, str)."""
    known = set(asdict(defaults))
    _only(table, known, name, where)
    out: dict[str, Any] = {}
    for key, value in table.items():
        default = getattr(defaults, key)
        if isinstance(default, Enum) or value is None:
            out[key] = value
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise InputError(f"{where}: {name}.{key} must be true or false (got {value!r})")
            out[key] = value
        elif isinstance(default, (int, float)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InputError(f"{where}: {name}.{key} must be a number (got {value!r})")
            if isinstance(default, int) and not float(value).is_integer():
                raise InputError(f"{where}: {name}.{key} must be a whole number (got {value!r})")
            out[key] = type(default)(value)
        else:
            out[key] = str(value)
    return out


__all__ = [
    "AuditSettings", "Executor", "FeedConfig", "FeedKind", "FeedSource", "FetchSettings",
    "MatchSettings", "OutputSettings", "Role", "config_from_dict", "load_config",
]
