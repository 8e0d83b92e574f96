"""Stage 1a: turn a path, raw bytes or a string into a decoded `Document`.

All checks on untrusted input live here, so later stages can assume clean text.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from auditor.config import MAX_INPUT_BYTES
from auditor.errors import InputError
from auditor.result import Document
from auditor.segment import detect_lang

_PATHLIKE = re.compile(r"^[^\n\r<>]{1,1024}\.(txt|text|md|html?|xhtml)$", re.IGNORECASE)
_HTML_HINT = re.compile(rb"<\s*(!doctype\s+html|html|head|body|article|p|div)\b", re.IGNORECASE)
MIN_ARTICLE_WORDS = 5


def _is_binary(data: bytes) -> bool:
    """NUL bytes or many control characters mean this is not a text document."""
    sample = data[:65536]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls > max(8, len(sample) // 100)


def decode_bytes(data: bytes, name: str) -> str:
    """UTF-8 first (with or without BOM); otherwise a confident charset_normalizer guess."""
    if _is_binary(data):
        raise InputError(f"{name}: binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.chaos > 0.2:
        raise InputError(f"{name}: not UTF-8 and no text encoding could be detected")
    return str(best)


def html_to_text(html: str, name: str) -> str:
    """Main article text of an HTML page (trafilatura), paragraphs separated by blank lines."""
    import trafilatura

    text = trafilatura.extract(
        html, include_comments=False, include_tables=False, favor_precision=True
    )
    # A nav link or a cookie banner is not an article: ask for at least one short sentence.
    if not text or len(text.split()) < MIN_ARTICLE_WORDS:
        raise InputError(f"{name}: HTML page with no article text to audit")
    return re.sub(r"\n+", "\n\n", text.strip())


def looks_like_html(data: bytes | str) -> bool:
    head = data[:4096] if isinstance(data, bytes) else data[:4096].encode("utf-8", "ignore")
    return bool(_HTML_HINT.search(head))


def document_from_bytes(
    data: bytes, name: str, lang: str | None = None, max_bytes: int = MAX_INPUT_BYTES
) -> Document:
    if len(data) > max_bytes:
        raise InputError(
            f"{name}: too large ({len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB)"
        )
    text = decode_bytes(data, name)
    if looks_like_html(data):
        text = html_to_text(text, name)
    return _checked(text, name, lang)


def _checked(text: str, name: str, lang: str | None) -> Document:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InputError(f"{name}: empty document (no text to audit)")
    return Document(text=text, name=name, lang=lang or detect_lang(text))


def load_document(
    item: str | os.PathLike[str] | Document,
    lang: str | None = None,
    max_bytes: int = MAX_INPUT_BYTES,
    name: str | None = None,
) -> Document:
    """Accept a Document, a path (Path, or a str that names a file) or the text itself."""
    if isinstance(item, Document):
        return item
    if isinstance(item, os.PathLike) or (
        isinstance(item, str)
        and item.strip()
        and "\n" not in item
        and (_PATHLIKE.match(item) or _exists(item))
    ):
        path = Path(item)
        label = name or str(path)
        data = read_file_bytes(path, label, max_bytes)
        return document_from_bytes(data, label, lang, max_bytes)
    if not isinstance(item, str):
        raise InputError(f"cannot audit an object of type {type(item).__name__}")
    label = name or "<string>"
    if len(item.encode("utf-8", "ignore")) > max_bytes:
        raise InputError(f"{label}: too large (over {max_bytes / 1e6:.1f} MB)")
    if looks_like_html(item):
        item = html_to_text(item, label)
    return _checked(item, label, lang)


def read_file_bytes(
    path: Path, label: str, max_bytes: int, directory_hint: str = "not a text file"
) -> bytes:
    """Bytes of a regular file, size-checked before reading, with one-line errors."""
    if not path.exists():
        raise InputError(f"{label}: no such file")
    if path.is_dir():
        raise InputError(f"{label}: is a directory, {directory_hint}")
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(
            f"{label}: too large ({size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB)"
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{label}: cannot read ({exc.strerror})") from None


def _exists(candidate: str) -> bool:
    try:
        return len(candidate) < 1024 and Path(candidate).exists()
    except OSError:
        return False
