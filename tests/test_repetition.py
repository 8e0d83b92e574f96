"""Phrase loops, repeated sentences and dangling or verbless fragments."""

from __future__ import annotations

import pytest

from auditor.config import RepetitionConfig
from auditor.detect.repetition import phrase_loops, word_stutters
from auditor.result import Document, FindingKind, Severity

STOP = frozenset({"the", "and", "a", "of", "to", "in", "very", "again", "that", "it", "we"})


@pytest.fixture(scope="module")
def repetition_auditor(auditor):
    from auditor import Auditor

    mine = Auditor(encoder=auditor.encoder, detectors=["repetition"])
    mine.resources = auditor.resources
    return mine


def test_phrase_loop_found_once_at_its_longest():
    text = "communication between Korea, the United States, Korea, the United States and Japan."
    loops = phrase_loops(text, STOP)
    assert len(loops) == 1
    start, end, phrase = loops[0]
    assert phrase == "korea the united states"
    assert text[start:end] == "Korea, the United States, Korea, the United States"


@pytest.mark.parametrize("text", [
    "It was very very cold in the mountains.",
    "We talked again and again about the plan.",
    "The United States and Japan signed the deal with the United Kingdom.",
    "that that is the question",
    "It spins faster and faster, and faster and faster.",
    "The readings were negative 120°, negative 120°, then rising.",
])
def test_no_loop_in_ordinary_text(text):
    assert phrase_loops(text, STOP) == []


def _audit(repetition_auditor, mt: str, ref: str = "A reference about something else."):
    return repetition_auditor.audit(Document(mt, "mt"), [Document(ref, "ref")])


def test_loop_is_a_major_repetition(repetition_auditor):
    result = _audit(repetition_auditor, "Talks between Seoul, Tokyo and Beijing, Tokyo and "
                    "Beijing resumed on Monday.")
    found = [f for f in result.findings if f.kind is FindingKind.REPETITION]
    assert len(found) == 1
    assert found[0].mt_text == "Tokyo and Beijing, Tokyo and Beijing"
    assert found[0].severity is Severity.MAJOR


@pytest.mark.parametrize("text, stutters", [
    ("They plan to to to measure the planet next year.", [("to", 3)]),
    ("The the the the images were taken in Chile.", [("the", 4)]),
    ("It was very very cold, that that is true, and it had had its effect.", []),
    ("No, no, no, he said, it is very, very, very late.", []),  # spoken emphasis, punctuated
    ("The 10 10 10 code was printed on the label.", []),
])
def test_word_stutters(text, stutters):
    assert [(word, text[start:end].lower().count(word)) for start, end, word
            in word_stutters(text)] == stutters


def test_a_word_said_three_times_is_a_minor_repetition(repetition_auditor):
    result = _audit(repetition_auditor, "They plan to to to measure the planet next year.")
    found = [f for f in result.findings if f.kind is FindingKind.REPETITION]
    assert [(f.mt_text, f.severity) for f in found] == [("to to to", Severity.MINOR)]


def test_loop_the_reference_also_has_is_not_reported(repetition_auditor):
    text = "He said: never again, never again will we allow this to happen."
    result = _audit(repetition_auditor, text, text)
    assert [f for f in result.findings if f.kind is FindingKind.REPETITION] == []


def test_repeated_sentence(repetition_auditor):
    mt = ("The storm closed the main road to the airport.\n"
          "Flights were delayed for several hours.\n"
          "The storm closed the main road to the airport.")
    found = [f for f in _audit(repetition_auditor, mt).findings
             if f.kind is FindingKind.REPETITION]
    assert len(found) == 1 and found[0].mt_sentence == 2


def test_dangling_label_and_verbless_fragment(repetition_auditor):
    mt = ("Ministers met in Paris on Monday to discuss the climate treaty. "
          "Cooperation with France, Germany and Italy.\n"
          "Credit :")
    found = [f for f in _audit(repetition_auditor, mt).findings
             if f.kind is FindingKind.FLUENCY]
    assert [f.mt_text for f in found] == ["Cooperation with France, Germany and Italy.",
                                          "Credit :"]
    assert all(f.severity is Severity.MINOR for f in found)


def test_clean_text_with_headline_has_no_finding(repetition_auditor):
    mt = ("Floods in the north\n"
          "Heavy rain flooded several villages in the north on Sunday. "
          "Rescue teams evacuated hundreds of residents, and the army sent boats.\n"
          "Officials expect the water to recede by Wednesday.")
    assert _audit(repetition_auditor, mt).findings == ()


def test_reference_article_as_mt_has_no_repetition_finding(repetition_auditor):
    from tests.conftest import REF_SEEDS

    text = REF_SEEDS[1].read_text(encoding="utf-8")
    result = _audit(repetition_auditor, text, REF_SEEDS[0].read_text(encoding="utf-8"))
    assert result.findings == ()


def test_seed_loop_and_fragments(seed_result):
    kinds = {(f.kind, f.mt_text) for f in seed_result.findings if f.detector == "repetition"}
    assert (FindingKind.REPETITION, "Korea, the United States, Korea, the United States") in kinds
    assert (FindingKind.FLUENCY, "Credit :") in kinds
    assert (FindingKind.FLUENCY, "Cooperation with Korea, the United States and Japan.") in kinds


def test_cue_scope_parses_only_sentences_without_a_finite_verb(repetition_auditor, monkeypatch):
    """Fast mode's parse scope (`ParseScope.CUES`): a sentence holding a finite auxiliary
    ("was", "don't") has a verb and is not parsed for the verbless check; the fragment without
    one still is, and is still found."""
    from auditor.config import AuditConfig, ParseScope

    cues = repetition_auditor.with_config(AuditConfig(parse_scope=ParseScope.CUES))
    mt = ("The treaty was signed in Paris on Monday. "
          "Cooperation with France, Germany and Italy. We don't know more.\n"
          "Credit :")
    asked: list[str] = []
    real = cues.resources.parse
    monkeypatch.setattr(cues.resources, "parse",
                        lambda texts: asked.extend(texts) or real(texts))
    found = [f.mt_text for f in _audit(cues, mt).findings if f.kind is FindingKind.FLUENCY]
    assert found == ["Cooperation with France, Germany and Italy.", "Credit :"]
    assert set(asked) == {"Cooperation with France, Germany and Italy."}


def test_repeated_sentences_are_those_of_asking_each_earlier_sentence(repetition_auditor):
    """The ratios of every sentence pair come from one rapidfuzz `cdist` call: on a real
    article with a line repeated and one repeated with a word changed, the same sentences,
    confidences and evidence as asking `fuzz.ratio` of each earlier sentence in turn."""
    from rapidfuzz import fuzz

    from auditor.detect.repetition import _normalised
    from tests.conftest import MT_SEED

    settings = repetition_auditor.config.repetition
    sentences = _audit(repetition_auditor, MT_SEED.read_text(encoding="utf-8")).mt.sentences
    near = sentences[6].text.split()  # words changed until it falls just below the bar
    for k in range(0, len(near), 2):
        near[k] = "zz"
        if fuzz.ratio(_normalised(" ".join(near)), _normalised(sentences[6].text)) \
                < settings.duplicate_ratio:
            break
    assert fuzz.ratio(_normalised(" ".join(near)), _normalised(sentences[6].text)) \
        > settings.duplicate_ratio - 5
    extra = [sentences[3].text, sentences[5].text.replace(" the ", " a ", 1), " ".join(near),
             sentences[0].text, sentences[3].text]  # the last has two earlier matches
    mt = "\n".join([*(s.text for s in sentences), *extra])
    result = _audit(repetition_auditor, mt)
    got = [(f.mt_sentence, f.confidence, f.evidence) for f in result.findings
           if f.evidence.startswith("repeats sentence")]
    sentences = result.mt.sentences
    texts = [_normalised(s.text) for s in sentences]
    reference_text = " ".join(_normalised(r.doc.text) for r in result.references)
    expected = []
    for j in range(len(sentences)):
        if len(texts[j].split()) < settings.min_duplicate_words or texts[j] in reference_text:
            continue
        for i in range(j):
            if fuzz.ratio(texts[i], texts[j]) >= settings.duplicate_ratio:
                expected.append((j, fuzz.ratio(texts[i], texts[j]) / 100.0,
                                 f"repeats sentence {i + 1}: {sentences[i].text!r}"))
                break
    assert got == expected and len(expected) == 4


@pytest.mark.parametrize("text", [
    "ΟΔΟΣ ΚΑΙ ΣΟΦΙΑ: Σ' αγαπώ, ΣΑΣ.",  # a capital sigma at a word's end, start and alone
    "İstanbul’s Old-Town and DON'T — 3.5 km, naïve ß ǅemal.",
])
def test_normalised_text_is_each_word_lower_cased(text):
    """`_normalised` lower-cases the joined words at once: word by word gives the same, on
    the seed articles and on words whose lower case depends on context or grows."""
    from auditor.detect.repetition import _WORDS, _normalised
    from tests.conftest import MT_SEED, REF_SEEDS

    for sample in (text, MT_SEED.read_text(encoding="utf-8"),
                   *(p.read_text(encoding="utf-8") for p in REF_SEEDS)):
        assert _normalised(sample) == " ".join(m.group().lower()
                                               for m in _WORDS.finditer(sample))


def test_phrase_loops_equal_comparing_every_phrase_pair():
    """`phrase_loops` skips a phrase length whose two phrases start with different words; on
    the seed articles with loops planted (two to eight words, with a digit, of stop words
    only, overlapping), the loops are those of comparing every pair of phrases."""
    from auditor.detect.repetition import _WORDS
    from tests.conftest import MT_SEED, REF_SEEDS

    settings = RepetitionConfig()

    def plain(text, stop_words):
        words = [(m.start(), m.end(), m.group().lower()) for m in _WORDS.finditer(text)]
        tokens = [w for _, _, w in words]
        loops, covered_until, i = [], -1, 0
        while i < len(tokens):
            found = None
            for length in range(min(settings.max_loop_words, (len(tokens) - i) // 2),
                                settings.min_loop_words - 1, -1):
                first, second = tokens[i:i + length], tokens[i + length:i + 2 * length]
                if first == second and len({w for w in first if w not in stop_words}) >= \
                        settings.min_loop_content and not any(c.isdigit() for w in first
                                                              for c in w):
                    found = length
                    break
            if found and i > covered_until:
                loops.append((words[i][0], words[i + 2 * found - 1][1],
                               " ".join(tokens[i:i + found])))
                covered_until = i + 2 * found - 1
                i += found
                continue
            i += 1
        return loops

    planted = ("the talks in Seoul, the talks in Seoul resumed; a b a b; 3 kids 3 kids; "
               "of the of the; New York New York New York City; red red red; "
               "one two three four five six seven eight one two three four five six seven "
               "eight nine")
    texts = [planted] + [p.read_text(encoding="utf-8") for p in (MT_SEED, *REF_SEEDS)]
    for text in texts:
        for line in [text, *text.splitlines()]:
            assert phrase_loops(line, STOP) == plain(line, STOP)
    assert len(phrase_loops(planted, STOP)) >= 3
