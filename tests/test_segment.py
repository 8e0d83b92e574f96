"""Segmentation: offsets, broken abbreviations across paragraphs, headlines, CJK."""

from __future__ import annotations

from auditor.result import Document
from auditor.segment import detect_lang, segment_document


def _texts(text: str, lang: str = "en") -> list[str]:
    return segment_document(Document(text=text, lang=lang)).texts


def test_abbreviation_split_across_paragraphs_is_rejoined():
    text = 'cooperation among the South, the U.\n\nS. and Japan," the ministry said.\n\nNext one.'
    assert _texts(text) == [
        'cooperation among the South, the U. S. and Japan," the ministry said.',
        "Next one.",
    ]


def test_headline_and_byline_are_their_own_segments():
    text = "Ministers Talk Trade\n\nBy Jane Roe 2 hours ago\n\nThe call took place. It was long."
    assert _texts(text) == [
        "Ministers Talk Trade", "By Jane Roe 2 hours ago", "The call took place.", "It was long.",
    ]


def test_offsets_point_into_the_text():
    text = "  First sentence here. Second one, with Dr. Smith.\nThird line without stop\n"
    seg = segment_document(Document(text=text))
    for s in seg.sentences:
        assert text[s.start : s.end] == s.text
    assert [s.index for s in seg.sentences] == list(range(len(seg.sentences)))
    assert seg.texts[1] == "Second one, with Dr. Smith."


def test_lowercase_continuation_line_is_joined():
    assert _texts("The minister said that\nthe talks would go on.") == [
        "The minister said that the talks would go on."
    ]


def test_chinese_sentence_ends_and_closing_quotes():
    text = "韩国外长康京和表示。日本应该撤回限制！“我们希望对话。”他说？最后一句"
    assert _texts(text, "zh") == [
        "韩国外长康京和表示。", "日本应该撤回限制！", "“我们希望对话。”", "他说？", "最后一句",
    ]


def test_script_detection():
    assert detect_lang("韩国外交部10日表示，外长康京和与蓬佩奥通电话。") == "zh"
    assert detect_lang("日本政府は輸出規制を発表しました。") == "ja"
    assert detect_lang("강경화 외교부 장관이 폼페이오 장관과 통화했다.") == "ko"
    assert detect_lang("The minister spoke to Pompeo.") == "en"


def test_lines_segmentation_keeps_one_sentence_per_line():
    """Pre-segmented input: every non-empty line is one sentence, never split or joined, even
    where automatic segmentation would split ("Two. Sentences.") or join (a lower-case line)."""
    lines = ["Two sentences here. They stay together.", "the minister said that",
             "  the talks would go on.  ", "Dr. Smith arrived at 3 p.m. Then he left."]
    text = "\n".join(lines[:2]) + "\n\n" + "\n".join(lines[2:]) + "\n"
    seg = segment_document(Document(text=text), "lines")
    assert len(seg.sentences) == len([x for x in text.splitlines() if x.strip()]) == 4
    assert seg.texts == [x.strip() for x in lines]
    for s in seg.sentences:
        assert text[s.start : s.end] == s.text
    assert len(segment_document(Document(text=text)).texts) != 4


def test_lines_segmentation_of_chinese_does_not_split_on_full_stops():
    text = "第一句。第二句。\r\n第三句！"
    assert segment_document(Document(text=text, lang="zh"), "lines").texts == [
        "第一句。第二句。", "第三句！"]


def test_detect_lang_reads_han_as_lang_scripts_does():
    """The language guess counts Han letters over the same ranges as the rest of the package
    (`auditor.lang.scripts.HAN`): a text in extension-A or compatibility ideographs is Chinese
    too (it counted only the basic block before, so such a text was "en")."""
    assert detect_lang("㐀㐁㐂㐃㐄㐅。") == "zh"
    assert detect_lang("\uf900\uf901\uf902\uf903\uf904\uf905。") == "zh"  # compatibility
    assert detect_lang("这是一个句子。") == "zh"
    assert detect_lang("An English sentence with one 字.") == "en"


def test_sentence_offsets_of_uncollapsed_sentences_are_those_of_the_walk():
    """`sentence_offsets` returns a plain range where the sentence is its document slice with
    no whitespace run collapsed: the offsets the character walk gives, on every sentence of
    the seed articles and of texts with runs, tabs and a space before a line break."""
    from auditor.detect.clauses import _SPACE_THEN_SPACE, sentence_offsets, walked_offsets
    from tests.conftest import MT_SEED, REF_SEEDS

    def walk(doc_text, start, end, text):
        return walked_offsets(doc_text[start:end], start, text)

    docs = [p.read_text(encoding="utf-8") for p in (MT_SEED, *REF_SEEDS)]
    docs.append("Two  spaces here. A tab\there and a space \nbefore a break.\u3000Wide space.")
    fast = 0
    for text in docs:
        for s in segment_document(Document(text)).sentences:
            assert sentence_offsets(text, s.start, s.end, s.text) == walk(
                text, s.start, s.end, s.text)
            fast += text[s.start:s.end] == s.text and not _SPACE_THEN_SPACE.search(s.text)
    # and on the raw slices themselves, runs included
    for raw in ("a  b", "a \tb", "a \n", "a b ", " a", "a\u3000 b"):
        assert sentence_offsets(raw, 0, len(raw), raw) == walk(raw, 0, len(raw), raw)
    assert fast > 20
