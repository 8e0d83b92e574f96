"""Readers and writers for the formats translation pipelines exchange.

- `lines`: line-aligned text files, as sacrebleu and comet-score take them;
- `table`: JSONL, CSV and TSV with one segment per row;
- `xliff`: XLIFF 1.2 / 2.x and TMX through translate-toolkit (read, and write findings back).

Every reader yields `auditor.segments.SegmentInput` lazily and raises `InputError` (one line)
on bad input. Nothing is imported at package import.
"""

from __future__ import annotations

from enum import Enum


class InputFormat(str, Enum):
    LINES = "lines"
    JSONL = "jsonl"
    CSV = "csv"
    TSV = "tsv"
    XLIFF = "xliff"
    TMX = "tmx"


_BY_SUFFIX = {".jsonl": InputFormat.JSONL, ".ndjson": InputFormat.JSONL,
              ".csv": InputFormat.CSV, ".tsv": InputFormat.TSV,
              ".xlf": InputFormat.XLIFF, ".xliff": InputFormat.XLIFF,
              ".sdlxliff": InputFormat.XLIFF, ".tmx": InputFormat.TMX}


def format_of(path: str) -> InputFormat | None:
    """The format a file's extension says (None: unknown)."""
    from pathlib import PurePath

    return _BY_SUFFIX.get(PurePath(path).suffix.lower())


__all__ = ["InputFormat", "format_of"]
