"""Documents and segment labels from the public WMT MQM annotations in ../shared/data/.

The data stays outside the repository (see ../shared/data/README.md); this module only reads it.
One `MqmDocument` per system x document: the MT text (segments joined by newlines, so each
segment starts a paragraph), the reference (`refB` for TED, none for news), the source text,
each segment's character offsets in the MT and source texts, and per-segment labels.

Labels (a segment is positive for a kind when ANY rater marked a Major error of that kind):
- omission      <- Accuracy/Omission* (the span is in the source);
- addition      <- Accuracy/Addition;
- name          <- Locale convention/Name format, plus Accuracy/Mistranslation and
                   Terminology/* errors whose short target span (<= 5 words) holds a
                   capitalised word that is not sentence-initial (a heuristic: MQM has
                   no "wrong name" category in TED, and news raters put most name errors
                   under Mistranslation);
- number        <- Accuracy/Mistranslation, Terminology/* or Locale convention/Date|Currency
                   format errors whose short target span contains a digit or a number word
                   ("one", "first", "half" are left out: mostly not figures);
- mistranslation<- Accuracy/Mistranslation (all of them, names and numbers included).

Document MQM score, as WMT 2021 (Freitag et al. 2021, "Experts, errors, and context"): each
error weighs Major 5, Minor 1, Minor Fluency/Punctuation 0.1, Non-translation 25; source
errors and the news "hands on the wheel" test rows (HOTW-test) count 0. A segment's points are
averaged over the raters who rated it (1 for TED, 3 for news); the document score is minus the
mean over its segments (0 is perfect, lower is worse).
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

Dataset = Literal["ted", "news"]
KINDS = ("omission", "addition", "name", "number", "mistranslation")
DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
FILES = {"ted": "mqm_ted_zhen.dev.tsv", "news": "mqm_news_zhen.dev.tsv"}
REFERENCE_SYSTEM = {"ted": "refB"}  # the best-rated human translation serves as the reference
HUMAN_SYSTEMS = {"ted": ("ref", "refB")}  # left out of the MT systems by default

_MARK = re.compile(r"</?v>")
_DIGIT_OR_NUMBER_WORD = re.compile(
    r"\d|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|trillion|"
    r"dozen|percent)\b",
    re.IGNORECASE,
)
_CAPITALISED = re.compile(r"\b(?:[A-Z][a-z]+|[A-Z]{2,})\b")
# A span longer than this marks a whole clause as mistranslated, not one name or figure.
MAX_ENTITY_SPAN_WORDS = 5
_SKIPPED_SEVERITIES = {"HOTW-test", "No-error"}
_SOURCE_ERRORS = {"Source error", "Source issue"}


@dataclass(frozen=True)
class MqmError:
    """One rater's marked error; `start`/`end` index the segment text on `side` (-1 if unmarked)."""

    rater: str
    category: str
    severity: str  # "Major" or "Minor"
    side: Literal["target", "source"]
    start: int
    end: int
    text: str
    kinds: frozenset[str]

    @property
    def major(self) -> bool:
        return self.severity == "Major"


@dataclass(frozen=True)
class MqmSegment:
    """One segment of an MT document, located in the joined MT and source texts."""

    index: int
    seg_id: str
    mt: str
    source: str
    mt_start: int
    mt_end: int
    source_start: int
    source_end: int
    raters: tuple[str, ...]
    errors: tuple[MqmError, ...]
    points: float  # MQM error points averaged over raters (>= 0, higher is worse)
    reference: str = ""  # the same segment in the reference (TED refB), "" without one
    reference_start: int = -1
    reference_end: int = -1

    @property
    def major_kinds(self) -> frozenset[str]:
        """Kinds of which some rater marked a Major error in this segment."""
        return frozenset(k for e in self.errors if e.major for k in e.kinds)

    @property
    def has_major(self) -> bool:
        """Any Major error at all (any category, accuracy or not)."""
        return any(e.major for e in self.errors)

    @property
    def has_major_accuracy(self) -> bool:
        return any(e.major and e.category.startswith("Accuracy/") for e in self.errors)


@dataclass(frozen=True)
class MqmDocument:
    dataset: Dataset
    system: str
    doc: str
    mt: str
    reference: str | None
    source: str
    segments: tuple[MqmSegment, ...]

    @property
    def key(self) -> str:
        return f"{self.dataset}:{self.system}:{self.doc}"

    @property
    def mqm(self) -> float:
        """WMT-style document MQM score: minus mean segment points (0 best, lower is worse)."""
        return -sum(s.points for s in self.segments) / max(len(self.segments), 1)

    def segment_at(self, offset: int) -> int | None:
        """Index of the segment holding MT character `offset` (None between segments)."""
        for seg in self.segments:
            if seg.mt_start <= offset < seg.mt_end:
                return seg.index
        return None

    def segments_overlapping(self, start: int, end: int) -> list[int]:
        """Indices of segments overlapping MT characters [start, end); a point if start == end."""
        end = max(end, start + 1)
        return [s.index for s in self.segments if s.mt_start < end and start < s.mt_end]


def strip_markers(text: str) -> str:
    return _MARK.sub("", text)


def _span(marked: str) -> tuple[int, int, str]:
    """Offsets of the <v>...</v> span in the cleaned, stripped text; (-1, -1, "") if none."""
    open_at = marked.find("<v>")
    if open_at < 0:
        return -1, -1, ""
    close_at = marked.find("</v>", open_at)
    before = strip_markers(marked[:open_at]).lstrip()
    inner = strip_markers(marked[open_at + 3 : close_at if close_at >= 0 else len(marked)])
    return len(before), len(before) + len(inner), inner


def _looks_like_name(segment: str, start: int, span: str) -> bool:
    """A capitalised word inside the span that does not merely start a sentence."""
    for m in _CAPITALISED.finditer(span):
        at = start + m.start()
        before = segment[:at].rstrip()
        sentence_initial = not before or before[-1] in ".!?:\"'“‘([-—"
        if m.group() != "I" and not sentence_initial:
            return True
    return False


def error_kinds(category: str, severity: str, target: str, start: int, span: str) -> frozenset[str]:
    """The auditor finding kinds an MQM error counts for (see the module docstring)."""
    kinds: set[str] = set()
    if category.startswith("Accuracy/Omission"):
        kinds.add("omission")
    elif category == "Accuracy/Addition":
        kinds.add("addition")
    elif category == "Locale convention/Name format":
        kinds.add("name")
    if category == "Accuracy/Mistranslation":
        kinds.add("mistranslation")
    on_target = category == "Accuracy/Mistranslation" or category.startswith("Terminology/")
    short = 0 < len(span.split()) <= MAX_ENTITY_SPAN_WORDS
    if on_target and short and _looks_like_name(target, start, span):
        kinds.add("name")
    numeric = on_target or category in ("Locale convention/Date format",
                                        "Locale convention/Currency format")
    if numeric and short and _DIGIT_OR_NUMBER_WORD.search(span):
        kinds.add("number")
    return frozenset(kinds)


def error_points(category: str, severity: str) -> float:
    """WMT 2021 MQM weights (Freitag et al. 2021)."""
    if severity in _SKIPPED_SEVERITIES or category in _SOURCE_ERRORS:
        return 0.0
    if category.startswith("Non-translation"):
        return 25.0
    if severity == "Major":
        return 5.0
    if category == "Fluency/Punctuation":
        return 0.1
    return 1.0


@lru_cache(maxsize=4)
def _read_rows(path: str) -> tuple[dict[str, str], ...]:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return tuple(reader)


def _most_common(texts: Iterable[str]) -> str:
    return Counter(texts).most_common(1)[0][0]


def load_documents(
    dataset: Dataset,
    data_dir: Path | str | None = None,
    include_human: bool = False,
    systems: Iterable[str] | None = None,
) -> list[MqmDocument]:
    """All system x document MT documents of one dataset, in file order of documents/systems.

    TED's two human translations (`ref`, `refB`) are not MT systems and are left out unless
    `include_human`; `refB` is each TED document's reference.
    """
    folder = Path(data_dir) if data_dir is not None else DATA_DIR
    path = folder / FILES[dataset]
    if not path.exists():
        raise FileNotFoundError(f"{path}: MQM data not found (expected beside the repo)")
    rows = _read_rows(str(path))
    seg_col = "seg_id" if dataset == "ted" else "docSegId"

    # (system, doc) -> seg_id -> rows; keep first-seen order of documents and systems
    grouped: dict[tuple[str, str], dict[str, list[dict[str, str]]]] = {}
    for row in rows:
        grouped.setdefault((row["system"], row["doc"]), {}).setdefault(row[seg_col], []).append(row)

    wanted = set(systems) if systems is not None else None
    references: dict[str, dict[str, str]] = {}  # doc -> seg_id -> reference segment
    ref_system = REFERENCE_SYSTEM.get(dataset)
    if ref_system:
        for (system, doc), segs in grouped.items():
            if system == ref_system:
                references[doc] = {seg_id: _segment_target(r) for seg_id, r in _ordered(segs)}

    docs = []
    for (system, doc), segs in grouped.items():
        if not include_human and system in HUMAN_SYSTEMS.get(dataset, ()):
            continue
        if wanted is not None and system not in wanted:
            continue
        docs.append(_build_document(dataset, system, doc, segs, references.get(doc)))
    return docs


def _ordered(segs: dict[str, list[dict[str, str]]]) -> list[tuple[str, list[dict[str, str]]]]:
    return sorted(segs.items(), key=lambda kv: int(kv[0]))


def _segment_target(rows: list[dict[str, str]]) -> str:
    real = [r for r in rows if r["severity"] != "HOTW-test"] or rows
    return _most_common(strip_markers(r["target"]).strip() for r in real)


def _segment_source(rows: list[dict[str, str]]) -> str:
    return _most_common(strip_markers(r["source"]).strip() for r in rows)


def _build_document(
    dataset: Dataset, system: str, doc: str, segs: dict[str, list[dict[str, str]]],
    reference: dict[str, str] | None,
) -> MqmDocument:
    segments: list[MqmSegment] = []
    mt_parts: list[str] = []
    src_parts: list[str] = []
    ref_parts: list[str] = []
    mt_pos = src_pos = ref_pos = 0
    for index, (seg_id, rows) in enumerate(_ordered(segs)):
        target, source = _segment_target(rows), _segment_source(rows)
        ref_text = reference.get(seg_id, "") if reference is not None else ""
        raters = tuple(sorted({r["rater"] for r in rows if r["severity"] != "HOTW-test"}))
        errors = []
        points = 0.0
        for r in rows:
            if r["severity"] in _SKIPPED_SEVERITIES:
                continue
            side: Literal["target", "source"] = "source" if "<v>" in r["source"] else "target"
            start, end, span = _span(r[side])
            kinds = error_kinds(r["category"], r["severity"], target, start, span)
            errors.append(MqmError(r["rater"], r["category"], r["severity"], side,
                                   start, end, span, kinds))
            points += error_points(r["category"], r["severity"])
        segments.append(
            MqmSegment(
                index=index, seg_id=seg_id, mt=target, source=source,
                mt_start=mt_pos, mt_end=mt_pos + len(target),
                source_start=src_pos, source_end=src_pos + len(source),
                raters=raters, errors=tuple(errors), points=points / max(len(raters), 1),
                reference=ref_text,
                reference_start=ref_pos if reference is not None else -1,
                reference_end=ref_pos + len(ref_text) if reference is not None else -1,
            )
        )
        mt_parts.append(target)
        src_parts.append(source)
        ref_parts.append(ref_text)
        mt_pos += len(target) + 1  # the joining newline
        src_pos += len(source) + 1
        ref_pos += len(ref_text) + 1
    return MqmDocument(
        dataset=dataset, system=system, doc=doc, mt="\n".join(mt_parts),
        reference="\n".join(ref_parts) if reference is not None else None,
        source="\n".join(src_parts), segments=tuple(segments),
    )


def load_all(data: str = "all", data_dir: Path | str | None = None) -> list[MqmDocument]:
    """`data` is "ted", "news" or "all"."""
    names: list[Dataset] = ["ted", "news"] if data == "all" else [data]  # type: ignore[list-item]
    return [d for name in names for d in load_documents(name, data_dir)]


__all__ = [
    "DATA_DIR", "KINDS", "MqmDocument", "MqmError", "MqmSegment", "error_kinds",
    "error_points", "load_all", "load_documents", "strip_markers",
]
