"""Thresholds and switches of one audit, each detector's in its own frozen dataclass. They all go
into the signature (the detector settings as a short hash, `AuditConfig.settings_hash`).

Defaults come from general reasoning about the measures or from fits on the public dev data in
../shared/data (each fitted value names the command that refits it), never from the seeds:
- `margin_threshold`: ratio-margin score (Artetxe & Schwenk 2019) above which a sentence pair
  counts as parallel; 1.0 means "more similar than the pair's neighbourhood average". 1.10 was
  chosen on a comparable-alignment proxy built from the TED MQM data (MT vs shuffled, thinned
  human reference; benchmarks/align_benchmark.py), not on the seeds.
- `lexical_weight`: share of TF-IDF word overlap in the similarity used to align comparable
  reports (the rest is embedding cosine); see `align.lexical_similarity`.
- `max_sentence_chars`: a longer sentence is split into pieces (the encoder reads about 1,000
  characters anyway); with `names.max_candidates` and `names.max_words` it keeps a run-on or
  hostile input near-linear, and the result's notes say when it acted. Set for safety, not
  fitted: no dev document comes near it.
- `max_document_chars`: a longer document is audited on its first part (cut at a sentence end),
  with a note: an audit's work grows with the text (about 0.15 s of CPU per 1,000 characters
  of an endless line, most of it the encoder), so this bounds one audit of any input to
  under 20 s of CPU (`benchmarks/long_input.py`). Set for safety, not fitted: 6.5 times the
  longest dev document (15,400 characters), about 16,000 words of English; Chinese and
  Japanese count `length_ratio_zh` per character.
- `min_similarity`: floor on raw cosine, so that margin alone cannot link two unrelated sentences
  in a tiny document where every neighbour is unrelated.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field, replace
from enum import Enum
from typing import Any

# Largest input document, in bytes (CLI `--max-mb`, feeds, library): one copy, used everywhere.
MAX_INPUT_BYTES = 5_000_000


class Segmentation(str, Enum):
    AUTO = "auto"  # paragraphs, then sentences (pysbd; full-width stops for CJK)
    LINES = "lines"  # pre-segmented input: one sentence per non-empty line, never re-split


class AlignMode(str, Enum):
    COMPARABLE = "comparable"  # independent reports of one event: any order, gaps allowed
    PARALLEL = "parallel"  # a true translation pair: monotonic, Bertalign-style DP


class ParseScope(str, Enum):
    """Which sentences spaCy parses for the names, numbers and repetition detectors."""

    ALL = "all"  # every MT and reference sentence; figures meet the closest reference clause
    # fast mode: only MT sentences with a string cue (a capitalised run the references do not
    # carry as a phrase; a figure their aligned reference sentences do not write) and the
    # reference sentences aligned to them; figures meet those aligned sentences, no clauses;
    # the verbless-fragment check skips sentences with a finite auxiliary
    # (`repetition.FINITE_VERB_CUE`); all of them parsed in one spaCy call
    CUES = "cues"


@dataclass(frozen=True)
class ClauseConfig:
    """How sentences are cut into clauses (auditor.detect.clauses), for content and numbers."""

    # A proposition needs a predicate and at least two arguments or modifiers: three content words.
    min_content_words: int = 3
    # A reporting frame is a subject, a speech verb and perhaps a time or channel: up to four words.
    frame_max_content: int = 4


@dataclass(frozen=True)
class ContentConfig:
    """Omissions, additions and mistranslations against references (auditor.detect.content)."""

    # Fitted by `python benchmarks/content_benchmark.py --calibrate` (TED MT vs refB, label-free;
    # see the module docstring): intercept, cosine, lexical, margin.
    support_weights: tuple[float, float, float, float] = (-6.854, 3.970, 4.410, 12.826)
    # Balanced classes in the fit, so 0.5 is the point where "has a counterpart" becomes likelier.
    supported_p: float = 0.5
    # Major when the odds of a counterpart are at least 4 times lower than at the decision point
    # (log 4): the evidence is clearly against support, not borderline.
    major_odds: float = math.log(4.0)
    # Nearest neighbours for the margin, as in the aligner (AuditConfig.margin_k).
    margin_k: int = 4
    # Mean cosine of unrelated clause pairs with MiniLM (TED MT clauses vs refB units, nearly all
    # non-counterparts: mean 0.20, median 0.18); stands in for missing neighbours in the margin.
    background_cosine: float = 0.2
    # Candidates (by cosine) whose sentence is checked for shared content words.
    lexical_top: int = 3
    # A dropped proposition needs one clause of at least this many content words (subject,
    # predicate, object, modifier); shorter pieces are attributions or fragments.
    min_omission_words: int = 5


@dataclass(frozen=True)
class NumbersConfig:
    """Figures against the references (auditor.detect.numbers): confidence of each verdict."""

    changed_confidence: float = 0.8  # shared and differing atoms ("June 29 to 30" vs "June 30")
    disagrees_confidence: float = 0.7  # comparable atoms, none shared (6 vs 8)
    unconfirmed_confidence: float = 0.5  # the references have only a vaguer expression


@dataclass(frozen=True)
class RepetitionConfig:
    """Loops, duplicated sentences and fragments in the MT (auditor.detect.repetition)."""

    # Loops of one word ("very very", "that that") are often deliberate; two words is the floor.
    min_loop_words: int = 2
    max_loop_words: int = 8
    # Rhetorical doubling repeats one content word ("faster and faster, and faster"); a decoder
    # loop repeats a phrase: at least two distinct content words.
    min_loop_content: int = 2
    loop_confidence: float = 0.9
    # "Near-identical" sentences: rapidfuzz ratio on 0..100; 90 allows a word of difference in a
    # sentence of ten.
    duplicate_ratio: float = 90.0
    min_duplicate_words: int = 5
    min_fragment_words: int = 3
    fragment_confidence: float = 0.7


@dataclass(frozen=True)
class UntranslatedConfig:
    """Source-language text left in an English MT (auditor.detect.untranslated). Not fitted:
    the MQM dev data has too few cases (44 news segments hold CJK letters, mostly punctuation
    or a name, and none in TED)."""

    # A sentence whose letters are mostly the source language's cannot be read by an English
    # reader (Major, MQM's "the meaning is lost"); a word or name left in it is Minor.
    major_share: float = 0.5
    # The letters are there to see; the doubt is whether the writer meant them (a gloss).
    confidence: float = 0.95


@dataclass(frozen=True)
class NamesConfig:
    """Mangled names and calques against the references (auditor.detect.names)."""

    # Logistic weights, fitted by `python benchmarks/names_benchmark.py --fit` on all rows of
    # benchmarks/data/name_pairs.tsv and world_names.tsv (public figures and places, none from
    # the seeds): intercept, then one weight per feature in `CandidateFeatures.vector` order, the
    # transliteration table's evidence and the CC-CEDICT gloss last. Cross-validated (five folds
    # grouped by name: no reference name in both the training and the test folds): precision
    # 0.978, recall 0.921, 13 of 8,699 correct names flagged (without the gloss evidence 0.972,
    # 0.878, 16).
    weights: tuple[float, ...] = (-8.249, 2.18, 0.877, 2.639, 2.401, 0.692, 1.447, 1.162, 4.296,
                                  -2.248, 3.115, 3.65)
    # The transliteration table (auditor/data/transliteration.json, P(pinyin syllable | English
    # letters) fitted from CC-CEDICT by `python benchmarks/fit_transliteration.py`): the first
    # 12 hex digits of its sha256, so that the signature changes with the table (a test checks).
    transliteration_table: str = "4e3b9ddea742"
    # Calibrated probability: report a mapping when it is more likely right than wrong.
    report_p: float = 0.5
    # A calque shares only a head noun with the organisation phrase: weak evidence on its own; an
    # alignment to the reference sentence naming the organisation makes it likelier than not.
    calque_p: tuple[float, float] = (0.35, 0.6)  # (not aligned, aligned)
    # A sibling variant's confidence counts at half weight in the cluster's noisy-OR ...
    sibling_weight: float = 0.5
    # ... and only for a variant whose own best name evidence (spelling, skeleton or Sino-Korean
    # reading) reaches this: half of the name agrees.
    own_name_evidence: float = 0.5
    # Variants whose skeletons agree this well (of at least 3 classes) are one entity's renderings.
    cluster_skeleton: float = 0.85
    # Words before a mention searched for a title ("Foreign Minister of Japan X").
    role_window: int = 5
    # Work caps that keep a run-on or hostile input near-linear (set for safety, not fitted: no
    # dev document comes near them; the result's notes say when they acted). At most this many
    # unsupported names are scored per MT (a real article has a few dozen) ...
    max_candidates: int = 300
    # ... each of at most this many words ("Ursula von der Leyen" is 4, "Ministry of Foreign
    # Affairs of Japan" 6; a longer run of capitals is a headline or a list).
    max_words: int = 8


@dataclass(frozen=True)
class SourceConfig:
    """Checks against the source text (auditor.detect.source)."""

    # Leave-one-out drop (cosine with the clause minus cosine without it) below which a source
    # clause counts as omitted. Measured on the WMT23 zh-en news MQM dev data (5,097 clauses of
    # multi-clause aligned sentences): drop < -0.08 flags 25 clauses of which 52% overlap a Major
    # omission (base rate 5.5%), so those are Major. At segment level
    # (`python benchmarks/source_benchmark.py`) the minor cut -0.05 / -0.04 / -0.03 / -0.02 gives
    # P 0.41 / 0.35 / 0.32 / 0.28 and R 0.09 / 0.11 / 0.13 / 0.17; -0.03 is the loosest cut whose
    # precision stays >= 1.5x the length-ratio baseline's (0.19-0.20).
    clause_drop_minor: float = -0.03
    clause_drop_major: float = -0.08
    # A clause needs this many Han characters (or letters) to state something worth flagging.
    min_clause_chars: int = 4
    # An unaligned sentence next to an aligned group belongs to it (a split or merged translation,
    # not a gap) when adding it does not lower the group's cosine by more than this. Measured on
    # the news MQM dev data: 0.03 / 0.06 / 0.10 raise addition precision 0.23 -> 0.23 / 0.29 /
    # 0.31 but cut recall 0.18 -> 0.16 / 0.13 / 0.09; F1 is best at 0.
    absorb_tolerance: float = 0.0
    # A Chinese name's MT rendering this close to its pinyin (rapidfuzz ratio, 0-100) but not
    # equal is a misspelling: one wrong letter in a 2-3 syllable name scores 80-92.
    name_near_miss: float = 80.0
    figure_confidence: float = 0.7  # a source figure no MT figure equals, or another currency
    pinyin_name_confidence: float = 0.7  # a foreign name written as pinyin of its transliteration
    misspelt_name_confidence: tuple[float, float] = (0.6, 0.8)  # (references silent, agree)
    wrong_name_confidence: tuple[float, float] = (0.55, 0.75)  # (other, same given name)
    # Names from world knowledge (auditor.detect.source.dictionary, CC-CEDICT). Not fitted: set
    # when the check was written and checked on the WMT23 zh-en news MQM dev data
    # (`python benchmarks/source_names_benchmark.py --verbose`, segment level against "a rater
    # marked a Major name error": with all source name checks, 40 segments flagged, 39 with a
    # Major name error). Shortest Chinese form taken as a name: one character is a word.
    dictionary_min_form_chars: int = 2
    # A description in a gloss is a short noun phrase ("South Korean news agency"), not a
    # biography: at most this many words.
    dictionary_max_description_words: int = 4
    # Words before a description's head noun that a calque may hold ("joint news agency").
    dictionary_calque_words: int = 3
    # Confidence of a finding: the pinyin of a form the dictionary gives in English is almost
    # surely wrong (the entry exists because English writes it otherwise); a phrase with the
    # right head noun may paraphrase the sentence rather than the name; another person where
    # the source names a dictionary person: which MT name took its place is a guess.
    dictionary_pinyin_confidence: float = 0.8
    dictionary_calque_confidence: float = 0.5
    dictionary_other_person_confidence: float = 0.6
    # An MT place no Chinese form of which is in the source (`unnamed_places`): (alone, standing
    # where the aligned source names a dictionary place or organisation the MT leaves out). Not
    # fitted: set when the check was written; on the WMT23 zh-en news MQM dev data
    # (`python benchmarks/evaluate_mqm.py --data news`) all 15 segments it adds hold a Major
    # name error.
    dictionary_unnamed_place_confidence: tuple[float, float] = (0.6, 0.7)
    # An MT name this close in spelling (rapidfuzz ratio, 0-100) to the English name misspells
    # it (the evidence says so; it is reported either way).
    dictionary_similar_spelling: float = 60.0


@dataclass(frozen=True)
class FastConfig:
    """Fast mode (`--fast`): the alignment settings that read sentence cosines, refitted for the
    static vectors of the model2vec distillation (`auditor.distill`), whose cosines run higher
    than MiniLM's. `AuditConfig.for_fast` puts them in place of the fields of the same name.
    - `min_similarity`: `python benchmarks/align_benchmark.py --fit --fast --limit 3 --sets
      ted-ref lines-ref` (grid 0.3-0.7 x anchor 0.7-0.9, folds grouped by source document):
      0.6 chosen in 2 of 3 folds (0.4 in the other), CV strict F1 0.934, lax 0.999 (MiniLM
      at 0.4 on the same sets: 0.943, 0.994); the anchor cut changed no group. The comparable
      proxy agrees: F1 0.944 at 0.6 against 0.937 at 0.4 (margin 1.10, lexical 0.25);
    - `margin_threshold`, `lexical_weight`: `python benchmarks/align_benchmark.py
      --comparable --fast` (comparable proxy, grid 1.0-1.2 x 0.0-0.5 x floor 0.4-0.6):
      (1.10, 0.25) is within 0.001 of the best point; picking the best point per held-out
      talk does worse (CV F1 0.889: the grid is flat and each talk's winner differs), so
      MiniLM's values are kept.
    - `clause_drop_minor`, `clause_drop_major` (`SourceConfig`'s, for the leave-one-out drop
      of a source clause on the gloss encoder's static vectors, `auditor.embed.GlossEncoder`,
      whose drops run smaller than USE's: at USE's -0.03 / -0.08 it flagged 39 omission
      segments on the news dev data against USE's 128): `python benchmarks/source_benchmark.py
      --fast --fit-clauses`, the rule the USE cuts were set by (the loosest minor cut whose
      segment precision stays >= 1.5x the length-ratio baseline's; major where half the flagged
      clauses fall in a Major omission), five folds grouped by news document: minor -0.02 in
      every fold, major -0.10 in 4 of 5; CV segment P 0.326, R 0.094. Fast mode
      uses them for every source language (Japanese and Korean sources still embed with USE;
      no dev data fits either encoder's cuts for them).
    - `source_min_similarity` is kept at 0.30: `python benchmarks/align_benchmark.py --fit
      --fast --sets ted-src news-src lines-src --limit 8` (gloss encoder): CV strict F1 0.941,
      flat over 0.2-0.4 (0.941 / 0.941 / 0.939; USE on the same sets: 0.961 / 0.963 / 0.879
      per set against the gloss encoder's 0.947 / 0.963 / 0.848).
    - `parse_scope` "cues" (`ParseScope`): spaCy parsed every MT and reference sentence for
      the names and numbers detectors, two thirds of a fast audit against a reference; only
      the sentences string cues point at are parsed (`benchmarks/fast_profile.py`).
    The detectors whose thresholds read clause or word vectors are skipped instead
    (`auditor.detect.CONTEXTUAL_DETECTORS`)."""

    min_similarity: float = 0.60
    margin_threshold: float = 1.10
    lexical_weight: float = 0.25
    clause_drop_minor: float = -0.02
    clause_drop_major: float = -0.10
    parse_scope: ParseScope = ParseScope.CUES

    def __post_init__(self) -> None:
        object.__setattr__(self, "parse_scope", ParseScope(self.parse_scope))


@dataclass(frozen=True)
class AuditConfig:
    mode: AlignMode = AlignMode.COMPARABLE
    margin_k: int = 4
    margin_threshold: float = 1.10
    min_similarity: float = 0.40
    merge_delta: float = 0.05
    max_merge: int = 3
    lexical_weight: float = 0.25
    source_min_similarity: float = 0.30
    max_input_bytes: int = MAX_INPUT_BYTES
    max_sentence_chars: int = 1_000
    max_document_chars: int = 100_000
    clauses: ClauseConfig = field(default_factory=ClauseConfig)
    content: ContentConfig = field(default_factory=ContentConfig)
    numbers: NumbersConfig = field(default_factory=NumbersConfig)
    repetition: RepetitionConfig = field(default_factory=RepetitionConfig)
    untranslated: UntranslatedConfig = field(default_factory=UntranslatedConfig)
    names: NamesConfig = field(default_factory=NamesConfig)
    source: SourceConfig = field(default_factory=SourceConfig)
    segmentation: Segmentation = Segmentation.AUTO
    # Which sentences the names and numbers detectors parse (`ParseScope`; fast mode: "cues").
    parse_scope: ParseScope = ParseScope.ALL
    # Parallel alignment (MT <-> reference in --mode parallel, MT <-> source always): a second
    # pass re-scores groups from the embedding of their concatenated text (Bertalign/vecalign).
    # False = the single sum-of-vectors pass used before (benchmarks/align_benchmark.py --before).
    parallel_refine: bool = True
    # Penalty per sentence beyond 1-1 in the second pass; fitted with the next two fields by
    # `python benchmarks/align_benchmark.py --fit --limit 3` (5-fold CV grouped by source
    # document over TED and news dev documents, MT<->refB and MT<->source, exact groups; chosen
    # in 4 of 5 folds; CV strict F1 0.943, lax 0.994). anchor_similarity was not fitted: 0.7 and
    # no anchors gave the same groups on a first 3-document run, 0.7 embeds fewer groups.
    group_delta: float = 0.05
    # A group's gain is its similarity margin times ((a + b) / 2) ** this (fitted as above).
    size_exponent: float = 0.0
    # Weight of the length-agreement term (log2(1 + short/long), 1 = lengths agree).
    length_weight: float = 0.4
    # First-pass 1-1 pairs at or above this cosine, inside a run of such pairs, are kept as
    # anchors; everything else is re-aligned (above 1.0: re-align everything).
    anchor_similarity: float = 0.7
    # Second-pass search: cells within this many sentences of the first path; groups of at most
    # this many sentences on both sides together (5 allows 1-4 and 4-1). The cheapest pair whose
    # strict F1 equals the widest search's (window 3, groups of 6, Bertalign's defaults) on
    # every set: `python benchmarks/align_benchmark.py --search --limit 8` (groups of 4 lose
    # strict F1 on the merged-lines set).
    refine_window: int = 1
    max_group_sentences: int = 5
    # Second pass: a lone sentence on each side between matched groups is paired by position
    # (a garbled translation rather than a drop plus an addition). Not fitted: on the dev
    # benchmark it recovered the only lax groups the second pass lost (align_benchmark.py).
    pair_single_gaps: bool = True
    # Second pass: groups of 3+ sentences embedded only where the first pass's sum-of-vectors
    # cosine gives them a gain above minus this (None: embed every candidate). Chosen with the
    # window and group size, as the cheapest setting with the widest search's F1 on every set
    # (`align_benchmark.py --search --limit 8`: 0.0 embeds 15-20% fewer texts than None).
    refine_prune_margin: float | None = 0.0
    # Expected characters of English MT per character of the other side, by its language
    # (mean over dev documents; `python benchmarks/align_benchmark.py --ratios`). Other pairs
    # use the document's own character ratio.
    length_ratio_en: float = 0.97
    length_ratio_zh: float = 3.8
    # The thresholds fast mode uses instead of the ones above (`for_fast`).
    fast: FastConfig = field(default_factory=FastConfig)

    def __post_init__(self) -> None:
        # Plain strings from library callers ("lines", "parallel") become the enums; an unknown
        # value is a ValueError naming the choices.
        for name, enum in (("mode", AlignMode), ("segmentation", Segmentation),
                           ("parse_scope", ParseScope)):
            value = getattr(self, name)
            if not isinstance(value, enum):
                try:
                    object.__setattr__(self, name, enum(value))
                except ValueError:
                    choices = ", ".join(e.value for e in enum)
                    raise ValueError(f"{name} must be one of {choices}, not {value!r}") from None

    def document_chars(self, lang: str) -> int:
        """The document cap for a text in `lang`: a Chinese or Japanese character carries as
        much as `length_ratio_zh` characters of English, so the cap covers the same content."""
        if lang in ("zh", "ja"):
            return max(1, round(self.max_document_chars / self.length_ratio_zh))
        return self.max_document_chars

    def with_(self, **changes: Any) -> AuditConfig:
        return replace(self, **changes)

    def for_fast(self) -> AuditConfig:
        """These settings with fast mode's refitted thresholds in place (idempotent)."""
        fast = asdict(self.fast)
        source = {k: fast.pop(k) for k in _FAST_SOURCE_FIELDS}
        return replace(self, **fast, source=replace(self.source, **source))

    def to_dict(self) -> dict[str, Any]:
        """Every setting as JSON values (tuples become lists), so that it survives a round trip
        through the JSON and CSV sidecars unchanged."""
        out = asdict(self)
        out["mode"] = self.mode.value
        out["segmentation"] = self.segmentation.value
        out["parse_scope"] = self.parse_scope.value
        out["fast"]["parse_scope"] = self.fast.parse_scope.value
        plain: dict[str, Any] = json.loads(json.dumps(out))
        return plain

    def detector_settings(self) -> dict[str, dict[str, Any]]:
        """Every detector's settings, by section name."""
        return {name: asdict(getattr(self, name)) for name in DETECTOR_SECTIONS}

    def settings_hash(self) -> str:
        """Short hash of all detector settings, for the one-line signature."""
        text = json.dumps(self.detector_settings(), sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


# FastConfig fields that replace SourceConfig's (the others replace AuditConfig's own).
_FAST_SOURCE_FIELDS = ("clause_drop_minor", "clause_drop_major")
# The AuditConfig fields that hold detector settings (their hash goes into the signature).
DETECTOR_SECTIONS = ("clauses", "content", "numbers", "repetition", "untranslated", "names",
                     "source")
