"""CSV renderer: the findings table (and the sentences and alignments tables), via pandas.

Every row carries the run's short `signature` in its own column, so rows stay attributable when
tables from many audits are concatenated; the full signature and configuration go to a JSON
sidecar (`<name>.signature.json`, or `signature.json` in a directory), which also survives a
table with no rows. A text cell starting with `=`, `+`, `-`, `@`, a tab, a carriage return or
an apostrophe gets a leading apostrophe (OWASP's advice against CSV formula injection: document
text is untrusted and CSV files open in spreadsheets); `read_csv` removes it again, and
`neutralise=False` writes cells raw. An empty cell means "no value".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.errors import InputError
from auditor.report.safety import neutralise_cell, restore_cell
from auditor.result import ALIGNMENT_COLUMNS, FINDING_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

    from auditor.result import AuditResult

TABLES = ("findings", "sentences", "alignments")
SENTENCE_COLUMNS = [
    "index", "text", "start", "end", "support", "best_doc", "best_sentence", "aligned",
    "quality",
]
# The documented columns of each table, in order; `signature` is always last.
COLUMNS: dict[str, list[str]] = {
    "findings": [*FINDING_COLUMNS, "signature"],
    "sentences": [*SENTENCE_COLUMNS, "signature"],
    "alignments": [*ALIGNMENT_COLUMNS, "signature"],
}
# pandas dtypes that read_csv restores (text columns not listed are read as strings).
DTYPES: dict[str, dict[str, str]] = {
    "findings": {
        **{c: "Int64" for c in ("mt_start", "mt_end", "mt_sentence", "ref_doc", "ref_start",
                                "ref_end", "src_start", "src_end")},
        "confidence": "float64", "scored": "boolean",
    },
    "sentences": {
        **{c: "Int64" for c in ("index", "start", "end", "best_doc", "best_sentence")},
        "support": "float64", "aligned": "boolean", "quality": "float64",
    },
    "alignments": {"doc": "Int64", "similarity": "float64", "chrf": "float64",
                   "bleu": "float64"},
}


def table_frame(result: AuditResult, table: str) -> pd.DataFrame:
    """One table as a DataFrame with the documented columns (signature included)."""
    frames = {
        "findings": result.findings_df,
        "sentences": result.sentences_df,
        "alignments": result.alignments_df,
    }
    if table not in frames:
        raise InputError(f"unknown CSV table {table!r}; choose from {', '.join(TABLES)} or all")
    df = frames[table]().reindex(columns=COLUMNS[table][:-1])
    df["signature"] = result.signature.short()
    df = df.astype(column_dtypes(table))
    # CSV cannot tell "" from a missing value; both are written as an empty cell, read as NA.
    text = [c for c, t in column_dtypes(table).items() if t == "string"]
    df[text] = df[text].mask(df[text] == "")
    return df


def column_dtypes(table: str) -> dict[str, str]:
    """The pandas dtype of every documented column (text columns are "string")."""
    return {c: DTYPES[table].get(c, "string") for c in COLUMNS[table]}


def _normalise_tables(tables: str | Sequence[str]) -> tuple[str, ...]:
    if isinstance(tables, str):
        tables = TABLES if tables == "all" else (tables,)
    chosen = tuple(dict.fromkeys(tables))
    unknown = [t for t in chosen if t not in TABLES]
    if unknown or not chosen:
        raise InputError(
            f"unknown CSV table {', '.join(unknown) or '(none)'}; choose from "
            f"{', '.join(TABLES)} or all"
        )
    return chosen


def _is_directory(path: str | Path) -> bool:
    return Path(path).is_dir() or str(path).endswith(("/", "\\"))


def csv_paths(
    path: str | Path, tables: str | Sequence[str] | None = None
) -> dict[str, Path]:
    """Where each table goes. A directory (existing, or a path ending in a separator) gets
    `findings.csv`, `sentences.csv`, `alignments.csv` (all three unless `tables` says
    otherwise); a file path gets the findings, with any other table beside it as
    `<stem>.sentences.csv` and `<stem>.alignments.csv`."""
    if _is_directory(path):
        chosen = _normalise_tables("all" if tables is None else tables)
        return {t: Path(path) / f"{t}.csv" for t in chosen}
    chosen = _normalise_tables("findings" if tables is None else tables)
    path = Path(path)
    out = {}
    for t in chosen:
        out[t] = path if t == "findings" or len(chosen) == 1 else path.with_name(
            f"{path.stem}.{t}{path.suffix or '.csv'}"
        )
    return out


def signature_path(path: str | Path) -> Path:
    if _is_directory(path):
        return Path(path) / "signature.json"
    path = Path(path)
    return path.with_name(f"{path.stem}.signature.json")


def write_csv(
    result: AuditResult, path: str | Path, tables: str | Sequence[str] | None = None,
    neutralise: bool = True,
) -> dict[str, Path]:
    """Write the chosen tables (UTF-8, header row, no index) and the signature sidecar.

    `tables`: names from TABLES or "all"; by default the findings for a file path and all
    three tables for a directory. `neutralise`: prefix formula-like text cells with an
    apostrophe (see the module docstring); False writes them raw.

    Returns the path of each table written.
    """
    paths = csv_paths(path, tables)
    for table, target in paths.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        frame = table_frame(result, table)
        if neutralise:
            text = [c for c, t in column_dtypes(table).items() if t == "string"]
            frame[text] = frame[text].apply(lambda col: col.map(neutralise_cell,
                                                                 na_action="ignore"))
        frame.to_csv(target, index=False, encoding="utf-8")
    sidecar = signature_path(path)
    sidecar.parent.mkdir(parents=True, exist_ok=True)
    sidecar.write_text(
        json.dumps(
            {"signature": result.signature.to_dict(), "mt": result.mt.doc.name,
             "references": [r.doc.name for r in result.references],
             "source": result.source.doc.name if result.source else None,
             "tables": {t: p.name for t, p in paths.items()}},
            ensure_ascii=False, indent=2,
        ) + "\n",
        encoding="utf-8",
    )
    return paths


def read_csv(path: str | Path, table: str = "findings", neutralised: bool = True
             ) -> pd.DataFrame:
    """Read a table written by `write_csv` back with its documented dtypes and text.

    Only an empty cell is missing: text such as "NA" or "null" in a document stays text.
    `neutralised`: undo the apostrophe `write_csv` puts before formula-like cells (False for a
    table written with `neutralise=False`).
    """
    import pandas as pd

    if table not in DTYPES:
        raise InputError(f"unknown CSV table {table!r}; choose from {', '.join(TABLES)}")
    frame = pd.read_csv(path, dtype=column_dtypes(table), keep_default_na=False,
                        na_values=[""], encoding="utf-8")
    if neutralised:
        text = [c for c, t in column_dtypes(table).items() if t == "string" and c in frame]
        frame[text] = frame[text].apply(lambda col: col.map(restore_cell, na_action="ignore"))
    return frame
