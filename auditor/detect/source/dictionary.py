"""Source-side names from world knowledge: a Chinese name the dictionary gives in English must
come out in English.

A Chinese news text writes foreign people, places and organisations in Chinese (横滨, 彭定康,
韩联社). When CC-CEDICT gives such a form an English name that is not its pinyin (Yokohama,
Chris Patten, Yonhap), an MT sentence aligned to it that holds neither that name nor any other
rendering of it, but holds
- the pinyin of the form ("Heng Bin", "Peng Dingkang"): a name finding, Major, whose
  `canonical` is the dictionary's English name;
- a descriptive phrase with the head noun of the entry's description ("joint news agency" for
  韩联社, "Yonhap (South Korean news agency)"): a calque, Minor, reported with the name.

Source names are found by forward longest match over the dictionary's headwords (jieba cuts
foreign names it does not know into pieces: 冯德莱恩 -> 冯德 + 莱恩; the dictionary has them
whole). Only forms that are proper nouns and nothing else are taken (万象 is Vientiane but also
"every phenomenon"), and only English names that are not themselves Chinese romanisations
("Hubei Province", "Wang Yi" are the pinyin: the existing pinyin checks cover those).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from auditor.detect.base import AuditContext
from auditor.lang.cedict import load_cedict
from auditor.lang.name_glosses import entry_names, name_words
from auditor.lang.romanize import fold
from auditor.result import AlignmentPair, Finding, FindingKind, Severity, Span

# Shortest Chinese form taken as a name: one character is a word, not a name.
MIN_FORM_CHARS = 2
# Words before a description's head noun that a calque may hold ("joint news agency").
CALQUE_WORDS = 3
# Confidence of a finding: the pinyin of a form the dictionary gives in English is almost
# surely wrong (the entry exists because English writes it otherwise); a phrase with the right
# head noun may be a paraphrase of the sentence rather than of the name.
PINYIN_CONFIDENCE = 0.8
CALQUE_CONFIDENCE = 0.5


@dataclass(frozen=True)
class DictionaryName:
    """A Chinese form in a source text with the English names the dictionary gives it."""

    start: int
    end: int
    form: str
    english: tuple[str, ...]
    pinyin: tuple[str, ...]  # toneless syllables of the entry ("heng", "bin")
    head: str  # head noun of the entry's description ("agency"), "" if none

    def describe(self) -> str:
        return f"CC-CEDICT: {self.form} = {self.english[0]}"


def _is_romanisation(name: str, pinyin: tuple[str, ...]) -> bool:
    """The English name is the form's own Mandarin romanisation ("Hubei Province" for 湖北,
    "Wang Yi" for 王毅), or names two places at once ("Shanghai and Nanjing" for 沪宁, an
    abbreviation whose pinyin is a name of its own: the Huning Expressway)."""
    words = [fold(w) for w in name.split()]
    joined = "".join(pinyin)
    runs = {"".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)}
    return joined in runs or " and " in name


_DESCRIPTION = re.compile(r"\(([^()]*)\)|,\s*([^,]*)$")
# A description is a short noun phrase ("South Korean news agency"), not a biography.
MAX_DESCRIPTION_WORDS = 4


def description_head(gloss: str) -> str:
    """The head noun of a gloss's short description, in brackets or after a comma ("Yonhap
    (South Korean news agency)" -> "agency", "Kyōdō, Japanese news agency" -> "agency");
    "" when the description is long or ends in a name ("city in northeast Japan")."""
    match = _DESCRIPTION.search(gloss)
    if match is None:
        return ""
    words = (match.group(1) or match.group(2) or "").split()
    if not words or len(words) > MAX_DESCRIPTION_WORDS:
        return ""
    last = words[-1]
    return last if last.isalpha() and last.islower() else ""


@lru_cache(maxsize=8192)
def english_name_of(form: str) -> tuple[tuple[str, ...], tuple[str, ...], str] | None:
    """(English names, pinyin syllables, description head) of a form that the dictionary holds
    only as a proper noun with an English name other than its romanisation; else None."""
    if len(form) < MIN_FORM_CHARS:
        return None
    entries = load_cedict().lookup(form)
    if not entries or any(not e.is_proper for e in entries):
        return None
    names: list[str] = []
    head = ""
    pinyin: tuple[str, ...] = ()
    for e in entries:
        own = entry_names(e)
        if any(_is_romanisation(n, e.syllables) for n in own):
            return None  # one reading of the form is simply its pinyin
        names += [n for n in own if n not in names]
        pinyin = pinyin or e.syllables
        for gloss in e.glosses:
            head = head or description_head(gloss)
    if not names:
        return None
    return tuple(names), pinyin, head


def dictionary_names(text: str) -> list[DictionaryName]:
    """Forms in Chinese `text` (forward longest match over the dictionary's headwords) that the
    dictionary gives a non-romanised English name."""
    cedict = load_cedict()
    out: list[DictionaryName] = []
    i = 0
    while i < len(text):
        if not ("\u3400" <= text[i] <= "\u9fff"):
            i += 1
            continue
        word = cedict.longest_match(text, i)
        if word is None:
            i += 1
            continue
        known = english_name_of(word)
        if known is not None:
            names, pinyin, head = known
            out.append(DictionaryName(i, i + len(word), word, names, pinyin, head))
        i += len(word)
    return out


def renders(name: DictionaryName, mt_words: frozenset[str] | set[str]) -> bool:
    """Some English name of the entry is in the MT (all its words)."""
    return any(name_words(n) <= mt_words for n in name.english)


_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def calque_span(text: str, head: str, stop_words: frozenset[str]) -> tuple[int, int] | None:
    """Offsets of a descriptive phrase ending in `head` ("joint news agency"): the up to
    `CALQUE_WORDS` words just before the head, back to a function word; None without one."""
    for m in re.finditer(rf"\b{re.escape(head)}\b", text, re.IGNORECASE):
        start = m.start()
        taken = 0
        for w in reversed(list(_WORD.finditer(text[:m.start()]))):
            if (taken == CALQUE_WORDS or w.group().lower() in stop_words
                    or text[w.end():start].strip(" -")):
                break
            start, taken = w.start(), taken + 1
        if taken:
            return start, m.end()
    return None




def dictionary_findings(ctx: AuditContext, pairs: Sequence[AlignmentPair],
                        reference_keys: set[str] | frozenset[str] = frozenset()
                        ) -> list[Finding]:
    """Name findings for dictionary names the aligned MT sentences do not render in English
    but write as pinyin (Major) or describe with the entry's head noun (a calque, Minor); see
    the module docs. `reference_keys`: romanisation keys of the references' names (a spelling
    the references use is not flagged)."""
    from auditor.lang.zh_names import capitalised_runs, sub_runs

    assert ctx.source is not None
    src_text, mt_text = ctx.source.doc.text, ctx.mt.doc.text
    in_source = [dictionary_names(src_text[s.start:s.end]) for s in ctx.source.sentences]
    if not any(in_source):
        return []
    findings: list[Finding] = []
    for pair in pairs:
        names = [(j, n) for j in pair.other for n in in_source[j]]
        if not names:
            continue
        mt_words: set[str] = set()
        runs: dict[str, tuple[int, int, int, str]] = {}
        for i in pair.mt:
            s = ctx.mt.sentences[i]
            mt_words |= name_words(mt_text[s.start:s.end])
            for start, _, run in capitalised_runs(mt_text[s.start:s.end]):
                for a, b, text in sub_runs(s.start + start, run):
                    runs.setdefault(fold(text), (i, a, b, text))
        for j, name in names:
            if renders(name, mt_words) or _english_words_only(ctx, name):
                continue
            s = ctx.source.sentences[j]
            span = Span(s.start + name.start, s.start + name.end, name.form)
            key = "".join(name.pinyin)
            if key in runs and key not in reference_keys:
                i, a, b, text = runs[key]
                findings.append(Finding(
                    kind=FindingKind.NAME, severity=Severity.MAJOR, mt_start=a, mt_end=b,
                    mt_text=text, confidence=PINYIN_CONFIDENCE,
                    evidence=(f"'{text}' is the pinyin of {name.form}, which has an English "
                              f"name: {name.describe()}"),
                    source=span, canonical=name.english[0], mt_sentence=i))
                continue
            if not name.head:
                continue
            for i in pair.mt:
                s_mt = ctx.mt.sentences[i]
                found = calque_span(mt_text[s_mt.start:s_mt.end], name.head, _stop_words(ctx))
                if found is None:
                    continue
                a, b = s_mt.start + found[0], s_mt.start + found[1]
                findings.append(Finding(
                    kind=FindingKind.NAME, severity=Severity.MINOR, mt_start=a, mt_end=b,
                    mt_text=mt_text[a:b], confidence=CALQUE_CONFIDENCE,
                    evidence=(f"'{mt_text[a:b]}' describes the {name.head} the source names "
                              f"{name.form}, which has an English name: {name.describe()}"),
                    source=span, canonical=name.english[0], mt_sentence=i))
                break
    return findings


def _english_words_only(ctx: AuditContext, name: DictionaryName) -> bool:
    """Every English name of the entry is made of English words ("Double Ninth" for 重阳): a
    translation, not a name that its pinyin would get wrong."""
    from auditor.detect.names import english_words

    vocabulary = ctx.shared("english-words", lambda: english_words(ctx.resources.nlp))
    return all(all(w in vocabulary for w in name_words(n)) for n in name.english)


def _stop_words(ctx: AuditContext) -> frozenset[str]:
    return ctx.shared("stop-words", lambda: frozenset(ctx.resources.nlp.Defaults.stop_words))


__all__ = ["DictionaryName", "calque_span", "dictionary_findings", "dictionary_names",
           "english_name_of", "renders"]
