"""The cached kanji-reading index reads kanji exactly as pykakasi and pypinyin do (it replaces
them on the audit path, so any difference would change the names detector's findings)."""

from __future__ import annotations

import random

import pytest

from auditor.lang.kanji_readings import MAX_WORD, load_kanji_readings
from auditor.lang.romanize import fold


@pytest.fixture(scope="module")
def kakasi():
    import pykakasi

    return pykakasi.kakasi()


def _pykakasi_reading(kakasi, text: str) -> str:
    """What romanize read before the index: pykakasi's parts, "" when one is unread."""
    parts = kakasi.convert(text)
    return "".join(p["hepburn"] for p in parts) if all(p["hepburn"] for p in parts) else ""


def test_mandarin_readings_are_pypinyins():
    from pypinyin.constants import PINYIN_DICT
    from pypinyin.style.wadegiles import to_wade_glides

    expected = {fold(r) for joined in PINYIN_DICT.values() for r in joined.split(",")}
    readings = load_kanji_readings().mandarin_readings()
    assert set(readings) == expected
    assert all(readings[r] == to_wade_glides(r) for r in expected)
    assert readings["xia"] == "hsia" and readings["zhong"] == "chung"


@pytest.mark.parametrize("syllable", ["tian", "zhong", "an", "wen", "xiong", "lang", "yi", "ma"])
def test_kanji_of_a_syllable_are_the_ones_pykakasi_reads(kakasi, syllable):
    from pypinyin.constants import PINYIN_DICT

    expected = tuple(chr(code) for code, joined in sorted(PINYIN_DICT.items())
                     if 0x4E00 <= code <= 0x9FFF
                     and syllable in {fold(r) for r in joined.split(",")}
                     and _pykakasi_reading(kakasi, chr(code)))
    assert load_kanji_readings().kanji(syllable) == expected
    assert len(expected) > 5


def test_kanji_strings_read_as_pykakasi_reads_them(kakasi):
    """Random strings of two and three characters (most not words, so read piece by piece), and
    dictionary words of the same characters (read whole): the same reading, character for
    character."""
    index = load_kanji_readings()
    syllables = sorted(s for s in index.mandarin_readings() if s)
    rng = random.Random(17)
    pools = [index.kanji(s) for s in rng.sample(syllables, 120)]
    pools = [p for p in pools if p]
    texts = set()
    for _ in range(1500):
        length = rng.randint(2, MAX_WORD)
        texts.add("".join(rng.choice(rng.choice(pools)) for _ in range(length)))
    firsts = {t[0] for t in texts}
    words = [w for w in _dictionary_words(index, firsts) if all(ch in _chars(index) for ch in w)]
    assert len(words) > 200
    texts.update(words[:1000])
    for word in words[:300]:  # a word followed or preceded by another character
        texts.add(word[:2] + rng.choice(rng.choice(pools)))
    index.prefetch(t[i] for t in texts for i in range(len(t)))
    differ = [t for t in sorted(texts) if index.hepburn(t) != _pykakasi_reading(kakasi, t)]
    assert not differ, differ[:10]
    assert "kishida" in {index.hepburn("岸田")}


def _chars(index) -> set[str]:
    return set(index._single)  # noqa: SLF001 - every character `kanji` returned so far


def _dictionary_words(index, firsts: set[str]) -> list[str]:
    index.prefetch(firsts)
    return sorted(w for f in firsts for w in index._words.get(f, {}))  # noqa: SLF001
