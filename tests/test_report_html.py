"""The HTML report: self-contained, escaped, and showing every finding and alignment.

Results come from the real pipeline (session `auditor`, bundled MiniLM). Where a test needs
findings of a given kind at a known place, they are added by `with_findings`, located by exact
substring: the renderer is under test here, not the detectors.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from html.parser import HTMLParser

import numpy as np
import pytest

from auditor.report.html import render_html, script_json
from auditor.report.model import _heatmap, build_report_model, split_pieces
from auditor.result import AuditResult, Document, Finding, FindingKind, Severity, Span

MT_TEXT = (
    "Foreign Minister Kang Jing called Secretary of State Pompei on Wednesday. "
    "They discussed Japan's export restrictions on chip materials. "
    "The two sides agreed to keep in close contact. "
    "Kang Jing said the measures hurt global supply chains."
)
REF_TEXT = (
    "South Korean Foreign Minister Kang Kyung-wha spoke by phone with US Secretary of State "
    "Mike Pompeo on Wednesday. "
    "She expressed concern over Japan's curbs on exports of high-tech materials to South Korea. "
    "The restrictions could disrupt global supply chains, Kang said. "
    "The ministers agreed to continue close communication."
)
# Payloads that would change the DOM or the title if any of them ran.
PAYLOADS = (
    "<script>document.title='PWNED'</script>",
    "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">",
    "</textarea><script>document.body.setAttribute('data-pwned','2')</script>",
    "</script><script>document.body.setAttribute('data-pwned','3')</script><!--",
    "<svg onload=\"document.body.setAttribute('data-pwned','4')\"></svg>",
)
HOSTILE_MT = (
    "The minister spoke on Wednesday " + PAYLOADS[0] + " about trade. "
    "Officials said " + PAYLOADS[1] + " the talks went well. "
    "A spokesman added " + PAYLOADS[2] + " that more meetings follow. "
    "Critics replied " + PAYLOADS[3] + " with doubts."
)
HOSTILE_REF = (
    "The minister spoke about trade on Wednesday " + PAYLOADS[4] + ". "
    "Officials said the talks went well " + PAYLOADS[2] + ". "
    "More meetings will follow, a spokesman said."
)
HOSTILE_NAME = "<script>document.title='PWNED'</script>.txt"


def locate(result: AuditResult, text: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = result.mt.doc.text.index(text, start + 1)
    return start, start + len(text)


def with_findings(result: AuditResult, specs: list[dict]) -> AuditResult:
    """The result with extra findings; each spec gives kind, severity, `at` (MT substring or
    None) and optional fields of Finding."""
    added = []
    for spec in specs:
        spec = dict(spec)
        at = spec.pop("at")
        start, end = locate(result, at) if at else (None, None)
        added.append(
            Finding(
                kind=FindingKind(spec.pop("kind")), severity=Severity(spec.pop("severity")),
                mt_start=start, mt_end=end, mt_text=at or "",
                confidence=spec.pop("confidence", 0.7),
                evidence=spec.pop("evidence", "test evidence"),
                detector=spec.pop("detector", "test"), **spec,
            )
        )
    return dataclasses.replace(result, findings=result.findings + tuple(added))


@pytest.fixture(scope="module")
def small_result(auditor) -> AuditResult:
    """A real audit of a short MT, its detector findings removed so tests add their own."""
    result = auditor.audit(
        Document(MT_TEXT, "mt.txt", "en"), [Document(REF_TEXT, "ref.txt", "en")]
    )
    return dataclasses.replace(result, findings=())


def make_hostile_result(auditor) -> AuditResult:  # noqa: ANN001 - the session Auditor
    """Payloads in the MT, the reference, a document name and findings' evidence."""
    result = auditor.audit(
        Document(HOSTILE_MT, HOSTILE_NAME, "en"), [Document(HOSTILE_REF, PAYLOADS[1], "en")]
    )
    return with_findings(result, [
        {"kind": "addition", "severity": "major", "at": PAYLOADS[0], "detector": "hostile",
         "evidence": "not supported by the references; closest: " + PAYLOADS[4],
         "reference": Span(0, 10, PAYLOADS[2], 0)},
        {"kind": "name", "severity": "minor", "at": PAYLOADS[1], "canonical": PAYLOADS[3],
         "detector": "hostile"},
        {"kind": "omission", "severity": "major", "at": None, "evidence": PAYLOADS[2],
         "reference": Span(0, 10, PAYLOADS[4], 0), "detector": "hostile"},
    ])


@pytest.fixture(scope="module")
def hostile_result(auditor) -> AuditResult:
    return make_hostile_result(auditor)


class TagCollector(HTMLParser):
    """Every start tag with its attributes, and the text of each <script>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self._in: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):  # noqa: ANN001 - HTMLParser's signature
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._in = tag
            if tag == "script":
                self.scripts.append((dict(attrs), ""))
            else:
                self.styles.append("")

    def handle_endtag(self, tag):  # noqa: ANN001
        if tag == self._in:
            self._in = None

    def handle_data(self, data):  # noqa: ANN001
        if self._in == "script":
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        elif self._in == "style":
            self.styles[-1] += data
        else:
            self.text.append(data)


def parse(html: str) -> TagCollector:
    parser = TagCollector()
    parser.feed(html)
    return parser


EXTERNAL = re.compile(r"""\b(?:src|href|action|data)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


def test_seed_report_shows_every_alignment_and_finding(seed_result):
    html = render_html(seed_result)
    page = parse(html)
    for d, _ in enumerate(seed_result.references):
        pairs = [a for a in seed_result.alignments if a.doc == d]
        assert html.count(f'id="c{d}-m') == len(seed_result.mt.sentences)
        panel = html.split(f'id="cmp-{d}"')[1].split('<div class="cmp')[0]
        assert panel.count("data-pair=") == len(pairs)
    marked = {int(i) for _, a in page.tags if a.get("data-f") for i in a["data-f"].split()}
    located = {i for i, f in enumerate(seed_result.findings) if f.mt_start is not None}
    assert located <= marked
    rows = {a["data-fid"] for t, a in page.tags if t == "tr" and "data-fid" in a}
    assert len(rows) == len(seed_result.findings)
    assert seed_result.signature.short() in html
    # One canvas per reference, fed from the result's similarity matrices.
    assert sum(1 for t, a in page.tags if t == "canvas") == len(seed_result.references)


def test_report_is_self_contained_and_only_its_own_code_may_run(small_result):
    html = render_html(small_result)
    assert not EXTERNAL.search(html)
    page = parse(html)
    csp = next(a["content"] for t, a in page.tags
               if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp

    def sha(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    code = [text for attrs, text in page.scripts if attrs.get("type") != "application/json"]
    assert len(code) == 1 and sha(code[0]) in csp
    assert len(page.styles) == 1 and sha(page.styles[0]) in csp
    # No inline event handlers or style attributes (the CSP would block them anyway).
    assert not [a for _, attrs in page.tags for a in attrs if a.startswith("on") or a == "style"]


def test_hostile_text_renders_as_text(hostile_result):
    html = render_html(hostile_result)
    page = parse(html)
    assert [t for t, _ in page.tags].count("script") == 2
    assert not [t for t, _ in page.tags if t in ("img", "textarea", "iframe")]
    assert [a.get("class") for t, a in page.tags if t == "svg"] == ["bar"]  # only the score bar
    assert not [a for _, attrs in page.tags for a in attrs if a.startswith("on")]
    data = next(text for attrs, text in page.scripts if attrs.get("type") == "application/json")
    assert "<" not in data and ">" not in data
    visible = "".join(page.text)
    for payload in PAYLOADS:
        assert payload in visible  # shown to the reader, character for character
    title = html.split("<title>")[1].split("</title>")[0]
    assert "<" not in title and "&lt;script&gt;" in title


def test_script_json_cannot_close_its_block():
    text = script_json({"a": "</script><!-- & \u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    import json

    assert json.loads(text) == {"a": "</script><!-- & \u2028"}


def test_overlapping_findings_become_non_overlapping_pieces(small_result):
    result = with_findings(small_result, [
        {"kind": "name", "severity": "major", "at": "Kang Jing", "canonical": "Kang Kyung-wha"},
        {"kind": "mistranslation", "severity": "minor", "at": "Kang Jing called Secretary"},
        {"kind": "name", "severity": "minor", "at": "Pompei", "canonical": "Mike Pompeo"},
    ])
    model = build_report_model(result)
    first = model.sentences[0]
    assert "".join(p.text for p in first.pieces) == result.mt.sentences[0].text
    by_text = {p.text: p for p in first.pieces if p.finding_ids}
    name_id, mis_id, pompei_id = range(len(small_result.findings), len(result.findings))
    assert by_text["Kang Jing"].finding_ids == (name_id, mis_id)  # worst first
    assert by_text["Kang Jing"].kind == "name"
    assert by_text[" called Secretary"].finding_ids == (mis_id,)
    assert by_text["Pompei"].finding_ids == (pompei_id,)
    # Pieces of one sentence tile it exactly: the splitter keeps every character once.
    sentence = result.mt.sentences[0]
    views = [v for v in model.findings if v.located]
    assert "".join(p.text for p in split_pieces(sentence, views)) == sentence.text


def test_point_findings_become_markers_in_their_sentence(small_result):
    second = small_result.mt.sentences[1]
    gap = Finding(FindingKind.OMISSION, Severity.MINOR, second.end, second.end, "", 0.5,
                  "only in the reference", "test", reference=Span(0, 5, "South Korea", 0))
    result = dataclasses.replace(small_result, findings=(gap,))
    model = build_report_model(result)
    pieces = model.sentences[1].pieces
    assert "".join(p.text for p in pieces) == second.text
    assert [(p.point, p.finding_ids) for p in pieces] == [(False, ()), (True, (0,))]
    assert model.findings[0].mt_sentence == 1
    html = render_html(result)
    assert html.count('<mark class="gap k-omission sev-minor" data-f="0"') == len(
        result.references)  # one marker per side-by-side table


def test_reference_side_shows_dropped_and_cited_text(small_result):
    ref = small_result.references[0]
    dropped = ref.sentences[1]
    cited = ref.doc.text.index("Kang Kyung-wha")
    result = with_findings(small_result, [
        {"kind": "omission", "severity": "major", "at": None,
         "reference": Span(dropped.start, dropped.end, dropped.text, 0)},
        {"kind": "name", "severity": "major", "at": "Kang Jing", "canonical": "Kang Kyung-wha",
         "reference": Span(cited, cited + len("Kang Kyung-wha"), "Kang Kyung-wha", 0)},
    ])
    pieces = build_report_model(result).comparisons[0].pieces
    assert [(p.text, p.finding_ids, p.evidence) for p in pieces[1]] == [
        (dropped.text, (0,), False)]
    name_piece = next(p for p in pieces[0] if p.finding_ids)
    assert (name_piece.text, name_piece.finding_ids, name_piece.evidence) == (
        "Kang Kyung-wha", (1,), True)
    assert all("".join(p.text for p in ps) == s.text for ps, s in zip(
        pieces, ref.sentences, strict=True))
    html = render_html(result)
    assert '<mark class="k-omission sev-major" data-f="0"' in html
    assert '<mark class="cite k-name" data-f="1"' in html


def test_names_table_groups_variants_by_canonical(small_result):
    result = with_findings(small_result, [
        {"kind": "name", "severity": "major", "at": "Kang Jing", "canonical": "Kang Kyung-wha"},
        {"kind": "name", "severity": "major", "at": "Pompei", "canonical": "Mike Pompeo"},
    ])
    second = locate(result, "Kang Jing", nth=1)
    extra = Finding(FindingKind.NAME, Severity.MAJOR, second[0], second[1], "Kang Jing", 0.9,
                    "test", "test", canonical="Kang Kyung-wha")
    result = dataclasses.replace(result, findings=result.findings + (extra,))
    names = {g.canonical: g for g in build_report_model(result).names}
    kang = names["Kang Kyung-wha"].variants
    assert [(v.variant, v.occurrences) for v in kang] == [("Kang Jing", 2)]
    assert kang[0].sentences == (0, 3) and kang[0].confidence == pytest.approx(0.9)
    assert names["Mike Pompeo"].occurrences == 1
    html = render_html(result)
    names_html = html.split('id="names"')[1].split("</section>")[0]
    assert "Kang Kyung-wha" in names_html and "Mike Pompeo" in names_html


def test_zero_findings_report(small_result):
    result = dataclasses.replace(small_result, findings=())
    model = build_report_model(result)
    assert all(c.n == 0 for c in model.kinds) and model.worst == ()
    html = render_html(result)
    assert "reported no findings" in html and "No mangled names reported" in html


def test_source_side_findings_and_unlocated_omissions(auditor, use_encoder, small_result):
    from auditor import Auditor

    with_source = Auditor(encoder=auditor.encoder, source_encoder=use_encoder)
    zh = ("外交部长康京和星期三与美国国务卿蓬佩奥通电话。他们讨论了日本对芯片材料的出口限制。"
          "双方同意保持密切联系。康京和说，这些措施损害了全球供应链。")
    result = with_source.audit(Document(MT_TEXT, "mt.txt", "en"),
                               [Document(REF_TEXT, "ref.txt", "en")],
                               Document(zh, "src.txt", "zh"))
    result = with_findings(result, [
        {"kind": "name", "severity": "major", "at": "Pompei", "canonical": "Mike Pompeo",
         "source": Span(18, 21, "蓬佩奥")},
        {"kind": "omission", "severity": "minor", "at": None,
         "reference": Span(0, 5, "South Korean", 0), "evidence": "only in the reference"},
    ])
    model = build_report_model(result)
    assert [c.doc for c in model.comparisons] == [0, -1]
    source = model.comparisons[-1]
    assert source.label == "Source" and source.heatmap is not None
    assert source.heatmap.cols == len(result.source.sentences)
    assert len([r for r in source.rows if r.other]) == len(
        [a for a in result.alignments if a.doc == -1])
    html = render_html(result)
    assert "蓬佩奥" in html
    dropped = html.split('id="dropped"')[1].split("</section>")[0]
    assert "South Korean" in dropped and "no MT location" in dropped


def test_large_heatmap_is_compact():
    rng = np.random.default_rng(0)
    matrix = rng.uniform(-0.2, 1.0, size=(500, 480)).astype(np.float32)
    heat = _heatmap(matrix, [])
    raw = base64.b64decode(heat.data_b64)
    assert (heat.rows, heat.cols, len(raw)) == (500, 480, 500 * 480)
    assert raw[0] == round(max(0.0, float(matrix[0, 0])) * 255)
    assert raw[-1] == round(max(0.0, float(matrix[-1, -1])) * 255)


def test_notes_are_shown_to_the_reader(small_result):
    """What the audit had to do or leave out (a reference that aligns with nothing, sentences
    split, bytes replaced) changes how to read the scores: the page says it, as text."""
    note = ("stray<script>alert(1)</script>.txt: no MT sentence aligns with this reference, "
            "so it may tell another story; nothing in it is reported as dropped")
    page = parse(render_html(dataclasses.replace(small_result, notes=(note,))))
    visible = "".join(page.text)
    assert note in visible
    assert [t for t, _ in page.tags].count("script") == 2
    assert "Notes" not in "".join(parse(render_html(
        dataclasses.replace(small_result, notes=()))).text)
