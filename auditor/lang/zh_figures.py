"""Chinese figures: Arabic and Chinese numerals, 万/亿 magnitudes, percents and approximate
ranges, read as `Quantity` values.

A Chinese source writes figures as "2.5亿", "三十", "3月5日" or "百分之五十"; the English MT
writes "250 million", "30", "March 5", "50%" (read by `auditor.lang.en_figures`). Pure
functions; cn2an is imported on first use.
"""

from __future__ import annotations

import re

from auditor.lang.figures import Quantity

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
# A day of the week: 周三, 星期三, 礼拜三 (Wednesday), 周日/星期天 (Sunday); not "每周三次" (three
# times a week), where a measure word follows.
_ZH_WEEKDAY = re.compile(r"(?:周|星期|礼拜)(?P<day>[一二三四五六日天])")
_WEEKDAY_VALUE = {ch: i for i, ch in enumerate("一二三四五六日")} | {"天": 6}
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９．％", "0123456789.%")

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
    for m in _ZH_WEEKDAY.finditer(normalised):
        if normalised[m.end():m.end() + 1] not in _COUNTERS or m.group("day") in "日天":
            out.append(Quantity(float(_WEEKDAY_VALUE[m.group("day")]), m.start(), m.end(),
                                text[m.start():m.end()], unit="weekday"))
    return sorted(out, key=lambda q: q.start)


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


__all__ = ["zh_quantities"]
