"""Chinese helpers for source-side checks: numbers and dates as values, names and their pinyin.

A Chinese source writes figures as "2.5亿", "三十", "3月5日" or "百分之五十"; the English MT
writes "250 million", "30", "March 5", "50%". Both sides are reduced to `Quantity` values so
that they can be compared. Names come from jieba's part-of-speech tags (person `nr`, `nrfg`,
transliterated `nrt`, place `ns`) and are romanised with pypinyin.
All functions are pure; jieba, cn2an and pypinyin are imported on first use.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import product

# ---- numbers ---------------------------------------------------------------------------

_ZH_DIGITS = "零〇一二两三四五六七八九"
_ZH_UNITS = "十百千万亿"
_ZH_NUMERAL = f"[{_ZH_DIGITS}{_ZH_UNITS}]"
_MAGNITUDE = {"十": 10, "百": 100, "千": 1_000, "万": 10_000, "亿": 100_000_000,
              "萬": 10_000, "億": 100_000_000}  # traditional Chinese and Japanese forms
# Measure words and time units after which a lone Chinese digit (二..九) is a count, not part
# of a word ("三国" is three countries, but "三心二意" is an idiom).
_COUNTERS = "个名人位次岁倍家项条座年月日天周号点届期件所台辆架艘场轮批份种只头层米公元美镑"
# Fixed words that contain numeral characters but mean no number.
_ZH_NOT_NUMBERS = ("十分", "万一", "一一", "千万不", "万万", "一些", "统一", "唯一", "一直",
                   "一起", "一定", "一般", "一切", "一样", "一旦", "进一步", "同一", "万物")

_ZH_QUANTITY = re.compile(
    r"百分之(?P<pct>" + _ZH_NUMERAL + r"+(?:点[" + _ZH_DIGITS + r"]+)?|\d+(?:\.\d+)?)"
    r"|(?P<arabic>\d+(?:[,，]\d{3})*(?:\.\d+)?)\s*(?:余|多|来)?(?P<mag>万亿|萬億|亿|億|万|萬|千)?"
    r"|(?P<zh>" + _ZH_NUMERAL + r"+(?:点[" + _ZH_DIGITS + r"]+)?)"
)
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９．％", "0123456789.%")

_EN_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
_EN_SMALL = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
_EN_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000,
              "billion": 1_000_000_000, "trillion": 1_000_000_000_000}
_EN_WORD = "|".join(sorted(_EN_SMALL, key=len, reverse=True))
_EN_SCALE = "|".join(_EN_SCALES)
_EN_QUANTITY = re.compile(
    r"(?P<num>\d+(?:,\d{3})*(?:\.\d+)?)(?:st|nd|rd|th|s)?(?:\s*(?P<scale>" + _EN_SCALE + r"|bn)\b)?"
    r"|\b(?P<words>(?:" + _EN_WORD + r")(?:[\s-](?:" + _EN_WORD + r"))?)"
    r"(?:\s+(?P<wscale>" + _EN_SCALE + r"))?\b"
    r"|\b(?P<month>(?-i:" + "|".join(m.title() for m in sorted(_EN_MONTHS, key=len, reverse=True))
    + r"))\b\.?(?=\s*\d)"
    r"|\b(?:in|of|since|until|by|from|to|between|and|early|late|mid|last|next|this)[ -]"
    r"(?P<month2>(?-i:January|February|March|April|May|June|July|August|September|October|"
    r"November|December))\b",
    re.IGNORECASE,
)
# "12 to 14 million": the scale of the second figure applies to the first.
_EN_SHARED_SCALE = re.compile(
    r"\s*(?:to|-|–|and|or)\s*\d+(?:,\d{3})*(?:\.\d+)?\s*(" + _EN_SCALE + r")\b", re.IGNORECASE)


@dataclass(frozen=True)
class Quantity:
    """A figure found in a text: its value, and where it is (offsets into that text)."""

    value: float
    start: int
    end: int
    text: str
    alternatives: tuple[float, ...] = ()
    """Other values the same words can stand for ("九二" is 92 or the year 1992)."""
    approximate: bool = False
    """A range written with neighbouring digits: `value` to `alternatives[0]` ("六七千")."""

    @property
    def shown(self) -> str:
        """The value as a reader would state it: "250,000,000", "16,000 to 17,000"."""
        def fmt(x: float) -> str:
            return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.4g}"
        if self.approximate and self.alternatives:
            return f"{fmt(self.value)} to {fmt(self.alternatives[0])}"
        return fmt(self.value)

    @property
    def values(self) -> tuple[float, ...]:
        return (self.value, *self.alternatives)


def _zh_numeral_value(numeral: str) -> float | None:
    """Value of a Chinese numeral ("三十", "二〇二三", "两千三百万", "三点五"); None if invalid."""
    import warnings

    import cn2an

    with warnings.catch_warnings():  # cn2an warns before raising on text it cannot parse
        warnings.simplefilter("ignore")
        try:
            return float(cn2an.cn2an(numeral.replace("两", "二"), "smart"))
        except (ValueError, KeyError, IndexError):
            return None


def zh_quantities(text: str) -> list[Quantity]:
    """Figures in Chinese text: Arabic numbers with 万/亿 magnitudes, Chinese numerals, percents.

    Dates come out as their parts ("3月5日" -> 3 and 5), which is how English states them too.
    A lone digit character counts only before a measure word; "一" alone never counts (it is
    mostly "a"/"one" and English drops it).
    """
    normalised = text.translate(_FULLWIDTH_DIGITS)
    not_numbers = {i for word in _ZH_NOT_NUMBERS for m in re.finditer(word, normalised)
                   for i in range(m.start(), m.end())}
    out: list[Quantity] = []
    for m in _ZH_QUANTITY.finditer(normalised):
        start, end = m.start(), m.end()
        if not_numbers.intersection(range(start, end)):
            continue
        value: float | None
        if m.group("pct") is not None:
            pct = m.group("pct")
            value = float(pct) if pct[0].isdigit() else _zh_numeral_value(pct)
        elif m.group("arabic") is not None:
            value = float(re.sub("[,，]", "", m.group("arabic")))
            for ch in m.group("mag") or "":
                value *= _MAGNITUDE[ch]
        else:
            numeral = m.group("zh")
            following = normalised[end:end + 1]
            if numeral in ("一", "十", "百", "千", "万", "亿") or (
                len(numeral) == 1 and following not in _COUNTERS
            ):
                continue
            if not any(ch in _ZH_DIGITS for ch in numeral) and numeral not in ("十",):
                continue  # units alone ("万", "千万") are magnitudes, not figures
            value = _zh_numeral_value(numeral)
        approximate = _approximate_range(m.group("zh") or "")
        if approximate is not None:
            value, high = approximate
            out.append(Quantity(value, start, end, text[start:end], (high,), approximate=True))
            continue
        if value is None:
            continue
        alternatives: tuple[float, ...] = ()
        if m.group("zh") and len(m.group("zh")) == 2 and not set(m.group("zh")) & set(_ZH_UNITS):
            alternatives = (1900 + value, 2000 + value)  # "九二共识": digit by digit, a year
        out.append(Quantity(value, start, end, text[start:end], alternatives))
    return out


_CONSECUTIVE_DIGITS = re.compile("([一二两三四五六七八])([二三四五六七八九])")
_DIGIT_VALUE = {ch: i for i, ch in enumerate("〇一二三四五六七八九")} | {"两": 2}


def _approximate_range(numeral: str) -> tuple[float, float] | None:
    """Chinese writes an approximate figure with two neighbouring digits: "六七千" is 6,000 to
    7,000, "一万六七千" 16,000 to 17,000, "三四十" 30 to 40, "十七八" 17 or 18. Returns
    (low, high), or None when the numeral is no such range."""
    if len(numeral) > 2 and not set(numeral) & set(_ZH_UNITS):
        return None  # digit by digit, as in a year ("二〇二三")
    m = _CONSECUTIVE_DIGITS.search(numeral)
    if m is None or _DIGIT_VALUE[m.group(2)] != _DIGIT_VALUE[m.group(1)] + 1:
        return None
    low = _zh_numeral_value(numeral[:m.end(1)] + numeral[m.end(2):])
    high = _zh_numeral_value(numeral[:m.start(1)] + numeral[m.start(2):])
    if low is None or high is None:
        return None
    return low, high


def _en_words_value(words: str) -> float:
    total = 0.0
    for part in re.split(r"[\s-]+", words.lower()):
        total += _EN_SMALL.get(part, 0)
    return total


def en_quantities(text: str) -> list[Quantity]:
    """Figures in English text: "250 million", "2,500", "5th", "thirty-five", month names
    used in dates ("March 5", "in May" -> 3, 5). "one" is left out: it is mostly a pronoun."""
    out: list[Quantity] = []
    for m in _EN_QUANTITY.finditer(text):
        if m.group("num") is not None:
            value = float(m.group("num").replace(",", ""))
            scale = (m.group("scale") or "").lower()
            value *= _EN_SCALES.get(scale, 1_000_000_000 if scale == "bn" else 1)
        elif m.group("words") is not None:
            value = _en_words_value(m.group("words"))
            value *= _EN_SCALES.get((m.group("wscale") or "").lower(), 1)
        else:
            month = (m.group("month") or m.group("month2")).lower()
            value = float(_EN_MONTHS[month])
        group = next(g for g in ("num", "words", "month", "month2") if m.group(g) is not None)
        start = m.start(group)
        alternatives: tuple[float, ...] = ()
        shared = _EN_SHARED_SCALE.match(text, m.end())
        if group in ("num", "words") and shared and not (m.group("scale") or m.group("wscale")):
            alternatives = (value * _EN_SCALES[shared.group(1).lower()],)
        out.append(Quantity(value, start, m.end(), text[start:m.end()].rstrip("."),
                            alternatives))
    return out


def same_value(a: Quantity, b: Quantity) -> bool:
    """Equal up to rounding in the last reported digit (0.5%: "2.46亿" ~ "246 million"),
    under any of the values each side can stand for."""
    return any(abs(x - y) <= 0.005 * max(abs(x), abs(y), 1e-9)
               for x in a.values for y in b.values)


# ---- names -----------------------------------------------------------------------------

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


def romanisations(han: str, limit: int = 16) -> tuple[str, ...]:
    """Pinyin readings of a name, toneless, syllables spaced; every reading of polyphonic
    characters (曾 is Zeng as a surname), most likely first, at most `limit`."""
    from pypinyin import Style, lazy_pinyin, pinyin

    first = " ".join(lazy_pinyin(han, style=Style.NORMAL, v_to_u=True))
    readings = pinyin(han, style=Style.NORMAL, heteronym=True, v_to_u=True)
    out = [first]
    for combo in product(*readings):
        candidate = " ".join(combo)
        if candidate not in out:
            out.append(candidate)
        if len(out) >= limit:
            break
    return tuple(out)


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
    for pair in _posseg().cut(text):
        start = text.find(pair.word, pos)
        if start < 0:
            continue
        pos = start + len(pair.word)
        person = _NAME_FLAGS.get(pair.flag, "").endswith("person")
        if person and tagged and tagged[-1][1] == start and tagged[-1][2].startswith("nr"):
            # jieba's HMM cuts unknown long names ("冯德莱恩" -> "冯德" + "莱恩"): re-join
            tagged[-1] = (tagged[-1][0], pos, "nr")
        else:
            tagged.append((start, pos, pair.flag))
    out: list[SourceName] = []
    for start, end, flag in tagged:
        if _NAME_FLAGS.get(flag, "").endswith("person"):
            start += _title_length(text[start:end])
        word = text[start:end]
        kind = _classify(word, flag)
        if kind is not None:
            out.append(SourceName(word, start, end, kind, romanisations(word)))
    return out


def wade_giles(han: str) -> tuple[str, ...]:
    """Wade-Giles readings of a name as letter keys ("赵春山" -> "chaochunshan"): Taiwan and older
    English writing spell Chinese names so ("Chao Chun-shan", "Hsia Li-yen")."""
    from pypinyin import Style, pinyin

    readings = pinyin(han, style=Style.WADEGILES, heteronym=True)
    out: list[str] = []
    for combo in product(*readings):
        key = romanisation_key("".join(combo))
        if key not in out:
            out.append(key)
        if len(out) >= 16:
            break
    return tuple(out)


@lru_cache(maxsize=1)
def _romanised_syllables() -> tuple[frozenset[str], frozenset[str]]:
    """Every toneless syllable of Mandarin in pinyin or Wade-Giles (as letter keys), and the
    readings of the common surnames (`_SURNAMES`) in both systems."""
    from pypinyin import Style, pinyin
    from pypinyin.pinyin_dict import pinyin_dict
    from pypinyin.style.wadegiles import to_wade_glides

    syllables: set[str] = set()
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            plain = "".join(ch for ch in unicodedata.normalize("NFKD", reading)
                            if not unicodedata.combining(ch))
            syllables.add(romanisation_key(plain))
            syllables.add(romanisation_key(to_wade_glides(plain)))
    surnames = {romanisation_key(r) for ch in _SURNAMES
                for style in (Style.NORMAL, Style.WADEGILES)
                for r in pinyin(ch, style=style, heteronym=True)[0]}
    syllables.discard("")
    return frozenset(syllables), frozenset(surnames)


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
    syllables, surnames = _romanised_syllables()
    if romanisation_key(words[0]) not in surnames:
        return False
    parts = [romanisation_key(p) for p in words[1].split("-")]
    if len(parts) > 2:
        return False
    if len(parts) == 2:
        return all(p in syllables for p in parts)
    return _syllabifies(parts[0], syllables, 2)


def romanisation_key(text: str) -> str:
    """Letters only, lower case, accents removed: "Wang Yi", "Wang-Yi", "wángyì" -> "wangyi"."""
    flat = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in flat.lower() if "a" <= ch <= "z")


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


__all__ = ["Quantity", "SourceName", "capitalised_runs", "chinese_name_shape", "en_quantities",
           "romanisation_key", "romanisations", "same_value", "sub_runs", "wade_giles",
           "zh_names", "zh_quantities"]
