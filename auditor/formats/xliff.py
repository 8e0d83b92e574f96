"""XLIFF 1.2 / 2.x and TMX, streamed: segments in, findings written back.

Our own code on lxml's `iterparse`, never the whole file in memory: one pass checks the file
(well-formed, the languages asked for, the unit count) before any model loads, one yields the
segments as they are audited, one copies the file to `--xliff-out` unit by unit. A DOCTYPE is
refused (that is where entity bombs and external entities live; XLIFF and TMX need none) and
entities are never expanded. translate-toolkit (GPL-3.0-or-later; auditor is MIT) is not
imported at run time: the tests use it to write the input files and to read ours back.

Reading: every translatable unit (XLIFF 1.2 `<trans-unit>` without `translate="no"`; XLIFF 2.x
`<segment>` of a `<unit>` without `translate="no"`; TMX `<tu>`) is counted, in file order (a
reference file has one line per translatable unit), and one with a target is a segment: its
MT, the source its source. Units of one XLIFF `<file>` form one document, and so do the units
of a TMX. Inline codes (`<x/>`, `<ph>`, `<bpt>`...) carry no text; `<g>`, `<mrk>`, `<pc>` keep
theirs.

Writing (`write_findings`, from the segments' JSON objects as `auditor score --jsonl` writes
them, so a resumed run can write what an earlier run found): each finding becomes a `<note>`
(XLIFF 1.2 `from="auditor"` on the `<trans-unit>`; XLIFF 2.x `category="auditor"` in the
`<unit>`'s `<notes>`, where the 2.0 schema puts notes), the segment score goes to the W3C ITS
2.0 attribute `its:locQualityRatingScore` (0-100, higher is better, the scale ITS defines) on
the unit (a unit of several segments: its worst), and a unit with a scored major or critical
finding is put back in review: XLIFF 1.2 `state="needs-review-translation"` on the target,
XLIFF 2.x `state="translated"` with `subState="auditor:needs-review"` on the segment. A TMX is
written out as XLIFF 1.2.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.errors import InputError
from auditor.formats import InputFormat
from auditor.formats.lines import check_file, count_lines, read_lines
from auditor.segments import SegmentInput

ITS_NS = "http://www.w3.org/2005/11/its"
XLIFF1_NS = "urn:oasis:names:tc:xliff:document:1.2"
XLIFF2_PREFIX = "urn:oasis:names:tc:xliff:document:2."
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NOTE_ORIGIN = "auditor"
REVIEW_SEVERITIES = ("major", "critical")
_SCORE = f"{{{ITS_NS}}}locQualityRatingScore"
# Elements that hold units: copied by streaming (start tag, children, end tag); every other
# element is copied whole when it ends (a unit, a header, notes, a skeleton).
_CONTAINERS = {"xliff1": {"xliff", "file", "body", "group"},
               "xliff2": {"xliff", "file", "group"},
               "tmx": {"tmx", "body"}}
_UNIT = {"xliff1": "trans-unit", "xliff2": "unit", "tmx": "tu"}
# Inline elements whose content is native code, not text (XLIFF 1.2 and 2.x).
_CODE = {"ph", "bpt", "ept", "it", "x", "bx", "ex", "sc", "ec", "sm", "em", "ut"}


@dataclass(frozen=True)
class TranslationStore:
    """A checked XLIFF/TMX file: its kind, translatable units and languages (nothing of the
    file is kept: every pass reads it again)."""

    path: Path
    kind: str  # "xliff1", "xliff2" or "tmx"
    units: int  # translatable units (what a reference file has lines for)
    segments: int  # of which with a target text: the segments audited
    source_lang: str | None
    target_lang: str | None


@dataclass(frozen=True)
class Unit:
    """One translatable unit as read: its position, document, id and texts."""

    ordinal: int
    doc: str
    key: str
    source: str
    target: str


def _local(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _lang_matches(lang: str | None, wanted: str) -> bool:
    """"en" matches "en", "en-US", "EN_gb"; "en-US" matches only itself."""
    if not lang:
        return False
    lang, wanted = lang.lower().replace("_", "-"), wanted.lower().replace("_", "-")
    return lang == wanted or ("-" not in wanted and lang.split("-")[0] == wanted)


def _what(fmt: InputFormat | str) -> str:
    return "TMX" if fmt in (InputFormat.TMX, "tmx") else "XLIFF"


def _events(path: Path, fmt: InputFormat | str) -> Iterator[tuple[str, Any]]:
    """lxml iterparse with entities left unexpanded, no DTD loaded, no network; entity
    declarations are refused when the root starts, a syntax error is one `InputError`."""
    from lxml import etree

    parser = etree.iterparse(str(path), events=("start", "end", "comment", "pi"),
                             resolve_entities=False, load_dtd=False, no_network=True,
                             huge_tree=False, remove_blank_text=False)
    first = True
    try:
        for event, element in parser:
            if first and event == "start":
                first = False
                dtd = element.getroottree().docinfo.internalDTD
                if dtd is not None and any(True for _ in dtd.iterentities()):
                    raise InputError(f"{path}: XML that declares entities; refused (possible "
                                     "entity-expansion bomb or external entity)")
            yield event, element
    except etree.XMLSyntaxError as exc:
        detail = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise InputError(f"{path}: not a valid {_what(fmt)} file ({detail})") from None


def _kind(root: Any, path: Path, fmt: InputFormat) -> str:
    name = _local(root.tag)
    if fmt is InputFormat.TMX:
        if name != "tmx":
            raise InputError(f"{path}: not a valid TMX file (root element <{name}>)")
        return "tmx"
    if name != "xliff":
        raise InputError(f"{path}: not a valid XLIFF file (root element <{name}>)")
    namespace = root.tag[1:].partition("}")[0] if root.tag.startswith("{") else ""
    version = root.get("version") or ""
    return "xliff2" if namespace.startswith(XLIFF2_PREFIX) or version.startswith("2") \
        else "xliff1"


def _release(element: Any) -> None:
    """Free a finished element and its finished siblings (what iterparse keeps otherwise)."""
    element.clear(keep_tail=True)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def inline_text(element: Any) -> str:
    """An XLIFF `<source>`/`<target>` (or TMX `<seg>`) as plain text: inline codes dropped,
    marked-up text kept, `<cp hex>` as its character."""
    if element is None:
        return ""
    parts = [element.text or ""]
    for child in element:
        name = _local(child.tag)
        if name == "cp":
            try:
                parts.append(chr(int(child.get("hex") or "", 16)))
            except ValueError:
                pass
        elif name and name not in _CODE:
            parts.append(inline_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _child(element: Any, name: str) -> Any:
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _tmx_texts(tu: Any) -> dict[str, str]:
    """Language -> text of a TMX `<tu>` (TMX 1.4 `xml:lang`, older versions `lang`)."""
    out: dict[str, str] = {}
    for tuv in tu:
        if _local(tuv.tag) == "tuv":
            lang = tuv.get(XML_LANG) or tuv.get("lang")
            if lang:
                out.setdefault(lang, inline_text(_child(tuv, "seg")))
    return out


def _xliff2_segments(unit: Any) -> list[Any]:
    return [s for s in unit if _local(s.tag) == "segment"]


def _xliff2_id(unit: Any, segment: Any, segments: Sequence[Any], ordinal: int) -> str:
    """The id translate-toolkit gives a segment: the unit's id, "unit::segment" when the unit
    has several segments (`segment-N` for one without an id)."""
    unit_id = unit.get("id") or str(ordinal)
    if segment.get("id"):
        return f"{unit_id}::{segment.get('id')}"
    if len(segments) == 1:
        return unit_id
    return f"{unit_id}::segment-{segments.index(segment) + 1}"


def _translatable(kind: str, unit: Any) -> bool:
    if (unit.get("translate") or "").lower() == "no":
        return False
    return not (kind == "xliff1" and unit.get("restype") == "x-gettext-domain-header")


def _units(path: Path, fmt: InputFormat, meta: dict[str, str],
           langs: tuple[str, str] | None = None) -> Iterator[Unit | dict[str, str]]:
    """Every translatable unit in file order: a `Unit`, or for a TMX read without `langs`,
    its texts by language. Fills `meta` (kind; the first XLIFF file's languages, the TMX
    header's srclang). Elements are freed as they are read."""
    kind = ""
    doc = "tmx"
    files = ordinal = depth = 0
    for event, element in _events(path, fmt):
        if event not in ("start", "end"):
            continue
        name = _local(element.tag)
        if not kind:
            kind = meta["kind"] = _kind(element, path, fmt)
        if event == "start":
            if name == _UNIT[kind]:
                depth += 1
            elif name == "file" and not depth and kind != "tmx":
                doc = f"{files}:{element.get('original') or element.get('id') or 'file'}"
                files += 1
                for attribute in ("source-language", "target-language", "srcLang", "trgLang"):
                    if element.get(attribute):
                        meta.setdefault(attribute, element.get(attribute))
            elif name == "xliff" and kind == "xliff2":
                for attribute in ("srcLang", "trgLang"):
                    if element.get(attribute):
                        meta.setdefault(attribute, element.get(attribute))
            elif name == "header" and kind == "tmx" and element.get("srclang"):
                meta.setdefault("srclang", element.get("srclang"))
            continue
        if name != _UNIT[kind]:
            if not depth and name not in _CONTAINERS[kind]:
                _release(element)
            continue
        depth -= 1
        if depth:
            continue
        if _translatable(kind, element):
            if kind == "tmx":
                texts = _tmx_texts(element)
                if langs is None:
                    yield texts
                else:
                    yield Unit(ordinal, doc, element.get("tuid") or str(ordinal),
                               _pick(texts, langs[0]), _pick(texts, langs[1]))
                ordinal += 1
            elif kind == "xliff1":
                yield Unit(ordinal, doc, element.get("id") or str(ordinal),
                           inline_text(_child(element, "source")),
                           inline_text(_child(element, "target")))
                ordinal += 1
            else:
                segments = _xliff2_segments(element)
                for segment in segments:
                    yield Unit(ordinal, doc, _xliff2_id(element, segment, segments, ordinal),
                               inline_text(_child(segment, "source")),
                               inline_text(_child(segment, "target")))
                    ordinal += 1
        _release(element)


def _pick(texts: Mapping[str, str], lang: str) -> str:
    for code, text in texts.items():
        if _lang_matches(code, lang):
            return text
    return ""


def open_store(path: Path, fmt: InputFormat, source_lang: str | None = None,
               target_lang: str | None = None) -> TranslationStore:
    """Check the whole file in one streaming pass (well-formed, no DTD, the languages, the
    units), so that bad input is one `InputError` before any model loads."""
    check_file(path, "input")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: empty file")
    meta: dict[str, str] = {}
    units = segments = 0
    langs: set[str] = set()
    target = target_lang or "en"
    for unit in _units(path, fmt, meta):
        units += 1
        if isinstance(unit, dict):
            langs.update(unit)
            segments += bool(_pick(unit, target).strip())
        else:
            segments += bool(unit.target.strip())
    kind = meta.get("kind")
    if kind is None:
        raise InputError(f"{path}: not a valid {_what(fmt)} file (no root element)")
    if kind == "tmx":
        return _tmx_store(path, units, segments, langs, source_lang, target,
                          meta.get("srclang"))
    if not segments:
        raise InputError(f"{path}: no translated unit to audit")
    return TranslationStore(
        path, kind, units, segments,
        source_lang or meta.get("source-language") or meta.get("srcLang"),
        target_lang or meta.get("target-language") or meta.get("trgLang"))


def _tmx_store(path: Path, units: int, segments: int, langs: set[str], source_lang: str | None,
               target_lang: str, header_src: str | None) -> TranslationStore:
    shown = ", ".join(sorted(langs)) or "none"
    if not any(_lang_matches(lang, target_lang) for lang in langs):
        raise InputError(f"{path}: no {target_lang!r} text in any unit (languages: {shown}); "
                         "choose one with --target-lang")
    source = source_lang or (header_src if header_src and header_src != "*all*" else None)
    if source is None:
        others = sorted(lang for lang in langs if not _lang_matches(lang, target_lang))
        source = others[0] if others else None
    if source is None or not any(_lang_matches(lang, source) for lang in langs):
        raise InputError(f"{path}: no {source or 'source'!r} text in any unit (languages: "
                         f"{shown}); choose one with --source-lang")
    if not segments:
        raise InputError(f"{path}: no translated unit to audit")
    return TranslationStore(path, "tmx", units, segments, source, target_lang)


def _read_units(ts: TranslationStore) -> Iterator[Unit]:
    langs = (ts.source_lang or "", ts.target_lang or "en") if ts.kind == "tmx" else None
    for unit in _units(ts.path, InputFormat.TMX if ts.kind == "tmx" else InputFormat.XLIFF,
                       {}, langs):
        assert isinstance(unit, Unit)
        yield unit


def store_segments(ts: TranslationStore, references: Sequence[Path] = ()) -> Iterator[
        SegmentInput]:
    """One segment per translatable unit with a target, in file order, read as audited. A
    reference file with the wrong number of lines is an `InputError` now, before any model
    loads."""
    for r in references:
        check_file(r, "reference")
        n = count_lines(r)
        if n != ts.units:
            raise InputError(f"reference {r} has {n} lines but {ts.path} has {ts.units} "
                             "translatable units: give one reference line per unit")

    def generate() -> Iterator[SegmentInput]:
        streams = [read_lines(r) for r in references]
        for unit in _read_units(ts):
            refs = tuple(next(s) for s in streams)
            if unit.target.strip():  # untranslated: nothing to audit
                yield SegmentInput(index=unit.ordinal, doc=unit.doc, mt=unit.target,
                                   references=refs, source=unit.source, key=unit.key)

    return generate()


# ---- writing back -------------------------------------------------------------------------
def finding_note(f: Mapping[str, Any]) -> str:
    """One finding (its JSON form) as a reviewer reads it in a CAT tool's notes pane."""
    what = f"'{f['mt_text']}'" if f.get("mt_text") else ""
    if not what:
        side = f.get("reference") or f.get("source")
        what = f"missing: '{side['text']}'" if side else ""
    canon = f" -> '{f['canonical']}'" if f.get("canonical") else ""
    where = f" [{f['mt_start']}:{f['mt_end']}]" if f.get("mt_start") is not None else ""
    return (f"auditor {f['severity']} {f['kind']}{where}: {what}{canon}. "
            f"{f.get('evidence') or ''}").strip()


def _needs_review(result: Mapping[str, Any]) -> bool:
    return any(f.get("scored", True) and f["severity"] in REVIEW_SEVERITIES
               for f in result.get("findings", ()))


Results = Mapping[int, Mapping[str, Any]]


def write_findings(ts: TranslationStore, results: Results, out: Path,
                   signature: str | None = None) -> None:
    """Write the file back with the findings (see the module docstring), streaming, to a
    temporary file renamed over `out` when complete."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    try:
        with open(partial, "wb") as fh:
            if ts.kind == "tmx":
                _write_tmx_as_xliff(ts, results, fh, signature)
            else:
                _copy_xliff(ts, results, fh, signature)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)


def _scored(results: Results, ordinal: int) -> Mapping[str, Any] | None:
    result = results.get(ordinal)
    return result if result is not None and result.get("score") is not None else None


def _note(parent: Any, namespace: str, text: str, origin_attribute: str) -> Any:
    from lxml import etree

    note = etree.SubElement(parent, f"{{{namespace}}}note" if namespace else "note")
    note.set(origin_attribute, NOTE_ORIGIN)
    note.text = text
    return note


def _namespace(element: Any) -> str:
    tag = element.tag
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


def _annotate_xliff1(unit: Any, result: Mapping[str, Any]) -> None:
    """Notes after the unit's own notes (before `<alt-trans>`), the score, the review state."""
    namespace = _namespace(unit)
    position = next((i for i, c in enumerate(unit) if _local(c.tag) == "alt-trans"), len(unit))
    for f in reversed(result.get("findings", ())):
        note = _note(unit, namespace, finding_note(f), "from")
        unit.insert(position, note)
    unit.set(_SCORE, f"{result['score']:.1f}")
    target = _child(unit, "target")
    if target is not None and _needs_review(result):
        target.set("state", "needs-review-translation")


def _annotate_xliff2(unit: Any, results: Results, first: int) -> int:
    """The unit's segments from ordinal `first`: notes in the unit's `<notes>` (its first
    child), the worst segment score on the unit, review sub-states on the segments. Returns
    the number of segments."""
    from lxml import etree

    namespace = _namespace(unit)
    segments = _xliff2_segments(unit)
    worst: float | None = None
    notes = _child(unit, "notes")
    for offset, segment in enumerate(segments):
        result = _scored(results, first + offset)
        if result is None:
            continue
        for f in result.get("findings", ()):
            if notes is None:
                notes = etree.Element(f"{{{namespace}}}notes" if namespace else "notes",
                                      nsmap={None: namespace} if namespace else None)
                unit.insert(0, notes)
            _note(notes, namespace, finding_note(f), "category")
        worst = result["score"] if worst is None else min(worst, result["score"])
        if _needs_review(result):
            segment.set("state", "translated")
            segment.set("subState", "auditor:needs-review")
    if worst is not None:
        unit.set(_SCORE, f"{worst:.1f}")
    return len(segments)


def _signature_note(kind: str, namespace: str, signature: str) -> Any:
    """A new XLIFF 1.2 `<header>` or 2.x `<notes>` holding the run's signature."""
    from lxml import etree

    tag = "header" if kind == "xliff1" else "notes"
    holder = etree.Element(f"{{{namespace}}}{tag}" if namespace else tag,
                           nsmap={None: namespace} if namespace else None)
    _note(holder, namespace, f"audited by auditor; signature {signature}",
          "from" if kind == "xliff1" else "category")
    return holder


def _with_its(element: Any) -> Any:
    """A copy of the element with the `its` prefix declared (lxml cannot add a declaration to
    an element it parsed); the children move to it."""
    from lxml import etree

    copy = etree.Element(element.tag, dict(element.attrib), nsmap={**element.nsmap,
                                                                   "its": ITS_NS})
    copy.text = element.text
    copy.extend(list(element))
    return copy


class _Copier:
    """Copies an XLIFF through an lxml incremental writer: containers (xliff, file, body,
    group) as start tag, children, end tag; every other element whole when it ends, a unit
    annotated first. Text and tails are written once the parser has them all."""

    def __init__(self, ts: TranslationStore, results: Results, xf: Any,
                 signature: str | None):
        self.ts, self.results, self.xf, self.signature = ts, results, xf, signature
        self.stack: list[tuple[Any, Any]] = []  # (element, writer context)
        self.text_done: set[int] = set()
        self.pending: Any = None  # an element written but not its tail yet
        self.ordinal = 0
        self.signed = False  # the current <file> has its signature note

    def flush(self) -> None:
        """The pending element's tail, and the open container's text, now complete."""
        if self.pending is not None:
            if self.pending.tail:
                self.xf.write(self.pending.tail)
            _release(self.pending)
            self.pending = None
        if self.stack:
            element = self.stack[-1][0]
            if id(element) not in self.text_done:
                self.text_done.add(id(element))
                if element.text:
                    self.xf.write(element.text)

    def open(self, element: Any) -> None:
        parent_ns = self.stack[-1][0].nsmap if self.stack else {}
        declared = {p: u for p, u in element.nsmap.items() if parent_ns.get(p) != u}
        context = self.xf.element(element.tag, dict(element.attrib), nsmap=declared)
        context.__enter__()
        self.stack.append((element, context))
        if _local(element.tag) == "file":
            self.signed = False

    def close(self) -> None:
        element, context = self.stack.pop()
        context.__exit__(None, None, None)
        self.text_done.discard(id(element))
        self.pending = element

    def child(self, element: Any) -> None:
        """A whole non-container element, in a container: sign the file, annotate a unit."""

        kind, name = self.ts.kind, _local(element.tag)
        parent = _local(self.stack[-1][0].tag) if self.stack else ""
        if self.signature and parent == "file" and not self.signed:
            holder = "header" if kind == "xliff1" else "notes"
            if name == holder:
                _note(element, _namespace(element), f"audited by auditor; signature "
                      f"{self.signature}", "from" if kind == "xliff1" else "category")
                self.signed = True
            elif name in ("body", "unit", "group"):
                self.xf.write(_signature_note(kind, _namespace(element), self.signature))
                self.signed = True
        written = element
        if name == _UNIT[kind] and _translatable(kind, element):
            written = _with_its(element)
            if kind == "xliff1":
                result = _scored(self.results, self.ordinal)
                if result is not None:
                    _annotate_xliff1(written, result)
                self.ordinal += 1
            else:
                self.ordinal += _annotate_xliff2(written, self.results, self.ordinal)
        self.xf.write(written, with_tail=False)
        self.pending = element  # its tail is written, and it is freed, when complete


def _copy_xliff(ts: TranslationStore, results: Results, fh: Any,
                signature: str | None) -> None:
    from lxml import etree

    containers = _CONTAINERS[ts.kind]
    with etree.xmlfile(fh, encoding="utf-8") as xf:
        xf.write_declaration()
        copier = _Copier(ts, results, xf, signature)
        inside = 0  # depth inside a whole element being read
        started = False
        for event, element in _events(ts.path, InputFormat.XLIFF):
            if inside:
                if event == "start":
                    inside += 1
                elif event == "end":
                    inside -= 1
                    if not inside:
                        copier.child(element)
                continue
            if event in ("comment", "pi"):
                if not copier.stack:
                    if not started:  # before the root; after it, nothing is kept
                        xf.write(element, with_tail=False)
                    continue
                copier.flush()
                xf.write(element, with_tail=False)
                copier.pending = element
                continue
            copier.flush()
            if event == "start":
                started = True
                if _local(element.tag) in containers:
                    copier.open(element)
                else:
                    inside = 1
            else:
                copier.close()


def _write_tmx_as_xliff(ts: TranslationStore, results: Results, fh: Any,
                        signature: str | None) -> None:
    from lxml import etree

    ns = XLIFF1_NS
    with etree.xmlfile(fh, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element(f"{{{ns}}}xliff", {"version": "1.2"}, nsmap={None: ns, "its": ITS_NS}):
            file_attributes = {"original": ts.path.name, "source-language": ts.source_lang
                               or "x", "target-language": ts.target_lang or "en",
                               "datatype": "plaintext"}
            with xf.element(f"{{{ns}}}file", file_attributes):
                if signature:
                    xf.write(_signature_note("xliff1", ns, signature))
                with xf.element(f"{{{ns}}}body"):
                    for unit in _read_units(ts):
                        element = etree.Element(f"{{{ns}}}trans-unit", {"id": unit.key},
                                                nsmap={None: ns, "its": ITS_NS})
                        etree.SubElement(element, f"{{{ns}}}source").text = unit.source
                        etree.SubElement(element, f"{{{ns}}}target").text = unit.target
                        result = _scored(results, unit.ordinal)
                        if result is not None:
                            _annotate_xliff1(element, result)
                        xf.write(element)


__all__ = ["TranslationStore", "Unit", "finding_note", "inline_text", "open_store",
           "store_segments", "write_findings"]
