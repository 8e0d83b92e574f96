"""HTML renderer: one self-contained, offline page (inline CSS, JS and data; no network).

All document text is untrusted. It reaches the page only through Jinja2 autoescape (HTML) or
through `script_json` (a `<script type="application/json">` block), and the page carries a
Content-Security-Policy that lets only our own script and style (by SHA-256 hash) run.
Bidi overrides and control characters in document text are shown as `⟦U+202E⟧`, not obeyed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.report.safety import page_csp, visible_controls

if TYPE_CHECKING:
    from jinja2 import Environment

    from auditor.result import AuditResult

TEMPLATE_DIR = Path(__file__).parent / "templates"
# Characters that could end a <script> block or open a comment inside embedded JSON.
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
                 "\u2029": "\\u2029"}


def script_json(data: Any) -> str:
    """JSON that is safe verbatim inside <script type="application/json">."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return "".join(_JSON_ESCAPES.get(ch, ch) for ch in text)


def _environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,  # MT and references are untrusted and contain <, & and quotes
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=visible_controls,  # a bidi override in a document is shown, not obeyed
    )


def render_html(result: AuditResult) -> str:
    """The whole report as one HTML string."""
    from markupsafe import Markup

    from auditor.report.model import build_report_model

    model = build_report_model(result)
    env = _environment()
    style = env.get_template("style.css.j2").render()
    script = env.get_template("script.js.j2").render()
    csp = page_csp(style, script)
    return env.get_template("page.html.j2").render(
        m=model,
        style=Markup(style),
        script=Markup(script),
        data_json=Markup(script_json(model.data())),
        csp=csp,
    )


def write_html(result: AuditResult, path: str | Path) -> None:
    """Write the report; parent folders are created."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(result), encoding="utf-8")
