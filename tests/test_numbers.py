"""Numbers, dates and ranges compared with the aligned reference text."""

from __future__ import annotations

import pytest

from auditor.detect.numbers import NumberMention, compare, figure_cues, written_nearby
from auditor.lang.en_figures import date_atoms, quantity_atoms
from auditor.result import Document, FindingKind, Severity


@pytest.fixture(scope="module", params=["all", "cues"])
def number_auditor(auditor, request):
    """The numbers detector with every sentence parsed, and with fast mode's `ParseScope.CUES`
    (only sentences whose figures the aligned reference sentence does not write): the cases
    below hold for both."""
    from auditor import Auditor
    from auditor.config import AuditConfig

    mine = Auditor(config=AuditConfig(parse_scope=request.param), encoder=auditor.encoder,
                   detectors=["numbers"])
    mine.resources = auditor.resources
    return mine


def _date(text: str) -> NumberMention:
    return NumberMention("date", text, 0, len(text), date_atoms(text))


def _qty(text: str) -> NumberMention:
    return NumberMention("quantity", text, 0, len(text), quantity_atoms(text))


@pytest.mark.parametrize("text, atoms", [
    ("from June 29 to 30", {("month", 6), ("day", 29), ("day", 30)}),
    ("August 1st to 3rd", {("month", 8), ("day", 1), ("day", 3)}),
    ("2019-07-11", {("year", 2019), ("month", 7), ("day", 11)}),
    ("Thu 11th July 2019", {("weekday", 3), ("day", 11), ("month", 7), ("year", 2019)}),
    ("1910-1945", {("year", 1910), ("year", 1945)}),
    ("around the end of the month", set()),
])
def test_date_atoms(text, atoms):
    assert date_atoms(text) == frozenset(atoms)


@pytest.mark.parametrize("text, values", [
    ("six kilometers", {6.0}), ("6 kilometers", {6.0}), ("1,200 dollars", {1200.0}),
    ("almost two-thirds", {0.667}), ("3 million", {3_000_000.0}), ("2.5 percent", {2.5}),
    ("a million light-years", {1_000_000.0}), ("a hundred thousand years", {100_000.0}),
    ("two hundred thousand", {200_000.0}), ("half a million", {500_000.0}),
    ("two and a half million", {2_500_000.0}), ("one and a half", {1.5}),
    ("3 and a quarter miles", {3.25}),
])
def test_quantity_atoms(text, values):
    assert quantity_atoms(text) == frozenset(("value", v) for v in values)


@pytest.mark.parametrize("text, scale", [
    ("the first few million years", 1e6), ("several billion dollars", 1e9),
    ("millions of people", 1e6), ("hundreds of thousands", 1e5),
])
def test_a_vague_quantity_keeps_its_order_of_magnitude(text, scale):
    assert quantity_atoms(text) == frozenset({("scale", scale)})


@pytest.mark.parametrize("mt, ref, verdict", [
    (_date("June 29 to 30"), _date("June 30"), "changed"),
    (_date("June 30"), _date("June 30"), None),
    (_date("June"), _date("June 30, 2019"), None),
    (_date("June 29"), _date("July 3"), "disagrees"),
    (_date("August 1st to 3rd"), _date("around the end of the month"), "unconfirmed"),
    (_qty("six kilometers"), _qty("6 kilometers"), None),
    (_qty("1,200 workers"), _qty("1,500 workers"), "disagrees"),
    (_qty("a few billion years"), _qty("a few million years"), "disagrees"),
    (_qty("two million years"), _qty("a few million years"), None),
    (_qty("several million people"), _qty("3 billion people"), "disagrees"),
    (_qty("thousands of people"), _qty("300 people"), "disagrees"),
])
def test_compare(mt, ref, verdict):
    outcome = compare(mt, [ref])
    assert (outcome[0] if outcome else None) == verdict


def _audit(number_auditor, mt: str, ref: str):
    return number_auditor.audit(Document(mt, "mt"), [Document(ref, "ref")])


def test_changed_figure_is_a_major_number_finding(number_auditor):
    result = _audit(number_auditor,
                    "The plant in Ohio employs 1,200 workers and makes car batteries.",
                    "The plant in Ohio employs 1,500 workers and makes car batteries.")
    found = [f for f in result.findings if f.kind is FindingKind.NUMBER]
    assert len(found) == 1
    assert found[0].mt_text == "1,200"
    assert found[0].severity is Severity.MAJOR
    assert found[0].reference is not None and found[0].reference.text == "1,500"


def test_range_against_single_date(number_auditor):
    result = _audit(number_auditor,
                    "The president visited Seoul from June 29 to 30 for talks on trade.",
                    "The president visited Seoul on June 30 for talks on trade.")
    found = [f for f in result.findings if f.kind is FindingKind.NUMBER]
    assert [(f.mt_text, f.severity) for f in found] == [("June 29 to 30", Severity.MAJOR)]


@pytest.mark.parametrize("mt, flagged", [
    ("Under the new policy, each patient saves about $8,000 on an implant.", True),
    ("Under the new policy, each patient saves about 8,000 yuan on an implant.", False),
    ("Under the new policy, each patient saves about RMB 8,000 on an implant.", False),
    ("Under the new policy, each patient saves about 8,000 on an implant.", False),
])
def test_same_figure_in_another_currency(number_auditor, mt, flagged):
    ref = "Under the new policy, each patient saves about 8,000 yuan on an implant."
    found = [f for f in _audit(number_auditor, mt, ref).findings
             if f.kind is FindingKind.NUMBER]
    assert [(f.severity, f.reference.text) for f in found if f.reference] == (
        [(Severity.MAJOR, "about 8,000 yuan")] if flagged else [])


def test_figures_of_different_things_are_not_compared(number_auditor):
    result = _audit(number_auditor,
                    "The galaxy is one million light-years away and the lake is four kilometers "
                    "wide.",
                    "The galaxy is a million light-years away and the lake is six kilometers "
                    "wide.")
    found = [f for f in result.findings if f.kind is FindingKind.NUMBER]
    assert [(f.mt_text, f.severity) for f in found] == [("four kilometers", Severity.MAJOR)]


def test_an_amount_of_time_is_a_quantity_not_a_date(number_auditor):
    found = [f for f in _audit(number_auditor, "The negotiations lasted two weeks in the end.",
                               "The negotiations lasted three weeks in the end.").findings
             if f.kind is FindingKind.NUMBER]
    assert [(f.mt_text, f.severity) for f in found] == [("two weeks", Severity.MAJOR)]
    nights = _audit(number_auditor, "The images were taken over five nights in the desert.",
                    "The images were taken over three nights in the desert.").findings
    assert [(f.mt_text, f.severity) for f in nights if f.kind is FindingKind.NUMBER] == [
        ("five nights", Severity.MAJOR)]
    same = _audit(number_auditor, "The images were taken over 3 nights in the desert.",
                  "The images were taken over three nights in the desert.")
    assert [f for f in same.findings if f.kind is FindingKind.NUMBER] == []
    same = _audit(number_auditor, "The universe is about 14 billion years old, he said.",
                  "The universe is about fourteen billion years old, he said.")
    assert [f for f in same.findings if f.kind is FindingKind.NUMBER] == []


def test_a_vague_figure_of_another_magnitude_is_a_major_finding(number_auditor):
    found = [f for f in _audit(
        number_auditor,
        "The study explains how giant planets grow in the first few billion years of a star.",
        "The study explains how giant planets grow in the first few million years of a star.",
    ).findings if f.kind is FindingKind.NUMBER]
    assert [(f.severity, "billion" in f.mt_text) for f in found] == [(Severity.MAJOR, True)]


@pytest.mark.parametrize("mt, ref", [
    ("The plant in Ohio employs six hundred workers.", "The plant in Ohio employs 600 workers."),
    ("Millions of people watched the launch on television.",
     "Around two million people watched the launch on television."),
    ("The president visited Seoul on June 30 for talks.",
     "On June 30 the president visited Seoul for talks."),
    ("Boeing 737 jets were grounded in March after the crash.",
     "Boeing 787 jets were grounded in March after the crash."),
    ("The minister met farmers in the province to discuss the harvest.",
     "The minister met farmers in the province to discuss the harvest."),
])
def test_agreeing_or_name_digits_give_no_finding(number_auditor, mt, ref):
    result = _audit(number_auditor, mt, ref)
    assert [f for f in result.findings if f.kind is FindingKind.NUMBER] == []


@pytest.mark.parametrize("text, same_as", [
    ("six workers", "6 workers"), ("a 1,200-strong force", "a 1200-strong force"),
    ("two decades ago", "two decades ago"),
])
def test_figure_cues_read_words_and_numerals_alike(text, same_as):
    assert figure_cues(text) == figure_cues(same_as) != frozenset()


def test_figure_cues_keep_what_a_number_counts():
    # the same numbers and words, but "two" no longer counts billions of years
    assert not figure_cues("Two billion years ago, two black holes collided.") <= figure_cues(
        "Imagine this, two black holes collided a billion years ago.")


def test_a_figure_written_next_to_the_aligned_sentence_is_carried():
    mention = _qty("30 kilometers")
    assert written_nearby(mention, figure_cues("Let's say, put it in an orbit 30 kilometers "
                                               "away from the black-hole sun."))
    assert not written_nearby(mention, figure_cues("It was compressed into six kilometers."))
    assert not written_nearby(_date("June 29"), figure_cues("On July 29 he left."))


def test_cues_scope_parses_only_sentences_whose_figures_the_reference_lacks(auditor):
    from auditor import Auditor
    from auditor.config import AuditConfig
    from auditor.detect.base import Resources

    mt = ("The plant in Ohio employs 1,200 workers. It opened in March 2015 with six lines. "
          "The mayor visited the plant last week.")
    ref = ("The plant in Ohio employs 1,500 workers. It opened in March 2015 with 6 lines. "
           "The mayor visited the plant last month.")
    mine = Auditor(config=AuditConfig(parse_scope="cues"), encoder=auditor.encoder,
                   detectors=["numbers"])
    # the shared spaCy pipeline, with an empty parse cache of its own
    mine.resources = Resources(encoder=auditor.encoder, nlp_loader=lambda: auditor.resources.nlp)
    result = mine.audit(Document(mt, "mt"), [Document(ref, "ref")])
    assert [f.mt_text for f in result.findings] == ["1,200"]
    # parsed: the MT sentence with a figure its aligned sentence lacks, and that sentence;
    # not the one whose figures agree, nor the one with a bare time word ("last week" has no
    # figure to compare), nor the agreeing sentence next to the aligned one
    assert sorted(mine.resources._parses) == ["The plant in Ohio employs 1,200 workers.",
                                              "The plant in Ohio employs 1,500 workers."]


def test_seed_number_findings(seed_result, annotation):
    found = {f.mt_text: f for f in seed_result.findings if f.kind is FindingKind.NUMBER}
    assert "June 29 to 30" in found and found["June 29 to 30"].severity is Severity.MAJOR
    assert found["June 29 to 30"].reference.text == "June 30"
    gold = [g["mt_text"] for g in annotation["findings"] if g["kind"] == "number"]
    hits = [g for g in gold if any(text in g for text in found)]
    assert len(hits) >= 2


def test_figure_cues_of_recurring_words_keep_their_case_and_neighbour():
    """A word's cue is memoised (`_word_cue`): "March" the month and "march" the verb stay
    apart however often each is read, and a number's cue still pairs it with the word after
    it in each sentence."""
    for _ in range(2):
        assert ("name", "mar") in figure_cues("In March they left the city.")
        assert ("name", "mar") not in figure_cues("They march on the city.")
        assert {("value", 2.0), ("billion", 2.0)} <= figure_cues("two billion years")
        assert ("black", 2.0) in figure_cues("Two black holes collided.")
