"""Mangled names: MT renderings of a person, place or organisation that the references spell
differently, mapped to the reference name they stand for.

1. Mentions. spaCy's entities plus runs of proper nouns the NER missed (garbled MT names are
   often tagged PROPN but not as an entity; benchmarks/names_benchmark.py measures both).
   Leading titles ("Foreign Minister") are cut off and kept as role context; pieces the NER cut
   from one run of capitalised pinyin syllables are joined ("Zhi" + "Jia Ge").
2. Reference entities. Reference mentions are grouped per entity: "Kang" and "Pompeo" join the
   full name that contains them.
3. Support. An MT mention whose words the references contain (as a phrase, or all within one
   entity's name) is correct, whatever its spelling case or hyphens. Everything else is a
   candidate; most are just names the references do not mention.
4. Candidates. Each unsupported mention is scored against each reference entity from string
   similarity (rapidfuzz), sound (jellyfish metaphone), the consonant skeleton that survives
   Mandarin transliteration, Sino-Korean/Mandarin syllable correspondence, the Japanese
   readings of the kanji behind pinyin, pinyin/Wade-Giles spelling (auditor.lang.romanize),
   whether the MT sentence is aligned to a reference sentence naming the entity, and shared
   titles, and whether the mention is a dictionary word (WordNet, via spaCy's lemmatizer
   tables: Jakarta is a real place, Pompei is not a word). A logistic model (weights below,
   fitted on benchmarks/data/name_pairs.tsv, never on the seeds) turns them into a probability.
   Pairs that cannot be a mangling are skipped: a dictionary place name against a person, two
   dictionary names ('France' for 'French'). MT variants that share a word or a skeleton form a
   cluster; a sibling's evidence counts (noisy-OR, at half weight) for each member.
5. Calques. A descriptive MT noun phrase with the head noun of a reference organisation's
   phrase ("joint news agency" against "the Yonhap news agency") is reported at low confidence
   when it is not in the references.

Severity: a wrong rendering is major (a reader cannot tell who is meant); a calque is minor
(the kind of organisation survives), and so is the right name in another romanisation system
(pinyin "Xia Liyan" where the references write Wade-Giles "Hsia Li-yen"). Nothing is marked
critical: telling whether a mangled name is another real person needs knowledge the references
do not give.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from auditor.config import NamesConfig, ParseScope
from auditor.detect.base import AuditContext, Detector, Input
from auditor.detect.clauses import ParsedSentence
from auditor.lang.name_glosses import best_gloss_match, rendering_syllables
from auditor.lang.romanize import (
    fold,
    japanese_reading_match,
    name_korean,
    pinyin_syllables,
    romanised_chinese_similarity,
    sino_korean_similarity,
    skeleton,
    skeleton_similarity,
    wade_giles_match,
)
from auditor.lang.transliteration import transliteration_match
from auditor.result import MT_DOC, Finding, FindingKind, SegmentedDocument, Severity, Span

NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT",
                         "WORK_OF_ART"})
# Head words of titles: a shared head ("minister") is evidence that two mentions are one person.
TITLE_HEADS = frozenset({
    "minister", "secretary", "president", "premier", "chancellor", "chairman", "chairwoman",
    "chair", "leader", "spokesman", "spokeswoman", "spokesperson", "ambassador", "envoy",
    "director", "governor", "mayor", "senator", "king", "queen", "emperor", "prince", "princess",
    "pope", "chief", "commissioner", "adviser", "advisor", "representative", "speaker",
    "general", "admiral", "coach", "captain", "ceo", "head", "official", "diplomat", "counterpart",
    "lawmaker", "congressman", "congresswoman", "mp", "sheikh", "emir", "sultan", "ayatollah",
})
TITLE_MODIFIERS = frozenset({
    "foreign", "defence", "defense", "prime", "deputy", "vice", "state", "finance", "trade",
    "interior", "unification", "justice", "national", "security", "first", "former", "acting",
    "supreme", "crown", "top", "senior", "economy", "economic", "health", "energy", "home",
    "general", "secretary", "affairs", "external", "us", "u.s.", "un", "eu",
})
ROLE_WORDS = TITLE_HEADS | TITLE_MODIFIERS
# Lower-case words inside personal names (von der Leyen, bin Salman, al-Assad, da Silva).
NAME_PARTICLES = frozenset({"von", "van", "der", "den", "de", "del", "della", "da", "di", "du",
                            "la", "le", "bin", "ibn", "al", "el", "ben", "abu", "dos", "das"})
LEADING_NOISE = frozenset({"the", "a", "an", "mr", "mrs", "ms", "dr", "mr.", "mrs.", "ms.", "dr."})
# One-character country names that Chinese news puts before a person (韩外长康京和: "ROK foreign
# minister Kang Kyung-wha"), in pinyin: an MT that reads the character as part of the name
# writes "Han Kangjing". Korea, US, Japan, North Korea, Russia, UK, France, Germany, Italy,
# Australia, Canada, India, Vietnam, Thailand, Philippines, Turkey, Europe.
COUNTRY_PREFIXES = frozenset({"han", "mei", "ri", "chao", "e", "ying", "fa", "de", "yi", "ao",
                              "jia", "yin", "yue", "tai", "fei", "tu", "ou"})
# Pinyin readings of a mention scored as a transliteration (the likeliest cuts come first).
MAX_READINGS = 4
# Fitted weights, probabilities and windows: NamesConfig in auditor/config.py (AuditConfig.names).
_DEFAULT = NamesConfig()


@dataclass(frozen=True)
class NameMention:
    """A name in one document: `doc` is `MT_DOC` for the MT, else the reference index."""

    doc: int
    start: int
    end: int
    text: str
    label: str
    sentence: int | None
    roles: frozenset[str] = frozenset()

    @cached_property
    def words(self) -> tuple[str, ...]:
        """Folded words, computed once (scoring and clustering read them many times)."""
        return tuple(w for w in (fold(t) for t in re.split(r"[\s\-]+", self.text)) if w)


@dataclass
class RefEntity:
    """One reference entity with all its mentions ('Kang Kyung-wha', 'Kang', ...)."""

    name: str
    mentions: list[NameMention] = field(default_factory=list)

    @property
    def words(self) -> set[str]:
        return {w for m in self.mentions for w in m.words}

    @property
    def forms(self) -> set[str]:
        """Full name, each mention's text, and each word of the full name."""
        out = {self.name} | {m.text for m in self.mentions}
        out |= set(re.split(r"\s+", self.name))
        return {f for f in out if fold(f)}

    @property
    def label(self) -> str:
        labels = [m.label for m in self.mentions]
        return "PERSON" if "PERSON" in labels else max(set(labels), key=labels.count)

    @property
    def roles(self) -> set[str]:
        return {r for m in self.mentions for r in m.roles}


@dataclass(frozen=True)
class CandidateFeatures:
    """Evidence that an MT mention renders a reference entity, each in [0, 1]."""

    string: float  # rapidfuzz ratio of the folded letters, best pair of forms
    skeleton: float  # Mandarin-transliteration consonant skeleton agreement, long skeletons only
    sound: float  # metaphone codes agree
    romanisation: float  # Sino-Korean, Japanese or Cantonese-style readings, or Wade-Giles
    shared_word: float  # the mention repeats a word of the entity's name exactly
    aligned: float  # MT sentence aligned (1) or nearest (0.5) to a sentence naming the entity
    role: float  # same title head (0.5), and modifier (1)
    skeleton_length: float  # information in the skeleton: classes / 4, capped at 1
    dictionary: float = 0.0  # every word of the mention is a dictionary entry (Jakarta, Poe)
    # which romanisation evidence `romanisation` holds, for the words of the finding
    wade_giles: float = 0.0  # the pinyin written in Wade-Giles, or the other way round
    japanese: float = 0.0  # the Japanese reading of the kanji behind the pinyin
    # the pinyin read as a Chinese name in another romanisation (Cantonese, Hokkien, Wade-Giles)
    chinese: float = 0.0
    # CC-CEDICT: the mention read as pinyin is a Chinese form whose English name is the
    # entity's (1), or begins one (0.5: a rendering that lost its last syllable)
    gloss: float = 0.0
    gloss_entry: str = ""  # that entry in plain words, "CC-CEDICT: 横滨 = Yokohama"
    # read as pinyin, the mention is how Chinese transliterates the entity's name ("Sakeqi",
    # Sarkozy), by the syllable table learned from CC-CEDICT (auditor.lang.transliteration)
    transliteration: float = 0.0

    @property
    def name_evidence(self) -> float:
        """The best evidence that the mention spells the entity's name (not just its context)."""
        return max(self.string, self.skeleton * self.skeleton_length, self.romanisation,
                   self.gloss, self.transliteration)

    def vector(self) -> tuple[float, ...]:
        """Model inputs: a skeleton counts by its length (two classes say little), and the
        alignment counts again in proportion to the best name evidence (context alone is weak).
        The CC-CEDICT gloss comes last (the benchmark measures the model without it)."""
        skeleton = self.skeleton * self.skeleton_length
        return (self.string, skeleton, self.sound, self.romanisation, self.shared_word,
                self.aligned, self.role, self.aligned * self.name_evidence, self.dictionary,
                self.transliteration, self.gloss)

    def probability(self, weights: Sequence[float] = _DEFAULT.weights) -> float:
        z = weights[0] + sum(w * x for w, x in zip(weights[1:], self.vector(), strict=True))
        return 1.0 / (1.0 + math.exp(-z))


@dataclass
class NameAnalysis:
    """What the detector computed for one audit, before deciding what to report."""

    mt_parsed: list[ParsedSentence]  # the sentences parsed (all, or those with cues)
    ref_parsed: list[dict[int, ParsedSentence]]  # per reference: sentence index -> parse
    mt_mentions: list[NameMention]
    entities: list[RefEntity]
    phrases: str
    unsupported: list[NameMention]
    features: list[list[CandidateFeatures]]  # [unsupported mention][entity]
    nlp: Any
    dictionary: frozenset[str] = frozenset()


# ---- mentions -------------------------------------------------------------------------------
def extract_mentions(doc_index: int, sentences: Sequence[ParsedSentence],
                     role_window: int = _DEFAULT.role_window) -> list[NameMention]:
    """Entities of the NER plus proper-noun runs it missed, titles cut off into `roles` (from the
    `role_window` words before), in document offsets, from each sentence's parse."""
    mentions = [m for item in sentences for m in _sentence_mentions(doc_index, item, role_window)]
    mentions.sort(key=lambda m: (m.start, -m.end))
    deduped: list[NameMention] = []
    for m in mentions:
        if deduped and m.start < deduped[-1].end:
            continue  # overlapping span: keep the earlier, longer one
        deduped.append(m)
    return deduped


def _sentence_mentions(doc_index: int, item: ParsedSentence, role_window: int) -> list[NameMention]:
    parsed = item.parsed
    spans: list[tuple[int, int, str]] = []  # token start, token end, label
    covered: set[int] = set()
    for ent in parsed.ents:
        if ent.label_ in NAME_LABELS:
            spans.append((ent.start, ent.end, ent.label_))
            covered.update(range(ent.start, ent.end))
    run: list[int] = []
    tokens = list(parsed)
    for tok in tokens + [None]:
        if (tok is not None and tok.pos_ == "PROPN" and tok.i not in covered
                and tok.text[:1].isupper()):
            run.append(tok.i)
            continue
        if run:
            spans.append((run[0], run[-1] + 1, "PROPN"))
            run = []
    spans = _join_pinyin_runs(spans, tokens)
    text_of = item.sentence.text
    mentions: list[NameMention] = []
    for start, end, label in spans:
        end = _extend_name(tokens, end)
        # cut titles and articles off the front, possessives off the end
        while start < end and (tokens[start].lower_ in LEADING_NOISE
                               or tokens[start].lower_ in ROLE_WORDS):
            start += 1
        while end > start and tokens[end - 1].lower_ in ("'s", "’s", "'", "’", ",", "."):
            end -= 1
        if start >= end:
            continue
        first, last = tokens[start], tokens[end - 1]
        text = text_of[first.idx:last.idx + len(last)]
        if not fold(text) or all(w.lower() in ROLE_WORDS for w in text.split()):
            continue
        char_start, char_end = item.doc_span(first.idx, last.idx + len(last))
        window = [t.lower_ for t in tokens[max(0, start - role_window):start]]
        roles = frozenset(w for w in window if w in ROLE_WORDS)
        mentions.append(NameMention(doc_index, char_start, char_end, text.strip(), label,
                                item.sentence.index, roles))
    return mentions


def _join_pinyin_runs(spans: list[tuple[int, int, str]], tokens: list[Any]
                      ) -> list[tuple[int, int, str]]:
    """Name spans next to each other, with every word between and in them a capitalised pinyin
    syllable run, are one name: an MT writing a place syllable by syllable ("Zhi Jia Ge" for
    芝加哥, "Ha Er Ke Fu") gets it cut by the NER into pieces ("Zhi" a place, "Jia Ge" a person,
    "Er" an interjection)."""
    out: list[tuple[int, int, str]] = []
    for start, end, label in sorted(spans):
        if out and out[-1][1] <= start and all(
                _pinyin_word(t) for t in tokens[out[-1][0]:end]):
            first, _, before = out[-1]
            out[-1] = (first, end, "PERSON" if "PERSON" in (before, label) else before)
            continue
        out.append((start, end, label))
    return out


def _pinyin_word(token: Any) -> bool:
    return token.text[:1].isupper() and pinyin_syllables(token.text) is not None


def _extend_name(tokens: list[Any], end: int) -> int:
    """Extend a span over hyphen-joined parts ('Jae' + '-in') and over name particles followed
    by a capitalised word ('Ursula von' + 'der Leyen'): the NER often stops short of both."""
    while end < len(tokens):
        prev, nxt = tokens[end - 1], tokens[end]
        if (nxt.text in ("-", "‐") and not prev.whitespace_ and end + 1 < len(tokens)
                and not nxt.whitespace_ and tokens[end + 1].text[:1].isalpha()
                and not _compound_word(prev, tokens[end + 1])):
            end += 2
            continue
        k = end
        while k < len(tokens) and tokens[k].lower_ in NAME_PARTICLES:
            k += 1
        ends_in_particle = prev.lower_ in NAME_PARTICLES
        if ((k > end or ends_in_particle) and k < len(tokens)
                and tokens[k].text[:1].isupper()):
            end = k + 1
            continue
        break
    return end


# Lower-case words that make an English compound of a name ("Beijing-based", "NASA-led").
COMPOUND_HEADS = frozenset({"based", "led", "backed", "born", "made", "owned", "run", "style",
                            "like", "related", "linked", "funded", "sponsored", "controlled",
                            "bound", "wide", "which", "that", "who"})


def _compound_word(name_part: Any, after_hyphen: Any) -> bool:
    """"NASA-led", "LIGO-which": a lower-case English word after a hyphen, not a name's part
    (Korean given names keep theirs: "Kyung-wha", "Jae-in")."""
    if not after_hyphen.text[:1].islower():
        return False
    return after_hyphen.lower_ in COMPOUND_HEADS or (
        name_part.text.isupper() and len(name_part.text) > 1)


def group_entities(mentions: Iterable[NameMention]) -> list[RefEntity]:
    """Reference mentions per entity: single words join the unique longer name containing them."""
    mentions = list(mentions)
    full: dict[str, RefEntity] = {}
    for m in sorted(mentions, key=lambda m: -len(m.words)):
        key = " ".join(m.words)
        if not key:
            continue
        if key in full:
            full[key].mentions.append(m)
            continue
        containing = [e for k, e in full.items()
                      if len(m.words) < len(k.split()) and set(m.words) <= e.words]
        if len(containing) == 1:
            containing[0].mentions.append(m)
        else:
            full[key] = RefEntity(m.text, [m])
    return list(full.values())


# ---- support and features -----------------------------------------------------------------
def _phrase_index(references: Sequence[SegmentedDocument]) -> str:
    words = [fold(w) for r in references for w in re.split(r"[\s\-–—/]+", r.doc.text)]
    return " " + " ".join(w for w in words if w) + " "


_RUN_BREAK = re.compile(r"[\s–—/]+")
_OPENING = "\"'“‘([{«"
_CLOSING = "\"'”’)]}»,;:.!?…"
_FIRST_PERSON = re.compile(r"I(?:['’](?:m|ll|ve|d))?")
_POSSESSIVE = ("'s", "’s")


def folded_capitalised_runs(text: str) -> list[tuple[str, ...]]:
    """Folded words of each run of capitalised words in `text` ("Kang Jing-he" -> kang, jing,
    he): punctuation and a lower-case word end a run, a hyphen does not; "I" is no name.
    Not `auditor.lang.zh_names.capitalised_runs` (offsets of pinyin-shaped runs for the source
    checks): these runs are cut and folded as `_phrase_index` cuts the references, so that a
    run the references carry is found in it as a phrase."""
    runs: list[tuple[str, ...]] = []
    run: list[str] = []
    for raw in [*_RUN_BREAK.split(text), ""]:
        token = raw.strip(_OPENING + _CLOSING)
        if token.endswith(_POSSESSIVE):  # (no line break inside a piece of the split)
            token = token[:-2]
        capital = token[:1].isupper() and not _FIRST_PERSON.fullmatch(token)
        if run and (not capital or raw[:1] in _OPENING):
            runs.append(tuple(run))
            run = []
        if capital:
            run += [w for w in (fold(p) for p in token.split("-")) if w]
        if run and raw[-1:] in _CLOSING:
            runs.append(tuple(run))
            run = []
    return runs


def name_cue_sentences(mt: SegmentedDocument, phrases: str) -> set[int]:
    """MT sentences that may hold a name the references do not carry (`ParseScope.CUES`): a
    capitalised run (`folded_capitalised_runs`) the references do not contain as a phrase
    (`_phrase_index`). A mention the parse would find in another sentence lies inside runs
    the references carry, so `is_supported` holds for it; only names the NER starts or ends
    with a lower-case word ("Yonhap news agency") escape the cue."""
    return {s.index for s in mt.sentences
            if any(f" {' '.join(run)} " not in phrases
                   for run in folded_capitalised_runs(s.text))}


def _parse_scope(ctx: AuditContext) -> tuple[str, set[int] | None, list[set[int]] | None]:
    """The references' phrase index and, in fast mode (`ParseScope.CUES`), the MT sentences
    with a capitalised run the references do not carry and the reference sentences aligned
    to them (None: every sentence); once per audit."""

    def build() -> tuple[str, set[int] | None, list[set[int]] | None]:
        phrases = _phrase_index(ctx.references)
        if ctx.config.parse_scope is not ParseScope.CUES:
            return phrases, None, None
        mt_only = name_cue_sentences(ctx.mt, phrases)
        return phrases, mt_only, ctx.counterparts(mt_only)

    found: tuple[str, set[int] | None, list[set[int]] | None] = ctx.word_evidence(
        "names:scope", build)
    return found


def is_supported(mention: NameMention, phrases: str, entities: Sequence[RefEntity],
                 references_text: str = "") -> bool:
    """The references carry this rendering: as a phrase, or all its words in one entity; an
    acronym counts as carried when the references spell it out ("NASA Goddard" against
    "National Aeronautics and Space Administration Goddard")."""
    words = mention.words
    acronyms = {fold(w) for w in re.split(r"[\s\-]+", mention.text)
                if _ACRONYM.fullmatch(w) and _spelled_out(w, references_text)}
    if acronyms:
        words = tuple(w for w in words if w not in acronyms)
    if not words:
        return True
    if f" {' '.join(words)} " in phrases:
        return True
    if any(set(words) <= e.words for e in entities):
        return True
    # a derived form of a reference name ("North Korean" from "North Korea", "Israeli",
    # "Iranians"): the same words with a demonym or plural ending on the last one. Only those
    # endings: "Puting" for Putin or "Pencei" for Pence is a misspelling, not a derived form.
    head, last = " ".join(words[:-1]), words[-1]
    for ending in DERIVED_ENDINGS:
        stem = last[:-len(ending)]
        if (last.endswith(ending) and len(stem) >= 4 and _derives(stem, ending)
                and f" {' '.join(filter(None, [head, stem]))} " in phrases):
            return True
    return False


# Endings that derive a demonym or a plural from a name: Korea-n, Iran-ian, Japan-ese,
# Israel-i, Russian-s.
DERIVED_ENDINGS = ("ians", "ans", "ns", "ian", "an", "ese", "n", "i", "s")


def _derives(stem: str, ending: str) -> bool:
    """-n follows a vowel (Korea-n, not Puti-n-g), -i a consonant (Israel-i, not Pence-i)."""
    if ending in ("n", "ns"):
        return stem[-1] in "aeiou"
    if ending == "i":
        return stem[-1] not in "aeiou"
    return True


_ACRONYM = re.compile(r"[A-Z]{2,6}")


def _spelled_out(acronym: str, text: str) -> bool:
    """`text` holds capitalised words whose initials make `acronym` (small words skipped)."""
    joiner = r"[\s\-]+(?:(?:and|of|the|for|on|&)\s+)*"
    pattern = r"\b" + joiner.join(f"{ch}[a-z]+" for ch in acronym) + r"\b"
    return re.search(pattern, text) is not None


def _string_score(a: str, b: str) -> float:
    from rapidfuzz import fuzz

    return fuzz.ratio(fold(a), fold(b)) / 100.0


def _sound_score(a: str, b: str) -> float:
    import jellyfish

    ca, cb = jellyfish.metaphone(fold(a)), jellyfish.metaphone(fold(b))
    if not ca or not cb:
        return 0.0
    return 1.0 if ca == cb else max(0.0, jellyfish.jaro_winkler_similarity(ca, cb) - 0.5) * 2


def _mention_forms(mention: NameMention, entity: RefEntity) -> list[str]:
    """The mention; what is left of it after the words it shares with the entity; and without
    a leading one-character country name read as part of the name ("Han Kangjing")."""
    forms = [mention.text]
    words = re.split(r"\s+", mention.text)
    rest = [w for w in words if fold(w) not in entity.words]
    if rest and len(rest) < len(words):
        forms.append(" ".join(rest))
    if len(words) >= 2 and fold(words[0]) in COUNTRY_PREFIXES:
        forms.append(" ".join(words[1:]))
    return forms


def candidate_features(mention: NameMention, entity: RefEntity, aligned: float,
                       dictionary: frozenset[str] = frozenset(),
                       use_glosses: bool = True) -> CandidateFeatures:
    """All name and context evidence for one (MT mention, reference entity) pair.

    `dictionary` holds known words; WordNet lists famous places and people (jakarta, putin),
    so a mention made only of such words is more likely a correct name the references omit.
    `use_glosses`: read the mention as pinyin into CC-CEDICT entries (world knowledge).
    """
    mention_forms = _mention_forms(mention, entity)
    entity_forms = entity.forms
    shared = 1.0 if set(mention.words) & entity.words else 0.0
    string = max(_string_score(m, e) for m in mention_forms for e in entity_forms)
    sound = max(_sound_score(m, e) for m in mention_forms for e in entity_forms)
    skel_best, skel_len = 0.0, 0.0
    for m in mention_forms:
        for e in entity_forms:
            sm, se = skeleton(m), skeleton(e)
            sim = skeleton_similarity(sm, se)
            length = min(1.0, min(len(sm), len(se)) / 4)
            if sim * length > skel_best * skel_len or (sim * length == 0 and sim > skel_best):
                skel_best, skel_len = sim, length
    korean = wade_giles = japanese = 0.0
    for form in entity_forms:
        for m in mention_forms:
            if name_korean(form):
                korean = max(korean, sino_korean_similarity(form, m)[0])
            wade_giles = max(wade_giles, wade_giles_match(form, m))
            japanese = max(japanese, japanese_reading_match(form, m))
    # the whole name only: one word ("Lee") would read as any name with that surname
    chinese = max(romanised_chinese_similarity(entity.name, m) for m in mention_forms)
    role = 0.0
    heads = (mention.roles & entity.roles) & TITLE_HEADS
    if heads:
        role = 1.0 if (mention.roles & entity.roles) - TITLE_HEADS else 0.5
    known = 1.0 if mention.words and all(w in dictionary for w in mention.words) else 0.0
    gloss, reading = 0.0, None
    if use_glosses:
        for m in mention_forms:
            score, found = best_gloss_match(m, frozenset(entity.words))
            if score > gloss:
                gloss, reading = score, found
    names = frozenset(f for f in entity_forms if len(fold(f)) >= 3)
    transliteration = max(transliteration_match(rendering_syllables(m)[:MAX_READINGS], names)
                          for m in mention_forms)
    return CandidateFeatures(string, skel_best, sound, max(korean, wade_giles, japanese, chinese),
                             shared, aligned, role, skel_len, known, wade_giles, japanese,
                             chinese if chinese > korean else 0.0, gloss,
                             reading.describe() if reading else "", transliteration)


def _aligned_pairs(ctx: AuditContext) -> dict[int, set[tuple[int, int]]]:
    """MT sentence -> the (reference, sentence) pairs aligned to it, built once per audit."""
    out: dict[int, set[tuple[int, int]]] = {}
    for a in ctx.alignments:
        for i in a.mt:
            out.setdefault(i, set()).update((a.doc, j) for j in a.other)
    return out


def _aligned_score(ctx: AuditContext, mention: NameMention, entity: RefEntity,
                   aligned_to: dict[int, set[tuple[int, int]]] | None = None) -> float:
    """1 if the mention's sentence is aligned to a reference sentence naming the entity,
    0.5 if that sentence is only its nearest reference sentence, else 0."""
    if mention.sentence is None:
        return 0.0
    named = {(m.doc, m.sentence) for m in entity.mentions}
    if aligned_to is None:
        aligned_to = _aligned_pairs(ctx)
    if aligned_to.get(mention.sentence, set()) & named:
        return 1.0
    score = ctx.sentence_scores[mention.sentence] if mention.sentence < len(
        ctx.sentence_scores) else None
    if score is not None and (score.best_doc, score.best_sentence) in named:
        return 0.5
    return 0.0


PLACE_LABELS = frozenset({"GPE", "LOC", "NORP"})


def compatible(mention: NameMention, entity: RefEntity, features: CandidateFeatures,
               dictionary: frozenset[str]) -> bool:
    """Pairs that cannot be a mangling, whatever their spelling shares.

    A dictionary word the NER calls a place or nationality ('France') is a correct place name,
    not a mangled person ('Francois'). Two names that are both dictionary entries ('France' for
    'French', 'Austria' for 'Australia') are real names: a paraphrase or a swap of one real
    entity for another, which is not a rendering error this detector can tell apart. Unless
    CC-CEDICT reads the mention exactly as the entity's Chinese form: "Li Si Ben" is made of
    words a dictionary lists (li, si, ben), but it is 里斯本, Lisbon.
    """
    if not features.dictionary or features.gloss == 1.0:
        return True
    if mention.label in PLACE_LABELS and entity.label == "PERSON":
        return False
    return not all(w in dictionary for w in entity.words)


# ---- clustering ---------------------------------------------------------------------------
def cluster_variants(mentions: Sequence[NameMention],
                     min_skeleton: float = _DEFAULT.cluster_skeleton) -> list[int]:
    """Cluster id per mention: variants sharing a word, containing one another, or with nearly
    the same skeleton are taken as renderings of one entity (union-find)."""
    parent = list(range(len(mentions)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    folds = [fold(m.text) for m in mentions]
    words = [{w for w in m.words if len(w) >= 3} for m in mentions]
    skeletons = [skeleton(m.text) for m in mentions]
    for i in range(len(mentions)):
        for j in range(i):
            fa, fb = folds[i], folds[j]
            same = bool(words[i] & words[j])
            contains = len(fa) >= 4 and len(fb) >= 4 and (fa in fb or fb in fa)
            sa, sb = skeletons[i], skeletons[j]
            close = (not (same or contains) and min(len(sa), len(sb)) >= 3
                     and skeleton_similarity(sa, sb) >= min_skeleton)
            if same or contains or close:
                parent[find(i)] = find(j)
    return [find(i) for i in range(len(mentions))]


# ---- evidence in words ----------------------------------------------------------------------
def describe(mention: NameMention, entity: RefEntity, f: CandidateFeatures) -> list[str]:
    parts = []
    surname = entity.name.split()[-1] if entity.label == "PERSON" else entity.name
    if f.string >= 0.6:
        parts.append(f"'{mention.text}' vs '{entity.name}': spelling similarity {f.string:.2f}")
    if f.skeleton >= 0.75 and f.skeleton_length >= 0.75:
        parts.append(f"same consonant skeleton through Chinese transliteration "
                     f"({skeleton(mention.text)} ~ {skeleton(surname)})")
    if f.sound >= 0.8:
        parts.append("sounds alike (metaphone)")
    if f.wade_giles:
        parts.append(f"one is the other's pinyin written in Wade-Giles ('{mention.text}' / "
                     f"'{entity.name}')")
    elif f.japanese:
        parts.append(f"read as the Mandarin pinyin of kanji, '{mention.text}' has the Japanese "
                     f"reading {entity.name}")
    elif f.chinese >= 0.6:
        parts.append(f"its pinyin syllables read as the Chinese characters of {entity.name}, "
                     f"a name spelled in another romanisation (Cantonese, Hokkien or "
                     f"Wade-Giles; {f.chinese:.0%} of its syllables correspond)")
    elif f.romanisation >= 0.6:
        parts.append(f"its pinyin syllables read as the Chinese characters of the Korean name "
                     f"{entity.name} ({f.romanisation:.0%} of its syllables correspond)")
    if f.gloss_entry:
        parts.append(f"read as pinyin, '{mention.text}' is a Chinese form the dictionary gives "
                     f"as {entity.name}" + ("" if f.gloss == 1.0 else " (with a syllable lost)")
                     + f" ({f.gloss_entry})")
    if f.transliteration >= 0.5:
        parts.append(f"read as pinyin, '{mention.text}' is how Chinese transliterates "
                     f"{entity.name} (syllable table learned from CC-CEDICT, "
                     f"{f.transliteration:.0%} of full evidence)")
    if f.shared_word:
        parts.append("repeats part of the name exactly")
    if f.aligned == 1.0:
        parts.append(f"its sentence is aligned to a reference sentence naming {entity.name}")
    elif f.aligned:
        parts.append(f"its nearest reference sentence names {entity.name}")
    if f.role:
        parts.append("same title (" + ", ".join(sorted(mention.roles & entity.roles)) + ")")
    return parts


class NameDetector(Detector):
    """Mangled or inconsistent renderings of reference names (kind NAME)."""

    id = "names"
    requires = frozenset({Input.REFERENCES})
    parses = True
    parses_documents = True
    reads_entities = True
    produces = frozenset({FindingKind.NAME})

    def __init__(self, weights: Sequence[float] | None = None):
        """`weights` replace `NamesConfig.weights` (the benchmark's refit); None reads them from
        the audit's config."""
        self.weights = tuple(weights) if weights is not None else None

    def find(self, ctx: AuditContext) -> list[Finding]:
        return self.decide(ctx, self.analyse(ctx))

    def plan_parses(self, ctx: AuditContext) -> list[tuple[int, Collection[int], bool]]:
        """Fast mode: the cue sentences `analyse` parses, MT and references."""
        _, mt_only, ref_only = _parse_scope(ctx)
        if mt_only is None or ref_only is None:
            return []
        return [(MT_DOC, mt_only, True), *((d, js, True) for d, js in enumerate(ref_only))]

    def decide(self, ctx: AuditContext, analysis: NameAnalysis) -> list[Finding]:
        """Findings from an analysis: mangled names first, then calques not overlapping them."""
        findings = self._mangled(ctx, analysis)
        taken = [(f.mt_start or 0, f.mt_end or 0) for f in findings]
        for f in find_calques(ctx, analysis):
            start, end = f.mt_start or 0, f.mt_end or 0
            if not any(s < end and start < e for s, e in taken):
                findings.append(f)
        return findings

    def analyse(self, ctx: AuditContext) -> NameAnalysis:
        """Mentions, reference entities and scored candidates (the benchmark reads these too)."""
        nlp = ctx.resources.nlp
        phrases, mt_only, ref_only = _parse_scope(ctx)
        # The sentence parses every detector shares (and references recur across a batch).
        mt_parsed = ctx.parsed(MT_DOC, entities=True, sentences=mt_only)
        window = ctx.config.names.role_window
        mt_mentions = extract_mentions(MT_DOC, mt_parsed, window)
        ref_parsed = [ctx.parsed(d, entities=True,
                                 sentences=None if ref_only is None else ref_only[d])
                      for d in range(len(ctx.references))]
        ref_mentions = [m for d, p in enumerate(ref_parsed) for m in extract_mentions(d, p, window)]
        entities = group_entities(ref_mentions)
        references_text = "\n".join(r.doc.text for r in ctx.references)
        unsupported = [m for m in mt_mentions
                       if not is_supported(m, phrases, entities, references_text)]
        # a run of more capitalised words than `max_words` is a headline or a list, not one
        # name; its spelling comparisons cost with the square of its length
        limits = ctx.config.names
        unsupported = [m for m in unsupported if len(m.words) <= limits.max_words]
        cap = limits.max_candidates
        if len(unsupported) > cap:
            ctx.note(f"names: {len(unsupported):,} name candidates the references do not "
                     f"carry; the first {cap:,} were checked")
            unsupported = unsupported[:cap]
        dictionary = english_words(nlp)
        aligned_to = _aligned_pairs(ctx)
        features = [[candidate_features(m, e, _aligned_score(ctx, m, e, aligned_to), dictionary)
                     for e in entities] for m in unsupported]
        by_index = [{p.sentence.index: p for p in items} for items in ref_parsed]
        return NameAnalysis(mt_parsed, by_index, mt_mentions, entities, phrases, unsupported,
                            features, nlp, dictionary)

    def _mangled(self, ctx: AuditContext, analysis: NameAnalysis) -> list[Finding]:
        unsupported, entities = analysis.unsupported, analysis.entities
        mt_mentions = analysis.mt_mentions
        if not unsupported or not entities:
            return []
        dictionary = analysis.dictionary
        settings = ctx.config.names
        weights = self.weights if self.weights is not None else settings.weights
        scored = [([f.probability(weights) if compatible(m, e, f, dictionary) else 0.0
                    for e, f in zip(entities, feats, strict=True)], feats)
                  for m, feats in zip(unsupported, analysis.features, strict=True)]
        clusters = cluster_variants(unsupported, settings.cluster_skeleton)
        folds = [fold(m.text) for m in unsupported]
        # per cluster and entity, the best score of each distinct spelling: a sibling is the
        # best other spelling in the cluster (linear, not a scan of all pairs per mention)
        by_cluster: dict[tuple[int, int], dict[str, float]] = {}
        for i, (probs, _) in enumerate(scored):
            for k, p in enumerate(probs):
                best = by_cluster.setdefault((clusters[i], k), {})
                best[folds[i]] = max(best.get(folds[i], 0.0), p)
        top_two = {key: sorted(v.items(), key=lambda kv: -kv[1])[:2]
                   for key, v in by_cluster.items()}
        # noisy-OR with the best sibling in the same cluster, per entity
        final: list[list[float]] = []
        for i, (probs, feats) in enumerate(scored):
            row = []
            for k, p in enumerate(probs):
                # a sibling vouches for who a variant is, not for a variant unlike the name
                looks_like = feats[k].name_evidence >= settings.own_name_evidence
                sibling = max((score for spelling, score in top_two[(clusters[i], k)]
                               if spelling != folds[i]), default=0.0)
                vouched = 1 - (1 - p) * (1 - settings.sibling_weight * sibling)
                row.append(vouched if looks_like else p)
            final.append(row)
        findings: list[Finding] = []
        assigned: dict[int, list[NameMention]] = {}
        # right renderings of each entity elsewhere in the MT, computed once per entity (a scan
        # of all mentions per finding grew with the square of a long input)
        checked = set(unsupported)
        right: dict[int, list[str]] = {}
        best_of: list[tuple[int, float] | None] = []
        for row in final:
            k = max(range(len(row)), key=row.__getitem__)
            best_of.append((k, row[k]) if row[k] >= settings.report_p else None)
        for m, best in zip(unsupported, best_of, strict=True):
            if best is not None:
                assigned.setdefault(best[0], []).append(m)
        for i, (m, best) in enumerate(zip(unsupported, best_of, strict=True)):
            if best is None:
                continue
            k, p = best
            entity = entities[k]
            feats = scored[i][1][k]
            evidence = describe(m, entity, feats)
            variants = sorted({v.text for v in assigned[k]})
            if k not in right:
                names = entity.words
                right[k] = sorted({x.text for x in mt_mentions
                                   if x not in checked and set(x.words) & names
                                   and set(x.words) <= names})
            correct = right[k]
            if len(variants) + len(correct) > 1:
                line = (f"{len(variants) + len(correct)} renderings of {entity.name} in this MT: "
                        + ", ".join(f"'{v}'" for v in variants))
                if correct:
                    line += " (wrong) and " + ", ".join(f"'{c}'" for c in correct) + " (right)"
                evidence.append(line)
            # the same name in another romanisation system, or its very letters spaced or
            # hyphenated otherwise ("Hong Qiao" for Hongqiao): the reader knows who is meant
            respaced = folds[i] == fold(entity.name)
            if respaced:
                evidence.insert(0, f"the same letters as '{entity.name}', spaced or hyphenated "
                                   "differently")
            findings.append(Finding(
                kind=FindingKind.NAME,
                severity=Severity.MINOR if feats.wade_giles or respaced else Severity.MAJOR,
                mt_start=m.start, mt_end=m.end,
                mt_text=m.text, confidence=p, evidence="; ".join(evidence),
                reference=_reference_span(ctx, m, entity), canonical=entity.name,
                mt_sentence=m.sentence,
            ))
        return findings


def _reference_span(ctx: AuditContext, mention: NameMention, entity: RefEntity) -> Span:
    """The entity's mention in a reference sentence aligned to the MT sentence, else its
    first full-name mention."""
    aligned = {(a.doc, j) for a in ctx.alignments if mention.sentence in a.mt for j in a.other}
    ranked = sorted(entity.mentions, key=lambda r: ((r.doc, r.sentence) not in aligned,
                                                    -len(r.words), r.doc, r.start))
    best = ranked[0]
    return Span(best.start, best.end, best.text, best.doc)


# ---- calques ------------------------------------------------------------------------------
@lru_cache(maxsize=4)
def english_words(nlp: Any) -> frozenset[str]:
    """Lower-case English dictionary words: the WordNet lemma index spaCy's lemmatizer ships
    (built once per pipeline: the names detector and the source-side dictionary check both
    read it on every audit)."""
    try:
        index = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_index")
    except (KeyError, ValueError):
        return frozenset()
    return frozenset(w for words in index.values() for w in words)


def _head_phrase(chunk: object, skip: set[int]) -> tuple[str, ...]:
    """The common-noun tail of a noun chunk ('news agency'), leaving out tokens in `skip`."""
    out: list[str] = []
    for tok in reversed(list(chunk)):  # type: ignore[call-overload]
        if tok.i in skip or tok.pos_ not in ("NOUN",):
            break
        out.append(tok.lower_)
    return tuple(reversed(out))


def find_calques(ctx: AuditContext, analysis: NameAnalysis) -> list[Finding]:
    """Descriptive MT phrases standing where a reference names an organisation.

    The organisation's name must not be an ordinary English word or a nationality ("the
    Japanese government" is not a name), and must be the only one with that head noun.
    """
    entities, dictionary = analysis.entities, analysis.dictionary
    heads: dict[tuple[str, ...], list[tuple[RefEntity, NameMention]]] = {}
    for entity in entities:
        if entity.label == "PERSON" or any(w in dictionary for w in entity.words):
            continue
        for m in entity.mentions:
            item = analysis.ref_parsed[m.doc].get(m.sentence) if m.sentence is not None \
                else None
            for chunk, start, end in _noun_chunks(item):
                if start <= m.start and m.end <= end:
                    inside = {t.i for t in chunk if item.offsets[t.idx] < m.end}
                    head = _head_phrase(chunk, inside)
                    after = [t for t in chunk if item.offsets[t.idx] >= m.end]
                    if head and not any(t.pos_ == "PROPN" for t in after):
                        heads.setdefault(head, []).append((entity, m))
    findings: list[Finding] = []
    for item in analysis.mt_parsed:
        for chunk, start, end in _noun_chunks(item):
            finding = _calque(ctx, analysis, heads, chunk, start, end, item.sentence.index)
            if finding is not None:
                findings.append(finding)
    return findings


def _noun_chunks(item: ParsedSentence | None) -> list[tuple[Any, int, int]]:
    """Noun chunks of one parsed sentence, with their document offsets."""
    if item is None:
        return []
    return [(chunk, *item.doc_span(chunk.start_char, chunk.end_char))
            for chunk in item.parsed.noun_chunks]


def _calque(ctx: AuditContext, analysis: NameAnalysis,
            heads: dict[tuple[str, ...], list[tuple[RefEntity, NameMention]]],
            chunk: Any, start: int, end: int, sentence: int) -> Finding | None:
    """A finding when the MT noun chunk describes the one organisation with its head noun."""
    for head, owners in heads.items():
        if tuple(t.lower_ for t in chunk[-len(head):]) != head or len(chunk) <= len(head):
            continue
        modifiers = [t for t in chunk[:-len(head)] if t.pos_ not in ("DET", "PUNCT", "PART")]
        if not any(t.pos_ in ("ADJ", "NOUN", "VERB") for t in modifiers):
            continue
        if any(fold(t.text) in e.words for t in modifiers for e, _ in owners):
            continue  # the organisation's own name is there: not a description
        text = chunk.text
        if f" {' '.join(fold(w) for w in text.split() if fold(w))} " in analysis.phrases:
            continue
        if len({e.name for e, _ in owners}) > 1:
            continue  # several organisations share this head noun: no single name to map to
        entity, ref_mention = owners[0]
        named = {(r.doc, r.sentence) for _, r in owners}
        aligned = any(sentence in a.mt and (a.doc, j) in named
                      for a in ctx.alignments for j in a.other)
        p = ctx.config.names.calque_p[int(aligned)]
        ref_item = (analysis.ref_parsed[ref_mention.doc].get(ref_mention.sentence)
                    if ref_mention.sentence is not None else None)
        ref_chunk = next((c.text for c, c_start, c_end in _noun_chunks(ref_item)
                          if c_start <= ref_mention.start < c_end), entity.name)
        evidence = (f"'{text}' describes a {' '.join(head)} where the references name one: "
                    f"'{ref_chunk}'; no other {' '.join(head)} is named in the references"
                    + ("; its sentence is aligned to the reference sentence naming it"
                       if aligned else "; the sentences are not aligned, so this is a guess"))
        return Finding(
            kind=FindingKind.NAME, severity=Severity.MINOR, mt_start=start, mt_end=end,
            mt_text=ctx.mt.doc.text[start:end], confidence=p, evidence=evidence,
            reference=Span(ref_mention.start, ref_mention.end, ref_mention.text, ref_mention.doc),
            canonical=entity.name, mt_sentence=sentence,
        )
    return None
