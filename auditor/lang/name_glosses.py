"""Names from world knowledge: what a romanised rendering can stand for, by way of CC-CEDICT.

A Chinese->English MT system that does not know a name writes the pinyin of its Chinese form:
普京 comes back as "Pu Jing" or "Pujing", 横滨 as "Heng Bin", 彭定康 as "Peng Dingkang". Spelling,
sound and consonant skeleton cannot tie "Heng Bin" to Yokohama; the dictionary can. Here:

- `rendering_syllables`: read a rendering back into toneless syllable sequences, whatever the
  spacing, capitals and hyphens the MT used ("Pu Jing", "Pujing", "Pu-jing" all give pu jing);
  every way of cutting a run-together word into Mandarin syllables is tried (bounded);
- `rendering_glosses`: the proper-noun entries read with those syllables (or, for a rendering
  that lost its last syllables, beginning with them) and their English names;
- `gloss_matches`: whether such an English name is the reference name (one holds the other's
  words: "Vladimir Putin" ~ "Putin", "Biden" ~ "Joe Biden").

Only proper-noun entries count (CC-CEDICT capitalises their pinyin): common syllables read as
dozens of ordinary words, whose glosses are not names. All functions are cached per distinct
rendering, so a document costs one dictionary query per distinct name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import product

from auditor.lang.cedict import CedictEntry, load_cedict
from auditor.lang.romanize import fold, pinyin_inventory

# Ways of cutting one run-together word into syllables, and syllable sequences per rendering,
# at most: "Xian" is xi an or xian; long names rarely have more than a few readings.
MAX_SPLITS = 8
MAX_READINGS = 16
# A rendering of fewer syllables reads as too many entries to mean anything.
MIN_SYLLABLES = 2
# A truncated rendering ("Lafuluo" of 拉夫罗夫, "Bage" of 巴格达) may stand for an entry that
# begins with its syllables, when it has at least this many and the entry has at most this many
# more (only entries whose English name is a reference name count, so two syllables are enough).
MIN_PREFIX_SYLLABLES = 2
MAX_MISSING_SYLLABLES = 1
# Lower-case words of a gloss that describe rather than name ("Yinchuan city").
_GLOSS_CUT = re.compile(r"\s+(?:or|in|of|near|on|at|former|formerly|aka|i\.e\.)\s+.*$")
_WORD = re.compile(r"[^\s\-]+")
# Toneless syllables whose vowel is ü (lü, nü, lüe, nüe): MT writes them with a plain u.
_U_UMLAUT = {"lu": "lv", "nu": "nv", "lue": "lve", "nue": "nve"}


@dataclass(frozen=True)
class GlossReading:
    """A dictionary entry a rendering can stand for, and how: exactly its syllables, or its
    first syllables (a rendering that lost the rest)."""

    entry: CedictEntry
    names: tuple[str, ...]  # English names the entry gives ("Vladimir Putin")
    exact: bool

    def describe(self) -> str:
        """Plain words: "CC-CEDICT: 普京 = Vladimir Putin"."""
        return f"CC-CEDICT: {self.entry.simplified} = {self.names[0]}"


def _splits(word: str) -> list[list[str]]:
    """Every cut of `word` (letters only) into Mandarin syllables, fewest syllables first."""
    inventory = pinyin_inventory()
    out: list[list[str]] = []

    def walk(rest: str, acc: list[str]) -> None:
        if len(out) >= MAX_SPLITS * 4:
            return
        if not rest:
            out.append(acc)
            return
        for i in range(min(6, len(rest)), 0, -1):
            if rest[:i] in inventory:
                walk(rest[i:], acc + [rest[:i]])

    if 0 < len(word) <= 30:
        walk(word, [])
    out.sort(key=len)
    return out[:MAX_SPLITS]


@lru_cache(maxsize=4096)
def rendering_syllables(text: str) -> tuple[tuple[str, ...], ...]:
    """Toneless syllable sequences a romanised rendering can be read as, most likely first
    ("Pu Jing", "Pujing", "Pu-jing" -> (pu, jing); "Xian" -> (xian), (xi, an)). Empty when
    a word is not pinyin."""
    words = [fold(w) for w in re.split(r"[\s\-'’]+", text.strip())]
    words = [w for w in words if w]
    if not words:
        return ()
    per_word = []
    for w in words:
        splits = _splits(w)
        if not splits:
            return ()
        per_word.append(splits)
    out: list[tuple[str, ...]] = []
    for combo in product(*per_word):
        syllables = tuple(s for part in combo for s in part)
        for variant in _umlaut_variants(syllables):
            if variant not in out:
                out.append(variant)
        if len(out) >= MAX_READINGS:
            break
    return tuple(out[:MAX_READINGS])


def _umlaut_variants(syllables: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The syllables as written, then with lu/nu read as lü/nü (MT drops the umlaut)."""
    if not any(s in _U_UMLAUT for s in syllables):
        return [syllables]
    options = [(s, _U_UMLAUT[s]) if s in _U_UMLAUT else (s,) for s in syllables]
    return [tuple(c) for c in product(*options)][:4]


def entry_names(entry: CedictEntry) -> tuple[str, ...]:
    """The English names of a proper-noun entry: each usable gloss cut before descriptive tails
    and descriptive lower-case words ("Incheon Metropolitan City in Gyeonggi Province" ->
    "Incheon Metropolitan City", "Johnson or Johnston" -> "Johnson", "Johnston", "Nanjing
    subprovincial city" -> "Nanjing"), without a leading article ("the Philippines" ->
    "Philippines": the gloss names nothing otherwise)."""
    names: list[str] = []
    for gloss in entry.english:
        for part in re.split(r"\s+or\s+", gloss):
            words = _GLOSS_CUT.sub("", _ARTICLE.sub("", part)).replace("(", " ").replace(
                ")", " ").split()
            while words and words[-1][:1].islower():  # "Nanjing subprovincial city"
                words.pop()
            name = " ".join(words).strip(" .;,")
            if name and name[:1].isupper() and name not in names:
                names.append(name)
    return tuple(names)


@lru_cache(maxsize=4096)
def rendering_glosses(text: str) -> tuple[GlossReading, ...]:
    """Proper-noun entries this rendering can stand for, with their English names: exactly its
    syllables first, then (for a rendering of at least `MIN_PREFIX_SYLLABLES`) entries that
    begin with them."""
    readings = [r for r in rendering_syllables(text) if len(r) >= MIN_SYLLABLES]
    if not readings:
        return ()
    cedict = load_cedict()
    out: list[GlossReading] = []
    seen: set[tuple[str, str]] = set()
    for exact in (True, False):
        for syllables in readings:
            if not exact and len(syllables) < MIN_PREFIX_SYLLABLES:
                continue
            entries = (cedict.by_syllables(syllables) if exact else
                       cedict.by_syllable_prefix(syllables, MAX_MISSING_SYLLABLES))
            for entry in entries:
                names = entry_names(entry) if entry.is_proper else ()
                if names and (entry.simplified, entry.pinyin) not in seen:
                    seen.add((entry.simplified, entry.pinyin))
                    out.append(GlossReading(entry, names, exact))
    return tuple(out)


# A gloss naming a place or organisation by an abbreviation ("short name for Shanghai" for 沪,
# "(bound form) USA (abbr. for 美国)" for 美): the form names it all the same.
_ABBREVIATION = re.compile(r"^(?:\(bound form\)\s*)?(?:abbr\. for |short name for |short for )?",
                           re.IGNORECASE)


@lru_cache(maxsize=1)
def _name_index() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """(folded English name -> the Chinese forms, simplified and traditional, of every
    proper-noun entry giving that name, abbreviations included; form -> those folded names).

    A name is a key only when some gloss is that very name ("Bank of China" makes no key "Bank",
    "Green standard army" no key "Green"), but its forms are gathered as `entry_names` reads
    every gloss ("Nanjing subprovincial city" is a form of Nanjing too): a source holding any of
    them names it. A transliterated surname ("Green (name)" for 格林) names no place or
    organisation and is left out."""
    forms: dict[str, set[str]] = {}
    exact: set[str] = set()
    names: dict[str, set[str]] = {}
    for entry in load_cedict().proper_entries():
        glosses = tuple(_ABBREVIATION.sub("", g) for g in entry.glosses if "(name)" not in g)
        entry = replace(entry, glosses=glosses)
        acronyms = [a for g in glosses for a in _acronyms(g)]
        exact.update(fold(n) for n in (*_whole_names(entry), *acronyms))
        for name in (*entry_names(entry), *acronyms):
            forms.setdefault(fold(name), set()).update((entry.simplified, entry.traditional))
            for form in (entry.simplified, entry.traditional):
                names.setdefault(form, set()).add(fold(name))
    return ({k: frozenset(v) for k, v in forms.items() if k in exact},
            {k: frozenset(n for n in v if n in exact) for k, v in names.items()})


# The article a gloss may begin a name with ("the Netherlands", "The Bahamas"): the name is
# keyed without it, as an MT writes it inside a sentence ("in the Netherlands").
_ARTICLE = re.compile(r"^[Tt]he\s+")


def _whole_names(entry: CedictEntry) -> list[str]:
    """The glosses of a proper-noun entry that are a name and nothing more ("Macao", "Myanmar"
    and "Burma" of "Myanmar (or Burma)"; not "Bank of China" nor "Green standard army")."""
    out = []
    for gloss in entry.english:
        for part in re.split(r"\s+or\s+", gloss):
            name = _ARTICLE.sub("", part.strip(" .;,"))
            if name[:1].isupper() and all(w[:1].isupper() or not w[:1].isalpha()
                                          for w in name.split()):
                out.append(name)
    return out


_ACRONYM = re.compile(r"^([^()]*)\(([A-Z]{2,6})\)")


def _acronyms(gloss: str) -> list[str]:
    """The acronym a gloss gives its name ("China Securities Regulatory Commission (CSRC)",
    "U.S. Securities and Exchange Commission (SEC)"): initials of the name's capitalised words,
    in order and ending with its last; not a bracketed country ("Ministry of Transport (PRC)")."""
    match = _ACRONYM.match(gloss)
    if match is None:
        return []
    initials = [w[0] for w in re.findall(r"[A-Z][\w.]*", match.group(1))]
    acronym = match.group(2)
    if not initials or acronym[-1] != initials[-1]:
        return []
    rest = iter(initials)
    return [acronym] if all(letter in rest for letter in acronym) else []


def forms_named(name: str) -> frozenset[str]:
    """The Chinese forms CC-CEDICT gives this English name ("Hong Kong" -> 香港, 港, ...): a
    source that holds none of them does not name it. Built once per process (about 0.3 s)."""
    return _name_index()[0].get(fold(name), frozenset())


def names_of_form(form: str) -> frozenset[str]:
    """The folded English names CC-CEDICT gives a form (澳 -> macao, australia), abbreviations
    included: the inverse of `forms_named`."""
    return _name_index()[1].get(form, frozenset())


def name_words(name: str) -> frozenset[str]:
    """Folded words of an English name, split as `Mention.words` splits them ("Kyōdō" ->
    kyodo, "Kim Jong-un" -> kim, jong, un)."""
    return frozenset(w for w in (fold(t) for t in _WORD.findall(name)) if w)


def gloss_matches(gloss: str, entity_words: frozenset[str] | set[str]) -> bool:
    """The dictionary's English name and a reference name are one name: one holds all the
    other's words ("Vladimir Putin" ~ "Putin", "Biden" ~ "Joe Biden", "Kim Jong-un" ~
    "Kim Jong Un")."""
    words = name_words(gloss)
    if not words or not entity_words:
        return False
    return words <= entity_words or entity_words <= words


def best_gloss_match(text: str, entity_words: frozenset[str] | set[str]
                     ) -> tuple[float, GlossReading | None]:
    """How well the dictionary ties this rendering to the reference name: 1.0 when an entry read
    with exactly its syllables has that English name, 0.5 when only an entry beginning with
    them does (a truncated rendering), else 0."""
    best: tuple[float, GlossReading | None] = (0.0, None)
    for reading in rendering_glosses(text):
        if any(gloss_matches(n, entity_words) for n in reading.names):
            score = 1.0 if reading.exact else 0.5
            if score > best[0]:
                best = (score, reading)
                if score == 1.0:
                    break
    return best


__all__ = ["GlossReading", "best_gloss_match", "entry_names", "forms_named", "gloss_matches",
           "name_words", "names_of_form",
           "rendering_glosses", "rendering_syllables"]
