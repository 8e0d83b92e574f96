"""Stage 1a: turn a path, raw bytes or a string into a decoded `Document`.

All checks on untrusted input live here, so later stages can assume clean text.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from auditor.config import MAX_INPUT_BYTES
from auditor.errors import InputError
from auditor.lang.scripts import LANGUAGE_NAMES
from auditor.result import Document
from auditor.segment import detect_lang

# A str with no whitespace ending in a document extension is meant as a path even when the
# file is missing (then "no such file" is the helpful answer); any other str is a path only
# when it names an existing file.
_PATHLIKE = re.compile(r"^[^\s<>]{1,1024}\.(txt|text|md|html?|xhtml)$", re.IGNORECASE)
_SURROGATE = re.compile("[\ud800-\udfff]")
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
         (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_HTML_HINT = re.compile(rb"<\s*(!doctype\s+html|html|head|body|article|p|div)\b", re.IGNORECASE)
MIN_ARTICLE_WORDS = 5


def _is_binary(data: bytes) -> bool:
    """NUL bytes or many control characters mean this is not a text document."""
    sample = data[:65536]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls > max(8, len(sample) // 100)


def decode_bytes(data: bytes, name: str, notes: list[str] | None = None) -> str:
    """A byte order mark first (UTF-8, UTF-16, UTF-32), then UTF-8; UTF-8 with a few invalid
    bytes is decoded with U+FFFD for them (and a note), since a legacy encoding produces valid
    UTF-8 sequences only by accident; otherwise a confident charset_normalizer guess."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return _decode_wide(data[len(bom):], codec, name)
    if _is_binary(data):
        raise InputError(f"{name}: binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    escaped = data.decode("utf-8", errors="surrogateescape")
    bad = len(_SURROGATE.findall(escaped))
    good = sum(1 for c in escaped if ord(c) > 0x7F) - bad
    if good and bad <= good:
        if notes is not None:
            notes.append(f"{name}: {bad} invalid UTF-8 byte{'s' * (bad != 1)} replaced by U+FFFD")
        return data.decode("utf-8-sig", errors="replace")
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.chaos > 0.2:
        raise InputError(f"{name}: not UTF-8 and no text encoding could be detected")
    return str(best)


def _decode_wide(data: bytes, codec: str, name: str) -> str:
    """UTF-16/32 after its byte order mark; unassigned or control characters mean the mark was
    an accident of binary data, not text."""
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        raise InputError(f"{name}: starts with a {codec[:6].upper()} byte order mark but is not "
                         f"valid {codec[:6].upper()}") from None
    odd = sum(1 for c in text[:65536] if unicodedata.category(c) in ("Cn", "Co", "Cs")
              or (unicodedata.category(c) == "Cc" and c not in "\t\n\r\f\v"))
    if odd > max(2, len(text[:65536]) // 100):
        raise InputError(f"{name}: binary file, not text")
    return text


def clean_text(text: str, name: str, notes: list[str] | None = None) -> str:
    """Text that encodes to UTF-8: surrogate pairs joined, lone surrogates replaced by U+FFFD
    (a Python str can hold them; the encoders and the JSON writer cannot)."""
    if not _SURROGATE.search(text):
        return text
    joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    lone = joined.count("\ufffd") - text.count("\ufffd")
    if notes is not None and lone:
        notes.append(f"{name}: {lone} lone surrogate code point{'s' * (lone != 1)} "
                     "replaced by U+FFFD")
    return joined


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
    notes: list[str] = []
    text = decode_bytes(data, name, notes)
    if looks_like_html(data):
        text = html_to_text(text, name)
    return _checked(text, name, lang, notes)


def _checked(text: str, name: str, lang: str | None, notes: list[str] | None = None) -> Document:
    notes = list(notes or ())
    text = clean_text(text, name, notes)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InputError(f"{name}: empty document (no text to audit)")
    return Document(text=text, name=name, lang=lang or detect_lang(text), notes=tuple(notes))


def load_document(
    item: str | os.PathLike[str] | Document,
    lang: str | None = None,
    max_bytes: int = MAX_INPUT_BYTES,
    name: str | None = None,
) -> Document:
    """Accept a Document, a path or the text itself. A `pathlib.Path` (any os.PathLike) is a
    path; a `str` is a path only when it names an existing file, or when it is one word ending
    in .txt/.md/.html (so a mistyped file name fails as missing); any other str is the text."""
    if isinstance(item, Document):
        notes: list[str] = list(item.notes)
        text = clean_text(item.text, item.name, notes)
        return item if text is item.text else replace(item, text=text, notes=tuple(notes))
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


def check_reference_languages(mt: Document, references: Sequence[Document]) -> None:
    """References are read by an English sentence encoder beside an English MT: one in a CJK
    script is the source given with the wrong option, and its scores would mean nothing. Only
    the reference's side is checked: an MT left untranslated is an error to report, not to
    refuse."""
    if detect_lang(mt.text) != "en":
        return
    for ref in references:
        script = detect_lang(ref.text)
        if script != "en":
            raise InputError(
                f"{ref.name}: reads as {LANGUAGE_NAMES.get(script, script)}, but a reference is "
                "an English text compared with the English MT; give the text the MT was "
                "translated from as the source (--source)")


def read_file_bytes(
    path: Path, label: str, max_bytes: int, directory_hint: str = "not a text file"
) -> bytes:
    """Bytes of a regular file, size-checked before reading, with one-line errors."""
    if not path.exists():
        raise InputError(f"{label}: no such file")
    if path.is_dir():
        raise InputError(f"{label}: is a directory, {directory_hint}")
    try:
        # O_NONBLOCK: opening a FIFO for reading must not wait for a writer; the fstat of the
        # opened file (not of the name, which may change in between) decides.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise InputError(f"{label}: cannot read ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{label}: not a regular file (a pipe, socket or device), "
                             f"{directory_hint}")
        if info.st_size > max_bytes:
            raise InputError(f"{label}: too large ({info.st_size / 1e6:.1f} MB; "
                             f"the limit is {max_bytes / 1e6:.1f} MB)")
        try:
            data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise InputError(f"{label}: cannot read ({exc.strerror})") from None
    if len(data) > max_bytes:  # the file grew after fstat
        raise InputError(f"{label}: too large (the limit is {max_bytes / 1e6:.1f} MB)")
    return data


def _exists(candidate: str) -> bool:
    try:
        return len(candidate) < 1024 and Path(candidate).exists()
    except OSError:
        return False
