"""English figures: number words, scales, fractions, months and weekdays, read as values.

Two readers share these tables: `date_atoms` / `quantity_atoms` turn an entity spaCy found
("June 29 to 30", "two-thirds", "1,200 workers") into typed atoms for the reference-side
numbers detector, and `en_quantities` finds the figures of running English text ("250 million",
"thirty-five", "March 5") for the comparison with a Chinese source.
"""

from __future__ import annotations

import math
import re

from auditor.lang.figures import Quantity

MONTHS = {m: i + 1 for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"])}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
WEEKDAYS = {d: i for i, d in enumerate(
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])}
WEEKDAYS.update({d[:3]: i for d, i in list(WEEKDAYS.items())})
WORD_NUMBERS = {w: i for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
     "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
     "nineteen", "twenty"])}
WORD_NUMBERS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
                     "eighty": 80, "ninety": 90, "dozen": 12})
SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000,
          "trillion": 1_000_000_000_000}
FRACTIONS = {"half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4,
             "fourth": 4, "fourths": 4, "fifth": 5, "fifths": 5, "tenth": 10, "tenths": 10}

# ---- atoms of one entity (reference-side numbers) ----------------------------------------
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
DAY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?$", re.I)
_ISO_IN_TEXT = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_WORD = re.compile(r"[A-Za-z]+|\d+(?:[.,]\d+)*(?:st|nd|rd|th)?")


def number_value(word: str) -> float | None:
    """Value of one word: "six", "1,200", "3.5", "5th"; None when it is no number."""
    word = word.lower()
    if word in WORD_NUMBERS:
        return float(WORD_NUMBERS[word])
    digits = _NUMBER.fullmatch(word.rstrip("stndrh") if word[:1].isdigit() else word)
    if digits:
        text = digits.group()
        if re.fullmatch(r"\d{1,3}(,\d{3})+", text):
            text = text.replace(",", "")
        try:
            return float(text.replace(",", "."))
        except ValueError:
            return None
    return None


def date_atoms(text: str) -> frozenset[tuple[str, float]]:
    """Month, day, year and weekday atoms of a date expression ("from June 29 to 30")."""
    atoms: set[tuple[str, float]] = set()
    for iso in _ISO_IN_TEXT.finditer(text):
        atoms |= {("year", float(iso.group(1))), ("month", float(iso.group(2))),
                  ("day", float(iso.group(3)))}
    text = _ISO_IN_TEXT.sub(" ", text)
    for word in _WORD.findall(text):
        low = word.lower()
        day = DAY.match(word)
        if low in MONTHS and word != "may":  # lower-case "may" is the verb
            atoms.add(("month", float(MONTHS[low])))
        elif low in WEEKDAYS:
            atoms.add(("weekday", float(WEEKDAYS[low])))
        elif word.isdigit() and len(word) == 4 and 1000 <= int(word) <= 2999:
            atoms.add(("year", float(word)))
        elif day and 1 <= int(day.group(1)) <= 31:
            atoms.add(("day", float(day.group(1))))
    return frozenset(atoms)


def quantity_atoms(text: str) -> frozenset[tuple[str, float]]:
    """Numeric values of a quantity expression ("six kilometers", "1,200", "two-thirds",
    "a hundred thousand")."""
    words = [w.lower() for w in _WORD.findall(text.replace("-", " "))]
    values: list[float] = []
    i = 0
    while i < len(words):
        value = number_value(words[i])
        if value is None and words[i] in SCALES and i > 0 and words[i - 1] in ("a", "an"):
            value, i = 1.0, i - 1  # "a million years": the scale words follow as for "one"
            if i > 0 and words[i - 1] in FRACTIONS:  # "half a million": a fraction of it
                value = 1.0 / FRACTIONS[words[i - 1]]
        if value is None:
            i += 1
            continue
        if (i + 3 < len(words) and words[i + 1] == "and" and words[i + 2] in ("a", "an", "one")
                and words[i + 3] in FRACTIONS):  # "two and a half million": 2.5 before the scale
            value += 1.0 / FRACTIONS[words[i + 3]]
            i += 3
        while i + 1 < len(words) and words[i + 1] in SCALES:  # "two hundred thousand"
            value *= SCALES[words[i + 1]]
            i += 1
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if nxt in FRACTIONS and value < FRACTIONS[nxt]:
            value = value / FRACTIONS[nxt]
            i += 1
        values.append(round(value, 3))
        i += 1
    if not values and any(w in ("half", "a half") for w in words):
        values.append(0.5)
    if not values:  # "a few million", "millions of", "hundreds of thousands": the magnitude
        scales = [SCALES.get(w, SCALES.get(w[:-1])) for w in words
                  if w in SCALES or (w.endswith("s") and w[:-1] in SCALES)]
        if scales:
            return frozenset({("scale", float(math.prod(scales)))})
    return frozenset(("value", v) for v in values)


def magnitude(value: float) -> float | None:
    """The scale word a figure is counted in (2,500,000 -> million), None below a hundred: what
    a vague figure ("millions") can agree with."""
    fitting = [s for s in SCALES.values() if s <= value]
    return float(max(fitting)) if fitting else None


# ---- figures of running text (source-side numbers) ---------------------------------------
# Number words from two up: "one" is mostly a pronoun, "zero" and "dozen" rarely a stated figure.
_RUNNING_WORDS = {w: v for w, v in WORD_NUMBERS.items() if v >= 2 and w != "dozen"}
_EN_WORD = "|".join(sorted(_RUNNING_WORDS, key=len, reverse=True))
_EN_SCALE = "|".join(SCALES)
_EN_QUANTITY = re.compile(
    r"(?P<num>\d+(?:,\d{3})*(?:\.\d+)?)(?:st|nd|rd|th|s)?(?:\s*(?P<scale>" + _EN_SCALE + r"|bn)\b)?"
    r"|\b(?P<words>(?:" + _EN_WORD + r")(?:[\s-](?:" + _EN_WORD + r"))?)"
    r"(?:\s+(?P<wscale>" + _EN_SCALE + r"))?\b"
    r"|\b(?P<month>(?-i:" + "|".join(m.title() for m in sorted(MONTHS, key=len, reverse=True))
    + r"))\b\.?(?=\s*\d)"
    r"|\b(?:in|of|since|until|by|from|to|between|and|early|late|mid|last|next|this)[ -]"
    r"(?P<month2>(?-i:January|February|March|April|May|June|July|August|September|October|"
    r"November|December))\b",
    re.IGNORECASE,
)
# "12 to 14 million": the scale of the second figure applies to the first.
_EN_SHARED_SCALE = re.compile(
    r"\s*(?:to|-|–|and|or)\s*\d+(?:,\d{3})*(?:\.\d+)?\s*(" + _EN_SCALE + r")\b", re.IGNORECASE)


def _words_value(words: str) -> float:
    total = 0.0
    for part in re.split(r"[\s-]+", words.lower()):
        total += _RUNNING_WORDS.get(part, 0)
    return total


def en_quantities(text: str) -> list[Quantity]:
    """Figures in English text: "250 million", "2,500", "5th", "thirty-five", month names
    used in dates ("March 5", "in May" -> 3, 5), capitalised weekdays (unit "weekday"). "one"
    is left out: it is mostly a pronoun."""
    out: list[Quantity] = []
    for m in _EN_QUANTITY.finditer(text):
        if m.group("num") is not None:
            value = float(m.group("num").replace(",", ""))
            scale = (m.group("scale") or "").lower()
            value *= SCALES.get(scale, 1_000_000_000 if scale == "bn" else 1)
        elif m.group("words") is not None:
            value = _words_value(m.group("words"))
            value *= SCALES.get((m.group("wscale") or "").lower(), 1)
        else:
            month = (m.group("month") or m.group("month2")).lower()
            value = float(MONTHS[month])
        group = next(g for g in ("num", "words", "month", "month2") if m.group(g) is not None)
        start = m.start(group)
        alternatives: tuple[float, ...] = ()
        shared = _EN_SHARED_SCALE.match(text, m.end())
        if group in ("num", "words") and shared and not (m.group("scale") or m.group("wscale")):
            alternatives = (value * SCALES[shared.group(1).lower()],)
        out.append(Quantity(value, start, m.end(), text[start:m.end()].rstrip("."),
                            alternatives))
    out += [Quantity(float(WEEKDAYS[m.group().lower()]), m.start(), m.end(), m.group(),
                     unit="weekday") for m in _EN_WEEKDAY.finditer(text)]
    return sorted(out, key=lambda q: q.start)


_EN_WEEKDAY = re.compile(r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")


__all__ = ["DAY", "FRACTIONS", "MONTHS", "SCALES", "WEEKDAYS", "WORD_NUMBERS", "date_atoms",
           "en_quantities", "magnitude", "number_value", "quantity_atoms"]
