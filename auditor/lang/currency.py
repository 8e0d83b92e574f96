"""Currencies of figures: after a Chinese figure (8000多元, 1.2万美元) and around an English one
("$8,000", "8,000 yuan", "HK$3 billion"), so that a figure kept in another currency is caught
on the source side (auditor.detect.source) and against references (auditor.detect.numbers).

Two comparisons, both here: `same_currency` (can an MT currency render the source's?) and
`money_currency` (English against English, ways of writing one currency folded together)."""

from __future__ import annotations

import re

# After a Chinese figure (longest first). A bare 元/块 is the local yuan or dollar: renminbi on the
# mainland, NT$ in Taiwan, HK$ in Hong Kong, so it is told apart only from other currencies.
_ZH_CURRENCIES = (("新加坡元", "SGD"), ("新台币", "TWD"), ("人民币", "CNY"), ("美元", "USD"),
                  ("欧元", "EUR"), ("英镑", "GBP"), ("日元", "JPY"), ("韩元", "KRW"),
                  ("港元", "HKD"), ("港币", "HKD"), ("新元", "SGD"), ("台币", "TWD"),
                  ("澳元", "AUD"), ("加元", "CAD"), ("卢布", "RUB"), ("元", "yuan"), ("块", "yuan"))
_EN_CURRENCY_BEFORE = re.compile(
    r"(US\$|USD|HK\$|HKD|NT\$|TWD|S\$|SGD|A\$|AUD|C\$|CAD|RMB|CNY|\$|€|EUR|£|GBP|¥|￥|JPY)"
    r"\s?$")
_EN_CURRENCY_AFTER = re.compile(
    r"^\s*(US dollars?|U\.S\. dollars?|Hong Kong dollars?|Singapore dollars?|New Taiwan dollars?"
    r"|NT dollars?|Taiwan dollars?|Australian dollars?|Canadian dollars?|dollars?|yuan|RMB"
    r"|renminbi|euros?|pounds?|yen|won|r[ou]{1,2}bles?)\b", re.IGNORECASE)
_EN_CURRENCY_CODES = {
    "us$": "USD", "usd": "USD", "hk$": "HKD", "hkd": "HKD", "nt$": "TWD", "twd": "TWD",
    "s$": "SGD", "sgd": "SGD", "a$": "AUD", "aud": "AUD", "c$": "CAD", "cad": "CAD",
    "rmb": "CNY", "cny": "CNY", "$": "dollar", "€": "EUR", "eur": "EUR", "£": "GBP", "gbp": "GBP",
    "¥": "yen or yuan", "￥": "yen or yuan", "jpy": "JPY", "us dollar": "USD",
    "u.s. dollar": "USD", "hong kong dollar": "HKD", "singapore dollar": "SGD",
    "new taiwan dollar": "TWD", "nt dollar": "TWD", "taiwan dollar": "TWD",
    "australian dollar": "AUD", "canadian dollar": "CAD", "dollar": "dollar", "yuan": "CNY",
    "renminbi": "CNY", "euro": "EUR", "pound": "GBP", "yen": "JPY", "won": "KRW",
    "ruble": "RUB", "rouble": "RUB", "roble": "RUB",
}
_DOLLARS = {"USD", "HKD", "TWD", "SGD", "AUD", "CAD"}


def zh_currency(text: str, start: int, end: int) -> str | None:
    """Currency of the Chinese figure text[start:end]: a code, "yuan" for a bare 元, or None."""
    if text[max(0, start - 3):start] == "人民币":
        return "CNY"
    rest = text[end:end + 6].lstrip("多余来几")
    return next((code for word, code in _ZH_CURRENCIES if rest.startswith(word)), None)


def en_currency(text: str, start: int, end: int) -> str | None:
    """Currency written around the English figure text[start:end] ("US$5", "5 yuan", "€3m")."""
    before = _EN_CURRENCY_BEFORE.search(text[max(0, start - 5):start])
    after = _EN_CURRENCY_AFTER.match(text[end:end + 30])
    word = before.group(1) if before else after.group(1) if after else None
    if word is None:
        return None
    key = word.lower().rstrip("s") if after and not before else word.lower()
    return _EN_CURRENCY_CODES.get(key, _EN_CURRENCY_CODES.get(key.rstrip("s")))


# English ways of writing one currency, folded so that they compare equal; "¥" (yen or yuan) says
# too little to compare.
_SAME_EN_CURRENCY = {"USD": "US dollar", "dollar": "US dollar", "CNY": "renminbi"}
_MONEY_AMOUNT = re.compile(
    r"\d+(?:[.,]\d+)*(?:\s*(?:hundred|thousand|million|billion|trillion|bn|m)\b)?", re.I)


def money_currency(text: str) -> str | None:
    """The currency of an English money expression ("$8,000", "8,000 yuan", "HK$3 billion"),
    folded for comparing two English texts ("$" and "US$" are one); None when there is none or
    it says too little."""
    amount = _MONEY_AMOUNT.search(text)
    code = en_currency(text, amount.start(), amount.end()) if amount else None
    if code is None or code == "yen or yuan":
        return None
    return _SAME_EN_CURRENCY.get(code, code)


def same_currency(source: str, mt: str) -> bool:
    """Whether an MT currency can render the source's: "yuan" (a bare 元) fits renminbi, NT$,
    HK$ and ¥; a dollar currency fits a bare "$" or "dollars"; else the codes must agree."""
    if source == mt:
        return True
    if source == "yuan":
        return mt in ("CNY", "TWD", "HKD", "yen or yuan")
    if source in _DOLLARS:
        return mt == "dollar"
    return source in ("CNY", "JPY") and mt == "yen or yuan"


_CURRENCY_NAMES = {"yuan": "yuan (元)", "CNY": "renminbi", "USD": "US dollars",
                   "dollar": "dollars ($)", "EUR": "euros", "GBP": "pounds sterling",
                   "JPY": "yen", "KRW": "won", "HKD": "Hong Kong dollars",
                   "TWD": "New Taiwan dollars", "SGD": "Singapore dollars",
                   "AUD": "Australian dollars", "CAD": "Canadian dollars", "RUB": "roubles"}


def currency_name(code: str) -> str:
    """How a report names a currency code ("CNY" -> "renminbi", "yuan" -> "yuan (元)")."""
    return _CURRENCY_NAMES.get(code, code)


__all__ = ["currency_name", "en_currency", "money_currency", "same_currency", "zh_currency"]
