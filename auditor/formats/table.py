"""JSONL, CSV and TSV with one segment per row, columns named by the caller.

The same columns as `audit_batch`: `mt` (default "mt"), references (default: every column whose
name starts with "ref"), the source (default "src" or "source" when present) and, optionally, a
document id column (consecutive rows with the same id form one document; without it every row
is its own document) and an id column carried through to the output. Rows are read as they are
audited.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.errors import InputError
from auditor.formats import InputFormat
from auditor.formats.lines import check_file, count_lines, read_lines
from auditor.segments import SegmentInput


@dataclass(frozen=True)
class Columns:
    """Which column holds what; None means "the default" (see the module docstring)."""

    mt: str = "mt"
    references: tuple[str, ...] | None = None
    source: str | None = None
    doc: str | None = None
    id: str | None = None

    def resolve(self, header: Sequence[str], where: str) -> Columns:
        """Defaults filled in from the header; a named column that is missing is an error."""
        names = list(header)
        refs = self.references if self.references is not None else tuple(
            c for c in names if c.startswith("ref"))
        source = self.source
        if source is None:
            source = next((c for c in ("src", "source") if c in names), None)
        for col in (self.mt, *refs, source, self.doc, self.id):
            if col is not None and col not in names:
                shown = ", ".join(names[:12]) or "none"
                raise InputError(f"{where}: no column {col!r} (columns: {shown})")
        if not refs and source is None:
            raise InputError(f"{where}: no reference or source column to audit against "
                             "(name them with --ref-column / --source-column)")
        return Columns(self.mt, tuple(refs), source, self.doc, self.id)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN from pandas
        return ""
    return value if isinstance(value, str) else str(value)


def rows_to_segments(rows: Iterator[dict[str, Any]], columns: Columns) -> Iterator[SegmentInput]:
    """Segments from dict rows whose columns are already resolved."""
    seen: set[str] = set()
    previous = None
    for index, row in enumerate(rows):
        if columns.doc is not None:
            doc = _text(row.get(columns.doc))
            if doc != previous:
                if doc in seen:
                    raise InputError(f"row {index}: document {doc!r} appears again after "
                                     "another document; a document's rows must be consecutive")
                seen.add(doc)
                previous = doc
        else:
            doc = f"row{index}"
        yield SegmentInput(
            index=index,
            doc=doc,
            mt=_text(row.get(columns.mt)),
            references=tuple(_text(row.get(c)) for c in columns.references or ()),
            source=_text(row.get(columns.source)) if columns.source else None,
            key=_text(row.get(columns.id)) if columns.id else None,
        )


def _jsonl_rows(path: Path) -> Iterator[dict[str, Any]]:
    for n, line in enumerate(read_lines(path)):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: line {n + 1} is not JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise InputError(f"{path}: line {n + 1} is not a JSON object")
        yield row


def table_segments(path: Path, fmt: InputFormat, columns: Columns) -> tuple[int,
                                                                            Iterator[SegmentInput]]:
    """The row count (for progress; CSV rows with line breaks make it an upper bound) and a
    lazy iterator of segments. Column errors are raised now, before anything is audited."""
    check_file(path, "input")
    total = count_lines(path)
    if fmt is InputFormat.JSONL:
        first = next(_jsonl_rows(path), None)
        if first is None:
            raise InputError(f"{path}: no rows")
        resolved = columns.resolve(list(first), str(path))
        return total, rows_to_segments(_jsonl_rows(path), resolved)
    delimiter = "\t" if fmt is InputFormat.TSV else ","

    def rows() -> Iterator[dict[str, Any]]:
        try:
            with open(path, encoding="utf-8-sig", newline="") as fh:
                yield from csv.DictReader(fh, delimiter=delimiter)
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8") from None
        except csv.Error as exc:
            raise InputError(f"{path}: not valid {fmt.value.upper()} ({exc})") from None

    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh, delimiter=delimiter), None)
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8") from None
    if not header:
        raise InputError(f"{path}: no header row")
    resolved = columns.resolve(header, str(path))
    return max(total - 1, 0), rows_to_segments(rows(), resolved)


__all__ = ["Columns", "rows_to_segments", "table_segments"]
