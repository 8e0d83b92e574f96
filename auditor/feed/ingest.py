"""Read feeds into `FeedItem`s: RSS/Atom (file, path or URL), folders of text/HTML, JSON Lines.

Untrusted input is checked here and only here. A feed that cannot be read, or an item that
cannot be used (empty, too large, a repeated GUID), becomes a `FeedProblem` with a one-line
message; the caller logs it and goes on with the other feeds and items. Raw XML is parsed by
defusedxml first, so entity-expansion bombs and external entities are refused before
feedparser ever sees the document.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from auditor.errors import InputError
from auditor.feed.config import FeedKind, FeedSource, FetchSettings, Role
from auditor.load import read_file_bytes

_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
_TEXT_SUFFIXES = {".txt", ".text", ".md", *_HTML_SUFFIXES}
_FEED_ROOTS = {"rss", "feed", "rdf"}  # RSS 0.9x/2.0, Atom, RSS 1.0 (rdf:RDF)
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_USER_AGENT = "auditor-feed/0.1 (+https://pypi.org/project/auditor)"


@dataclass(frozen=True)
class FeedItem:
    """One article from a feed, with plain text; `content_hash` identifies its text."""

    feed: str
    role: Role
    guid: str
    title: str
    text: str
    link: str | None
    published: datetime  # UTC; the fetch time when the feed gives none
    content_hash: str


@dataclass(frozen=True)
class FeedProblem:
    """Something in a feed that could not be used; `message` is one line for the log."""

    feed: str
    message: str
    guid: str | None = None


@dataclass(frozen=True)
class FeedLoad:
    source: FeedSource
    items: tuple[FeedItem, ...] = ()
    problems: tuple[FeedProblem, ...] = field(default_factory=tuple)


def content_hash(text: str) -> str:
    """SHA-256 of the text with Unicode and whitespace normalised, so re-serialised copies of
    one article (other line breaks, NBSPs) count as the same item."""
    normal = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


# ---- fetching ------------------------------------------------------------------------------
def fetch_bytes(location: str, settings: FetchSettings, max_bytes: int | None = None) -> bytes:
    """Bytes of an http(s)/file URL or a local path, with a timeout and a size cap."""
    cap = max_bytes or settings.max_feed_bytes
    if location.startswith(("http://", "https://")):
        return _fetch_http(location, settings.timeout, cap)
    if location.startswith("file://"):
        from urllib.parse import urlparse
        from urllib.request import url2pathname

        location = url2pathname(urlparse(location).path)
    return read_file_bytes(Path(location), location, cap, 'not a feed (set kind = "folder")')


def _fetch_http(url: str, timeout: float, cap: int) -> bytes:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > cap:
                raise InputError(f"{url}: too large ({int(declared) / 1e6:.1f} MB; "
                                 f"limit {cap / 1e6:.1f} MB)")
            data = response.read(cap + 1)
    except urllib.error.HTTPError as exc:
        raise InputError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise InputError(f"{url}: unreachable ({exc.reason})") from None
    except TimeoutError:
        raise InputError(f"{url}: no answer within {timeout:g} s") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{url}: cannot fetch ({exc})") from None
    if len(data) > cap:
        raise InputError(f"{url}: too large (over {cap / 1e6:.1f} MB)")
    return data


# ---- one feed ------------------------------------------------------------------------------
def load_feed(source: FeedSource, settings: FetchSettings, now: datetime | None = None) -> FeedLoad:
    """Every usable item of one feed plus the problems met; never raises on bad input."""
    now = now or datetime.now(timezone.utc)
    kind = _kind(source)
    try:
        if kind is FeedKind.FOLDER:
            raw_items, problems = _read_folder(source, settings)
        else:
            data = fetch_bytes(source.location, settings)
            if kind is FeedKind.JSONL:
                raw_items, problems = _read_jsonl(data, source)
            else:
                raw_items, problems = _read_xml_feed(data, source)
    except InputError as exc:
        return FeedLoad(source, (), (FeedProblem(source.name, f"feed {source.name!r}: {exc}"),))
    except Exception as exc:  # noqa: BLE001 - one feed's surprise must not stop the others
        message = " ".join(str(exc).split())[:200]
        return FeedLoad(source, (), (FeedProblem(
            source.name, f"feed {source.name!r}: cannot be read ({type(exc).__name__}: "
            f"{message})"),))
    items, more = _checked_items(raw_items, source, settings, now)
    return FeedLoad(source, tuple(items), tuple(problems + more))


def _kind(source: FeedSource) -> FeedKind:
    if source.kind is not FeedKind.AUTO:
        return source.kind
    location = source.location.split("?", 1)[0].lower()
    if location.endswith((".jsonl", ".ndjson")):
        return FeedKind.JSONL
    if not location.startswith(("http://", "https://", "file://")) and Path(
        source.location
    ).is_dir():
        return FeedKind.FOLDER
    return FeedKind.RSS


@dataclass
class _RawItem:
    guid: str | None
    title: str
    text: str
    link: str | None
    published: datetime | None
    html: bool = False
    where: str = ""


class MalformedXMLError(InputError):
    """The document is not well-formed XML (but declares nothing dangerous)."""


_XML_DECLARATION = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"'][^>]*\?>")


def to_utf8(data: bytes) -> bytes:
    """The feed in UTF-8 with its XML declaration saying so. expat (under defusedxml) reads
    only UTF-8, UTF-16 and single-byte encodings: a GB18030, Big5, Shift-JIS, EUC-KR or GBK
    feed is decoded here with the encoding it declares, and the declaration rewritten."""
    for bom, codec in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                       (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return _redeclared(_decode_as(data, codec))
    match = _XML_DECLARATION.match(data)
    if match is None:
        return data
    declared = match.group(1).decode("ascii").lower()
    try:
        codec = codecs.lookup(declared).name
    except LookupError:
        raise InputError(f"unknown encoding {declared!r} in the XML declaration") from None
    if codec in ("utf-8", "ascii"):
        return data
    return _redeclared(_decode_as(data, codec))


def _decode_as(data: bytes, codec: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid {codec} at byte {exc.start}, as its XML declaration "
                         "says") from None


def _redeclared(text: str) -> bytes:
    text = text.lstrip("\ufeff")
    text = re.sub(r"^\s*<\?xml[^>]*\?>", '<?xml version="1.0" encoding="utf-8"?>', text, count=1)
    return text.encode("utf-8", "surrogatepass")


def _read_xml_feed(data: bytes, source: FeedSource) -> tuple[list[_RawItem], list[FeedProblem]]:
    problems: list[FeedProblem] = []
    malformed: str | None = None
    data = to_utf8(data)
    try:
        check_xml(data)
    except MalformedXMLError as exc:
        # Real feeds are often not well-formed (an HTML entity like &nbsp;, a stray tag).
        # Without a DTD nothing can expand, so feedparser's lenient parser may salvage them;
        # with one, the document is refused.
        if _DECLARATION.search(data):
            raise InputError(f"{exc}, with a DTD; refused") from None
        malformed = str(exc)
    import feedparser

    # feedparser gets bytes, never a URL: all fetching goes through fetch_bytes' limits.
    parsed = feedparser.parse(data, resolve_relative_uris=False, sanitize_html=True)
    if malformed is not None:
        if not parsed.entries:
            raise InputError(f"{malformed}; no items could be read")
        problems.append(FeedProblem(source.name, f"feed {source.name!r}: {malformed}; read "
                                    f"leniently, items may be incomplete"))
    items = []
    for n, entry in enumerate(parsed.entries, 1):
        contents = entry.get("content") or []
        if contents:
            body = "\n".join(str(c.get("value", "")) for c in contents)
            html = any("html" in str(c.get("type", "")) for c in contents)
        else:
            body = str(entry.get("summary", "") or "")
            html = "html" in str((entry.get("summary_detail") or {}).get("type", "text/html"))
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        published = datetime(*stamp[:6], tzinfo=timezone.utc) if stamp else None
        items.append(_RawItem(
            guid=str(entry.get("id") or entry.get("link") or "") or None,
            title=_one_line(str(entry.get("title", "") or "")),
            text=body, link=str(entry.get("link") or "") or None,
            published=published, html=html, where=f"entry {n}",
        ))
    return items, problems


def check_xml(data: bytes) -> None:
    """Refuse hostile or broken XML before any lenient parser sees it.

    defusedxml rejects any DTD, entity declarations (billion laughs, quadratic blow-up) and
    external entities; a document that is not well-formed is refused rather than guessed at.
    """
    from xml.etree.ElementTree import ParseError

    import defusedxml
    import defusedxml.ElementTree as SafeET

    def parse(forbid_dtd: bool):  # noqa: ANN202 - an ElementTree element
        return SafeET.fromstring(data, forbid_dtd=forbid_dtd, forbid_entities=True,
                                 forbid_external=True)

    try:
        try:
            root = parse(forbid_dtd=True)
        except defusedxml.DTDForbidden:
            parse(forbid_dtd=False)  # a bomb or broken XML says so; else the DTD is refused
            raise InputError("XML with a DTD; refused (a feed needs none, and a DTD is where "
                             "entity bombs and external entities live)") from None
    except defusedxml.EntitiesForbidden:
        raise InputError("refused: the XML declares entities (possible entity-expansion bomb)"
                         ) from None
    except defusedxml.DefusedXmlException as exc:
        raise InputError(f"refused: unsafe XML ({type(exc).__name__})") from None
    except ParseError as exc:
        raise MalformedXMLError(f"malformed XML ({exc})") from None
    tag = root.tag.rsplit("}", 1)[-1].lower()
    if tag not in _FEED_ROOTS:
        raise InputError(f"not an RSS or Atom feed (root element <{tag}>)")


def _read_folder(source: FeedSource, settings: FetchSettings
                 ) -> tuple[list[_RawItem], list[FeedProblem]]:
    from auditor.load import document_from_bytes

    root = Path(source.location)
    if not root.is_dir():
        raise InputError(f"{root}: no such folder")
    items: list[_RawItem] = []
    problems: list[FeedProblem] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.suffix.lower() not in _TEXT_SUFFIXES:
            continue
        rel = path.relative_to(root).as_posix()
        size = path.stat().st_size
        if size > settings.max_item_bytes:
            problems.append(FeedProblem(source.name, f"feed {source.name!r}: {rel}: too large "
                            f"({size / 1e6:.1f} MB; limit {settings.max_item_bytes / 1e6:.1f} "
                            f"MB); skipped", rel))
            continue
        try:
            doc = document_from_bytes(path.read_bytes(), rel, "en", settings.max_item_bytes)
        except (InputError, OSError) as exc:
            problems.append(FeedProblem(source.name, f"feed {source.name!r}: {exc}; skipped",
                                        rel))
            continue
        first_line = next((ln for ln in doc.text.splitlines() if ln.strip()), rel)
        title, published = _html_metadata(path) if path.suffix.lower() in _HTML_SUFFIXES else (
            None, None)
        items.append(_RawItem(
            guid=rel, title=title or _one_line(first_line)[:200], text=doc.text, link=None,
            published=published or datetime.fromtimestamp(path.stat().st_mtime, timezone.utc),
            where=rel,
        ))
    return items, problems


def _html_metadata(path: Path) -> tuple[str | None, datetime | None]:
    """Title and publication date from an HTML page's metadata (trafilatura), when present;
    a file's modification time is a poor stand-in for when its story was published."""
    import trafilatura

    try:
        meta = trafilatura.extract_metadata(path.read_text(encoding="utf-8", errors="replace"))
    except Exception:  # noqa: BLE001 - metadata is optional; the text was already checked
        return None, None
    if meta is None:
        return None, None
    return (_one_line(meta.title) if meta.title else None), _parse_time(meta.date)


def _read_jsonl(data: bytes, source: FeedSource) -> tuple[list[_RawItem], list[FeedProblem]]:
    from auditor.load import decode_bytes

    text = decode_bytes(data, source.location)
    items: list[_RawItem] = []
    problems: list[FeedProblem] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"line {n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(FeedProblem(source.name, f"feed {source.name!r} {where}: not JSON "
                                        f"({exc.msg}); skipped"))
            continue
        if not isinstance(obj, dict):
            problems.append(FeedProblem(source.name, f"feed {source.name!r} {where}: not a JSON "
                                        f"object; skipped"))
            continue
        body = next((obj[k] for k in ("text", "content", "body", "html") if obj.get(k)), "")
        guid = next((str(obj[k]) for k in ("guid", "id", "url", "link") if obj.get(k)), None)
        link = next((str(obj[k]) for k in ("url", "link") if obj.get(k)), None)
        stamp = next((obj[k] for k in ("published", "date", "time", "updated") if obj.get(k)),
                     None)
        published = _parse_time(stamp)
        if stamp and published is None:
            problems.append(FeedProblem(source.name, f"feed {source.name!r} {where}: "
                                        f"unreadable date {str(stamp)[:40]!r}; using the fetch "
                                        f"time", guid))
        items.append(_RawItem(
            guid=guid, title=_one_line(str(obj.get("title") or "")), text=str(body), link=link,
            published=published, html=bool(obj.get("html")) and not obj.get("text"), where=where,
        ))
    return items, problems


# ---- item checks -----------------------------------------------------------------------------
def _checked_items(raw_items: Iterable[_RawItem], source: FeedSource, settings: FetchSettings,
                   now: datetime) -> tuple[list[FeedItem], list[FeedProblem]]:
    from auditor.load import looks_like_html

    items: list[FeedItem] = []
    problems: list[FeedProblem] = []
    seen_guids: dict[str, str] = {}
    prefix = f"feed {source.name!r}"
    for raw in raw_items:
        label = f"{prefix} item {raw.guid or raw.where!r}"
        if len(raw.text.encode("utf-8", "ignore")) > settings.max_item_bytes:
            problems.append(FeedProblem(source.name, f"{label}: too large "
                            f"({len(raw.text.encode('utf-8', 'ignore')) / 1e6:.1f} MB; limit "
                            f"{settings.max_item_bytes / 1e6:.1f} MB); skipped", raw.guid))
            continue
        text = raw.text
        if text.strip() and (looks_like_html(text) or (raw.html and "<" in text)):
            text = html_fragment_text(text)
        if (settings.fetch_articles and raw.link and len(text) < settings.min_item_chars
                and raw.link.startswith(("http://", "https://"))):
            try:
                text = fetch_article_text(raw.link, settings) or text
            except InputError as exc:
                problems.append(FeedProblem(source.name, f"{label}: article not fetched ({exc});"
                                            f" using the feed text", raw.guid))
        text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
        if not text:
            problems.append(FeedProblem(source.name, f"{label}: empty item (no text); skipped",
                                        raw.guid))
            continue
        digest = content_hash(text)
        guid = raw.guid or f"sha256:{digest[:16]}"
        if guid in seen_guids:
            same = "same text" if seen_guids[guid] == digest else "different text"
            problems.append(FeedProblem(source.name, f"{label}: duplicate GUID in this feed "
                            f"({same}); keeping the first", guid))
            continue
        seen_guids[guid] = digest
        items.append(FeedItem(
            feed=source.name, role=source.role, guid=guid, title=raw.title or _one_line(text)[:120],
            text=text, link=raw.link, published=raw.published or now, content_hash=digest,
        ))
    return items, problems


def html_fragment_text(html: str) -> str:
    """Article text of an HTML page or fragment: trafilatura, else every text node (short
    feed summaries can be below trafilatura's idea of an article)."""
    from auditor.load import html_to_text

    try:
        return html_to_text(html, "item")
    except InputError:
        pass
    import lxml.html

    try:
        tree = lxml.html.fromstring(f"<div>{html}</div>")
    except (ValueError, lxml.etree.ParserError):
        return ""
    for br in tree.iter("br", "p", "div", "li"):
        br.tail = ("\n" + br.tail) if br.tail else "\n"
    return re.sub(r"[ \t]+", " ", tree.text_content()).strip()


def fetch_article_text(url: str, settings: FetchSettings) -> str:
    """The main text of the page an item links to (trafilatura)."""
    from auditor.load import decode_bytes, html_to_text

    data = fetch_bytes(url, settings, max_bytes=settings.max_item_bytes * 5)
    return html_to_text(decode_bytes(data, url), url)


def _parse_time(value: object) -> datetime | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            stamp = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    return stamp.replace(tzinfo=timezone.utc) if stamp.tzinfo is None else stamp.astimezone(
        timezone.utc)


def _one_line(text: str) -> str:
    return " ".join(text.split())


__all__ = [
    "FeedItem", "FeedLoad", "FeedProblem", "MalformedXMLError", "check_xml", "content_hash",
    "fetch_article_text", "fetch_bytes", "html_fragment_text", "load_feed",
]
