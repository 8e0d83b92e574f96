"""Issue 18, offsets and ranges: every finding's offsets slice out its text, and scores stay in
their documented ranges."""

from __future__ import annotations

import pytest

from tests.conftest import REF_SEEDS

REFERENCE = (
    "South Korean Foreign Minister Kang Kyung-wha held a telephone call with US Secretary of "
    "State Mike Pompeo on Thursday.\n"
    "Kang raised concerns about Japan's export restrictions on chip materials.\n"
    "The two agreed to meet in Bangkok later this month, the ministry said.\n"
)


def _assert_offsets(result) -> None:
    text = result.mt.doc.text
    for f in result.findings:
        if f.mt_start is None:
            assert f.mt_end is None
            continue
        assert 0 <= f.mt_start <= f.mt_end <= len(text)
        assert text[f.mt_start:f.mt_end] == f.mt_text, f
    for s in result.mt.sentences:
        assert " ".join(text[s.start:s.end].split()) == s.text


@pytest.mark.parametrize("space", ["  ", "\u00a0", "\u2005", "\u2029", " \t "])
def test_name_with_odd_whitespace_keeps_offsets(auditor, space):
    mt = (
        f"South Korean Foreign Minister Kang{space}Jing-hua held a telephone call with US "
        "Secretary of State Mike Pompeo on Thursday.\n"
        f"Kang{space}Jing-hua raised concerns about Japan's export restrictions on chip "
        "materials.\nThe two agreed to meet in Bangkok later this month, the ministry said.\n"
    )
    result = auditor.audit(mt, [REFERENCE])
    _assert_offsets(result)
    names = [f for f in result.findings if f.kind.value == "name"]
    assert names, result.findings
    assert any("Kang" in f.mt_text and "Jing" in f.mt_text for f in names)


def test_support_and_similarity_stay_in_range(auditor):
    # float32 cosines of a sentence with itself come out at 1.0000001 for most seed sentences
    result = auditor.audit(REF_SEEDS[0], [REF_SEEDS[0]])
    for sc in result.sentence_scores:
        assert 0.0 <= sc.support <= 1.0, sc.support
    for a in result.alignments:
        assert 0.0 <= a.similarity <= 1.0, a.similarity
    assert 0.0 <= result.scores.fidelity <= 1.0
    assert 0.0 <= result.scores.overall <= 100.0
    for s in result.to_dict()["sentences"]:
        assert s["support"] <= 1.0
