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

from auditor.config import SourceConfig
from auditor.detect.base import AuditContext
from auditor.lang.cedict import load_cedict
from auditor.lang.en_figures import MONTHS, WEEKDAYS
from auditor.lang.name_glosses import entry_names, forms_named, name_words, names_of_form
from auditor.lang.romanize import fold
from auditor.result import AlignmentPair, Finding, FindingKind, Severity, Span

# Form lengths, description and calque sizes, confidences: SourceConfig in auditor/config.py
# (the `dictionary_*` fields of AuditConfig.source).
_DEFAULT = SourceConfig()


@dataclass(frozen=True)
class DictionaryName:
    """A Chinese form in a source text with the English names the dictionary gives it."""

    start: int
    end: int
    form: str
    english: tuple[str, ...]
    pinyin: tuple[str, ...]  # toneless syllables of the entry ("heng", "bin")
    head: str  # head noun of the entry's description ("agency"), "" if none
    person: bool = False  # a life span ("Chris Patten (1944-), ...") or "(name)", "(surname)"

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


def description_head(gloss: str,
                     max_words: int = _DEFAULT.dictionary_max_description_words) -> str:
    """The head noun of a gloss's short description, in brackets or after a comma ("Yonhap
    (South Korean news agency)" -> "agency", "Kyōdō, Japanese news agency" -> "agency");
    "" when the description is long or ends in a name ("city in northeast Japan")."""
    match = _DESCRIPTION.search(gloss)
    if match is None:
        return ""
    words = (match.group(1) or match.group(2) or "").split()
    if not words or len(words) > max_words:
        return ""
    last = words[-1]
    return last if last.isalpha() and last.islower() else ""


# A life span in a gloss marks a person: "(1952-)", "(c. 1983-)", "(1892-1980)"; so does a
# description that is just "name" or "surname" ("Ríos (name)", "Nishimura (Japanese surname)").
_PERSON_HEADS = frozenset({"name", "surname"})
_LIFE_SPAN = re.compile(r"\((?:c\. ?)?\d{3,4}\s*-")


@lru_cache(maxsize=8192)
def english_name_of(form: str, min_chars: int = _DEFAULT.dictionary_min_form_chars,
                    max_description_words: int = _DEFAULT.dictionary_max_description_words
                    ) -> tuple[tuple[str, ...], tuple[str, ...], str, bool] | None:
    """(English names, pinyin syllables, description head, is a person) of a form of at least
    `min_chars` characters that the dictionary holds only as a proper noun with an English name
    other than its romanisation; else None."""
    if len(form) < min_chars:
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
            head = head or description_head(gloss, max_description_words)
    if not names:
        return None
    person = head in _PERSON_HEADS or any(_LIFE_SPAN.search(g) for e in entries for g in e.glosses)
    return tuple(names), pinyin, head, person


# A date's unit after a numeral ("2月11日电": "dispatch of the 11th", not 日电, NEC).
_DATE_UNIT = re.compile(r"(?<=[0-9０-９一二三四五六七八九十])[年月日号]")


@lru_cache(maxsize=4096)
def headwords(text: str) -> tuple[tuple[int, str], ...]:
    """(offset, form) of the dictionary headwords in Chinese `text`, by forward longest match;
    a date's unit after a numeral starts none. Cached per text: the name checks of one audit
    read each source sentence several times."""
    cedict = load_cedict()
    out = []
    i = 0
    while i < len(text):
        if not ("\u3400" <= text[i] <= "\u9fff") or _DATE_UNIT.match(text, i):
            i += 1
            continue
        word = cedict.longest_match(text, i)
        if word is None:
            i += 1
            continue
        out.append((i, word))
        i += len(word)
    return tuple(out)


def dictionary_names(text: str, settings: SourceConfig = _DEFAULT) -> list[DictionaryName]:
    """Forms in Chinese `text` (forward longest match over the dictionary's headwords) that the
    dictionary gives a non-romanised English name."""
    out: list[DictionaryName] = []
    for i, word in headwords(text):
        known = english_name_of(word, settings.dictionary_min_form_chars,
                                settings.dictionary_max_description_words)
        if known is not None:
            out.append(DictionaryName(i, i + len(word), word, *known))
    return out


def renders(name: DictionaryName, mt_words: frozenset[str] | set[str]) -> bool:
    """Some English name of the entry is in the MT: its last word (a surname: "Von der Leyen",
    "Patten"), or at least half its words."""
    for english in name.english:
        words = [w for w in (fold(t) for t in re.split(r"[\s\-]+", english)) if w]
        if not words:
            continue
        if len(words[-1]) >= 3 and words[-1] in mt_words:
            return True
        if sum(w in mt_words for w in words) * 2 >= len(words):
            return True
    return False


_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def calque_span(text: str, head: str, stop_words: frozenset[str],
                max_words: int = _DEFAULT.dictionary_calque_words) -> tuple[int, int] | None:
    """Offsets of a descriptive phrase ending in `head` ("joint news agency"): the up to
    `max_words` words just before the head, back to a function word; None without one."""
    for m in re.finditer(rf"\b{re.escape(head)}\b", text, re.IGNORECASE):
        start = m.start()
        taken = 0
        for w in reversed(list(_WORD.finditer(text[:m.start()]))):
            if (taken == max_words or w.group().lower() in stop_words
                    or text[w.end():start].strip(" -")):
                break
            start, taken = w.start(), taken + 1
        if taken:
            return start, m.end()
    return None


def dictionary_findings(ctx: AuditContext, pairs: Sequence[AlignmentPair],
                        reference_keys: set[str] | frozenset[str] = frozenset(),
                        known_keys: set[str] | frozenset[str] = frozenset()
                        ) -> list[Finding]:
    """Name findings for dictionary names the aligned MT sentences do not render in English
    but write as pinyin (Major), describe with the entry's head noun (a calque, Minor), or, for
    a person, replace with another person (`other_people`); see the module docs.
    `reference_keys`: romanisation keys of the references' names (a spelling the references
    use is not flagged); `known_keys`: every romanisation of every name in the source."""
    from auditor.lang.zh_names import capitalised_runs, sub_runs

    assert ctx.source is not None
    settings = ctx.config.source
    src_text, mt_text = ctx.source.doc.text, ctx.mt.doc.text
    in_source = [dictionary_names(src_text[s.start:s.end], settings)
                 for s in ctx.source.sentences]
    if not any(in_source):
        return []
    findings: list[Finding] = []
    english_words = {w for names in in_source for n in names for e in n.english
                     for w in name_words(e)}
    for pair in pairs:
        names = [(j, n) for j in pair.other for n in in_source[j]]
        if not names:
            continue
        missing: list[tuple[DictionaryName, Span]] = []  # persons no MT name renders
        mt_words: set[str] = set()
        runs: dict[str, tuple[int, int, int, str]] = {}
        for i in pair.mt:
            s = ctx.mt.sentences[i]
            mt_words |= name_words(mt_text[s.start:s.end])
            for start, _, run in capitalised_runs(mt_text[s.start:s.end]):
                for a, b, text in sub_runs(s.start + start, run):
                    runs.setdefault(fold(text), (i, a, b, text))
        for j, name in names:
            if renders(name, mt_words) or (not name.person and _english_words_only(ctx, name)):
                continue
            s = ctx.source.sentences[j]
            span = Span(s.start + name.start, s.start + name.end, name.form)
            key = "".join(name.pinyin)
            if name.person and key not in runs:
                missing.append((name, span))
            if key in runs and key not in reference_keys:
                i, a, b, text = runs[key]
                findings.append(Finding(
                    kind=FindingKind.NAME, severity=Severity.MAJOR, mt_start=a, mt_end=b,
                    mt_text=text, confidence=settings.dictionary_pinyin_confidence,
                    evidence=(f"'{text}' is the pinyin of {name.form}, which has an English "
                              f"name: {name.describe()}"),
                    source=span, canonical=name.english[0], mt_sentence=i))
                continue
            if not name.head:
                continue
            for i in pair.mt:
                s_mt = ctx.mt.sentences[i]
                found = calque_span(mt_text[s_mt.start:s_mt.end], name.head, _stop_words(ctx),
                                    settings.dictionary_calque_words)
                if found is None:
                    continue
                a, b = s_mt.start + found[0], s_mt.start + found[1]
                findings.append(Finding(
                    kind=FindingKind.NAME, severity=Severity.MINOR, mt_start=a, mt_end=b,
                    mt_text=mt_text[a:b], confidence=settings.dictionary_calque_confidence,
                    evidence=(f"'{mt_text[a:b]}' describes the {name.head} the source names "
                              f"{name.form}, which has an English name: {name.describe()}"),
                    source=span, canonical=name.english[0], mt_sentence=i))
                break
        if missing:
            explained = english_words | {fold(t) for t in known_keys | reference_keys}
            findings += other_people(ctx, pair, missing, explained)
    return findings


# spaCy labels of an MT name that the source must name too: places, and (only where the source
# names a dictionary place or organisation the MT leaves out) organisations.
PLACE_LABELS = frozenset({"GPE", "LOC"})
ORGANISATION_LABELS = frozenset({"ORG"})
# An entity right after "<Capitalised> of" is part of a longer name ("Ruins of St. Paul's").
_INSIDE_A_NAME = re.compile(r"[A-Z][\w'’.]*\s+(?:of|de|du|the)\s+$")
_POSSESSIVE = re.compile(r"(?:['’]s?)?$")
_GLOSS_WORD = re.compile(r"\b[A-Z][A-Za-z]+")
# Months and weekdays are no places, though CC-CEDICT lists 二月 "February" as a proper noun.
_CALENDAR = frozenset(MONTHS) | frozenset(WEEKDAYS)


@dataclass(frozen=True)
class SourcePlace:
    """A place or organisation of the source (a proper-noun entry, no person) and the English
    names the dictionary gives it, its own pinyin included (上海, Shanghai)."""

    start: int
    end: int
    form: str
    english: tuple[str, ...]
    pinyin: tuple[str, ...]
    gloss_words: frozenset[str]  # folded capitalised words of its glosses ("tiktok", "csrc")

    def describe(self) -> str:
        return f"CC-CEDICT: {self.form} = {self.english[0]}"


_CROSS_REFERENCE = re.compile(r"\s*\S*[\u3400-\u9fff]\S*")


@lru_cache(maxsize=8192)
def _place_entry(form: str, min_chars: int) -> tuple[tuple[str, ...], tuple[str, ...],
                                                     frozenset[str]] | None:
    """(English names, pinyin, gloss words) of a form the dictionary holds only as a proper noun
    that is not a person; None otherwise."""
    if len(form) < min_chars:
        return None
    entries = load_cedict().lookup(form)
    if not entries or any(not e.is_proper for e in entries):
        return None
    if any(_LIFE_SPAN.search(g) or "(name)" in g for e in entries for g in e.glosses):
        return None
    names: list[str] = []
    for e in entries:
        for name in entry_names(e):
            name = _CROSS_REFERENCE.sub("", name).strip()  # "United Kingdom 聯合王國|联合王国"
            if name and name not in names:
                names.append(name)
    if not names or any(" and " in n for n in names):
        return None  # 沪宁, "Shanghai and Nanjing": two places, or none
    words = frozenset(fold(w) for e in entries for g in e.glosses for w in _GLOSS_WORD.findall(g))
    return tuple(names), entries[0].syllables, words


def source_places(text: str, settings: SourceConfig = _DEFAULT) -> list[SourcePlace]:
    """The places and organisations a Chinese `text` names by a dictionary form."""
    out = []
    for i, word in headwords(text):
        known = _place_entry(word, settings.dictionary_min_form_chars)
        if known is not None:
            out.append(SourcePlace(i, i + len(word), word, *known))
    return out


def _place_rendered(place: SourcePlace, mt_words: set[str], vocabulary: frozenset[str]) -> bool:
    """The MT renders the place (`renders`), writes its pinyin, a capitalised word of its glosses
    ("TikTok" for 抖音), or a word derived from its name ("Vietnamese" of Vietnam); or the place
    has no name to render (a phrase of ordinary words, "Milky Way" for 银河)."""
    name = DictionaryName(place.start, place.end, place.form, place.english, place.pinyin, "")
    if renders(name, mt_words) or "".join(place.pinyin) in mt_words or place.gloss_words & mt_words:
        return True
    words = {w for n in place.english for w in name_words(n)}
    if all(w in vocabulary for w in words) and any(len(n.split()) > 1 for n in place.english):
        return True
    return any(len(w) >= 4 and len(m) >= 4 and (m.startswith(w[:max(4, len(w) - 3)])
                                               or w.startswith(m[:max(4, len(m) - 3)]))
               for w in words for m in mt_words)


def _glossed_words(texts: Sequence[str]) -> frozenset[str]:
    """Folded words of the names CC-CEDICT glosses the proper nouns of these texts with, before
    any comma ("United Kingdom of Great Britain and Northern Ireland" for 英国, "Myanmar (or
    Burma)" for 缅甸): an MT name made of them renders the source in a variant the index of
    English names lacks ("Britain"), it names nothing new."""
    return frozenset().union(*(_glossed_words_of(t) for t in texts))


@lru_cache(maxsize=4096)
def _glossed_words_of(text: str) -> frozenset[str]:
    cedict = load_cedict()
    words: set[str] = set()
    for _, form in headwords(text):
        for e in cedict.lookup(form):
            if e.is_proper:
                words.update(w for g in e.glosses for w in name_words(g.split(",")[0]))
    return frozenset(words)


def _source_readings(texts: Sequence[str], most: int = 4) -> set[str]:
    """Pinyin of every run of 1..`most` Han characters of these texts, letters only: an MT name
    spelled so transliterates the source ("Sifang" for 四方), it names nothing new."""
    from pypinyin import Style, lazy_pinyin

    out: set[str] = set()
    for text in texts:
        for run in re.findall(r"[\u3400-\u9fff]+", text):
            syllables = lazy_pinyin(run, style=Style.NORMAL, v_to_u=True)
            for i in range(len(syllables)):
                for j in range(i + 1, min(len(syllables), i + most) + 1):
                    out.add(fold("".join(syllables[i:j])))
    return out


def _named_in(name: str, forms: frozenset[str], source: str) -> tuple[bool, str, str | None]:
    """Whether the source names `name` (one of its forms is in it). When the one form it holds
    is a one-character abbreviation of several names, one of which it writes in full and never
    this one (澳 is Macao or Australia; a source writing 澳门 and never 澳大利亚 or 澳洲 means
    Macao), it does not: then also a note saying so and the English name meant."""
    present = [f for f in forms if f in source]
    if not present or any(len(f) > 1 for f in present):
        return bool(present), "", None
    key = fold(name)
    for short in present:
        others = [o for o in names_of_form(short) if o != key]
        written = sorted(f for o in others for f in forms_named(o)
                         if len(f) > 1 and short in f and f in source)
        if not written:
            return True, "", None
    meant = next((e.english[0] for e in load_cedict().lookup(written[0]) if e.english), None)
    return False, (f"its {'/'.join(present)} stands for {written[0]}, which it writes in full, "
                   f"never for {name}"), meant


def _main_form(name: str, forms: frozenset[str]) -> str:
    """The form the dictionary gives this very name, for the evidence: an entry whose first
    English rendering is the name (北京市 "Beijing", not 京剧 "Beijing opera"), in the shortest
    gloss (中国 "China" before 中华 "China (alternate formal name)"), then the form given more
    English names (美国 "United States", "USA", "US" before 米国); not an abbreviation of
    another form (美国证券交易委员会 for SEC, not 美国交会) nor slang (英国 for UK, not 腐国);
    else the shortest form."""
    cedict = load_cedict()
    key = fold(name)

    def rank(form: str) -> tuple[bool, bool, bool, bool, bool, int, int, int, str]:  # best 1st
        entries = [e for e in cedict.lookup(form) if e.simplified == form]
        exact = [len(e.glosses[0]) for e in entries if e.english and fold(e.english[0]) == key]
        abbreviated = any(g.startswith("abbr. for") for e in entries for g in e.glosses)
        slang = any("slang" in g for e in entries for g in e.glosses)
        return (not entries, slang, not exact, abbreviated, len(form) < 2,
                min(exact, default=0), -len(names_of_form(form)) if exact else 0, len(form),
                form)

    return min(forms, key=rank)


def unnamed_places(ctx: AuditContext, pairs: Sequence[AlignmentPair],
                   reference_keys: set[str] | frozenset[str] = frozenset()) -> list[Finding]:
    """A place the MT names that the source does not: no Chinese form CC-CEDICT gives the name
    (abbreviations included: 沪 names Shanghai) is anywhere in the source text, the NER calls it
    a place, and it is not the pinyin of the aligned source words. Where the aligned source
    names a dictionary place the MT does not render, the MT name stands in its place ("Beijing"
    for 上海: the finding names 上海 = Shanghai); an organisation counts only then. Major."""
    from auditor.lang.zh_names import capitalised_runs, sub_runs

    assert ctx.source is not None
    settings = ctx.config.source
    src_doc, mt_text = ctx.source.doc.text, ctx.mt.doc.text
    findings: list[Finding] = []
    explained: frozenset[str] | None = None  # words the source's dictionary names are glossed by
    for pair in pairs:
        candidates: dict[tuple[int, int],
                         tuple[int, str, frozenset[str], str, str | None]] = {}
        mt_words: set[str] = set()
        for i in pair.mt:
            s = ctx.mt.sentences[i]
            mt_words |= name_words(mt_text[s.start:s.end])
            for start, _, run in capitalised_runs(mt_text[s.start:s.end]):
                for a, b, text in sub_runs(s.start + start, run):
                    forms = forms_named(text)
                    if forms and fold(text) not in reference_keys:
                        named, read_as, meant = _named_in(text, forms, src_doc)
                        if not named:
                            candidates[(a, b)] = (i, text, forms, read_as, meant)
        if not candidates:
            continue
        sources = [ctx.source.sentences[j] for j in pair.other]
        vocabulary = _vocabulary(ctx)
        missing = [(p, Span(s.start + p.start, s.start + p.end, p.form)) for s in sources
                   for p in source_places(src_doc[s.start:s.end], settings)
                   if not _place_rendered(p, mt_words, vocabulary)]
        candidates = {k: v for k, v in candidates.items() if fold(v[1]) not in _CALENDAR}
        if not candidates:
            continue
        readings = _source_readings([src_doc[s.start:s.end] for s in sources])
        if explained is None:
            explained = _glossed_words([src_doc[s.start:s.end] for s in ctx.source.sentences])
        candidates = {k: v for k, v in candidates.items() if fold(v[1]) not in readings
                      and not name_words(v[1]) <= explained}
        if candidates:  # the recogniser runs only on sentences naming one in proper nouns
            proper = _proper_noun_chars(ctx, sorted({v[0] for v in candidates.values()}))
            candidates = {(a, b): v for (a, b), v in candidates.items()
                          if all(k in proper for k in range(a, b) if mt_text[k].isalpha())}
        if not candidates:
            continue
        labels = PLACE_LABELS | (ORGANISATION_LABELS if missing else frozenset())
        for i, a, b, _, label in _entities(ctx, sorted({v[0] for v in candidates.values()}),
                                           labels):
            if mt_text[a:a + 4].lower() == "the ":
                a += 4
            b -= len(_POSSESSIVE.search(mt_text[a:b]).group())  # type: ignore[union-attr]
            if (a, b) not in candidates or _INSIDE_A_NAME.search(mt_text[:a]):
                continue
            _, text, forms, read_as, meant = candidates.pop((a, b))
            form = _main_form(text, forms)
            if missing:
                place, span = missing.pop(0)
                evidence = (f"the source names {place.form} here ({place.describe()}) and the "
                            f"MT does not render it; it writes {text} ({form}), which the "
                            f"source does not name")
            elif label not in PLACE_LABELS:
                continue
            else:
                place, span = None, None
                evidence = (f"the MT names {text} ({form}), a place the source does not name: "
                            + (read_as or f"none of the Chinese forms CC-CEDICT gives {text} "
                               f"is in it"))
            findings.append(Finding(
                kind=FindingKind.NAME, severity=Severity.MAJOR, mt_start=a, mt_end=b,
                mt_text=text, evidence=evidence, source=span, mt_sentence=i,
                canonical=place.english[0] if place else meant,
                confidence=settings.dictionary_unnamed_place_confidence[int(place is not None)]))
    return findings


def other_people(ctx: AuditContext, pair: AlignmentPair,
                 missing: list[tuple[DictionaryName, Span]], explained: set[str]
                 ) -> list[Finding]:
    """A person the MT names where the source names a dictionary person it does not render
    ("Jean-Claude Juncker" for 冯德莱恩, Ursula von der Leyen): an MT person entity (spaCy NER)
    in the aligned sentences whose name no name of the source or the references accounts for.
    Each missing person takes the closest such MT name in spelling."""
    from rapidfuzz import fuzz

    settings = ctx.config.source
    people = [(i, a, b, text) for i, a, b, text in _people(ctx, list(pair.mt))
              if fold(text) not in explained
              and not all(fold(w) in explained for w in re.split(r"[\s\-]+", text) if fold(w))]
    findings: list[Finding] = []
    for name, span in missing:
        if not people:
            break
        best = max(people, key=lambda p: max(fuzz.ratio(fold(p[3]), fold(e))
                                             for e in name.english))
        people.remove(best)
        i, a, b, text = best
        similar = (max(fuzz.ratio(fold(text), fold(e)) for e in name.english)
                   >= settings.dictionary_similar_spelling)
        findings.append(Finding(
            kind=FindingKind.NAME, severity=Severity.MAJOR, mt_start=a, mt_end=b, mt_text=text,
            confidence=settings.dictionary_other_person_confidence,
            evidence=(f"the source names {name.form} here ({name.describe()}) and no MT name "
                      f"renders it; '{text}' stands in its place"
                      + (", a misspelling of it" if similar else
                         ", a name neither the source nor the references give")),
            source=span, canonical=name.english[0], mt_sentence=i))
    return findings


def _people(ctx: AuditContext, sentences: list[int]) -> list[tuple[int, int, int, str]]:
    """MT person entities (spaCy NER) in these sentences: (sentence, start, end, text)."""
    return [(i, a, b, text) for i, a, b, text, _ in _entities(ctx, sentences, {"PERSON"})]


def _proper_noun_chars(ctx: AuditContext, sentences: list[int]) -> set[int]:
    """Document offsets of the MT characters in proper nouns (spaCy's tagger: "February",
    "Australia"; not "Chinese" in "Chinese officials"), in these sentences."""
    from auditor.detect.clauses import sentence_offsets

    chosen = [ctx.mt.sentences[i] for i in sentences]
    out: set[int] = set()
    for sent, doc in zip(chosen, ctx.resources.parse([s.text for s in chosen]), strict=True):
        offsets = sentence_offsets(ctx.mt.doc.text, sent.start, sent.end, sent.text)
        for tok in doc:
            if tok.pos_ == "PROPN":
                out.update(range(offsets[tok.idx], offsets[tok.idx + len(tok.text) - 1] + 1))
    return out


def _entities(ctx: AuditContext, sentences: list[int], labels: set[str] | frozenset[str]
              ) -> list[tuple[int, int, int, str, str]]:
    """MT entities (spaCy NER) with these labels in these sentences: (sentence, start, end,
    text, label), document offsets."""
    from auditor.detect.clauses import sentence_offsets

    chosen = [ctx.mt.sentences[i] for i in sentences]
    docs = ctx.resources.parse([s.text for s in chosen])
    ctx.resources.add_entities(docs)  # the Docs are cached and shared: under the lock
    out = []
    for sent, doc in zip(chosen, docs, strict=True):
        offsets = sentence_offsets(ctx.mt.doc.text, sent.start, sent.end, sent.text)
        for e in doc.ents:
            if e.label_ in labels:
                a, b = offsets[e.start_char], offsets[e.end_char - 1] + 1
                out.append((sent.index, a, b, ctx.mt.doc.text[a:b], e.label_))
    return out


def _english_words_only(ctx: AuditContext, name: DictionaryName) -> bool:
    """Every English name of the entry is made of English words ("Double Ninth" for 重阳): a
    translation, not a name that its pinyin would get wrong. (Not asked of persons: WordNet
    lists famous people, "Albert Einstein".)"""
    vocabulary = _vocabulary(ctx)
    return all(all(w in vocabulary for w in name_words(n)) for n in name.english)


def _vocabulary(ctx: AuditContext) -> frozenset[str]:
    from auditor.detect.names import english_words

    return english_words(ctx.resources.nlp)


def _stop_words(ctx: AuditContext) -> frozenset[str]:
    return frozenset(ctx.resources.nlp.Defaults.stop_words)


__all__ = ["DictionaryName", "SourcePlace", "calque_span", "dictionary_findings",
           "dictionary_names", "english_name_of", "headwords", "renders", "source_places",
           "unnamed_places"]
