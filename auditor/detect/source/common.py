"""What the source-side checks share: the detector id, raw sentence text, clause size."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from auditor.result import Sentence

SOURCE_ID = "source"

_CONTENT_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7afA-Za-z0-9]")


def content_chars(text: str) -> int:
    """Han characters, kana, hangul, letters and digits in `text`."""
    return len(_CONTENT_CHAR.findall(text))


def raw_text(doc_text: str, sentence: Sentence) -> str:
    """The sentence as the document writes it (the segmenter normalises whitespace)."""
    return doc_text[sentence.start : sentence.end]


def unit(vectors: np.ndarray, rows: Sequence[int]) -> np.ndarray:
    """Unit vector of the sum of these rows: one vector for an aligned group of sentences."""
    v = vectors[list(rows)].sum(axis=0)
    return v / max(float(np.linalg.norm(v)), 1e-12)
