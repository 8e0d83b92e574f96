"""Untrusted document and feed text in generated files: links, control characters, CSV cells.

Shared by the audit report and the feed history pages so that every generated file follows
the same rules (README "Reading the report" and "Scheduled feed audits").
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any
from urllib.parse import urlsplit

# Bidirectional formatting characters (they reorder what a reader sees: U+202E shows
# "exe.txt" as "txt.exe") and C0/C1 controls other than tab and line breaks.
_INVISIBLE = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                        "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# What a browser strips from or ignores in a URL before reading its scheme.
_URL_STRIP = re.compile("[\x00-\x20\x7f]")
# OWASP's list for CSV injection: a cell starting with one of these is a formula to a
# spreadsheet; a leading apostrophe makes it text (and is itself escaped, so the rule inverts).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def safe_url(url: Any) -> str | None:
    """`url` when it is an absolute http(s) link, else None (javascript:, data:, vbscript:,
    protocol-relative and scheme tricks with case, spaces or control characters)."""
    if not isinstance(url, str) or not url.strip():
        return None
    cleaned = _URL_STRIP.sub("", url)
    try:
        parts = urlsplit(cleaned)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url.strip()


def visible_controls(value: Any) -> Any:
    """Jinja `finalize`: plain strings get their bidi and control characters shown as
    `⟦U+202E⟧` instead of obeyed; Markup (our own style, script and JSON) passes untouched."""
    from markupsafe import Markup

    if isinstance(value, str) and not isinstance(value, Markup):
        return _INVISIBLE.sub(lambda m: f"\u27e6U+{ord(m.group()):04X}\u27e7", value)
    return value


def page_csp(style: str, script: str | None = None) -> str:
    """The Content-Security-Policy of every generated page: nothing loads or runs but our own
    style (and script), named by SHA-256 hash."""
    scripts = f"script-src {_hash(script)}; " if script is not None else "script-src 'none'; "
    return (f"default-src 'none'; {scripts}style-src {_hash(style)}; "
            "img-src data:; base-uri 'none'; form-action 'none'")


def _hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def neutralise_cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def restore_cell(value: Any) -> Any:
    """The inverse of `neutralise_cell` (what `read_csv` applies)."""
    if isinstance(value, str) and value.startswith("'") and value[1:2] and \
            value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


__all__ = ["FORMULA_START", "neutralise_cell", "page_csp", "restore_cell", "safe_url",
           "visible_controls"]
