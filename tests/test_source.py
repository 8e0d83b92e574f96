"""Source-side audits: a hand-written Chinese source and English MTs, real bundled models.

The main case has exactly four errors, one of each kind the source side can see: an added
sentence, a changed figure (2.5亿 = 250 million, written 280 million), a foreign name written
as the pinyin of its Chinese transliteration (蓬佩奥 -> "Peng Peiao") and an omitted sentence.
"""

from __future__ import annotations

import pytest

from auditor.lang.en_figures import en_quantities
from auditor.lang.romanize import romanisations
from auditor.lang.zh_figures import zh_quantities
from auditor.lang.zh_names import zh_names
from auditor.merge import merge_sides
from auditor.result import Document, Finding, FindingKind, Severity, Span
from auditor.segment import segment_document

SRC = (
    "李明是北京一家科技公司的工程师。他每天早上七点骑自行车去上班。"
    "公司去年的收入达到了2.5亿元。今年3月5日，美国国务卿蓬佩奥访问了这家公司。"
    "他对公司的技术印象深刻。双方讨论了未来合作的可能性。"
)
FAITHFUL = (
    "Li Ming is an engineer at a technology company in Beijing. "
    "He rides his bicycle to work at seven o'clock every morning. "
    "Last year the company's revenue reached 250 million yuan. "
    "On March 5 this year, US Secretary of State Pompeo visited the company. "
    "He was impressed by the company's technology. "
    "The two sides discussed the possibility of future cooperation."
)
ADDED = "The weather in the city has been unusually warm this winter. "
FLAWED = (
    "Li Ming is an engineer at a technology company in Beijing. "
    "He rides his bicycle to work at seven o'clock every morning. "
    + ADDED
    + "Last year the company's revenue reached 280 million yuan. "
    "On March 5 this year, US Secretary of State Peng Peiao visited the company. "
    "The two sides discussed the possibility of future cooperation."
)


def source_findings(result) -> list[Finding]:
    return [f for f in result.findings if f.detector == "source"]


@pytest.fixture(scope="module")
def flawed_result(auditor):
    return auditor.audit(Document(FLAWED), source=Document(SRC, "src.txt", "zh"))


def test_each_planted_error_is_found_and_nothing_else(flawed_result):
    found = {f.kind: f for f in source_findings(flawed_result)}
    assert len(source_findings(flawed_result)) == 4
    assert len(flawed_result.findings) == 4  # no other detector flags anything either
    assert set(found) == {FindingKind.ADDITION, FindingKind.NUMBER, FindingKind.NAME,
                          FindingKind.OMISSION}
    assert found[FindingKind.ADDITION].mt_text == ADDED.strip()
    assert "not supported by the source" in found[FindingKind.ADDITION].evidence
    assert found[FindingKind.NUMBER].mt_text == "280 million"
    assert found[FindingKind.NUMBER].source.text == "2.5亿"
    assert found[FindingKind.NAME].mt_text == "Peng Peiao"
    assert found[FindingKind.NAME].source.text == "蓬佩奥"
    assert found[FindingKind.OMISSION].source.text == "他对公司的技术印象深刻。"


def test_source_spans_are_offsets_into_the_decoded_source(flawed_result):
    for f in source_findings(flawed_result):
        payload = f.to_json()["source"]
        assert set(payload) == {"start", "end", "text"}
        assert SRC[payload["start"]:payload["end"]] == payload["text"]
        if f.mt_start is not None and f.mt_start != f.mt_end:
            assert FLAWED[f.mt_start:f.mt_end] == f.mt_text


def test_omission_points_where_the_mt_lacks_it(flawed_result):
    omission = next(f for f in flawed_result.findings if f.kind == FindingKind.OMISSION)
    # between "... visited the company." and "The two sides ..."
    anchor = FLAWED.index("visited the company.") + len("visited the company.")
    assert omission.mt_start == omission.mt_end == anchor
    assert omission.mt_text == ""


def test_reference_free_scores(flawed_result, auditor):
    faithful = auditor.audit(Document(FAITHFUL), source=Document(SRC, "src.txt", "zh"))
    assert flawed_result.scores.source_fidelity is not None
    assert flawed_result.scores.fidelity == pytest.approx(flawed_result.scores.source_fidelity)
    assert faithful.scores.overall > flawed_result.scores.overall + 10
    assert source_findings(faithful) == []


def test_chinese_name_a_letter_off_its_pinyin(auditor):
    mt = FAITHFUL.replace("Li Ming is", "Li Min is")
    result = auditor.audit(Document(mt), source=Document(SRC, "src.txt", "zh"))
    names = source_findings(result)
    assert [(f.kind, f.mt_text, f.canonical) for f in names] == [
        (FindingKind.NAME, "Li Min", "Li Ming")]


@pytest.mark.parametrize("rendering, expected", [
    ("Yang Ming", ("Yang Ming", "Li Ming")),  # another surname, the same given name
    ("Wang Jun", ("Wang Jun", "Li Ming")),    # another person altogether
    ("Li Ming", None),                        # pinyin
    ("Lee Ming", None),                       # not a Mandarin surname: not read as a swap
])
def test_another_chinese_name_where_the_source_names_someone(auditor, rendering, expected):
    mt = FAITHFUL.replace("Li Ming is", f"{rendering} is")
    result = auditor.audit(Document(mt), source=Document(SRC, "src.txt", "zh"))
    names = [(f.mt_text, f.canonical) for f in source_findings(result)
             if f.kind is FindingKind.NAME]
    assert names == ([expected] if expected else [])
    if rendering == "Yang Ming":
        assert "the given name matches, the surname does not" in source_findings(result)[0].evidence


def test_wade_giles_and_places_are_not_wrong_names(auditor):
    src = "国民党资深顾问赵春山在香港表示，两岸应恢复交流。"
    source = Document(src, "src.txt", "zh")
    for mt in ("Senior KMT adviser Chao Chun-shan said in Hong Kong that the two sides should "
               "resume exchanges.",
               "Senior KMT adviser Zhao Chunshan said in Hong Kong that the two sides should "
               "resume exchanges."):
        result = auditor.audit(Document(mt), source=source)
        assert [f for f in source_findings(result) if f.kind is FindingKind.NAME] == []
    swapped = auditor.audit(Document(
        "Senior KMT adviser Yang Chun-shan said in Hong Kong that the two sides should resume "
        "exchanges."), source=source)
    assert [(f.mt_text, f.canonical) for f in source_findings(swapped)
            if f.kind is FindingKind.NAME] == [("Yang Chun-shan", "Zhao Chunshan")]


def test_chinese_name_shape():
    from auditor.lang.zh_names import chinese_name_shape

    assert chinese_name_shape("Xi Jinping") and chinese_name_shape("Hsia Li-yen")
    assert not chinese_name_shape("Joe Biden") and not chinese_name_shape("Tsai Ing-wen")
    assert not chinese_name_shape("Xi") and not chinese_name_shape("Kang Kyung-wha")


def test_name_check_uses_the_references_when_given(auditor):
    mt = FAITHFUL.replace("Li Ming is", "Li Min is")
    source = Document(SRC, "src.txt", "zh")
    result = auditor.audit(Document(mt), [Document(FAITHFUL)], source)
    backed = [f for f in result.findings if f.source is not None]
    assert [f.kind for f in backed] == [FindingKind.NAME]
    assert "the references write 'Li Ming'" in backed[0].evidence
    # one finding, which says which side supports it
    assert backed[0].evidence.endswith(
        ("[supported by source and references]", "[source only]"))
    # references that spell the name as the MT does overrule the romanisation
    same = auditor.audit(Document(mt), [Document(mt)], source)
    assert [f for f in same.findings if f.source is not None] == []


def test_multilingual_main_model_audits_the_source_alike(use_encoder):
    from auditor import Auditor

    result = Auditor(encoder=use_encoder, detectors=["source"]).audit(
        Document(FLAWED), source=Document(SRC, "src.txt", "zh"))
    assert sorted(f.kind.value for f in result.findings) == [
        "addition", "name", "number", "omission"]


def test_no_source_no_source_findings(seed_result):
    assert source_findings(seed_result) == []


# ---- Chinese helpers -----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("收入达到了2.5亿元", [250_000_000]),
        ("超92万份申请", [920_000]),
        ("500余万的缺口", [5_000_000]),
        ("三十人参加，第十一届", [30, 11]),
        ("3月5日", [3, 5]),
        ("百分之五十", [50]),
        ("二〇二三年", [2023]),
        ("十分重要，万一下雨，一些人", []),
    ],
)
def test_chinese_figures(text, values):
    assert [q.value for q in zh_quantities(text)] == values


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("250 million people", [250_000_000]),
        ("on March 5, 2023", [3, 5, 2023]),
        ("thirty-five of them", [35]),
        ("you may go in May", [5]),
        ("one of the 920,000 requests", [920_000]),
    ],
)
def test_english_figures(text, values):
    assert [q.value for q in en_quantities(text)] == values


@pytest.mark.parametrize(("text", "values"), [
    ("价格大概要一万六七千元左右", (16_000, 17_000)),
    ("三四十个人", (30, 40)),
    ("十七八岁", (17, 18)),
    ("两三天", (2, 3)),
])
def test_neighbouring_digits_are_an_approximate_range(text, values):
    (quantity,) = zh_quantities(text)
    assert quantity.values == values
    assert [q.values for q in zh_quantities("二〇二三年")] == [(2023,)]  # a year, digit by digit


@pytest.mark.parametrize(("mt", "flagged"), [
    ("Patient: my doctor said I would save more than $8,000, basically half.", True),
    ("Patient: my doctor said I would save more than 8,000 yuan, basically half.", False),
    ("Patient: my doctor said I would save more than RMB 8,000, basically half.", False),
    ("Patient: my doctor said I would save more than 8,000, basically half.", False),
])
def test_a_figure_in_another_currency(auditor, mt, flagged):
    source = Document("患者：大夫跟我说，像我这种情况差不多能省8000多元，基本上能省一半。",
                      "s", "zh")
    numbers = [f for f in source_findings(auditor.audit(Document(mt), source=source))
               if f.kind is FindingKind.NUMBER]
    assert [f.mt_text for f in numbers] == (["8,000"] if flagged else [])
    if flagged:
        assert "currency" in numbers[0].evidence and numbers[0].source.text == "8000多"


@pytest.mark.parametrize(("mt", "flagged"), [
    ("Taking a single implant as an example, the price is about 167,000 yuan.", True),
    ("Taking a single implant as an example, the price is about 16,700 yuan.", True),
    ("Taking a single implant as an example, the price is 16,000 to 17,000 yuan.", False),
])
def test_an_approximate_range_misread(auditor, mt, flagged):
    source = Document("以单颗常规种植为例，价格大概要一万六七千元左右。", "s", "zh")
    numbers = [f for f in source_findings(auditor.audit(Document(mt), source=source))
               if f.kind is FindingKind.NUMBER]
    assert bool(numbers) is flagged


@pytest.mark.parametrize(("text", "days"), [
    ("外交部发言人周三表示", ["Wednesday"]), ("上星期日晚上", ["Sunday"]),
    ("礼拜天休息", ["Sunday"]), ("周一至周五开放", ["Monday", "Friday"]),
    ("两周后，每周三次", []),
])
def test_chinese_weekdays(text, days):
    assert [q.shown for q in zh_quantities(text) if q.unit == "weekday"] == days


def test_english_weekdays_are_read_but_not_the_lower_case_word():
    assert [(q.shown, q.unit) for q in en_quantities("It opened on Wednesday, March 5; "
                                                     "a wednesday market")] == [
        ("Wednesday", "weekday"), ("3", ""), ("5", "")]


@pytest.mark.parametrize(("mt", "flagged"), [
    ("The Shanghai government announced on Thursday that it will build new subway lines.",
     True),
    ("The Shanghai government announced on Wednesday that it will build new subway lines.",
     False),
    ("The Shanghai government announced that it will build new subway lines.", False),
])
def test_a_weekday_the_source_does_not_say(auditor, mt, flagged):
    source = Document("上海市政府周三宣布，将建设新的地铁线路。", "s", "zh")
    numbers = [f for f in source_findings(auditor.audit(Document(mt), source=source))
               if f.kind is FindingKind.NUMBER]
    assert [(f.mt_text, f.canonical) for f in numbers] == (
        [("Thursday", "Wednesday")] if flagged else [])


def test_range_shares_its_scale_and_two_digit_years():
    low, high = en_quantities("12 to 14 million visitors")
    assert 12_000_000 in low.values and high.value == 14_000_000
    (consensus,) = zh_quantities("九二共识")
    assert 1992 in consensus.values


def test_names_are_classified_and_romanised():
    kinds = {n.text: n.kind for n in zh_names("国务卿蓬佩奥会见了王毅外长。")}
    assert kinds == {"蓬佩奥": "foreign person", "王毅": "person"}
    assert "zeng guo fan" in romanisations("曾国藩")  # 曾 as a surname is Zeng


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("他说：“我们明天去。”然后走了。", ["他说：“我们明天去。”", "然后走了。"]),
        ("这是……什么？我不知道……", ["这是……什么？", "我不知道……"]),
        ("没有句号的标题\n第二段。第二句", ["没有句号的标题", "第二段。", "第二句"]),
        ("价格为3.5元。下一句！", ["价格为3.5元。", "下一句！"]),
    ],
)
def test_chinese_sentence_ends(text, sentences):
    assert segment_document(Document(text, lang="zh")).texts == sentences


def test_korean_full_stops_end_sentences():
    doc = Document("첫 문장입니다. 다음은 3.5 문장입니다", lang="ko")
    assert segment_document(doc).texts == ["첫 문장입니다.", "다음은 3.5 문장입니다"]


# ---- combining both sides ------------------------------------------------------------------

def _finding(detector: str, start: int, end: int, kind=FindingKind.OMISSION, **extra) -> Finding:
    return Finding(kind=kind, severity=Severity.MAJOR, mt_start=start, mt_end=end,
                   mt_text="", confidence=0.5, evidence=f"{detector} evidence",
                   detector=detector, mt_sentence=0, **extra)


def test_merge_sides_says_which_side_supports_each_finding():
    ref_side = _finding("content", 10, 10, reference=Span(0, 5, "hello", doc=0))
    src_side = _finding("source", 10, 10, source=Span(3, 8, "他对公司"))
    ref_only = _finding("content", 40, 50, kind=FindingKind.ADDITION)
    src_only = _finding("source", 60, 64, kind=FindingKind.NUMBER)
    fluency = _finding("repetition", 70, 80, kind=FindingKind.REPETITION)
    merged = merge_sides([ref_side, src_side, ref_only, src_only, fluency],
                         has_references=True, has_source=True)
    assert len(merged) == 4
    both = merged[0]
    assert both.reference == ref_side.reference and both.source == src_side.source
    assert both.evidence.endswith("[supported by source and references]")
    assert both.confidence == pytest.approx(0.75)
    assert merged[1].evidence.endswith("[references only]")
    assert merged[2].evidence.endswith("[source only]")
    assert merged[3] is fluency
    assert merge_sides([src_side], has_references=False, has_source=True) == [src_side]
