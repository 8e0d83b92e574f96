"""Mandarin and Japanese readings of Chinese characters, as one small cached index.

The names detector reads a pinyin MT word back into the kanji it can stand for and reads those
kanji in Japanese (`romanize.japanese_readings`: "Antian" -> 岸田 -> "kishida"). Done directly,
every process imported pypinyin's tables, unpickled pykakasi's 10 MB dictionary and converted
thousands of candidate kanji words: about 1.5 s of a 5 s cold audit. The facts it needs are
read once from both packages into a SQLite index in the cache folder (`cache_dir()`, like
CC-CEDICT's), built on first use (about 10 s, once per machine) and opened in milliseconds:
- every toneless reading in pypinyin's character table, folded, with its Wade-Giles spelling
  (`readings`);
- per toneless syllable, the main-block characters read so that pykakasi reads them in Japanese,
  with that reading (`kanji`);
- pykakasi's dictionary words of two or three kanji with their first reading (`words`).

`hepburn` reads a string of those characters exactly as pykakasi's `Kakasi.convert` does: for a
string of kanji its algorithm is a left-to-right longest match over its dictionary, each word
read by its first reading without a context condition (the one conditional entry, 色 after そん,
never applies between kanji), each piece romanised on its own. tests/test_kanji_readings.py
compares it with pykakasi on thousands of character strings.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from functools import lru_cache

from auditor.embed import _version as package_version
from auditor.lang.cedict import open_cached_index

_INDEX_FORMAT = 1  # bump when the index layout or the way it is read changes
MAX_WORD = 3  # japanese_readings reads words of at most three characters


def _is_main_block(char: str) -> bool:
    return 0x4E00 <= ord(char) <= 0x9FFF


def _build(path: str) -> None:
    """Write the index from pypinyin's and pykakasi's packaged tables."""
    import pykakasi
    from pykakasi.kanji import Itaiji, Kanwa
    from pykakasi.scripts import IConv
    from pypinyin.constants import PINYIN_DICT
    from pypinyin.style.wadegiles import to_wade_glides

    from auditor.lang.romanize import fold

    readings: set[str] = set()
    by_syllable: dict[str, list[str]] = {}
    for code, joined in PINYIN_DICT.items():
        folded = [fold(r) for r in joined.split(",")]
        readings.update(folded)
        if 0x4E00 <= code <= 0x9FFF:
            for syllable in dict.fromkeys(folded):
                by_syllable.setdefault(syllable, []).append(chr(code))
    kakasi = pykakasi.kakasi()
    kanji: list[tuple[str, int, str, str]] = []
    hepburn_of: dict[str, str] = {}
    for syllable, chars in by_syllable.items():
        for char in chars:
            if char not in hepburn_of:
                parts = kakasi.convert(char)
                hepburn_of[char] = ("".join(p["hepburn"] for p in parts)
                                    if all(p["hepburn"] for p in parts) else "")
            if hepburn_of[char]:
                kanji.append((syllable, ord(char), char, hepburn_of[char]))
    variants = Itaiji()
    romanise = IConv()
    words: list[tuple[str, str, str]] = []
    for table in Kanwa()._jisyo_table.values():  # noqa: SLF001 - pykakasi's dictionary
        for key, entries in table.items():
            if not 2 <= len(key) <= MAX_WORD or not all(0x3400 <= ord(c) < 0xE000 for c in key):
                continue
            yomi = next((y for y, condition in entries if condition is None), None)
            if yomi is not None:
                words.append((key[0], key, romanise.convert(key, yomi)["hepburn"]))
    db = sqlite3.connect(path)
    try:
        db.executescript(
            "CREATE TABLE readings (reading TEXT PRIMARY KEY, wade_giles TEXT);"
            "CREATE TABLE kanji (syllable TEXT, code INTEGER, char TEXT, hepburn TEXT);"
            "CREATE TABLE variants (char TEXT PRIMARY KEY, normal TEXT);"
            "CREATE TABLE words (first TEXT, word TEXT PRIMARY KEY, hepburn TEXT);")
        db.executemany("INSERT INTO readings VALUES (?, ?)",
                       [(r, str(to_wade_glides(r))) for r in sorted(readings)])
        db.executemany("INSERT INTO kanji VALUES (?, ?, ?, ?)", kanji)
        db.executemany("INSERT INTO variants VALUES (?, ?)",
                       [(chr(code), normal) for code, normal in
                        variants._itaijidict.items()])  # noqa: SLF001 - pykakasi's variant table
        db.executemany("INSERT INTO words VALUES (?, ?, ?)", words)
        db.executescript("CREATE INDEX kanji_by_syllable ON kanji (syllable, code);"
                         "CREATE INDEX words_by_first ON words (first);")
        db.commit()
    finally:
        db.close()


class KanjiReadings:
    """The read-only index (see the module docstring); thread-safe."""

    def __init__(self, connection: sqlite3.Connection):
        self._db = connection
        self._lock = threading.Lock()
        self._words: dict[str, dict[str, str]] = {}  # first character -> word -> hepburn
        self._single: dict[str, str] = {}  # character -> its own reading (from `kanji`)
        self._variants = dict(self._rows("SELECT char, normal FROM variants"))

    def _rows(self, sql: str, args: tuple[str, ...] = ()) -> list[tuple[str, str]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def mandarin_readings(self) -> dict[str, str]:
        """Every toneless reading in pypinyin's character table, folded (bare nasals too), and
        its Wade-Giles spelling by pypinyin."""
        return dict(self._rows("SELECT reading, wade_giles FROM readings"))

    def kanji(self, syllable: str) -> tuple[str, ...]:
        """The main-block characters with this toneless Mandarin reading that pykakasi reads
        in Japanese, in code point order."""
        rows = self._rows("SELECT char, hepburn FROM kanji WHERE syllable = ? ORDER BY code",
                          (syllable,))
        with self._lock:
            self._single.update(rows)
        return tuple(char for char, _ in rows)

    def prefetch(self, firsts: Iterable[str]) -> None:
        """Load the dictionary words starting with these characters, in one query."""
        todo = sorted({self._variants.get(c, c) for c in firsts} - self._words.keys())
        if not todo:
            return
        found: dict[str, dict[str, str]] = {c: {} for c in todo}
        for start in range(0, len(todo), 500):
            chunk = todo[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for word, hepburn in self._rows(
                    f"SELECT word, hepburn FROM words WHERE first IN ({marks})", tuple(chunk)):
                found[word[0]][word] = hepburn
        self._words.update(found)

    def hepburn(self, text: str) -> str:
        """pykakasi's Hepburn reading of a string of at most `MAX_WORD` characters returned by
        `kanji`, "" when a piece has none."""
        normal = "".join(self._variants.get(c, c) for c in text)
        out = []
        i = 0
        while i < len(text):
            words = self._words.get(normal[i])
            if words is None:
                self.prefetch(normal[i])
                words = self._words[normal[i]]
            for end in range(min(len(text), i + MAX_WORD), i + 1, -1):
                reading = words.get(normal[i:end])
                if reading is not None:
                    break
            else:
                reading, end = self._single.get(text[i], ""), i + 1
            if not reading:
                return ""
            out.append(reading)
            i = end
        return "".join(out)


def index_version() -> str:
    """The packages the index is read from; a new version of either builds a new index."""
    return f"pypinyin-{package_version('pypinyin')}-pykakasi-{package_version('pykakasi')}"


@lru_cache(maxsize=1)
def load_kanji_readings() -> KanjiReadings:
    """The process-wide index (built on first use; safe to call from several threads)."""
    name = f"kanji-readings-{index_version()}-index{_INDEX_FORMAT}.sqlite"
    return KanjiReadings(open_cached_index(name, _build))
