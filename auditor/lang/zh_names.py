"""Chinese names: who a Chinese text names (jieba's part-of-speech tags: person `nr`, `nrfg`,
transliterated `nrt`, place `ns`), whether a name is a transliteration of a foreign one, and
whether an English rendering is shaped like a Han Chinese personal name.

Readings (pinyin, Wade-Giles) come from `auditor.lang.romanize`. Pure functions; jieba is
imported on first use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from auditor.lang.romanize import fold, romanisations, romanised_syllables
from auditor.lang.words import pos_tagged

# Surnames that cover most Han Chinese people (the commonest ~100, by census frequency).
_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤习温阎易常乔赖文施洪牛俞"
)
# Characters of the standard transliteration table for foreign names (Xinhua 译音表); a name
# written only with these is a transliteration, whose pinyin is not the original spelling.
_TRANSLIT = set(
    "阿埃艾安昂奥巴拜班邦鲍贝本比彼毕宾波伯博布查达戴丹当道德登迪蒂丁东杜顿多厄恩尔法范菲费"
    "芬丰佛弗福富盖甘冈戈格根古瓜圭哈海汉豪赫黑亨洪胡华霍基吉加贾杰金卡凯坎康考柯科克肯库夸"
    "奎拉莱赖兰朗劳勒雷累里利莉连林琳隆卢鲁伦罗洛吕马迈麦曼芒梅门蒙米敏莫姆穆纳内尼努诺欧帕"
    "潘庞佩彭皮珀普奇齐恰乔切钦琼丘屈让瑞萨塞桑瑟森沙尚舍什施史斯松苏索塔泰坦汤唐特提图托瓦"
    "旺威韦维温文沃乌武西希锡谢辛休许雅亚扬耶伊因英尤于宇约泽扎詹兹佐蓬巴"
)
_NAME_FLAGS = {"nr": "person", "nrfg": "person", "nrt": "foreign person", "ns": "place"}
# O'Brien (not the possessive 's), and Wade-Giles given names with a lower-case second syllable
# ("Chun-shan", "Li-yen")
_CAPITALISED_WORD = r"[A-Z]\w*(?:['’](?!s\b)\w+|-[a-z]+\b)*"
_CAPITALISED_RUN = re.compile(f"{_CAPITALISED_WORD}(?:[ -]{_CAPITALISED_WORD})*")


@dataclass(frozen=True)
class SourceName:
    """A name in the source text, its kind and its possible pinyin romanisations."""

    text: str
    start: int
    end: int
    kind: str  # "person", "foreign person", "place", "foreign place"
    romanisations: tuple[str, ...]  # each as spaced syllables, e.g. "peng pei ao"

    @property
    def transliterated(self) -> bool:
        """A Chinese rendering of a foreign name: its pinyin is not how English spells it."""
        return self.kind.startswith("foreign")


@lru_cache(maxsize=1)
def _posseg():
    import logging

    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    return jieba.posseg


def _classify(word: str, flag: str) -> str | None:
    kind = _NAME_FLAGS.get(flag)
    if kind is None or len(word) < 2 or not all("\u4e00" <= ch <= "\u9fff" for ch in word):
        return None
    all_translit = all(ch in _TRANSLIT for ch in word)
    if kind.endswith("person"):
        # Chinese names are 2-3 characters after a surname; a transliteration uses the
        # transliteration characters only (a 2-character one must not start with a surname:
        # "马克" could be either). Nicknames and brands (no surname, free characters) are
        # Chinese words whose pinyin rendering is the normal one.
        foreign = flag == "nrt" or len(word) > 3 or (
            all_translit and (len(word) == 3 or word[0] not in _SURNAMES))
        return "foreign person" if foreign else "person"
    if kind == "place":
        return "foreign place" if all_translit and len(word) >= 3 else "place"
    return kind


def _title_length(word: str) -> int:
    """Characters of a title that jieba glued to a person's name ("顾问赵春山": the adviser Zhao
    Chunshan -> 2): a dictionary word, not a transliteration, before a surname and a one- or
    two-character given name. 0 when there is none."""
    if len(word) <= 3:
        return 0
    vocabulary = _posseg().dt.word_tag_tab
    for k in range(1, len(word) - 2):
        rest = word[k:]
        if (len(rest) <= 3 and rest[0] in _SURNAMES and word[:k] in vocabulary
                and any(ch not in _TRANSLIT for ch in word[:k])):
            return k
    return 0


def zh_names(text: str) -> list[SourceName]:
    """Person and place names in Chinese text (jieba POS tags), with offsets into `text`."""
    tagged: list[tuple[int, int, str]] = []  # (start, end, flag)
    pos = 0
    for word, flag in pos_tagged(text):
        start = text.find(word, pos)
        if start < 0:
            continue
        pos = start + len(word)
        person = _NAME_FLAGS.get(flag, "").endswith("person")
        if person and tagged and tagged[-1][1] == start and tagged[-1][2].startswith("nr"):
            # jieba's HMM cuts unknown long names ("冯德莱恩" -> "冯德" + "莱恩"): re-join
            tagged[-1] = (tagged[-1][0], pos, "nr")
        else:
            tagged.append((start, pos, flag))
    out: list[SourceName] = []
    for start, end, flag in tagged:
        if _NAME_FLAGS.get(flag, "").endswith("person"):
            start += _title_length(text[start:end])
        word = text[start:end]
        kind = _classify(word, flag)
        if kind is not None:
            out.append(SourceName(word, start, end, kind, romanisations(word)))
    return out


@lru_cache(maxsize=1)
def _surname_readings() -> frozenset[str]:
    """The readings of the common surnames (`_SURNAMES`) in pinyin and Wade-Giles, as letter
    keys."""
    from pypinyin import Style, pinyin

    return frozenset(fold(r) for ch in _SURNAMES for style in (Style.NORMAL, Style.WADEGILES)
                     for r in pinyin(ch, style=style, heteronym=True)[0])


def _syllabifies(word: str, syllables: frozenset[str], most: int) -> bool:
    """`word` (letters only) is 1..`most` syllables of `syllables` run together."""
    if not word:
        return False
    if word in syllables:
        return True
    return most > 1 and any(word[:i] in syllables and _syllabifies(word[i:], syllables, most - 1)
                            for i in range(1, len(word)))


def chinese_name_shape(text: str) -> bool:
    """Whether an English rendering reads as a Han Chinese personal name: a common surname then
    a one- or two-syllable given name, in pinyin or Wade-Giles ("Xi Jinping", "Yang Chun-shan",
    "Hsia Li-yen"); not "Joe Biden", "Tsai Ing-wen" ("ing" is no Mandarin syllable) or "Ali"."""
    words = text.split()
    if len(words) != 2:
        return False
    syllables, surnames = romanised_syllables(), _surname_readings()
    if fold(words[0]) not in surnames:
        return False
    parts = [fold(p) for p in words[1].split("-")]
    if len(parts) > 2:
        return False
    if len(parts) == 2:
        return all(p in syllables for p in parts)
    return _syllabifies(parts[0], syllables, 2)


def capitalised_runs(text: str) -> list[tuple[int, int, str]]:
    """Runs of capitalised words ("Peng Peiao", "Xi Jinping") with their offsets."""
    return [(m.start(), m.end(), m.group()) for m in _CAPITALISED_RUN.finditer(text)]


def sub_runs(start: int, run: str) -> list[tuple[int, int, str]]:
    """Every contiguous stretch of words of one capitalised run ("Foreign Minister Wang Yi"
    -> ..., "Wang Yi", "Yi"), with offsets, so that a name inside a title can be found."""
    words = [(m.start(), m.end()) for m in re.finditer(r"[^ -]+", run)]
    out = []
    for i in range(len(words)):
        for j in range(i, min(len(words), i + 4)):
            a, b = words[i][0], words[j][1]
            out.append((start + a, start + b, run[a:b]))
    return out


__all__ = ["SourceName", "capitalised_runs", "chinese_name_shape", "sub_runs", "zh_names"]
