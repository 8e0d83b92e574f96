"""`auditor audit MT --ref R ... [--source S]`: parse options, call the library, render, exit."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from auditor.cli.entry import FastOption, ModelOption, context_auditor, fail
from auditor.config import MAX_INPUT_BYTES, AlignMode, AuditConfig, Segmentation
from auditor.embed import DEFAULT_ENCODER
from auditor.errors import AuditorError
from auditor.result import SEVERITY_POINTS


class CsvTables(str, Enum):
    FINDINGS = "findings"
    ALL = "all"


def _positive(value: float) -> float:
    if not value > 0:
        raise typer.BadParameter(f"{value:g} is not a positive number of megabytes")
    return value


def audit_command(
    ctx: typer.Context,
    mt: Annotated[Path, typer.Argument(help="The machine translation (text or HTML file).")],
    ref: Annotated[
        list[Path] | None,
        typer.Option("--ref", "-r", help="An English reference report; repeat for several."),
    ] = None,
    source: Annotated[
        Path | None, typer.Option("--source", "-s", help="The source text the MT came from.")
    ] = None,
    json_out: Annotated[
        str | None, typer.Option("--json", help="Write the JSON result to PATH ('-' = stdout).")
    ] = None,
    csv_out: Annotated[
        str | None,
        typer.Option("--csv", help="Write the findings CSV to PATH (DIR/: all tables)."),
    ] = None,
    csv_tables: Annotated[
        CsvTables, typer.Option("--csv-tables", help="findings only, or all three tables.")
    ] = CsvTables.FINDINGS,
    csv_raw: Annotated[
        bool, typer.Option("--csv-raw", help="Write CSV cells raw (by default a cell starting "
                           "with = + - @ gets a leading apostrophe, against formula injection).")
    ] = False,
    html_out: Annotated[
        Path | None, typer.Option("--html", help="Write the self-contained HTML report.")
    ] = None,
    model: ModelOption = DEFAULT_ENCODER,
    fast: FastOption = False,
    mode: Annotated[
        AlignMode, typer.Option("--mode", help="comparable reports, or a parallel translation.")
    ] = AlignMode.COMPARABLE,
    segmentation: Annotated[
        Segmentation,
        typer.Option("--segmentation", help="auto: split into sentences; lines: the input is "
                     "pre-segmented, one sentence per line, never re-split."),
    ] = Segmentation.AUTO,
    fail_under: Annotated[
        float | None,
        typer.Option("--fail-under", min=0, max=100,
                     help="Exit 1 when the overall score (0-100) is below this."),
    ] = None,
    max_mb: Annotated[
        float, typer.Option("--max-mb", callback=_positive,
                            help="Refuse inputs larger than this many megabytes.")
    ] = MAX_INPUT_BYTES / 1_000_000,
) -> None:
    """Audit one MT document; print a summary, write the reports asked for.

    An `Auditor` passed as the click context object (`runner.invoke(app, args, obj=auditor)`,
    or by an embedding program) is reused with these options, so its models are not loaded again.
    """
    if not ref and source is None:
        fail("give at least one --ref or a --source to audit against")
    from auditor.load import load_document
    from auditor.report.json import render_json

    config = AuditConfig(mode=mode, segmentation=segmentation,
                         max_input_bytes=int(max_mb * 1_000_000))
    try:
        # Inputs are checked before the model loads, so bad input fails fast.
        docs = [load_document(p, max_bytes=config.max_input_bytes) for p in [mt, *(ref or [])]]
        src_doc = load_document(source, max_bytes=config.max_input_bytes) if source else None
        auditor = context_auditor(ctx, model, config, fast)
        result = auditor.audit(docs[0], docs[1:], src_doc)
        if json_out == "-":
            sys.stdout.write(render_json(result) + "\n")
        elif json_out:
            _write(Path(json_out), render_json(result) + "\n")
        if csv_out:
            from auditor.report.csv import write_csv

            csv_path = Path(csv_out)
            if csv_out.endswith(("/", "\\")):  # Path() drops the slash that says "a directory"
                csv_path.mkdir(parents=True, exist_ok=True)
            tables = ("findings", "sentences", "alignments") if (
                csv_tables is CsvTables.ALL or csv_path.is_dir()) else ("findings",)
            write_csv(result, csv_path, tables=tables, neutralise=not csv_raw)
        if html_out:
            from auditor.report.html import write_html

            write_html(result, html_out)
    except AuditorError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write output: {exc.strerror or exc}")
    for note in result.notes:
        typer.echo(f"auditor: warning: {note}", err=True)
    if json_out != "-":
        typer.echo(_summary(result))
    if fail_under is not None and result.scores.overall < fail_under:
        typer.echo(
            f"auditor: overall score {result.scores.overall:.1f} is under {fail_under:g}",
            err=True,
        )
        raise typer.Exit(1)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _summary(result) -> str:  # noqa: ANN001 - AuditResult, imported lazily
    s = result.scores
    lines = [
        f"overall {s.overall:.1f}/100  fidelity {s.fidelity:.3f}  MQM {s.mqm:.1f} "
        f"points/100 words  ({len(result.mt.sentences)} MT sentences, {s.words} words)",
    ]
    counts: dict[str, int] = {}
    for f in result.findings:
        counts[f.kind.value] = counts.get(f.kind.value, 0) + 1
    if counts:
        lines.append("findings: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    else:
        lines.append("findings: none")
    shown = sorted(result.findings, key=lambda f: -SEVERITY_POINTS[f.severity])[:40]
    for f in shown:
        where = f"[{f.mt_start}:{f.mt_end}]" if f.mt_start is not None else "[-]"
        text = f.mt_text
        if not text:  # an omission: show what is missing, from the reference or source
            side = f.reference or f.source
            text = f"missing: {side.text}" if side else ""
        canon = f" -> {f.canonical}" if f.canonical else ""
        lines.append(f"  {f.severity.value:8} {f.kind.value:14} {where:12} {text[:70]!r}{canon}")
    if len(result.findings) > len(shown):
        lines.append(f"  ... {len(result.findings) - len(shown)} more in the JSON/CSV/HTML reports")
    lines.append(f"signature: {result.signature.short()}")
    return "\n".join(lines)
