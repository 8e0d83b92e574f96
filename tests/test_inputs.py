"""Bad input: one clear line on stderr, exit code 2, no traceback; good HTML is extracted."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from auditor import Auditor
from auditor.cli import app
from auditor.errors import InputError
from auditor.load import load_document
from auditor.result import FindingKind
from tests.conftest import MT_SEED, REF_SEEDS

runner = CliRunner()

ARTICLE_HTML = """<!DOCTYPE html><html><head><title>Wire</title>
<script>var tracking = 1;</script></head><body>
<nav><a href="/">Home</a> | <a href="/world">World</a></nav>
<article><h1>Ministers discuss trade row by telephone</h1>
<p>South Korea's foreign minister held a telephone call with the US Secretary of State on
Thursday and raised concerns about Japan's new export restrictions on chip materials.</p>
<p>The minister said the restrictions could disrupt global supply chains and harm companies in
both countries, according to a statement from the ministry in Seoul.</p>
<p>The two sides agreed to keep in close contact and to meet in Bangkok later this month.</p>
</article><footer>Copyright 2019</footer></body></html>"""


def _bad_inputs(tmp_path):
    files = {
        "empty": b"",
        "whitespace": b"   \n\n\t  \n",
        "binary": bytes(range(256)) * 8,
        "non-utf8": bytes([0xFF, 0xFE, 0x81, 0x9C, 0xC3, 0x28, 0xA0, 0xA1, 0x00]) * 50,
        "nav-only-html": b"<html><body><nav><a href='/'>Home</a></nav></body></html>",
        "huge": b"word " * 4_000_000,  # 20 MB
    }
    paths = {}
    for name, data in files.items():
        path = tmp_path / f"{name}.txt"
        path.write_bytes(data)
        paths[name] = path
    paths["missing"] = tmp_path / "no-such-file.txt"
    paths["directory"] = tmp_path
    return paths


@pytest.mark.parametrize(
    "case",
    ["empty", "whitespace", "binary", "non-utf8", "nav-only-html", "huge", "missing", "directory"],
)
def test_bad_input_gives_one_line_and_exit_2(tmp_path, case):
    path = _bad_inputs(tmp_path)[case]
    result = runner.invoke(app, ["audit", str(path), "--ref", str(REF_SEEDS[0])])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("auditor: error: ")
    assert str(path.name) in lines[0]


def test_bad_reference_is_reported_too(tmp_path):
    empty = tmp_path / "empty-ref.txt"
    empty.write_text("")
    result = runner.invoke(app, ["audit", str(REF_SEEDS[1]), "--ref", str(empty)])
    assert result.exit_code == 2
    assert "empty-ref.txt: empty document" in result.stderr


CHINESE_REPORT = ("韩国外交部长康京和10日晚与美国国务卿蓬佩奥通电话，对日本限制出口表示关切。"
                  "双方同意就共同关心的问题保持沟通。")


def test_a_chinese_reference_is_a_swapped_argument(tmp_path):
    """References are read by an English sentence encoder: a Chinese text given as one is the
    source passed with the wrong option, and its scores would mean nothing."""
    source = tmp_path / "source-zh.txt"
    source.write_text(CHINESE_REPORT, encoding="utf-8")
    result = runner.invoke(app, ["audit", str(MT_SEED), "--ref", str(source)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "source-zh.txt" in lines[0] and "--source" in lines[0], lines
    with pytest.raises(InputError, match="reads as Chinese"):
        Auditor().audit(MT_SEED, [REF_SEEDS[0], source])


def test_an_untranslated_mt_is_still_audited_against_english(auditor):
    """The check is on the reference's side only: an MT left in Chinese is an error to report,
    not an input to refuse."""
    result = auditor.audit(CHINESE_REPORT, REF_SEEDS[0])
    assert [f for f in result.findings if f.kind is FindingKind.OMISSION]
    assert any(n.startswith("no MT sentence aligns with any reference") for n in result.notes)


def test_no_reference_or_source_is_an_error():
    result = runner.invoke(app, ["audit", str(REF_SEEDS[0])])
    assert result.exit_code == 2
    assert "--ref" in result.stderr


def test_html_article_text_is_extracted(tmp_path):
    page = tmp_path / "article.html"
    page.write_text(ARTICLE_HTML, encoding="utf-8")
    doc = load_document(page)
    assert "telephone call with the US Secretary of State" in doc.text
    assert "tracking" not in doc.text and "Home" not in doc.text.split()


def test_legacy_encoding_is_detected(tmp_path):
    text = "韩国外交部长康京和10日晚与美国国务卿蓬佩奥通电话，对日本限制出口表示关切。" * 3
    path = tmp_path / "gb.txt"
    path.write_bytes(text.encode("gb18030"))
    doc = load_document(path)
    assert doc.text == text
    assert doc.lang == "zh"


def test_library_raises_input_error_for_bad_string():
    with pytest.raises(InputError, match="empty"):
        load_document("   ")
    with pytest.raises(InputError, match="no such file"):
        load_document("missing-article.txt")
