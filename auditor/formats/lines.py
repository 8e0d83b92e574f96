"""Line-aligned text files, one segment a line, as sacrebleu and comet-score read them.

`-t mt.txt -s src.txt -r ref.txt`: line k of every file is segment k. Documents are marked by
a line that is blank in every file (the blank line is a boundary, not a segment) or by a
doc-ids file with one id per line (WMT mt-metrics-eval's `documents` file); without either,
every line is its own document, as comet-score scores it. Files are read as they are audited,
never whole.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from auditor.errors import InputError
from auditor.segments import SegmentInput


def check_file(path: Path, what: str) -> None:
    """Refuse before opening what is not a readable regular file (a FIFO would block)."""
    if not path.exists():
        raise InputError(f"{what} {path}: no such file")
    if not path.is_file():
        raise InputError(f"{what} {path}: not a regular file")


def read_lines(path: Path) -> Iterator[str]:
    """The file's lines, decoded as UTF-8 (a BOM is dropped), without their line ends."""
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh):
            if b"\x00" in raw:
                raise InputError(f"{path}: binary file, not text (NUL byte on line {n + 1})")
            try:
                line = raw.decode("utf-8-sig" if n == 0 else "utf-8")
            except UnicodeDecodeError:
                raise InputError(f"{path}: line {n + 1} is not UTF-8") from None
            yield line.rstrip("\r\n")


def count_lines(path: Path) -> int:
    """Lines as `read_lines` yields them (a last line without a newline counts)."""
    n, last = 0, b"\n"
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            n += chunk.count(b"\n")
            last = chunk[-1:]
    return n + (last != b"\n")


def line_segments(
    mt: Path,
    references: Sequence[Path] = (),
    source: Path | None = None,
    doc_ids: Path | None = None,
) -> tuple[int, Iterator[SegmentInput]]:
    """Check the files (same number of lines), then return the segment count and a lazy
    iterator of segments. A wrong line count is an `InputError` before anything is audited."""
    files = [("MT", mt), *(("reference", r) for r in references)]
    if source is not None:
        files.append(("source", source))
    if doc_ids is not None:
        files.append(("doc-ids", doc_ids))
    counts = []
    for what, path in files:
        check_file(path, what)
        counts.append(count_lines(path))
    if counts[0] == 0:
        raise InputError(f"{mt}: empty file, nothing to audit")
    for (what, path), n in zip(files[1:], counts[1:], strict=True):
        if n != counts[0]:
            raise InputError(f"{what} {path} has {n} lines but the MT {mt} has {counts[0]}: "
                             "line-aligned files need one segment per line in every file")
    n_refs = len(references)
    # Without doc ids, blank lines mark documents if there are any; else a line is a document.
    blank_boundaries = doc_ids is None and has_blank_boundaries(mt)

    def generate() -> Iterator[SegmentInput]:
        streams = [read_lines(p) for _, p in files]
        doc_number, seen_ids, previous_id = 0, set(), None
        for index, row in enumerate(zip(*streams, strict=True)):
            mt_line, refs = row[0], tuple(row[1 : 1 + n_refs])
            src_line = row[1 + n_refs] if source is not None else None
            if doc_ids is not None:
                doc = row[-1].strip()
                if doc != previous_id:
                    if doc in seen_ids:
                        raise InputError(f"{doc_ids}: line {index + 1}: document {doc!r} "
                                         "appears again after another document; a "
                                         "document's lines must be consecutive")
                    seen_ids.add(doc)
                    previous_id = doc
            else:
                texts = (mt_line, *refs, *((src_line,) if src_line is not None else ()))
                if not any(t.strip() for t in texts):  # blank everywhere: a boundary
                    doc_number += 1
                    continue
                doc = f"doc{doc_number}" if blank_boundaries else f"line{index}"
            yield SegmentInput(index=index, doc=doc, mt=mt_line, references=refs,
                               source=src_line)

    return counts[0], generate()


def has_blank_boundaries(mt: Path) -> bool:
    """Whether the MT file has a blank line (then blank lines separate documents)."""
    return any(not line.strip() for line in read_lines(mt))


__all__ = ["check_file", "count_lines", "has_blank_boundaries", "line_segments", "read_lines"]
