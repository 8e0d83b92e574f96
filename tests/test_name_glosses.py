"""Names from world knowledge: renderings read back into CC-CEDICT entries (reference side) and
dictionary names in a Chinese source (source side). Real dictionary, real lookups; the names
are public figures and places outside the seeds and the benchmark data."""

from __future__ import annotations

import pytest

from auditor.detect.source.dictionary import (
    calque_span,
    description_head,
    dictionary_names,
    english_name_of,
    renders,
)
from auditor.lang.name_glosses import (
    best_gloss_match,
    entry_names,
    gloss_matches,
    name_words,
    rendering_glosses,
    rendering_syllables,
)


@pytest.mark.parametrize("rendering", ["Xian Tai", "Xiantai", "Xian-tai", "XIANTAI"])
def test_spacing_case_and_hyphens_read_as_the_same_syllables(rendering: str) -> None:
    assert ("xian", "tai") in rendering_syllables(rendering)


def test_a_run_together_word_is_read_every_way_it_can_be_cut() -> None:
    readings = rendering_syllables("Xian")
    assert ("xian",) in readings and ("xi", "an") in readings
    assert rendering_syllables("Gorbachev") == ()  # not pinyin


@pytest.mark.parametrize(("rendering", "reference", "score", "entry"), [
    ("Xian Tai", "Sendai", 1.0, "仙台"),  # a Japanese city read in Mandarin
    ("Hawana", "Havana", 1.0, "哈瓦那"),
    ("Jiade Mandu", "Kathmandu", 1.0, "加德满都"),
    ("Aiyinsi", "Albert Einstein", 0.5, "爱因斯坦"),  # the last syllable lost
    ("Sashibiya", "William Shakespeare", 0.0, None),  # 萨士比亚 is not the dictionary's form
    ("Xian Tai", "Kathmandu", 0.0, None),  # the dictionary names another place
])
def test_a_rendering_maps_to_the_reference_name_through_the_dictionary(
        rendering: str, reference: str, score: float, entry: str | None) -> None:
    found, reading = best_gloss_match(rendering, name_words(reference))
    assert found == score
    assert (reading.entry.simplified if reading else None) == entry


def test_common_words_are_not_read_as_names() -> None:
    # 半点 "the least bit", 斑点 "spot": no proper noun, so no English name to match
    assert rendering_glosses("Ban Dian") == ()
    assert rendering_glosses("Li") == ()  # one syllable reads as hundreds of entries


def test_evidence_names_the_entry_in_plain_words() -> None:
    _, reading = best_gloss_match("Hawana", name_words("Havana"))
    assert reading is not None and reading.describe() == "CC-CEDICT: 哈瓦那 = Havana"


def test_gloss_names_drop_descriptions() -> None:
    from auditor.lang.cedict import load_cedict

    assert entry_names(load_cedict().lookup("里约热内卢")[0]) == ("Rio de Janeiro",)
    assert gloss_matches("Marshal Josip Broz Tito", name_words("Tito"))
    assert not gloss_matches("Montreal", name_words("Toronto"))


# ---- source side ------------------------------------------------------------------------------
def test_source_names_come_whole_with_their_english_names() -> None:
    names = dictionary_names("据韩联社报道，会谈在仙台举行。")
    assert [(n.form, n.english[0]) for n in names] == [("韩联社", "Yonhap"), ("仙台", "Sendai")]
    assert names[0].head == "agency"
    assert names[1].describe() == "CC-CEDICT: 仙台 = Sendai"


@pytest.mark.parametrize("form", [
    "湖北",  # "Hubei Province": the English name is the pinyin
    "沪宁",  # "Shanghai and Nanjing": two places, and its pinyin names a road
    "万象",  # Vientiane, but also an ordinary word
    "记者",  # not a proper noun
])
def test_forms_whose_pinyin_may_be_right_are_left_alone(form: str) -> None:
    assert english_name_of(form) is None


def test_description_heads() -> None:
    assert description_head("Yonhap (South Korean news agency)") == "agency"
    assert description_head("Sendai, city in northeast Japan") == ""
    assert description_head("Xinhua News Agency, founded in 1931 as the press outlet of the "
                            "Chinese Communist Party") == ""


def test_calque_span_stops_at_function_words() -> None:
    text = "According to the joint news agency, talks will resume."
    start, end = calque_span(text, "agency", frozenset({"the", "to", "according"}))
    assert text[start:end] == "joint news agency"
    assert calque_span("No agency here.", "agency", frozenset({"no"})) is None


def test_rendered_when_the_mt_holds_every_word_of_an_english_name() -> None:
    name = dictionary_names("仙台")[0]
    assert renders(name, name_words("talks in Sendai"))
    assert not renders(name, name_words("talks in Xiantai"))


# ---- source side, through the real pipeline ------------------------------------------------
SENDAI_SRC = "据韩联社报道，会谈在仙台举行，双方同意加强合作。"
SENDAI_MT = ("According to Yonhap, the talks were held in Sendai, and the two sides agreed to "
             "strengthen cooperation.")


def _source_names(auditor, mt: str, src: str):
    from auditor.result import Document, FindingKind

    result = auditor.audit(Document(mt), source=Document(src, "src.txt", "zh"))
    return [f for f in result.findings if f.kind is FindingKind.NAME and f.detector == "source"]


def test_dictionary_names_rendered_in_english_are_not_flagged(auditor) -> None:
    assert _source_names(auditor, SENDAI_MT, SENDAI_SRC) == []


def test_pinyin_of_a_place_the_dictionary_gives_in_english(auditor) -> None:
    from auditor.result import Severity

    found = _source_names(auditor, SENDAI_MT.replace("Sendai", "Xiantai"), SENDAI_SRC)
    assert [(f.mt_text, f.canonical, f.severity) for f in found] == [
        ("Xiantai", "Sendai", Severity.MAJOR)]
    assert "CC-CEDICT: 仙台 = Sendai" in found[0].evidence
    assert found[0].source is not None and found[0].source.text == "仙台"


def test_dictionary_settings_come_from_the_source_config(auditor) -> None:
    """The form length, calque size and confidences are AuditConfig.source fields (they change
    the signature), not module constants."""
    from auditor.config import AuditConfig, SourceConfig

    assert dictionary_names("据韩联社报道", SourceConfig(dictionary_min_form_chars=4)) == []
    text = "According to the joint news agency, talks will resume."
    assert calque_span(text, "agency", frozenset(), 1) == (text.index("news"), text.index(","))
    config = AuditConfig(source=SourceConfig(dictionary_pinyin_confidence=0.9))
    other = auditor.with_config(config)
    found = _source_names(other, SENDAI_MT.replace("Sendai", "Xiantai"), SENDAI_SRC)
    assert [f.confidence for f in found] == [0.9]
    assert other.signature.short() != auditor.signature.short()


def test_a_calque_of_a_news_agency_is_reported_with_its_name(auditor) -> None:
    from auditor.result import Severity

    mt = SENDAI_MT.replace("According to Yonhap", "According to the joint news agency")
    found = _source_names(auditor, mt, SENDAI_SRC)
    assert [(f.mt_text, f.canonical, f.severity) for f in found] == [
        ("joint news agency", "Yonhap", Severity.MINOR)]
    assert "CC-CEDICT: 韩联社 = Yonhap" in found[0].evidence


def test_another_person_where_the_source_names_a_dictionary_person(auditor) -> None:
    src = "爱因斯坦在柏林发表了演讲，听众很多。"
    right = "Einstein gave a speech in Berlin to a large audience."
    assert _source_names(auditor, right, src) == []
    found = _source_names(auditor, right.replace("Einstein", "Isaac Newton"), src)
    assert [(f.mt_text, f.canonical) for f in found] == [("Isaac Newton", "Albert Einstein")]
    assert "CC-CEDICT: 爱因斯坦 = Albert Einstein" in found[0].evidence


def test_every_form_the_dictionary_gives_a_name_abbreviations_included() -> None:
    from auditor.lang.name_glosses import forms_named

    assert {"香港", "港"} <= forms_named("Hong Kong")  # 港: "Hong Kong (abbr. for 香港)"
    assert {"上海", "沪"} <= forms_named("shanghai")  # 沪: "short name for Shanghai"
    assert "北京" in forms_named("Beijing") and "上海" not in forms_named("Beijing")
    assert forms_named("Ríos") == frozenset()  # 里奥斯 "Ríos (name)": a surname, not a place
    assert forms_named("Nowhereville") == frozenset()
    assert forms_named("Bank") == frozenset()  # only inside "Bank of China" (中国银行)
    # glossed "the Philippines", "the Netherlands", "The Hague": keyed as written mid-sentence
    assert "菲律宾" in forms_named("Philippines") and "荷兰" in forms_named("Netherlands")
    assert forms_named("Hague") == {"海牙"}


# A place the source does not name, where it names another (the MT swapped one real place for
# another: nothing about the spelling is wrong).
PLACE_SRC = "上海市政府周一宣布，将从下个月起延长地铁的运营时间。"
PLACE_MT = ("The Shanghai municipal government announced on Monday that it will extend the "
            "operating hours of the subway from next month.")
ABROAD_SRC = "代表团昨天抵达曼谷，将与当地企业举行会谈。"
ABROAD_MT = "The delegation arrived in Bangkok yesterday and will hold talks with local firms."
# CC-CEDICT glosses 菲律宾 only "the Philippines": the name is keyed without its article.
ARTICLE_SRC = "菲律宾外交部周二召见了中国驻马尼拉大使。"
ARTICLE_MT = ("The foreign ministry of the Philippines summoned the Chinese ambassador in Manila "
              "on Tuesday.")


@pytest.mark.parametrize("src, mt, right, wrong, form, wrong_form", [
    (PLACE_SRC, PLACE_MT, "Shanghai", "Beijing", "上海市", "北京"),
    (ABROAD_SRC, ABROAD_MT, "Bangkok", "Jakarta", "曼谷", "雅加达"),
    (ARTICLE_SRC, ARTICLE_MT, "Philippines", "Indonesia", "菲律宾", "印度尼西亚"),
], ids=["at home", "abroad", "a name glossed with its article"])
def test_a_place_the_source_does_not_name_stands_where_it_names_another(
        auditor, src: str, mt: str, right: str, wrong: str, form: str, wrong_form: str) -> None:
    from auditor.result import Severity

    assert _source_names(auditor, mt, src) == []
    found = _source_names(auditor, mt.replace(right, wrong), src)
    assert [(f.mt_text, f.canonical, f.severity) for f in found] == [
        (wrong, right, Severity.MAJOR)]
    assert f"CC-CEDICT: {form} = {right}" in found[0].evidence
    assert f"{wrong} ({wrong_form}" in found[0].evidence
    assert found[0].source is not None and found[0].source.text == form


def test_another_organisation_by_its_acronym_where_the_source_names_one(auditor) -> None:
    from auditor.lang.name_glosses import forms_named

    assert "证监会" in forms_named("CSRC")  # "China Securities Regulatory Commission (CSRC)"
    assert forms_named("PRC") == frozenset()  # "Ministry of Transport (PRC)" is no acronym
    src = "证监会周五发布了新的上市规则。"
    for right in ("The CSRC", "The China Securities Regulatory Commission"):
        assert _source_names(auditor, f"{right} issued new listing rules on Friday.", src) == []
    found = _source_names(auditor, "The SEC issued new listing rules on Friday.", src)
    assert [(f.mt_text, f.canonical) for f in found] == [
        ("SEC", "China Securities Regulatory Commission")]
    assert "CC-CEDICT: 证监会 = China Securities Regulatory Commission" in found[0].evidence


def test_an_abbreviation_read_as_the_other_place_it_can_stand_for(auditor) -> None:
    """澳 abbreviates Macao (澳门) and Australia (澳大利亚): in a source that writes 澳门 in full
    and never Australia, "Australia" for 来澳 misreads it."""
    src = "澳门旅游局昨天表示，将吸引更多香港旅客来澳留宿消费。"
    mt = ("The Macao Government Tourist Office said yesterday that it would attract more Hong "
          "Kong tourists to stay and spend in {}.")
    assert _source_names(auditor, mt.format("Macao"), src) == []
    found = _source_names(auditor, mt.format("Australia"), src)
    assert [(f.mt_text, f.canonical) for f in found] == [("Australia", "Macao")]
    assert "澳 stands for 澳门" in found[0].evidence
    assert _source_names(auditor, "Officials said Australia would attract more tourists.",
                         "官员表示，澳大利亚将吸引更多游客来澳。") == []


def test_a_variant_the_source_names_gloss_is_no_swap(auditor) -> None:
    """CC-CEDICT's English name of 英国 is "United Kingdom" and "Britain" is 不列颠, but 英国's
    gloss says "United Kingdom of Great Britain and Northern Ireland": "Britain" renders it."""
    src = "英国首相周一在伦敦发表讲话。"
    assert _source_names(auditor, "Britain's prime minister gave a speech in London on Monday.",
                         src) == []


def test_a_place_the_source_names_by_its_abbreviation_is_no_swap(auditor) -> None:
    src = "沪港两地将进一步加强金融合作。"
    mt = "Shanghai and Hong Kong will further strengthen financial cooperation."
    assert _source_names(auditor, mt, src) == []


@pytest.mark.parametrize("src, right, wrong, canonical", [
    # 西村: "Nishimura (Japanese surname)"; 里奥斯: "Ríos (name)"
    ("日本经济产业大臣西村在记者会上表示，日本将继续支持自由贸易。",
     "Japanese Economy Minister Yasutoshi Nishimura", "Japanese Economy Minister Shigeru Sakamoto",
     "Nishimura"),
    ("经济学家里奥斯在采访中表示，中国经济今年将稳步复苏。",
     "Economist Julio Ríos", "Economist Carlos Mendez", "Ríos"),
], ids=["surname", "name"])
def test_another_person_where_the_source_names_a_dictionary_name_or_surname(
        auditor, src: str, right: str, wrong: str, canonical: str) -> None:
    tail = (" told reporters that Japan would continue to support free trade." if "日本" in src
            else " said in an interview that China's economy would recover steadily this year.")
    assert _source_names(auditor, right + tail, src) == []
    found = _source_names(auditor, wrong + tail, src)
    person = " ".join(wrong.split()[-2:])  # "Shigeru Sakamoto", "Carlos Mendez"
    assert [(f.mt_text, f.canonical) for f in found] == [(person, canonical)]


# ---- reference side, through the real pipeline ---------------------------------------------
SENDAI_REF = ("Ministers met in Sendai on Tuesday to discuss trade. They agreed to meet again "
              "next year.")


@pytest.mark.parametrize("rendering", ["Xiantai", "Xian Tai"])
def test_a_pinyin_rendering_maps_to_the_reference_place_through_the_dictionary(
        auditor, rendering: str) -> None:
    from auditor.result import Document, FindingKind

    mt = SENDAI_REF.replace("Sendai", rendering)
    result = auditor.audit(Document(mt), [Document(SENDAI_REF)])
    names = [f for f in result.findings if f.kind is FindingKind.NAME]
    assert [(f.mt_text, f.canonical) for f in names] == [(rendering, "Sendai")]
    assert "CC-CEDICT: 仙台 = Sendai" in names[0].evidence
