"""Running a typer app as a console command: library errors and usage errors become one line
and exit code 2, as every other bad input does."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from auditor.errors import AuditorError

if TYPE_CHECKING:
    from auditor.config import AuditConfig
    from auditor.pipeline import Auditor

# The encoder option of every command that audits (`audit`, `score`).
ModelOption = Annotated[
    str, typer.Option("--model", "-m", help="Encoder: all-MiniLM-L6-v2-int8 (ONNX Runtime, "
                      "static int8), all-MiniLM-L6-v2 (the same in float), "
                      "sentence-transformers/all-MiniLM-L6-v2 (float on torch), "
                      "use-multilingual-v3, or a local sentence-transformers model.")
]
# Fast mode (`auditor.pipeline.Auditor(fast=True)`), on every command that audits.
FastOption = Annotated[
    bool, typer.Option("--fast", help="Static embeddings distilled from MiniLM (build once: "
                       "python -m auditor.distill): over 10x the throughput on reference "
                       "audits, fewer checks (no clause- or word-level content findings).")
]


def fail(message: str) -> NoReturn:
    """Bad input or options: one `auditor: error:` line on stderr, exit code 2."""
    typer.echo(f"auditor: error: {message}", err=True)
    raise typer.Exit(2)


def context_auditor(ctx: typer.Context, model: str, config: AuditConfig,
                    fast: bool = False) -> Auditor:
    """The Auditor to use: one passed as the click context object (`obj=auditor`, as tests and
    embedding programs do) lends its loaded models when its encoder is the one asked for
    (fast mode's own with `fast`); else a new one loads them."""
    from auditor.embed import DEFAULT_ENCODER, FAST_MODEL
    from auditor.pipeline import Auditor

    if fast and model != DEFAULT_ENCODER:
        fail("--fast has its own encoder: leave out --model")
    injected = ctx.obj if isinstance(ctx.obj, Auditor) else None
    if injected is not None and injected.encoder.name == (FAST_MODEL if fast else model):
        return injected.with_config(config)
    return Auditor(model=model, config=config, fast=fast)


class OneLineErrors(TyperGroup):
    """A command group whose usage errors (bad option value, unknown option, missing argument)
    print one `auditor: error:` line instead of typer's boxed usage message."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except typer.TyperException as exc:  # typer's (vendored) click usage errors
            if type(exc).__name__ == "NoArgsIsHelpError":
                exc.show()  # type: ignore[attr-defined]  # the help text, as before
            else:
                typer.echo(f"auditor: error: {_one_line(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
        except typer.Abort:
            typer.echo("auditor: interrupted", err=True)
            sys.exit(130)
        sys.exit(rv if isinstance(rv, int) else 0)


def _one_line(message: str) -> str:
    return " ".join(message.split())


def run_app(app: typer.Typer, prog_name: str | None = None) -> None:
    try:
        app(prog_name=prog_name)
    except AuditorError as exc:
        typer.echo(f"auditor: error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("auditor: interrupted", err=True)
        sys.exit(130)
