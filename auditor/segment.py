"""Stage 1b: split a document into sentences with character offsets.

Paragraphs (lines) are sentence boundaries, except where a line break splits an abbreviation
("the U.\\n\\nS. and Japan") or a sentence continues in lower case on the next line.
English and other Latin-script text goes through pysbd; Chinese, Japanese and Korean are
split on their full-width sentence ends (。！？) with closing quotes kept in the sentence.
"""

from __future__ import annotations

import re
import threading
from dataclasses import replace

from auditor.lang.scripts import HAN, HANGUL, KANA
from auditor.result import Document, SegmentedDocument, Sentence

_PYSBD_LANGS = {"en", "de", "fr", "es", "it", "nl", "da", "pl", "ru", "bg", "el", "ar", "fa",
                "hi", "mr", "ur", "hy", "am", "my", "kk", "sk"}
# "……" is left inside sentences: in Chinese it marks a pause as often as an end.
_CJK_END = re.compile(r"[^。！？!?]*[。！？!?]+[”’」』）)\]\"']*|[^。！？!?]+$")
# Korean ends sentences with Western punctuation followed by a space.
_KO_STOP = r"\.(?=[”’」』）)\]\"']*(?:\s|$))"  # a full stop before a space, not in "3.5"
_KO_CHAR = rf"(?:[^。！？!?.]|(?!{_KO_STOP})\.)"
_KO_END = re.compile(rf"{_KO_CHAR}*(?:[。！？!?]+|{_KO_STOP})[”’」』）)\]\"']*|{_KO_CHAR}+$")
_TERMINAL = re.compile(r"[.!?。！？…:;\"'”’)\]]\s*$")
_INITIAL_END = re.compile(r"(?:^|[\s(])[A-Z]\.$")
_INITIAL_START = re.compile(r"^[A-Z]\.")
_WS = re.compile(r"\s+")
# Where pysbd may split a Latin- or Cyrillic-script block: terminal punctuation, brackets,
# double quotes. (Greek, Arabic, Devanagari, Armenian... have sentence marks of their own.)
_PLAIN_PUNCTUATION_LANGS = {"en", "de", "fr", "es", "it", "nl", "da", "pl", "sk", "ru", "bg", "kk"}
_MAY_SPLIT = re.compile(r"[.!?…)\]\"“”]")
_PIECE_END = re.compile(r"[.!?。！？…][\"'”’)\]]*\s+")
# Where the document cap may cut: as above, or after a full-width stop (no space follows it).
_DOC_END = re.compile(r"[。！？][”’」』）)\]\"']*|[.!?…][\"'”’)\]]*\s+")
# The longest sentence kept whole: the encoder reads 256 word pieces (about 1,000-1,200
# characters of English), so a longer "sentence" is a run-on line or a list, not a sentence.
MAX_SENTENCE_CHARS = 1_000
# pysbd's time grows with the square of its input (20,000 characters 2.3 s, 80,000 27 s);
# real paragraphs are far shorter, so longer ones are cut at a sentence end first.
MAX_PYSBD_CHARS = 5_000
_CLOSING = ".!?…)]\"”’' "


def detect_lang(text: str) -> str:
    """Script-based guess, enough to choose a segmenter: zh, ja, ko or en (Latin, default)."""
    sample = text[:5000]
    kana = len(re.findall(f"[{KANA}]", sample))
    hangul = len(re.findall(f"[{HANGUL}]", sample))
    han = len(re.findall(f"[{HAN}]", sample))
    letters = len(re.findall(r"[A-Za-z]", sample))
    if kana > 0.05 * (han + kana + 1) and kana + han > letters / 3:
        return "ja"
    if hangul > letters / 3 and hangul > han:
        return "ko"
    if han > letters / 3:
        return "zh"
    return "en"


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Non-empty lines as (start, end), re-joined where a break is not a sentence boundary."""
    spans = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text) if m.group().strip()]
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        if joined:
            prev = text[joined[-1][0] : joined[-1][1]].rstrip()
            nxt = text[start:end].lstrip()
            broken_initial = _INITIAL_END.search(prev) and _INITIAL_START.match(nxt)
            continues = not _TERMINAL.search(prev) and nxt[:1].islower()
            if broken_initial or continues:
                joined[-1] = (joined[-1][0], end)
                continue
        joined.append((start, end))
    return joined


_LOCAL = threading.local()


def _pysbd(lang: str):
    """One pysbd Segmenter per language and thread: a Segmenter keeps the text it is splitting
    in its own attributes, so one shared by threads hands out another document's sentences."""
    cache = _LOCAL.__dict__.setdefault("segmenters", {})
    if lang not in cache:
        import pysbd

        cache[lang] = pysbd.Segmenter(language=lang, clean=False, char_span=True)
    return cache[lang]


def _split_block(block: str, lang: str) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets within one paragraph block."""
    if lang in ("zh", "ja", "ko"):
        pattern = _KO_END if lang == "ko" else _CJK_END
        return [(m.start(), m.end()) for m in pattern.finditer(block) if m.group().strip()]
    flat = block.replace("\n", " ")  # same length: offsets stay valid
    if lang in _PLAIN_PUNCTUATION_LANGS and not _MAY_SPLIT.search(flat.rstrip().rstrip(_CLOSING)):
        # Nothing before the closing punctuation where a sentence could end: one sentence, and
        # pysbd (the slowest step before the encoder) is skipped. On 8,185 TED, news and seed
        # lines this agreed with pysbd on 6,787 of 6,788; pysbd split a final '."' in two.
        return [(0, len(flat))]
    segmenter = _pysbd(lang if lang in _PYSBD_LANGS else "en")
    return [(s.start, s.end) for s in segmenter.segment(flat)]


def segment_lines(doc: Document) -> SegmentedDocument:
    """Pre-segmented input: each non-empty line is one sentence, never split or joined."""
    sentences: list[Sentence] = []
    for match in re.finditer(r"[^\n]+", doc.text):
        raw = match.group()
        stripped = raw.strip()
        if not stripped:
            continue
        start = match.start() + len(raw) - len(raw.lstrip())
        sentences.append(Sentence(index=len(sentences), text=_WS.sub(" ", stripped),
                                  start=start, end=start + len(stripped)))
    return SegmentedDocument(doc=doc, sentences=tuple(sentences))


def _pieces(block: str, limit: int) -> list[tuple[int, int]]:
    """A block cut into pieces of at most `limit` characters, each after the last sentence end
    (or else the last space) of its window: the unit pysbd and the sentence cap work on."""
    out, start = [], 0
    while len(block) - start > limit:
        window = block[start:start + limit]
        ends = [m.end() for m in _PIECE_END.finditer(window)]
        cut = ends[-1] if ends and ends[-1] > limit // 4 else 0
        if not cut:
            space = max(window.rfind(" "), window.rfind("\t"), window.rfind("\u3000"))
            cut = space + 1 if space > limit // 4 else limit
        out.append((start, start + cut))
        start += cut
    out.append((start, len(block)))
    return out


def capped(doc: Document, max_chars: int | None) -> tuple[Document, tuple[str, ...]]:
    """The document cut to its first `max_chars` characters (after the last sentence end, or
    else space, of the final 1,000), and the note saying so; the document itself when it is
    short enough. Offsets into the cut text are offsets into the whole one."""
    if max_chars is None or len(doc.text) <= max_chars:
        return doc, ()
    start = max(0, max_chars - 1_000)
    window = doc.text[start:max_chars]
    ends = [m.end() for m in _DOC_END.finditer(window)]
    space = max(window.rfind(" "), window.rfind("\n"), window.rfind("\u3000"))
    cut = start + ends[-1] if ends else start + space + 1 if space > 0 else max_chars
    note = (f"{doc.name}: {len(doc.text):,} characters; only the first {cut:,} were audited "
            "(max_document_chars)")
    return replace(doc, text=doc.text[:cut]), (note,)


def segment_document(doc: Document, segmentation: str = "auto",
                     max_chars: int = MAX_SENTENCE_CHARS,
                     max_document_chars: int | None = None) -> SegmentedDocument:
    """Sentences with document offsets: automatic ("auto"), or one per non-empty line
    ("lines"). A document over `max_document_chars` characters is audited on its first part
    (`capped`; `AuditConfig.document_chars` gives the cap by language).
    In "auto", a paragraph over `MAX_PYSBD_CHARS` reaches pysbd in pieces, and a sentence over
    `max_chars` is split (at a space when it has one); both are said in the result's notes."""
    doc, cap_notes = capped(doc, max_document_chars)
    if segmentation == "lines":
        seg = segment_lines(doc)
        return replace(seg, notes=cap_notes + seg.notes)
    if segmentation != "auto":
        raise ValueError(f"unknown segmentation {segmentation!r}: use 'auto' or 'lines'")
    sentences: list[Sentence] = []
    pieces: set[int] = set()
    split = 0
    for p_start, p_end in _paragraph_spans(doc.text):
        block = doc.text[p_start:p_end]
        spans = [(c0 + s0, c0 + s1) for c0, c1 in _pieces(block, MAX_PYSBD_CHARS)
                 for s0, s1 in _split_block(block[c0:c1], doc.lang)]
        for s_start, s_end in spans:
            raw = block[s_start:s_end]
            lead = len(raw) - len(raw.lstrip())
            stripped = raw.strip()
            if not stripped:
                continue
            start = p_start + s_start + lead
            parts = _pieces(stripped, max_chars) if len(stripped) > max_chars else [
                (0, len(stripped))]
            split += len(parts) > 1
            for a, b in parts:
                if len(parts) > 1:
                    pieces.add(len(sentences))
                piece = stripped[a:b]
                text = piece.strip()
                if not text:
                    continue
                lead_in = a + len(piece) - len(piece.lstrip())
                sentences.append(
                    Sentence(
                        index=len(sentences),
                        text=_WS.sub(" ", text),
                        start=start + lead_in,
                        end=start + lead_in + len(text),
                    )
                )
    notes = cap_notes + ((f"{doc.name}: {split} sentence{'s' * (split != 1)} longer than "
                          f"{max_chars:,} characters split into pieces",) if split else ())
    return SegmentedDocument(doc=doc, sentences=tuple(sentences), notes=notes,
                             pieces=frozenset(pieces))
