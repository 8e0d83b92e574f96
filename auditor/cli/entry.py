"""Running a typer app as a console command: library errors become one line and exit code 2."""

from __future__ import annotations

import sys

import typer

from auditor.errors import AuditorError


def run_app(app: typer.Typer, prog_name: str | None = None) -> None:
    try:
        app(prog_name=prog_name)
    except AuditorError as exc:
        typer.echo(f"auditor: error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("auditor: interrupted", err=True)
        sys.exit(130)
