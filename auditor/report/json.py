"""JSON renderer: the public, stable shape documented in the README."""

from __future__ import annotations

from pathlib import Path

from auditor.result import AuditResult


def render_json(result: AuditResult, indent: int | None = 2) -> str:
    return result.to_json(indent=indent)


def write_json(result: AuditResult, path: str | Path) -> None:
    Path(path).write_text(render_json(result) + "\n", encoding="utf-8")
