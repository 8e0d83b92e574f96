"""`auditor score`: segment files as sacrebleu and comet-score take them, tables, XLIFF, TMX.

    auditor score -t mt.txt [-t other.txt] [-s src.txt] [-r ref.txt ...] [--doc-ids ids.txt]
    auditor score rows.jsonl --mt-column mt --ref-column ref --source-column src
    auditor score job.xlf [--xliff-out reviewed.xlf]

Parses options, opens the inputs (bad input fails before the model loads), calls the library
(`auditor.segments.score_systems`), streams the outputs, prints one line per system (and the
paired-bootstrap ranking for several), maps errors to exit codes: 0 done, 1 a system score
under `--fail-under`, 2 bad input or options.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import typer

from auditor.cli.entry import FastOption, ModelOption, context_auditor, fail
from auditor.config import AlignMode, AuditConfig
from auditor.embed import DEFAULT_ENCODER
from auditor.errors import AuditorError, InputError
from auditor.formats import InputFormat, format_of


def score_command(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Argument(help="A JSONL/CSV/TSV table, an XLIFF (.xlf) or a TMX file. For "
                       "line-aligned text files use -t/-s/-r instead."),
    ] = None,
    mt: Annotated[
        list[Path] | None,
        typer.Option("--mt", "-t", help="MT, one segment a line; repeat to rank systems."),
    ] = None,
    source: Annotated[
        Path | None, typer.Option("--source", "-s", help="Source, one segment a line.")
    ] = None,
    ref: Annotated[
        list[Path] | None,
        typer.Option("--ref", "-r", help="Reference, one segment a line (for XLIFF/TMX: one "
                     "line per translatable unit); repeat for several."),
    ] = None,
    doc_ids: Annotated[
        Path | None,
        typer.Option("--doc-ids", help="Document ids, one a line (default: a line blank in "
                     "every file separates documents; without any, a line is a document)."),
    ] = None,
    fmt: Annotated[
        InputFormat | None,
        typer.Option("--format", help="Input format (default: from the extension)."),
    ] = None,
    mt_column: Annotated[
        list[str] | None,
        typer.Option("--mt-column", help="Table column with the MT (default mt); repeat to "
                     "rank systems."),
    ] = None,
    ref_column: Annotated[
        list[str] | None,
        typer.Option("--ref-column", help="Reference column (default: columns named ref*)."),
    ] = None,
    source_column: Annotated[
        str | None, typer.Option("--source-column", help="Source column (default src/source).")
    ] = None,
    doc_column: Annotated[
        str | None, typer.Option("--doc-column", help="Document id column (consecutive rows).")
    ] = None,
    id_column: Annotated[
        str | None, typer.Option("--id-column", help="Row id column, copied to the output.")
    ] = None,
    source_lang: Annotated[
        str | None, typer.Option("--source-lang", help="TMX/XLIFF source language.")
    ] = None,
    target_lang: Annotated[
        str | None, typer.Option("--target-lang", help="TMX/XLIFF MT language (TMX: en).")
    ] = None,
    jsonl_out: Annotated[
        Path | None, typer.Option("--jsonl", help="Write one JSON object per segment.")
    ] = None,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Write one CSV row per segment.")
    ] = None,
    html_out: Annotated[
        str | None,
        typer.Option("--html", help="One HTML page for the batch; DIR/: a full report per "
                     "document and index.html."),
    ] = None,
    xliff_out: Annotated[
        Path | None,
        typer.Option("--xliff-out", help="Write the XLIFF (or the TMX as XLIFF 1.2) back "
                     "with each finding as a note on its unit."),
    ] = None,
    model: ModelOption = DEFAULT_ENCODER,
    fast: FastOption = False,
    mode: Annotated[
        AlignMode, typer.Option("--mode", help="parallel (translations of one source, the "
                                "default here) or comparable.")
    ] = AlignMode.PARALLEL,
    fail_under: Annotated[
        float | None,
        typer.Option("--fail-under", min=0, max=100,
                     help="Exit 1 when a system score (0-100) is below this."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Skip the documents already in the --jsonl file.")
    ] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar on stderr.")] = True,
    samples: Annotated[
        int, typer.Option("--paired-bs-n", min=10, help="Bootstrap resamples (several "
                          "systems).")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Bootstrap seed (sacrebleu's).")] = 12345,
) -> None:
    """Audit segments (one a line, a row or a unit) in document context; score each segment."""
    from auditor.segments import score_systems

    if resume and jsonl_out is None:
        fail("--resume needs --jsonl (the file that records what is done)")
    config = AuditConfig(mode=mode)
    store = None
    try:
        inputs, store = _open_inputs(file, mt, source, ref, doc_ids, fmt, mt_column,
                                     ref_column, source_column, doc_column, id_column,
                                     source_lang, target_lang)
        if store is None and xliff_out is not None:
            fail("--xliff-out needs an XLIFF or TMX input")
    except AuditorError as exc:
        fail(str(exc))

    from auditor.report.segments import DoneRow, RowFile, SegmentWriter, read_done, segment_rows

    keys = {s.name: s.key for s in inputs}
    done_rows: dict[tuple[str, int], DoneRow] = {}
    keep = None
    if resume and jsonl_out is not None:
        try:
            done_rows, keep = read_done(jsonl_out, set(keys.values()))
        except AuditorError as exc:
            fail(str(exc))
    # What the run keeps for the summary and the bootstrap: one score per segment.
    scores: dict[str, dict[int, float | None]] = {s.name: {} for s in inputs}
    stats: dict[str, list[int]] = {s.name: [0, 0, 0] for s in inputs}  # docs, findings, major
    done: dict[str, set[int]] = {s.name: set() for s in inputs}
    offsets: dict[int, int] = {}  # XLIFF/TMX: where each unit's row is in the JSONL
    for s in inputs:
        for (key, index), row in done_rows.items():
            if key == s.key:
                done[s.name].add(index)
                scores[s.name][index] = row.score
                _count(stats[s.name], row.findings, row.major, row.first)
                if store is not None:
                    offsets[index] = row.offset
    del done_rows
    signatures: dict[str, str] = {}
    html_dir = html_page = None
    index_entries: list[tuple[str, str, float | None, str]] = []
    spill = None
    try:
        auditor = context_auditor(ctx, model, config, fast)
        if html_out:
            from auditor.report.segments import BatchHtml

            if html_out.endswith(("/", "\\")) or Path(html_out).is_dir():
                html_dir = Path(html_out)
                html_dir.mkdir(parents=True, exist_ok=True)
            else:
                html_page = BatchHtml(Path(html_out), "auditor score")
        rows_path = jsonl_out
        if rows_path is None and xliff_out is not None:  # the rows wait on disk, not in memory
            import tempfile

            handle, name = tempfile.mkstemp(suffix=".jsonl", prefix="auditor-")
            os.close(handle)
            rows_path = spill = Path(name)
        with SegmentWriter(rows_path, csv_out, resume=resume, jsonl_keep=keep) as writer:
            for name, outcome in score_systems(auditor, inputs, done=done,
                                               progress=progress):
                rows = segment_rows(outcome, name, keys[name])
                written = writer.write(rows)
                for row, offset in zip(rows, written, strict=True):
                    findings = row["findings"]
                    scores[name][row["segment"]] = row["score"]
                    _count(stats[name], len(findings), _major(findings),
                           row["doc_segment"] == 0)
                    if store is not None:
                        offsets[row["segment"]] = offset
                if outcome.result is not None:
                    signatures[name] = outcome.result.signature.short()
                link = _document_report(html_dir, name, outcome, index_entries)
                if html_page is not None:
                    html_page.add(name, outcome, link)
        summary = _summary(inputs, scores, stats, signatures, samples, seed)
        if html_page is not None:
            html_page.close(summary)
        if html_dir is not None:
            from auditor.report.segments import write_index

            write_index(html_dir, index_entries, summary)
        if xliff_out is not None and store is not None and rows_path is not None:
            from auditor.formats.xliff import write_findings

            with RowFile(rows_path, offsets) as results:
                write_findings(store, results, xliff_out,
                               next(iter(signatures.values()), None))
    except AuditorError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write output: {exc.strerror or exc}")
    finally:
        if spill is not None:
            spill.unlink(missing_ok=True)
    typer.echo(summary)
    if fail_under is not None:
        from auditor.segments import system_score

        low = [(n, system_score([v for v in s.values() if v is not None]))
               for n, s in scores.items()]
        low = [(n, v) for n, v in low if v < fail_under]
        if low:
            for n, v in low:
                typer.echo(f"auditor: system score {v:.2f} of {n} is under {fail_under:g}",
                           err=True)
            raise typer.Exit(1)


def _major(findings: Iterable[dict[str, Any]]) -> int:
    return sum(1 for f in findings if f["severity"] in ("major", "critical"))


def _count(stat: list[int], findings: int, major: int, new_doc: bool) -> None:
    stat[0] += int(new_doc)
    stat[1] += findings
    stat[2] += major


def _summary(inputs: Any, scores: dict[str, dict[int, float | None]],
             stats: dict[str, list[int]], signatures: dict[str, str], samples: int,
             seed: int) -> str:
    from auditor.report.segments import ranking_table, system_line
    from auditor.segments import paired_bootstrap

    lines = []
    for s in inputs:
        ordered = [scores[s.name][k] for k in sorted(scores[s.name])]
        docs, found, major = stats[s.name]
        lines.append(system_line(s.name, ordered, docs, found, major, signatures.get(s.name)))
    if len(inputs) > 1:
        common = sorted(set.intersection(*(set(scores[s.name]) for s in inputs)))
        paired = [(s.name, [scores[s.name][k] for k in common]) for s in inputs]
        lines.append(ranking_table(paired_bootstrap(paired, samples, seed), samples, seed))
    return "\n".join(lines)


def _document_report(html_dir: Path | None, system: str, outcome: Any,
                     entries: list[tuple[str, str, float | None, str]]) -> str | None:
    if html_dir is None or outcome.result is None:
        return None
    from auditor.report.html import write_html
    from auditor.report.segments import document_file_name

    name = document_file_name(system, outcome.doc)
    write_html(outcome.result, html_dir / name)
    entries.append((system, outcome.doc, outcome.result.scores.overall, name))
    return name


def _open_inputs(file: Path | None, mt: list[Path] | None, source: Path | None,
                 ref: list[Path] | None, doc_ids: Path | None, fmt: InputFormat | None,
                 mt_column: list[str] | None, ref_column: list[str] | None,
                 source_column: str | None, doc_column: str | None, id_column: str | None,
                 source_lang: str | None, target_lang: str | None) -> tuple[list[Any], Any]:
    """The systems to audit (`SystemInput`, each keyed by what it reads, for --resume) and,
    for an XLIFF/TMX input, its checked store. Every input is checked here, before any model
    loads."""
    from auditor.segments import SystemInput, input_key

    if file is not None and mt:
        raise InputError("give either a FILE (table, XLIFF, TMX) or -t/--mt text files")
    if file is None:
        if not mt:
            raise InputError("nothing to score: give -t MT.txt (one segment a line) or a FILE")
        if not ref and source is None:
            raise InputError("give at least one -r reference or a -s source to audit against")
        from auditor.formats.lines import line_segments

        others = [*(ref or ()), *((source,) if source else ()), *((doc_ids,) if doc_ids
                                                                   else ())]
        systems = []
        for path in mt:
            total, _ = line_segments(path, ref or (), source, doc_ids)  # checks now

            def factory(path: Path = path) -> Iterable[Any]:
                return line_segments(path, ref or (), source, doc_ids)[1]

            key = input_key([path, *others], "lines", str(source is not None),
                            str(len(ref or ())))
            systems.append(SystemInput(str(path), factory, total, key))
        return systems, None
    kind = fmt or format_of(str(file))
    if kind is None or kind is InputFormat.LINES:
        raise InputError(f"{file}: cannot tell the format from the extension; give --format "
                         "(jsonl, csv, tsv, xliff, tmx) or use -t for line-aligned text")
    if kind in (InputFormat.XLIFF, InputFormat.TMX):
        from auditor.formats.xliff import open_store, store_segments

        store = open_store(file, kind, source_lang, target_lang)
        store_segments(store, ref or ())  # checks the reference files now
        key = input_key([file, *(ref or ())], kind.value, str(store.source_lang),
                        str(store.target_lang))
        return [SystemInput(str(file), lambda: store_segments(store, ref or ()),
                            store.segments, key)], store
    from auditor.formats.table import Columns, table_segments

    systems = []
    for column in mt_column or ["mt"]:
        columns = Columns(mt=column, references=tuple(ref_column) if ref_column else None,
                          source=source_column, doc=doc_column, id=id_column)
        total, _ = table_segments(file, kind, columns)

        def table(columns: Columns = columns) -> Iterable[Any]:
            return table_segments(file, kind, columns)[1]

        name = str(file) if not mt_column or len(mt_column) == 1 else f"{file}:{column}"
        key = input_key([file], kind.value, repr(columns))
        systems.append(SystemInput(name, table, total, key))
    return systems, None


__all__ = ["score_command"]
