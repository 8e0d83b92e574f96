"""The `auditor` command: a thin typer shell over the library (one sub-app per command)."""

from __future__ import annotations

import typer

from auditor.cli.audit import audit_command
from auditor.cli.entry import OneLineErrors, run_app
from auditor.cli.feed import feed_app
from auditor.cli.score import score_command

app = typer.Typer(
    name="auditor",
    help="Audit machine translations against references and/or the source text.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=OneLineErrors,
)
app.command("audit")(audit_command)
app.command("score")(score_command)


@app.callback()
def _root() -> None:
    """Audit machine translations against references and/or the source text."""


app.add_typer(feed_app, name="feed", help="Scheduled audits of news feeds, with history.")


def main() -> None:
    """Console entry point: library errors become one line on stderr and exit code 2."""
    run_app(app)
