"""XLIFF 1.2 / 2.x and TMX through translate-toolkit: segments in, findings written back.

Reading: every translatable unit with a target is a segment (its MT), its source the source;
units of one XLIFF `<file>` form one document (in file order), and so do the units of a TMX
(a memory exported from one job keeps its order; unrelated units side by side cost little in
the parallel alignment). Long documents are audited in chunks (`MAX_DOCUMENT_SEGMENTS`). A
reference can come from a text file with one line per translatable unit.

Writing (`write_findings`, from the segments' JSON objects as `auditor score --jsonl` writes
them, so a resumed run can write what an earlier run found): each finding becomes a `<note>`
on its unit (XLIFF 1.2 `from="auditor"`, XLIFF 2.x `category="auditor"`), the segment score
goes to the W3C ITS 2.0 attribute `its:locQualityRatingScore` (0-100, higher is better, the
scale ITS defines) on the unit, and a unit with a scored major or critical finding is put back
in review: XLIFF 1.2 `state="needs-review-translation"`, XLIFF 2.x `state="translated"` with
`subState="auditor:needs-review"`. A TMX input is written out as XLIFF 1.2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.errors import InputError
from auditor.formats import InputFormat
from auditor.formats.lines import check_file, count_lines, read_lines
from auditor.segments import SegmentInput

ITS_NS = "http://www.w3.org/2005/11/its"
XLIFF2_NS = "urn:oasis:names:tc:xliff:document:2."
NOTE_ORIGIN = "auditor"
REVIEW_SEVERITIES = ("major", "critical")


@dataclass
class TranslationStore:
    """An opened XLIFF/TMX file: the translate-toolkit store and its auditable units."""

    path: Path
    kind: str  # "xliff1", "xliff2" or "tmx"
    store: Any
    units: list[Any]  # the translatable units, in file order
    source_lang: str | None
    target_lang: str | None


def _sniff_xliff2(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(4096)
    return XLIFF2_NS.encode() in head or b'version="2.' in head or b"version='2." in head


def _lang_matches(lang: str | None, wanted: str) -> bool:
    """"en" matches "en", "en-US", "EN_gb"; "en-US" matches only itself."""
    if not lang:
        return False
    lang, wanted = lang.lower().replace("_", "-"), wanted.lower().replace("_", "-")
    return lang == wanted or ("-" not in wanted and lang.split("-")[0] == wanted)


def open_store(path: Path, fmt: InputFormat, source_lang: str | None = None,
               target_lang: str | None = None) -> TranslationStore:
    """Parse the file with translate-toolkit; anything it cannot read is one `InputError`."""
    check_file(path, "input")
    data = path.read_bytes()
    if not data.strip():
        raise InputError(f"{path}: empty file")
    try:
        if fmt is InputFormat.TMX:
            from translate.storage import tmx

            store = tmx.tmxfile.parsestring(data)
            kind = "tmx"
        elif _sniff_xliff2(path):
            from translate.storage import xliff2

            store = xliff2.Xliff2File.parsestring(data)
            kind = "xliff2"
        else:
            from translate.storage import xliff

            store = xliff.Xliff1File.parsestring(data)
            kind = "xliff1"
    except Exception as exc:  # lxml syntax errors, wrong root, translate-toolkit asserts
        what = "TMX" if fmt is InputFormat.TMX else "XLIFF"
        detail = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise InputError(f"{path}: not a valid {what} file ({detail})") from None
    units = [u for u in store.units if not u.isheader() and u.istranslatable()]
    if kind == "tmx":
        return _tmx_store(path, store, units, source_lang, target_lang or "en")
    return TranslationStore(path, kind, store, units,
                            source_lang or store.getsourcelanguage() or None,
                            target_lang or store.gettargetlanguage() or None)


def _tmx_store(path: Path, store: Any, units: list[Any], source_lang: str | None,
               target_lang: str) -> TranslationStore:
    from translate.misc.xml_helpers import getXMLlang

    langs: set[str] = set()
    for u in units:
        langs.update(str(getXMLlang(n)) for n in u.getlanguageNodes() if getXMLlang(n))
    header = store.document.getroot().find(store.namespaced("header"))
    header_src = header.get("srclang") if header is not None else None
    source = source_lang or (header_src if header_src and header_src != "*all*" else None)
    shown = ", ".join(sorted(langs)) or "none"
    if not any(_lang_matches(lang, target_lang) for lang in langs):
        raise InputError(f"{path}: no {target_lang!r} text in any unit (languages: {shown}); "
                         "choose one with --target-lang")
    if source is None:
        others = sorted(lang for lang in langs if not _lang_matches(lang, target_lang))
        source = others[0] if others else None
    if source is None or not any(_lang_matches(lang, source) for lang in langs):
        raise InputError(f"{path}: no {source or 'source'!r} text in any unit (languages: "
                         f"{shown}); choose one with --source-lang")
    return TranslationStore(path, "tmx", store, units, source, target_lang)


def _tuv_text(unit: Any, lang: str) -> str:
    from translate.misc.xml_helpers import getXMLlang, getXMLspace

    for node in unit.getlanguageNodes():
        if _lang_matches(getXMLlang(node), lang):
            text = unit.getNodeText(node, getXMLspace(unit.xmlelement, "default"))
            return str(text) if text is not None else ""
    return ""


def _file_of(element: Any) -> Any:
    node = element
    while node is not None and not str(node.tag).endswith("}file"):
        node = node.getparent()
    return node


def unit_id(ts: TranslationStore, unit: Any, ordinal: int) -> str:
    """The unit's own id (XLIFF) or its position (TMX `tu` rarely carries `tuid`)."""
    if ts.kind == "xliff1":
        return unit.xmlelement.get("id") or str(ordinal)
    if ts.kind == "xliff2":
        return unit.getid() or str(ordinal)
    return unit.xmlelement.get("tuid") or str(ordinal)


def store_segments(ts: TranslationStore, references: Sequence[Path] = ()) -> list[SegmentInput]:
    """One segment per translatable unit with a target, in file order."""
    ref_lines: list[list[str]] = []
    for r in references:
        check_file(r, "reference")
        n = count_lines(r)
        if n != len(ts.units):
            raise InputError(f"reference {r} has {n} lines but {ts.path} has {len(ts.units)} "
                             "translatable units: give one reference line per unit")
        ref_lines.append(list(read_lines(r)))
    files: dict[int, str] = {}
    out = []
    for k, unit in enumerate(ts.units):
        if ts.kind == "tmx":
            mt, src = _tuv_text(unit, ts.target_lang or "en"), _tuv_text(unit, ts.source_lang
                                                                          or "")
            doc = "tmx"
        else:
            mt = str(unit.target or "")
            src = str(unit.source or "")
            element = unit.getunitelement() if ts.kind == "xliff2" else unit.xmlelement
            file_node = _file_of(element)
            key = id(file_node)
            if key not in files:
                name = None
                if file_node is not None:
                    name = file_node.get("original") or file_node.get("id")
                files[key] = f"{len(files)}:{name or 'file'}"
            doc = files[key]
        if not mt.strip():
            continue  # untranslated: nothing to audit
        out.append(SegmentInput(index=k, doc=doc, mt=mt,
                                references=tuple(lines[k] for lines in ref_lines),
                                source=src, key=unit_id(ts, unit, k)))
    if not out:
        raise InputError(f"{ts.path}: no translated unit to audit")
    return out


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


def write_findings(ts: TranslationStore, results: Mapping[int, Mapping[str, Any]], out: Path,
                   signature: str | None = None) -> None:
    """Write the file back with the findings as notes (see the module docstring)."""
    if ts.kind == "tmx":
        _write_tmx_as_xliff(ts, results, out, signature)
        return
    for k, unit in enumerate(ts.units):
        result = results.get(k)
        if result is None or result.get("score") is None:
            continue
        _annotate(ts.kind, unit, result)
    if signature:
        _file_notes(ts, signature)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(bytes(ts.store))


def _annotate(kind: str, unit: Any, result: Mapping[str, Any]) -> None:
    for f in result.get("findings", ()):
        unit.addnote(finding_note(f), origin=NOTE_ORIGIN)
    score = f"{result['score']:.1f}"
    attribute = f"{{{ITS_NS}}}locQualityRatingScore"
    if kind == "xliff2":
        element = unit.getunitelement()
        previous = element.get(attribute)  # a unit of several segments: its worst segment
        if previous is not None and float(previous) < result["score"]:
            score = previous
        element.set(attribute, score)
        if _needs_review(result):
            unit.xmlelement.set("state", "translated")
            unit.xmlelement.set("subState", "auditor:needs-review")
    else:
        unit.xmlelement.set(attribute, score)
        if _needs_review(result):
            unit.set_state_n(unit.S_NEEDS_REVIEW)


def _file_notes(ts: TranslationStore, signature: str) -> None:
    """The run's signature once per `<file>`: XLIFF 1.2 `<header><note>`, 2.x `<notes>`."""
    from lxml import etree

    root = ts.store.document.getroot()
    for file_node in root.iterchildren(ts.store.namespaced("file")):
        text = f"audited by auditor; signature {signature}"
        if ts.kind == "xliff2":
            notes = file_node.find(ts.store.namespaced("notes"))
            if notes is None:
                notes = etree.Element(ts.store.namespaced("notes"))
                file_node.insert(0, notes)
            note = etree.SubElement(notes, ts.store.namespaced("note"))
            note.set("category", NOTE_ORIGIN)
        else:
            header = file_node.find(ts.store.namespaced("header"))
            if header is None:
                header = etree.Element(ts.store.namespaced("header"))
                file_node.insert(0, header)
            note = etree.SubElement(header, ts.store.namespaced("note"))
            note.set("from", NOTE_ORIGIN)
        note.text = text


def _write_tmx_as_xliff(ts: TranslationStore, results: Mapping[int, Mapping[str, Any]],
                        out: Path, signature: str | None) -> None:
    from translate.storage import xliff

    skeleton = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<xliff xmlns="urn:oasis:names:tc:xliff:document:1.2" version="1.2">'
        '<file original="{name}" source-language="{src}" target-language="{trg}" '
        'datatype="plaintext"><body></body></file></xliff>'
    )
    from xml.sax.saxutils import quoteattr

    name = quoteattr(ts.path.name)[1:-1]
    store = xliff.Xliff1File.parsestring(skeleton.format(
        name=name, src=quoteattr(ts.source_lang or "x")[1:-1],
        trg=quoteattr(ts.target_lang or "en")[1:-1]).encode("utf-8"))
    target = TranslationStore(out, "xliff1", store, [], ts.source_lang, ts.target_lang)
    for k, unit in enumerate(ts.units):
        new = store.addsourceunit(_tuv_text(unit, ts.source_lang or ""), filename=ts.path.name)
        new.settarget(_tuv_text(unit, ts.target_lang or "en"))
        new.setid(unit_id(ts, unit, k))
        target.units.append(new)
    write_findings(target, results, out, signature)


__all__ = ["TranslationStore", "finding_note", "open_store", "store_segments", "unit_id",
           "write_findings"]
