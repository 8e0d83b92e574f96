"""The shared CC-CEDICT index: real dictionary, real lookups."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest

from auditor.lang.cedict import Cedict, _build, load_cedict, syllable_key


@pytest.fixture(scope="module")
def cedict() -> Cedict:
    return load_cedict()


@pytest.mark.parametrize(("chinese", "english"), [
    ("普京", "Vladimir Putin"),
    ("横滨", "Yokohama"),
    ("韩联社", "Yonhap"),
    ("彭定康", "Chris Patten"),
    ("橫濱", "Yokohama"),  # the traditional form finds the same entry
])
def test_lookup_gives_the_english_name_without_notes(cedict: Cedict, chinese: str,
                                                     english: str) -> None:
    entries = cedict.lookup(chinese)
    assert entries and entries[0].is_proper
    assert entries[0].english[0] == english


def test_a_headword_keeps_all_its_readings(cedict: Cedict) -> None:
    readings = {e.pinyin for e in cedict.lookup("中")}
    assert {"Zhong1", "zhong1", "zhong4"} <= readings
    common = [e for e in cedict.lookup("中") if not e.is_proper]
    assert common and not any(g.startswith("surname") for e in common for g in e.english)


@pytest.mark.parametrize(("syllables", "simplified"), [
    (["Pu", "Jing"], "普京"),
    (["heng", "bin"], "横滨"),
    (["REN", "chuan"], "仁川"),
])
def test_romanised_syllables_read_back_into_chinese_forms(cedict: Cedict, syllables: list[str],
                                                          simplified: str) -> None:
    assert simplified in {e.simplified for e in cedict.by_syllables(syllables)}


def test_syllable_key_ignores_case_and_writes_u_umlaut_as_v() -> None:
    assert syllable_key(["Lü", "Xun"]) == syllable_key(["lu:", "xun"]) == "lv xun"


def test_longest_match_prefers_the_whole_name(cedict: Cedict) -> None:
    text = "会见了韩联社记者"
    assert cedict.longest_match(text, 3) == "韩联社"
    assert cedict.longest_match(text, 5) is None  # 社记 is no headword


def test_evidence_text_names_the_dictionary(cedict: Cedict) -> None:
    assert cedict.lookup("横滨")[0].describe() == "CC-CEDICT: 横滨 = Yokohama"


def test_lookups_from_threads_agree(cedict: Cedict) -> None:
    words = ["普京", "横滨", "中", "韩联社", "美国"] * 40
    alone = [cedict.lookup(w) for w in words]
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(cedict.lookup, words))
    assert threaded == alone


def test_the_index_is_built_from_the_packaged_file(tmp_path) -> None:
    path = tmp_path / "index.sqlite"
    _build(path)
    built = Cedict(sqlite3.connect(path, check_same_thread=False), "test")
    assert len(built) > 100_000
    assert built.lookup("曼谷")[0].english[0] == "Bangkok"
