"""Writers for segment-level results (`auditor score`): JSONL, CSV, HTML, and the summary.

They write as documents come in (one write and a flush per document), so a killed run keeps
everything finished before it and `--resume` can pick up from the JSONL.

- JSONL: one object per segment, in input order: `segment` (0-based line / row / unit),
  `system`, `doc`, `doc_segment`, `score` (0-100, higher is better), `support`, `findings`
  (the JSON finding objects, offsets into the segment), `id` where the input has one, `error`
  where the segment's document could not be audited, `signature`.
- CSV: one row per segment with the counts by severity and the findings in words.
- HTML: one self-contained page for the batch (a table of documents and their segments with
  the findings), or with a directory, the full audit report of every document plus an index.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Container, Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, NamedTuple

from auditor.errors import InputError
from auditor.segments import DocumentOutcome, PairedResult

CSV_COLUMNS = ["system", "segment", "id", "doc", "doc_segment", "score", "support", "findings",
               "n_minor", "n_major", "n_critical", "details", "error", "signature"]


def segment_rows(outcome: DocumentOutcome, system: str,
                 key: str | None = None) -> list[dict[str, Any]]:
    """The JSON objects of one document's segments; `key` the system's `input_key`."""
    signature = outcome.result.signature.short() if outcome.result is not None else None
    rows = []
    for seg in outcome.segments:
        row = {"system": system, **seg.to_json(signature)}
        if key is not None:
            row["input"] = key
        rows.append(row)
    return rows


class DoneRow(NamedTuple):
    """What a resumed run keeps of a row already written: no findings, no text."""

    score: float | None
    findings: int
    major: int
    first: bool  # the first segment of its document
    offset: int  # byte offset of the row in the JSONL


def read_done(path: Path, keys: Container[str]) -> tuple[dict[tuple[str, int], DoneRow],
                                                         int]:
    """What an earlier run wrote to a JSONL file, by (input key, segment), and the byte length
    of its complete lines (a line cut by a kill is dropped). A row of an input this run does
    not read (a file changed since, another file) is an `InputError`: appending to it would
    mix two runs in one file."""
    done: dict[tuple[str, int], DoneRow] = {}
    good = 0
    if not path.exists():
        return done, 0
    with open(path, "rb") as fh:
        for raw in fh:
            if not raw.endswith(b"\n"):
                break
            try:
                row = json.loads(raw)
                key = (str(row.get("input")), int(row["segment"]))
                findings = row.get("findings") or []
                entry = DoneRow(row.get("score"), len(findings),
                                sum(1 for f in findings if f["severity"] in ("major",
                                                                             "critical")),
                                row.get("doc_segment") == 0, good)
            except (ValueError, KeyError, TypeError, AttributeError):
                break
            if key[0] not in keys:
                raise InputError(
                    f"{path}: --resume: its rows were written for other inputs than this run's "
                    f"({row.get('system')!r} has changed since, or is another file); write to a "
                    "new --jsonl file or run without --resume")
            done[key] = entry
            good += len(raw)
    return done, good


class RowFile:
    """The rows of a JSONL file by segment, read from disk when asked (`offsets`: segment ->
    byte offset), so that writing an XLIFF back does not hold every finding in memory."""

    def __init__(self, path: Path, offsets: Mapping[int, int]):
        self._fh = open(path, "rb")
        self._offsets = offsets

    def get(self, index: int, default: Any = None) -> Any:
        offset = self._offsets.get(index)
        if offset is None or offset < 0:
            return default
        self._fh.seek(offset)
        return json.loads(self._fh.readline())

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> RowFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SegmentWriter:
    """Streams rows to the JSONL and CSV files asked for (append mode when resuming)."""

    def __init__(self, jsonl: Path | None, csv_path: Path | None, resume: bool = False,
                 jsonl_keep: int | None = None):
        self._jsonl: IO[bytes] | None = None
        self._csv: IO[str] | None = None
        self._csv_writer: Any = None
        if jsonl is not None:
            jsonl.parent.mkdir(parents=True, exist_ok=True)
            if resume and jsonl.exists():
                with open(jsonl, "r+b") as fh:  # drop a line cut short by a killed run
                    fh.truncate(jsonl_keep if jsonl_keep is not None else fh.seek(0, 2))
                self._jsonl = open(jsonl, "ab")
            else:
                self._jsonl = open(jsonl, "wb")
        if csv_path is not None:
            csv_path.parent.mkdir(parents=True, exist_ok=True)
            append = resume and csv_path.exists() and csv_path.stat().st_size > 0
            self._csv = open(csv_path, "a" if append else "w", encoding="utf-8", newline="")
            self._csv_writer = csv.DictWriter(self._csv, fieldnames=CSV_COLUMNS,
                                              extrasaction="ignore")
            if not append:
                self._csv_writer.writeheader()

    def write(self, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        """Write and flush one document's rows; their byte offsets in the JSONL (-1: none)."""
        offsets = [-1] * len(rows)
        if self._jsonl is not None:
            position = self._jsonl.seek(0, 2)
            lines = [(json.dumps(r, ensure_ascii=False) + "\n").encode("utf-8") for r in rows]
            for k, line in enumerate(lines):
                offsets[k] = position
                position += len(line)
            self._jsonl.write(b"".join(lines))
            self._jsonl.flush()
        if self._csv_writer is not None:
            assert self._csv is not None
            self._csv_writer.writerows(csv_row(r) for r in rows)
            self._csv.flush()
        return offsets

    def close(self) -> None:
        for fh in (self._jsonl, self._csv):
            if fh is not None:
                fh.close()

    def __enter__(self) -> SegmentWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def finding_words(f: Mapping[str, Any]) -> str:
    """A finding in a few words: severity, kind, the MT text and what it should be."""
    text = f.get("mt_text") or ""
    if not text:
        side = f.get("reference") or f.get("source")
        text = f"missing: {side['text']}" if side else ""
    canon = f" -> {f['canonical']}" if f.get("canonical") else ""
    return f"{f['severity']} {f['kind']}: {text}{canon}"


def csv_row(row: Mapping[str, Any]) -> dict[str, Any]:
    findings = row.get("findings") or []
    out = {k: row.get(k) for k in CSV_COLUMNS}
    out["findings"] = len(findings)
    for sev in ("minor", "major", "critical"):
        out[f"n_{sev}"] = sum(1 for f in findings if f["severity"] == sev)
    out["details"] = " | ".join(finding_words(f) for f in findings)
    return out


# ---- summary ---------------------------------------------------------------------------------
def system_line(name: str, scores: Sequence[float | None], documents: int, findings: int,
                major: int, signature: str | None) -> str:
    """One line per system, as comet-score ends with `<file>  score: ...`."""
    from auditor.segments import system_score

    valid = [s for s in scores if s is not None]
    failed = len(scores) - len(valid)
    line = (f"{name}\tscore: {system_score(valid):.2f}\tsegments: {len(valid)}"
            f"\tdocuments: {documents}\tfindings: {findings} ({major} major or critical)")
    if failed:
        line += f"\tnot scored: {failed}"
    if signature:
        line += f"\tsignature: {signature}"
    return line


def ranking_table(results: Sequence[PairedResult], n_samples: int, seed: int) -> str:
    """Systems ranked by score, with sacrebleu --paired-bs's columns."""
    lines = [f"Paired bootstrap resampling ({n_samples} resamples, seed {seed}); baseline: "
             f"{results[0].name}. p < 0.05 (*): the difference to the baseline is significant.",
             f"{'rank':>4}  {'system':40} {'score':>7}  {'mean ± 95% CI':>16}  p-value"]
    ranked = sorted(results, key=lambda r: -r.score)
    for rank, r in enumerate(ranked, 1):
        p = "(baseline)" if r.p_value is None else (
            f"{r.p_value:.4f}" + (" *" if r.p_value < 0.05 else ""))
        name = r.name if len(r.name) <= 40 else "…" + r.name[-39:]
        lines.append(f"{rank:>4}  {name:40} {r.score:7.2f}  {r.mean:7.2f} ± {r.ci:5.2f}  {p}")
    return "\n".join(lines)


# ---- HTML ------------------------------------------------------------------------------------
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def document_file_name(system: str, doc: str) -> str:
    """A file name for one document's report: readable, unique, never a path."""
    stem = _UNSAFE.sub("_", f"{system}-{doc}").strip("._")[:80] or "doc"
    digest = hashlib.sha1(f"{system}\0{doc}".encode()).hexdigest()[:8]
    return f"{stem}-{digest}.html"


_STYLE = (
    "body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;"
    "padding:4px 6px;vertical-align:top;text-align:left}th{background:#f4f4f4}"
    ".num{text-align:right;white-space:nowrap}.major,.critical{color:#b00020}"
    ".minor{color:#8a6d00}h2{margin-top:1.6em}.mt{unicode-bidi:isolate}"
    "tr.doc td{background:#fafafa;font-weight:600}"
)


class BatchHtml:
    """One self-contained page for the whole batch, written as documents come in.

    Text is escaped (markupsafe); the page has no script and a Content-Security-Policy that
    allows only its own inline style.
    """

    COLUMNS = ("system", "segment", "MT", "score", "findings")

    def __init__(self, path: Path, title: str, columns: Sequence[str] = COLUMNS):
        import base64

        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(path, "w", encoding="utf-8")
        digest = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
        csp = f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'"
        self._fh.write(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">"
            f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{_e(title)}</h1>\n<table><thead><tr>"
            + "".join(f"<th>{_e(c)}</th>" for c in columns) + "</tr></thead><tbody>\n")

    def add(self, system: str, outcome: DocumentOutcome, link: str | None = None) -> None:
        overall = outcome.result.scores.overall if outcome.result is not None else None
        head = (f"document {outcome.doc}" + (f" — overall {overall:.1f}" if overall is not None
                                             else f" — {outcome.error}"))
        if link:
            head = f"<a href=\"{_e(link)}\">{_e(head)}</a>"
        else:
            head = _e(head)
        parts = [f"<tr class=\"doc\"><td>{_e(system)}</td><td colspan=\"4\">{head}</td></tr>"]
        for seg in outcome.segments:
            items = "".join(
                f"<li class=\"{_e(sf.finding.severity.value)}\">"
                f"{_e(finding_words(sf.to_json()))}</li>" for sf in seg.findings)
            score = "" if seg.score is None else f"{seg.score:.1f}"
            parts.append(f"<tr><td>{_e(system)}</td><td class=\"num\">{seg.index}</td>"
                         f"<td class=\"mt\">{_e(seg.mt)}</td><td class=\"num\">{score}</td>"
                         f"<td><ul>{items}</ul></td></tr>")
        self.write_row("\n".join(parts))

    def write_row(self, html: str) -> None:
        """Append already-escaped rows and flush (a killed run leaves a readable page)."""
        self._fh.write(html + "\n")
        self._fh.flush()

    def close(self, summary: str = "") -> None:
        self._fh.write(f"</tbody></table>\n<h2>Summary</h2><pre>{_e(summary)}</pre>"
                       "</body></html>\n")
        self._fh.close()


def _e(text: object) -> str:
    from markupsafe import escape

    return str(escape(str(text)))


def write_index(directory: Path, entries: Iterable[tuple[str, str, float | None, str]],
                summary: str) -> Path:
    """index.html of a directory of per-document reports: (system, doc, overall, file)."""
    path = directory / "index.html"
    page = BatchHtml(path, "auditor score: documents", ("system", "document", "overall"))
    for system, doc, overall, file in entries:
        shown = "" if overall is None else f"{overall:.1f}"
        page.write_row(f"<tr><td>{_e(system)}</td><td><a href=\"{_e(file)}\">{_e(doc)}</a>"
                       f"</td><td class=\"num\">{shown}</td></tr>")
    page.close(summary)
    return path


__all__ = ["CSV_COLUMNS", "BatchHtml", "SegmentWriter", "csv_row", "document_file_name",
           "finding_words", "ranking_table", "read_done", "segment_rows", "system_line",
           "write_index"]
