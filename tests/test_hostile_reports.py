"""Issue 18, reports: feed links are http(s) only, every generated page has a CSP, document
text cannot reorder what a reviewer reads, and CSV cells cannot be spreadsheet formulas."""

from __future__ import annotations

import csv
import re
from dataclasses import replace
from html import unescape

import pytest

from auditor.feed.history import HistoryView, render_history_html, render_item_page
from auditor.report.csv import read_csv, write_csv
from auditor.report.html import render_html

HOSTILE_LINKS = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "  javascript:alert(1)",
                 "\tjava\nscript:alert(1)", "data:text/html,<script>alert(1)</script>",
                 "vbscript:msgbox(1)", "//evil.example/x"]
RLO = "\u202e"


def _item(link: str) -> dict:
    return {"id": 1, "feed": "wire", "guid": "g1", "title": f"Title {RLO}txt.exe",
            "link": link, "published": "2026-11-12", "audited_at": "2026-11-12",
            "overall": 50.0, "fidelity": 0.5, "mqm": 3.0, "signature": "auditor:x",
            "report_path": None, "text": "Some text", "status": "audited"}


@pytest.mark.parametrize("link", HOSTILE_LINKS)
def test_item_page_drops_non_http_links(link):
    refs = [{"id": 2, "feed": "english", "guid": "r", "title": "Ref", "link": link,
             "published": "2026-11-12", "similarity": 0.7}]
    html = render_item_page(_item(link), {"findings": [], "scores": {}}, refs, [])
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs and all(not h.strip().lower().startswith(("javascript", "data", "vbscript",
                                                          "java", "//")) for h in hrefs), hrefs
    assert "alert(1)" not in " ".join(hrefs)


def test_item_page_keeps_http_links():
    html = render_item_page(_item("HTTPS://example.org/story?a=1&b=2"),
                            {"findings": [], "scores": {}}, [], [])
    assert 'href="HTTPS://example.org/story?a=1&amp;b=2"' in html


def test_every_feed_page_has_the_report_csp():
    item = render_item_page(_item("https://example.org"), {"findings": [], "scores": {}}, [], [])
    view = HistoryView(generated_at="now", database="db", signatures=(), totals={
        "translated": 0, "references": 0, "audited": 0, "unmatched": 0, "failed": 0,
        "rejected": 0}, feeds=(), items=(), worst=(), names=(), runs=(), problems=())
    for html in (item, render_history_html(view)):
        csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
        assert csp, html[:300]
        policy = unescape(csp.group(1))
        assert "default-src 'none'" in policy and "script-src 'none'" in policy
        assert "<script" not in html


def test_bidi_overrides_are_shown_not_obeyed(seed_result):
    mt = seed_result.mt
    text = mt.doc.text.replace("Kang", f"Kang{RLO}")
    sentences = tuple(replace(s, text=s.text.replace("Kang", f"Kang{RLO}")) for s in mt.sentences)
    assert any(RLO in s.text for s in sentences)
    hostile = replace(seed_result, mt=replace(mt, doc=replace(mt.doc, text=text),
                                              sentences=sentences))
    html = render_html(hostile)
    assert RLO not in html.split("<script", 1)[0]
    assert "U+202E" in html
    item = render_item_page(_item("https://example.org"), {"findings": [], "scores": {}}, [], [])
    assert RLO not in item and "U+202E" in item


def test_item_page_shows_the_audits_notes_as_text():
    """A matched report that aligned with nothing is set aside with a note: the item page,
    which lists the matched reports, says so (escaped like everything a feed brings)."""
    note = ("<b>wire-42</b>: no MT sentence aligns with this reference while another does, so "
            "it may tell another story; nothing in it is reported as dropped")
    html = render_item_page(_item("https://example.org"),
                            {"findings": [], "scores": {}, "notes": [note]}, [], [])
    assert "&lt;b&gt;wire-42&lt;/b&gt;: no MT sentence aligns" in html and "<b>wire-42" not in html
    plain = render_item_page(_item("https://example.org"), {"findings": [], "scores": {}}, [], [])
    assert "Notes" not in plain


FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(1)", "\t=1", "'=already quoted"]


def test_findings_csv_neutralises_formulas(seed_result, tmp_path):
    f0 = seed_result.findings[0]
    findings = tuple(replace(f0, mt_text=t, evidence=t) for t in FORMULAS)
    hostile = replace(seed_result, findings=findings)
    paths = write_csv(hostile, tmp_path / "f.csv")
    with paths["findings"].open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        assert row["mt_text"][0] == "'", row["mt_text"]
        assert row["evidence"][0] == "'"
    back = read_csv(paths["findings"])
    assert list(back["mt_text"]) == FORMULAS
    raw = write_csv(hostile, tmp_path / "raw.csv", neutralise=False)
    with raw["findings"].open(encoding="utf-8", newline="") as handle:
        assert [r["mt_text"] for r in csv.DictReader(handle)] == FORMULAS


def test_history_csv_neutralises_formulas(tmp_path):
    from auditor.feed.history import write_history_csv

    items = tuple({"id": i, "feed": "wire", "guid": f"g{i}", "title": t, "link": t,
                   "status": "audited"} for i, t in enumerate(FORMULAS))
    view = HistoryView(generated_at="now", database="db", signatures=(), totals={},
                       feeds=(), items=items, worst=(), names=(), runs=(), problems=())
    write_history_csv(view, tmp_path)
    with (tmp_path / "history_items.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert all(r["title"].startswith("'") for r in rows)
    assert [r["id"] for r in rows] == [str(i) for i in range(len(FORMULAS))]


def test_identical_reference_gives_no_fluency_findings(auditor):
    from tests.conftest import MT_SEED

    result = auditor.audit(MT_SEED, [MT_SEED])
    assert [f for f in result.findings if f.kind.value == "fluency"] == []
