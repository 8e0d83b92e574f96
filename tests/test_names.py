"""Name mangling: the seed's mangled names, clean texts, and Japanese / Russian / Arabic cases.

Everything that claims a finding runs the real pipeline (MiniLM alignment, spaCy NER). The
names in the small texts are public figures not in the seeds and not in the benchmark data.
"""

from __future__ import annotations

import pytest

from auditor.lang.romanize import (
    korean_syllables,
    name_korean,
    pinyin_syllables,
    sino_korean_similarity,
    skeleton,
    skeleton_similarity,
)
from auditor.result import Document, FindingKind, Severity


def name_findings(result):
    return [f for f in result.findings if f.kind == FindingKind.NAME]


# ---- pure romanisation helpers ------------------------------------------------------------
@pytest.mark.parametrize("word, syllables", [
    ("Xiaoping", ["xiao", "ping"]),
    ("Zhuangzi", ["zhuang", "zi"]),
    ("Gorbachev", None),
])
def test_pinyin_syllables(word, syllables):
    assert pinyin_syllables(word) == syllables


@pytest.mark.parametrize("korean, pinyin, low, high", [
    ("Chun Doo-hwan", "Quan Douhuan", 0.99, 1.0),  # 全斗焕
    ("Kim Young-sam", "Jin Yongsan", 0.99, 1.0),  # 金泳三: Korean -m, Mandarin -n
    ("Park Chung-hee", "Piao Zhengxi", 0.99, 1.0),  # 朴正熙: Korean -k lost in Mandarin
    ("Chun Doo-hwan", "Quan Dou", 0.6, 0.7),  # truncated: two of three syllables
    ("Chun Doo-hwan", "Li Ming", 0.0, 0.5),  # unrelated
])
def test_sino_korean_similarity(korean, pinyin, low, high):
    score, _ = sino_korean_similarity(korean, pinyin)
    assert low <= score <= high


def test_korean_shape_needs_a_one_syllable_word():
    assert name_korean("Chun Doo-hwan") is not None
    assert name_korean("Gordon Brown") is None  # no one-syllable word in Korean spelling
    assert korean_syllables("hwan") == [("H", "n")]


@pytest.mark.parametrize("english, mangled", [
    ("Gorbachev", "Ge Erbaqiaofu"),  # 戈尔巴乔夫
    ("Thatcher", "Saqie Er"),  # 撒切尔
    ("Rumsfeld", "Lamusifeierde"),  # 拉姆斯菲尔德
])
def test_skeleton_survives_transliteration(english, mangled):
    assert skeleton_similarity(skeleton(english), skeleton(mangled)) >= 0.6


def test_skeleton_separates_unrelated_names():
    assert skeleton_similarity(skeleton("Gorbachev"), skeleton("Thatcher")) < 0.5


# ---- seed acceptance ----------------------------------------------------------------------
def test_seed_every_mangled_variant_found_and_mapped(seed_result, annotation):
    findings = name_findings(seed_result)
    for entry in annotation["names"]:
        hits = [f for f in findings if f.mt_text == entry["variant"]]
        assert len(hits) == entry["occurrences"], entry["variant"]
        assert {f.canonical for f in hits} == {entry["canonical"]}, entry["variant"]
        if entry.get("calque"):
            assert all(f.severity == Severity.MINOR for f in hits)
        else:
            assert all(f.severity == Severity.MAJOR for f in hits)
            assert all(f.reference is not None and f.reference.doc in (0, 1) for f in hits)


def test_seed_no_correct_name_flagged(seed_result, annotation):
    text = seed_result.mt.doc.text
    flagged = [(f.mt_start, f.mt_end) for f in name_findings(seed_result)]
    for name in annotation["correct_names"]:
        start = text.find(name)
        while start >= 0:
            inside_calque = any(f.mt_text.startswith(name) and f.canonical == "Yonhap"
                                and f.mt_start == start for f in name_findings(seed_result))
            if not inside_calque:
                assert not any(s <= start < e for s, e in flagged), name
            start = text.find(name, start + 1)
    mangled = {e["variant"] for e in annotation["names"]}
    assert {f.mt_text for f in name_findings(seed_result)} <= mangled


def test_seed_evidence_shows_inconsistency(seed_result):
    findings = [f for f in name_findings(seed_result) if f.canonical == "Mike Pompeo"]
    assert findings
    for f in findings:
        assert "renderings of Mike Pompeo" in f.evidence
        assert "'Mike Pompeo'" in f.evidence and "(right)" in f.evidence


# ---- small texts --------------------------------------------------------------------------
CLEAN_REF = (
    "German Chancellor Helmut Kohl met French President Francois Mitterrand in Bonn on Monday. "
    "Kohl said the two countries would work on a common currency. "
    "Mitterrand called the meeting a success for Europe."
)
CLEAN_MT = (
    "Chancellor Helmut Kohl of Germany and President Francois Mitterrand of France met in Bonn "
    "on Monday. Mitterrand said the meeting was a success for Europe, and Kohl said both "
    "countries would work towards a common currency in Brussels and Strasbourg."
)


def test_clean_text_has_no_name_findings(auditor):
    result = auditor.audit(Document(CLEAN_MT, "mt"), [Document(CLEAN_REF, "ref")])
    assert name_findings(result) == []


RENDERINGS = [
    pytest.param(  # 金钟泌: the Mandarin reading of a Korean name's characters
        "South Korean Prime Minister Kim Jong-pil visited Tokyo on Tuesday. "
        "Kim said trade between the two neighbours had grown quickly.",
        "South Korean Prime Minister Jin Zhongbi visited Tokyo on Tuesday. "
        "Jin Zhongbi said trade between the two neighbours grew rapidly.",
        ["Jin Zhongbi", "Jin Zhongbi"], "Kim Jong-pil", Severity.MAJOR,
        "Chinese characters of the Korean name", id="korean"),
    pytest.param(  # 田中: a Japanese surname read in Mandarin, the given name kept
        "Japanese Foreign Minister Makiko Tanaka told reporters in Tokyo that the visit "
        "would go ahead. Tanaka said she would raise the fishing dispute.",
        "Japanese Foreign Minister Makiko Tianzhong told reporters in Tokyo that the visit "
        "will go ahead. Makiko Tianzhong said she will raise the fishing dispute.",
        ["Makiko Tianzhong", "Makiko Tianzhong"], "Makiko Tanaka", Severity.MAJOR,
        "has the Japanese reading", id="japanese-surname"),
    pytest.param(  # 岸田文雄: a whole Japanese name read in Mandarin
        "Japanese Prime Minister Fumio Kishida told reporters in Tokyo that the summit would "
        "go ahead. Kishida said he would raise the export controls.",
        "Japanese Prime Minister Antian Wenxiong told reporters in Tokyo that the summit will "
        "go ahead. Antian said he will raise the export controls.",
        ["Antian Wenxiong", "Antian"], "Fumio Kishida", Severity.MAJOR,
        "has the Japanese reading Fumio Kishida", id="japanese-full"),
    pytest.param(  # 夏立言: the right name in pinyin where the references write Wade-Giles
        "Kuomintang vice chairman Hsia Li-yen met Chinese officials in Beijing on Friday. "
        "Hsia said both sides should resume exchanges.",
        "Kuomintang vice chairman Xia Liyan met Chinese officials in Beijing on Friday. "
        "Xia Liyan said both sides should restore exchanges.",
        ["Xia Liyan", "Xia Liyan"], "Hsia Li-yen", Severity.MINOR,
        "written in Wade-Giles", id="wade-giles"),
    pytest.param(  # the right letters, spaced apart: the reader knows the place
        "The new metro line will link Pudong airport with Hongqiao railway station, the city "
        "government said. Hongqiao station handles trains to Beijing.",
        "The new subway line will connect Pudong airport and Hong Qiao train station, the city "
        "government said. Hong Qiao station serves trains to Beijing.",
        ["Hong Qiao", "Hong Qiao"], "Hongqiao", Severity.MINOR,
        "the same letters as 'Hongqiao', spaced or hyphenated differently", id="spacing"),
    pytest.param(  # 格鲁什科: the pinyin of a Russian name's Chinese transliteration
        "NATO Deputy Secretary General met Russian Deputy Foreign Minister Alexander Grushko "
        "in Brussels on Friday. Grushko warned against new deployments.",
        "Russian Deputy Foreign Minister Gelushike met NATO's deputy secretary general in "
        "Brussels on Friday. Gelushike warned against new deployments.",
        ["Gelushike", "Gelushike"], "Alexander Grushko", Severity.MAJOR, "", id="russian"),
    pytest.param(  # 朱拜尔
        "Saudi Foreign Minister Adel al-Jubeir arrived in Washington on Sunday for talks. "
        "Jubeir is due to meet congressional leaders.",
        "Saudi Foreign Minister Zhubaier arrived in Washington on Sunday for talks. "
        "Zhubaier will meet leaders of Congress.",
        ["Zhubaier", "Zhubaier"], "Adel al-Jubeir", Severity.MAJOR, "", id="arabic"),
]


@pytest.mark.parametrize("ref, mt, renderings, canonical, severity, evidence", RENDERINGS)
def test_rendering_mapped_to_the_reference_name(auditor, ref, mt, renderings, canonical,
                                                 severity, evidence):
    findings = name_findings(auditor.audit(Document(mt, "mt"), [Document(ref, "ref")]))
    assert [f.mt_text for f in findings] == renderings
    assert {f.canonical for f in findings} == {canonical}
    assert all(f.severity == severity for f in findings)
    assert evidence in findings[0].evidence


def test_a_country_character_read_into_a_name_is_set_aside():
    from auditor.detect.names import NameMention, RefEntity, candidate_features
    from auditor.lang.romanize import romanised_chinese_similarity, sino_korean_similarity

    # 韩康京: "Korea's Kang Kyung", the country character read as a surname
    name = "Kang Kyung-wha"
    entity = RefEntity(name, [NameMention(0, 0, 14, name, "PERSON", 0)])
    features = candidate_features(NameMention(-1, 0, 12, "Han Kangjing", "PERSON", 0), entity, 0.0)
    assert features.romanisation == max(sino_korean_similarity(name, "Kangjing")[0],
                                        romanised_chinese_similarity(name, "Kangjing"))
    assert features.romanisation > max(sino_korean_similarity(name, "Han Kangjing")[0],
                                       romanised_chinese_similarity(name, "Han Kangjing"))


def test_an_acronym_spelled_out_in_the_references_is_supported():
    from auditor.detect.names import NameMention, RefEntity, _phrase_index, is_supported
    from auditor.segment import segment_document

    ref = ("This computer simulation was done by the National Aeronautics and Space "
           "Administration Goddard relativity group.")
    entity = RefEntity("Aeronautics and Space Administration Goddard", [NameMention(
        0, 54, 98, "Aeronautics and Space Administration Goddard", "ORG", 0)])
    mention = NameMention(-1, 37, 49, "NASA Goddard", "ORG", 0)
    phrases = _phrase_index([segment_document(Document(ref, "ref"))])
    assert not is_supported(mention, phrases, [entity])  # the acronym alone is unexplained
    assert is_supported(mention, phrases, [entity], ref)
    assert not is_supported(NameMention(-1, 37, 49, "NAGA Goddard", "ORG", 0), phrases, [entity],
                            ref)


@pytest.mark.parametrize("text, names", [
    ("One of them is called LIGO-which will detect tiny vibrations.", ["LIGO"]),
    ("The NASA-led study was published last week.", ["NASA"]),
    ("President Moon Jae-in met Foreign Minister Kang Kyung-wha.",
     ["Moon Jae-in", "Kang Kyung-wha"]),
])
def test_hyphenated_names_and_english_compounds(auditor, text, names):
    from auditor.detect.clauses import parsed_sentences
    from auditor.detect.names import extract_mentions
    from auditor.segment import segment_document

    seg = segment_document(Document(text, "mt"))
    mentions = extract_mentions(-1, parsed_sentences(seg, auditor.resources.parse(seg.texts)))
    assert [m.text for m in mentions] == names


@pytest.mark.parametrize("text, runs", [
    ("Foreign Minister Yin Bing-shi met him, said Ke Li.",
     [("foreign", "minister", "yin", "bing", "shi"), ("ke", "li")]),
    ("I think I'm in (Ursula von der Leyen's) office.", [("ursula",), ("leyen",)]),
    ('"The U.S. team," she said.', [("the", "us")]),
    # a possessive ending goes ("Trump’s", "Korea's"), an "s" alone or inside stays
    ("Trump’s visit to South Korea's capital, Moon's Cass Sunstein said",
     [("trump",), ("south", "korea"), ("moon", "cass", "sunstein")]),
    ("Paris' Les Misérables and O'Neills' ’s", [("paris",), ("les", "miserables"),
                                                ("oneills",)]),
])
def test_folded_capitalised_runs(text, runs):
    from auditor.detect.names import folded_capitalised_runs

    assert folded_capitalised_runs(text) == runs


def test_name_cues_point_at_the_sentences_with_names_the_references_lack():
    from auditor.detect.names import _phrase_index, name_cue_sentences
    from auditor.segment import segment_document

    ref = segment_document(Document(
        "Foreign Minister Yoon Byung-se met John Kerry in Manila. They talked for an hour.",
        "ref"))
    mt = segment_document(Document(
        "Foreign Minister Yoon Byung-se met Kerri in Manila. They talked for an hour. "
        "Yin Bingshi said so. John Kerry agreed.", "mt"))
    assert name_cue_sentences(mt, _phrase_index([ref])) == {0, 2}


@pytest.mark.parametrize("reference, mt, score", [
    ("Fumio Kishida", "Antian Wenxiong", 1.0),   # 岸田文雄
    ("Shinzo Abe", "Anbei Jinsan", 1.0),         # 安倍晋三
    ("Makiko Tanaka", "Makiko Tianzhong", 1.0),  # 田中, given name kept
    ("Mike Pompeo", "Peng Peiao", 0.0),          # not a Japanese name
    ("Fumio Kishida", "Fumio Kishida", 0.0),     # spelled, not read
])
def test_japanese_reading_match(reference, mt, score):
    from auditor.lang.romanize import japanese_reading_match

    assert japanese_reading_match(reference, mt) == score


def test_unmentioned_correct_names_are_not_mapped(auditor):
    ref = "Finnish President Sauli Niinisto met Swedish Prime Minister Stefan Lofven on Friday."
    mt = ("Finnish President Sauli Niinisto met Swedish Prime Minister Stefan Lofven in Helsinki "
          "on Friday, ahead of a Nordic summit in Reykjavik hosted by Iceland.")
    assert name_findings(auditor.audit(Document(mt, "mt"), [Document(ref, "ref")])) == []


@pytest.mark.parametrize("mt, supported", [
    ("Putin's", True), ("North Korean", True), ("Israeli", True), ("Iranians", True),
    ("Puting", False),  # a misspelling ending in -g: not a derived form of Putin
    ("Pencei", False),  # -i after a vowel: a misspelling of Pence, not a demonym
])
def test_only_demonym_and_plural_endings_derive_a_reference_name(mt, supported):
    from auditor.detect.names import NameMention, RefEntity, _phrase_index, is_supported
    from auditor.segment import segment_document

    ref = ("Vladimir Putin met Mike Pence, an envoy of North Korea and officials from Israel "
           "and Iran on Monday.")
    entities = [RefEntity(n, [NameMention(0, ref.index(n), ref.index(n) + len(n), n, "PERSON",
                                          0)]) for n in ("Vladimir Putin", "Mike Pence")]
    phrases = _phrase_index([segment_document(Document(ref, "ref"))])
    mention = NameMention(-1, 0, len(mt), mt.replace("'s", ""), "PERSON", 0)
    assert is_supported(mention, phrases, entities) is supported


def test_a_pinyin_rendering_of_dictionary_words_read_exactly_as_the_place_is_compatible():
    from auditor.detect.names import (
        NameMention,
        RefEntity,
        candidate_features,
        compatible,
    )

    # 里斯本: "Li Si Ben" is made of WordNet entries, but CC-CEDICT reads it as Lisbon
    dictionary = frozenset({"li", "si", "ben", "lisbon"})
    entity = RefEntity("Lisbon", [NameMention(0, 0, 6, "Lisbon", "GPE", 0)])
    mention = NameMention(-1, 0, 9, "Li Si Ben", "GPE", 0)
    features = candidate_features(mention, entity, 1.0, dictionary)
    assert features.gloss == 1.0 and features.dictionary == 1.0
    assert compatible(mention, entity, features, dictionary)
    france = RefEntity("France", [NameMention(0, 0, 6, "France", "GPE", 0)])
    french = NameMention(-1, 0, 6, "French", "NORP", 0)
    assert not compatible(french, france, candidate_features(french, france, 1.0, frozenset(
        {"france", "french"})), frozenset({"france", "french"}))


@pytest.mark.parametrize("rendering, name, low, high", [
    # 萨科齐, 纳瓦尔尼, 撒切尔: benchmark names, left out of the table's training pairs
    ("Sakeqi", "Sarkozy", 0.9, 1.0),
    ("Nawaerni", "Navalny", 0.9, 1.0),
    ("Saqie", "Thatcher", 0.5, 1.0),  # the last syllable lost
    ("Sakeqi", "Merkel", 0.0, 0.1),
    ("Baowei", "Biden", 0.0, 0.1),
    ("Wang Yi", "Blinken", 0.0, 0.1),
])
def test_transliteration_evidence(rendering, name, low, high):
    from auditor.lang.name_glosses import rendering_syllables
    from auditor.lang.transliteration import transliteration_match

    score = transliteration_match(rendering_syllables(rendering)[:4], frozenset({name}))
    assert low <= score <= high


def test_the_transliteration_table_is_the_one_the_config_names():
    import hashlib
    from importlib import resources

    from auditor.config import NamesConfig

    data = (resources.files("auditor") / "data" / "transliteration.json").read_bytes()
    assert hashlib.sha256(data).hexdigest()[:12] == NamesConfig().transliteration_table


@pytest.mark.parametrize("reference, rendering, low, high", [
    ("Hau Lung-pin", "Hao Longbin", 0.99, 1.0),  # 郝龙斌, Wade-Giles as Taiwan spells it
    ("Hau Lung-pin", "Hao Long", 0.6, 0.7),  # the last syllable lost
    ("Hau Lung-pin", "Wang Jinping", 0.0, 0.3),  # another name
    ("Hau Lung-pin", "Sakeqi", 0.0, 0.3),
    ("Vladimir Putin", "Pujing", 0.0, 0.0),  # not a Chinese name
])
def test_chinese_names_in_another_romanisation(reference, rendering, low, high):
    from auditor.lang.romanize import romanised_chinese_similarity

    assert low <= romanised_chinese_similarity(reference, rendering) <= high


def test_a_rendering_two_syllables_short_of_a_dictionary_name():
    from auditor.lang.name_glosses import best_gloss_match, name_words

    # 华盛顿 hua sheng dun: "Huasheng" lost its last syllable
    score, reading = best_gloss_match("Huasheng", name_words("Washington"))
    assert score == 0.5 and reading is not None
    assert reading.describe() == "CC-CEDICT: 华盛顿 = Washington"
    assert best_gloss_match("Huasheng", name_words("Boston"))[0] == 0.0


def test_name_pieces_of_one_pinyin_run_are_joined(auditor):
    from auditor.detect.names import _join_pinyin_runs

    # the NER may cut a place written syllable by syllable (锡诺普, Sinop) into a place and a
    # person; the pieces are one name when every word of the run is a capitalised pinyin syllable
    tokens = list(auditor.resources.nlp("talks in Xi Nuo Pu and Li Qiang in Paris Jia Ge"))
    joined = _join_pinyin_runs([(2, 3, "GPE"), (3, 5, "PERSON"), (6, 8, "PERSON"),
                                (9, 10, "GPE"), (10, 12, "PERSON")], tokens)
    assert joined == [(2, 5, "PERSON"), (6, 8, "PERSON"), (9, 10, "GPE"), (10, 12, "PERSON")]


def test_fold_memoised_equals_folding_afresh():
    """`fold` is memoised (every reference word is folded for the phrase index): the same
    keys as folding each word afresh, on the seed articles' words and romanised names."""
    import re

    from auditor.lang.romanize import fold
    from tests.conftest import MT_SEED, REF_SEEDS

    words = [w for p in (MT_SEED, *REF_SEEDS) for w in re.split(r"[\s\-–—/]+",
                                                                 p.read_text(encoding="utf-8"))]
    words += ["Kyung-wha", "wángyì", "Wang-Yi", "Ōsaka", "北京", "Straße", ""]
    for _ in range(2):
        assert [fold(w) for w in words] == [fold.__wrapped__(w) for w in words]
    assert fold("wángyì") == "wangyi"
