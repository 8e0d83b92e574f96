"""auditor.metrics: all pairs' chrF and BLEU at once, equal to sacrebleu's sentence scores."""

from __future__ import annotations

import pytest
from sacrebleu.metrics import BLEU, CHRF

from auditor.metrics import bleu_scores, chrf_scores
from tests.conftest import MT_SEED, REF_SEEDS

# Texts where the counting can go wrong: empty sides, a reference shorter than an n-gram order
# (sacrebleu then counts no hypothesis n-grams of that order), whitespace only, repeats
# (clipped counts), characters outside the basic plane, Chinese against English.
EDGES = [
    ("", "abc"), ("abc", ""), ("", ""), ("  ", "a"), ("a", "abcdefg"), ("abcdefgh", "ab"),
    ("x y", "x  y"), ("aaaaaa aaaa", "aaaa"), ("the the the cat .", "the cat sat on the mat ."),
    ("😀😀 a", "😀 a"), ("北京 欢迎你", "北京欢迎你。"), ("Beijing welcomes you.", "北京欢迎你。"),
    ("It cost $8,000 (about 1.2m yuan).", "It cost 8,000 dollars, about 1.2 million yuan."),
]


def _lines(path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def _seed_pairs() -> list[tuple[str, str]]:
    """Every seed MT line against every line of the first reference, and the whole texts."""
    mt, ref = _lines(MT_SEED), _lines(REF_SEEDS[0])
    whole = [(" ".join(mt), " ".join(_lines(r))) for r in REF_SEEDS]
    return [(h, r) for h in mt for r in ref] + whole


@pytest.mark.parametrize("pairs", [EDGES, _seed_pairs(), [EDGES[-1]]], ids=["edges", "seeds",
                                                                             "one"])
def test_scores_equal_sacrebleu(pairs):
    chrf, bleu = CHRF(), BLEU(effective_order=True)
    assert chrf_scores(pairs) == [chrf.sentence_score(h, [r]).score for h, r in pairs]
    assert bleu_scores(pairs) == [bleu.sentence_score(h, [r]).score for h, r in pairs]


def test_many_distinct_characters_rerank():
    """Thousands of distinct characters do not fit six to an int64 key: the keys are re-ranked
    between orders, and the scores still equal sacrebleu's."""
    alphabet = [chr(0x4E00 + k) for k in range(3000)]
    hyp = "".join(alphabet[k * 7 % 3000] for k in range(2500))
    ref = "".join(alphabet[k * 7 % 3000] for k in range(1200, 3700))
    pairs = [(hyp, ref), (ref[:50], hyp[:60])]
    assert chrf_scores(pairs) == [CHRF().sentence_score(h, [r]).score for h, r in pairs]


def test_no_pairs():
    assert chrf_scores([]) == [] and bleu_scores([]) == []
