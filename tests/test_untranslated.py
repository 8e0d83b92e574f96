"""Source-language text left in an English MT (kind "untranslated")."""

from __future__ import annotations

import pytest

from auditor.result import Document, FindingKind, Severity
from tests.conftest import MT_SEED, REF_SEEDS

LEFT = "韩国外交部长康京和10日晚与美国国务卿蓬佩奥通电话，对日本限制出口表示关切。"


@pytest.fixture(scope="module")
def untranslated_auditor(auditor):
    from auditor import Auditor

    mine = Auditor(encoder=auditor.encoder, detectors=["untranslated"])
    mine.resources = auditor.resources
    return mine


def _found(result):
    return [(f.mt_text, f.severity) for f in result.findings
            if f.kind is FindingKind.UNTRANSLATED]


def test_a_sentence_left_in_chinese_is_a_major_finding(auditor):
    lines = [line for line in MT_SEED.read_text(encoding="utf-8").splitlines() if line.strip()]
    lines[2] = LEFT
    result = auditor.audit(Document("\n".join(lines), "mt.txt"), REF_SEEDS)
    assert _found(result) == [(LEFT.rstrip("。"), Severity.MAJOR)]
    (finding,) = [f for f in result.findings if f.kind is FindingKind.UNTRANSLATED]
    assert finding.detector == "untranslated" and "left in the source language" in \
        finding.evidence


def test_a_word_left_in_chinese_is_minor_unless_the_references_quote_it(untranslated_auditor):
    ref = Document("Chinese leaders often speak of the Chinese dream (中国梦) of national "
                   "renewal. Kang Kyung-wha spoke to Mike Pompeo.", "ref.txt")
    mt = Document("Foreign Minister 康京和 spoke with Pompeo. The leaders spoke of the Chinese "
                  "dream (中国梦) of renewal.", "mt.txt")
    assert _found(untranslated_auditor.audit(mt, [ref])) == [("康京和", Severity.MINOR)]


def test_an_mt_not_meant_to_be_english_is_not_checked(untranslated_auditor):
    japanese = Document("日本政府は輸出規制を発表しました。韓国は強く反発しています。",
                        "mt.txt", "ja")
    reference = Document("日本政府は輸出規制を発表した。韓国は反発している。", "ref.txt", "ja")
    assert _found(untranslated_auditor.audit(japanese, [reference])) == []


def test_a_wholly_untranslated_mt_is_flagged_sentence_by_sentence(untranslated_auditor):
    mt = Document(LEFT + "双方同意就共同关心的问题保持沟通。", "mt.txt", "zh")
    found = _found(untranslated_auditor.audit(mt, [REF_SEEDS[0]]))
    assert [severity for _, severity in found] == [Severity.MAJOR, Severity.MAJOR]
