"""Reading feeds: RSS, Atom, JSONL and folders, hostile XML, HTTP errors (auditor.feed.ingest)."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from auditor.errors import InputError
from auditor.feed.config import FeedSource, FetchSettings, Role
from auditor.feed.ingest import check_xml, fetch_bytes, load_feed
from tests.feeds import FIXTURES, copy_fixtures


def test_xml_bomb_and_malformed_feed_are_refused():
    start = time.perf_counter()
    with pytest.raises(InputError, match="entity-expansion"):
        check_xml((FIXTURES / "bomb.xml").read_bytes())
    assert time.perf_counter() - start < 5  # refused up front, not expanded
    with pytest.raises(InputError, match="malformed XML"):
        check_xml((FIXTURES / "malformed.xml").read_bytes())
    with pytest.raises(InputError, match="not an RSS or Atom feed"):
        check_xml(b"<html><body>hello</body></html>")
    check_xml((FIXTURES / "translated.rss").read_bytes())
    check_xml((FIXTURES / "references.atom").read_bytes())


def test_not_well_formed_feed_is_read_leniently_only_without_a_dtd(tmp_path):
    from auditor.feed.ingest import MalformedXMLError

    nbsp = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item>'
            b'<guid>n1</guid><title>Storm&nbsp;closes port</title><description>The port '
            b'closed on Monday.&nbsp;Ferries stopped.</description></item></channel></rss>')
    with pytest.raises(MalformedXMLError, match="undefined entity"):
        check_xml(nbsp)
    (tmp_path / "nbsp.rss").write_bytes(nbsp)
    load = load_feed(FeedSource("n", str(tmp_path / "nbsp.rss"), Role.TRANSLATED),
                     FetchSettings())
    assert [i.title for i in load.items] == ["Storm closes port"]
    assert "read leniently" in load.problems[0].message
    with_dtd = nbsp.replace(b"<rss", b'<!DOCTYPE rss SYSTEM "http://127.0.0.1/x.dtd"><rss', 1)
    (tmp_path / "dtd.rss").write_bytes(with_dtd)
    refused = load_feed(FeedSource("d", str(tmp_path / "dtd.rss"), Role.TRANSLATED),
                        FetchSettings())
    assert not refused.items and "with a DTD; refused" in refused.problems[0].message


def test_short_items_fetch_the_linked_article(served, tmp_path):
    _, base = served
    (tmp_path / "short.rss").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item>'
        f'<guid>s1</guid><title>Comet found</title><link>{base}/references/comet-halden.html'
        '</link><description>A comet was found.</description></item><item><guid>s2</guid>'
        f'<title>Gone</title><link>{base}/no-such-page.html</link><description>Only a '
        'summary.</description></item></channel></rss>', encoding="utf-8")
    load = load_feed(FeedSource("s", str(tmp_path / "short.rss"), Role.REFERENCE),
                     FetchSettings(fetch_articles=True))
    texts = {i.guid: i.text for i in load.items}
    assert "60-centimetre telescope at Halden Observatory" in texts["s1"]
    assert texts["s2"] == "Only a summary."  # the page is missing: the summary is kept
    assert any("article not fetched" in p.message and "HTTP 404" in p.message
               for p in load.problems)


def test_rss_items_and_their_problems():
    load = load_feed(FeedSource("wire", str(FIXTURES / "translated.rss"), Role.TRANSLATED),
                     FetchSettings())
    assert [i.guid for i in load.items] == ["wire-1001", "wire-1002", "wire-1003", "wire-1004"]
    first = load.items[0]
    assert first.text.startswith("Tuesday morning, the Port Ellery city")
    assert "<p>" not in first.text and "\n" in first.text  # HTML paragraphs became text
    assert first.published == datetime(2026, 11, 10, 11, 20, tzinfo=timezone.utc)
    messages = [p.message for p in load.problems]
    assert any("wire-1005" in m and "empty item" in m for m in messages)
    assert any("wire-1002" in m and "duplicate GUID" in m for m in messages)
    # The resent duplicate did not replace the first copy.
    assert "club record 80 million" in load.items[1].text


def test_jsonl_and_folder_feeds(tmp_path):
    jsonl = load_feed(FeedSource("j", str(FIXTURES / "translated.jsonl"), Role.TRANSLATED),
                      FetchSettings())
    assert [i.guid for i in jsonl.items] == ["wire-2001"]
    assert {("line 2" in p.message, "wire-2003" in p.message) for p in jsonl.problems} == {
        (True, False), (False, True)}
    root = copy_fixtures(tmp_path / "site")
    folder = load_feed(FeedSource("f", str(root / "references"), Role.REFERENCE),
                       FetchSettings())
    by_guid = {i.guid: i for i in folder.items}
    comet = by_guid["comet-halden.html"]
    assert comet.title == "Retired teacher discovers comet at Halden Observatory"
    assert comet.published.date().isoformat() == "2026-11-12"  # from the page's metadata
    assert "Copyright" not in comet.text and "Home" not in comet.text  # boilerplate dropped
    assert by_guid["veland-tariffs.txt"].published.day == 13


def test_http_errors_are_one_line(served):
    _, base = served
    settings = FetchSettings(timeout=5)
    with pytest.raises(InputError, match="HTTP 404"):
        fetch_bytes(f"{base}/nothing-here.rss", settings)
    with pytest.raises(InputError, match="unreachable"):
        fetch_bytes("http://127.0.0.1:9/feed.rss", settings)
    with pytest.raises(InputError, match="too large"):
        fetch_bytes(f"{base}/translated.rss", FetchSettings(max_feed_bytes=1000))
    assert fetch_bytes(f"{base}/translated.rss", settings).startswith(b"<?xml")
