"""Split sentences into clauses (propositions) with character offsets, from a spaCy parse.

Detectors that judge support below the sentence ("an MT sentence can be half supported") need
units smaller than sentences. A clause starts at every verb that heads its own proposition
(dependency `conj`, `advcl`, `ccomp`, `relcl`, `parataxis`) and at ";" ; pieces too small to
state anything (fewer than `ClauseConfig.min_content_words` content words) are merged into a
neighbour.
Pure functions over spaCy `Doc`s; the spaCy pipeline itself is injected.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from auditor.config import ClauseConfig
from auditor.result import SegmentedDocument, Sentence

# Dependency labels whose verbal head starts a proposition of its own (Universal/ClearNLP deps).
CLAUSE_DEPS = frozenset({"conj", "advcl", "ccomp", "relcl", "parataxis"})
CONTENT_POS = frozenset({"NOUN", "PROPN", "VERB", "ADJ", "NUM", "ADV"})
# Sizes (a proposition's content words, a reporting frame's): ClauseConfig in auditor/config.py.
_DEFAULT = ClauseConfig()


@dataclass(frozen=True)
class Clause:
    """One proposition of one sentence. `start`/`end` are offsets into the document text.

    `doc` is the reference index, or `MT_DOC` (result.py) for the MT. `content` holds the stems
    of its content words (see `content_words`); `has_verb` whether a verb or auxiliary occurs;
    `names` the stems of its proper nouns (a subset of `content`).
    """

    doc: int
    sentence: int
    start: int
    end: int
    text: str
    content: frozenset[str]
    has_verb: bool
    names: frozenset[str] = frozenset()


_SPACE_THEN_SPACE = re.compile(r" \s")  # where `sentence_offsets` swallows a whitespace run


def sentence_offsets(doc_text: str, sent_start: int, sent_end: int, sent_text: str) -> list[int]:
    """Map each character of a whitespace-normalised sentence text to its document offset.

    The segmenter collapses whitespace runs to one space, so characters are matched in order
    and a space in `sent_text` swallows the whole run in the document. Returns len+1 offsets.
    """
    raw = doc_text[sent_start:sent_end]
    if raw == sent_text and not _SPACE_THEN_SPACE.search(raw):
        # nothing collapsed (most sentences): character k sits at sent_start + k, as the walk
        return list(range(sent_start, sent_start + len(sent_text) + 1))
    return walked_offsets(raw, sent_start, sent_text)


def walked_offsets(raw: str, sent_start: int, sent_text: str) -> list[int]:
    """`sentence_offsets` character by character: `raw` the sentence's document slice."""
    offsets: list[int] = []
    j = 0
    for ch in sent_text:
        offsets.append(sent_start + min(j, len(raw)))
        if ch == " ":
            while j < len(raw) and raw[j].isspace():
                j += 1
        else:
            j += 1
    offsets.append(sent_start + min(j, len(raw)))
    return offsets


@dataclass(frozen=True)
class ParsedSentence:
    """A segmented sentence with its spaCy parse, and the map from its characters to the
    document's (`sentence_offsets`), so that detectors report document offsets."""

    sentence: Sentence
    parsed: Any
    offsets: list[int]

    def doc_span(self, start_char: int, end_char: int) -> tuple[int, int]:
        """Document offsets of the sentence-relative character range [start_char, end_char)."""
        if end_char <= start_char:
            return self.offsets[start_char], self.offsets[start_char]
        return self.offsets[start_char], self.offsets[end_char - 1] + 1


def parsed_sentences(segmented: SegmentedDocument, parses: Sequence[Any],
                     sentences: Sequence[Sentence] | None = None) -> list[ParsedSentence]:
    """Pair each sentence of `segmented` (or only `sentences` of it) with its parse (spaCy Docs
    of their texts)."""
    text = segmented.doc.text
    chosen = segmented.sentences if sentences is None else sentences
    return [ParsedSentence(s, p, sentence_offsets(text, s.start, s.end, s.text))
            for s, p in zip(chosen, parses, strict=True)]


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """Snowball stem of a lower-case word; cached, as clause splitting asks for each word often."""
    return str(_stemmer().stemWord(word))


def content_words(tokens: Sequence[Any]) -> frozenset[str]:
    """Stems of content words (nouns, names, verbs, adjectives, numbers, adverbs).

    Stems rather than lemmas, so that a paraphrase that changes word class still shares its
    words ("cooperate" / "cooperation", "negatively" / "negative").
    """
    out = set()
    for tok in tokens:
        if tok.pos_ in CONTENT_POS and not tok.is_stop and (tok.is_alpha or tok.like_num):
            out.add(stem(tok.lemma_.lower()))
        elif tok.like_num and not tok.is_punct:
            out.add(tok.text.lower())
    return frozenset(out)


def _cut_points(parsed: Any) -> list[int]:
    """Token indices (relative to the sentence) where a new clause begins."""
    cuts = {0}
    for tok in parsed:
        if tok.dep_ in CLAUSE_DEPS and tok.pos_ in ("VERB", "AUX") and tok.head.i != tok.i:
            left, right = tok.left_edge.i, tok.right_edge.i
            cuts.add(left)
            if right + 1 < len(parsed):
                cuts.add(right + 1)
        elif tok.text == ";" and tok.i + 1 < len(parsed):
            cuts.add(tok.i + 1)
    return sorted(cuts)


def _n_content(parsed: Any, piece: tuple[int, int]) -> int:
    return len(content_words(parsed[piece[0]:piece[1]]))


def _merge_frames(parsed: Any, pieces: list[tuple[int, int]], frame_max_content: int
                  ) -> list[tuple[int, int]]:
    """Join a short reporting frame ("X said", "the ministry said") to the clause it reports.

    A frame alone states no proposition of the story, only who said it; the reported clause
    (the verb's `ccomp`) carries the content, so the two are judged together.
    """
    def index_of(token_i: int) -> int:
        return next(k for k, (a, b) in enumerate(pieces) if a <= token_i < b)

    for tok in parsed:
        if tok.dep_ != "ccomp" or tok.pos_ not in ("VERB", "AUX") or len(pieces) < 2:
            continue
        frame, body = index_of(tok.head.i), index_of(tok.i)
        if abs(frame - body) == 1 and _n_content(parsed, pieces[frame]) <= frame_max_content:
            lo, hi = sorted((frame, body))
            pieces[lo:hi + 1] = [(pieces[lo][0], pieces[hi][1])]
    return pieces


def _pieces(parsed: Any, settings: ClauseConfig) -> list[tuple[int, int]]:
    """Token ranges of the clauses of one parsed sentence, small pieces merged into neighbours."""
    cuts = _cut_points(parsed) + [len(parsed)]
    ranges = [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]
    merged: list[tuple[int, int]] = []
    for piece in ranges:
        if merged and _n_content(parsed, piece) < settings.min_content_words:
            merged[-1] = (merged[-1][0], piece[1])
        else:
            merged.append(piece)
    if len(merged) > 1 and _n_content(parsed, merged[0]) < settings.min_content_words:
        merged[1] = (merged[0][0], merged[1][1])
        merged.pop(0)
    return _merge_frames(parsed, merged, settings.frame_max_content)


def split_clauses(doc_index: int, sentences: Sequence[ParsedSentence],
                  settings: ClauseConfig = _DEFAULT,
                  whole: Collection[int] = ()) -> list[list[Clause]]:
    """Clauses of every parsed sentence of a document, in order: one list per sentence. The
    sentences indexed in `whole` (pieces of an over-long sentence) are one clause each."""
    out: list[list[Clause]] = []
    for item in sentences:
        sent, parsed = item.sentence, item.parsed
        clauses = []
        ranges = [(0, len(parsed))] if sent.index in whole else _pieces(parsed, settings)
        for a, b in ranges:
            span = parsed[a:b]
            c_start = span.start_char
            c_end = span.end_char
            # trim leading/trailing punctuation and spaces so the clause reads cleanly
            text = sent.text[c_start:c_end]
            lead = len(text) - len(text.lstrip(" ,;:-–—"))
            trail = len(text) - len(text.rstrip(" ,;:-–—"))
            if lead + trail >= len(text):
                lead, trail = 0, 0
            c_start, c_end = c_start + lead, c_end - trail
            start, end = item.doc_span(c_start, c_end)
            clauses.append(
                Clause(
                    doc=doc_index,
                    sentence=sent.index,
                    start=start,
                    end=end,
                    text=sent.text[c_start:c_end],
                    content=content_words(span),
                    has_verb=any(t.pos_ in ("VERB", "AUX") for t in span),
                    names=content_words([t for t in span if t.pos_ == "PROPN"]),
                )
            )
        out.append(clauses)
    return out


def with_sentence_units(clauses: list[list[Clause]],
                        segmented: SegmentedDocument) -> list[Clause]:
    """All clauses plus, for every sentence of several clauses, the whole sentence as one unit.

    Used as the candidates a clause can be supported by: when one side says in one clause what
    the other spreads over two, the whole sentence is the counterpart.
    """
    out = [c for sent in clauses for c in sent]
    for sent_clauses, sent in zip(clauses, segmented.sentences, strict=True):
        if len(sent_clauses) > 1:
            out.append(Clause(
                doc=sent_clauses[0].doc, sentence=sent.index, start=sent.start, end=sent.end,
                text=sent.text, content=frozenset().union(*(c.content for c in sent_clauses)),
                has_verb=any(c.has_verb for c in sent_clauses),
                names=frozenset().union(*(c.names for c in sent_clauses)),
            ))
    return out


__all__ = ["Clause", "CLAUSE_DEPS", "ParsedSentence", "content_words",
           "parsed_sentences", "sentence_offsets", "split_clauses", "with_sentence_units"]
