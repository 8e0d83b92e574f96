"""The learned quality score: shipped weights, per-sentence quality, `overall`, mistranslations.

Real bundled models on real inputs: the seed MT against its two references, and a
hand-written Chinese source with a faithful and a garbled English translation.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from auditor.quality import (
    FEATURES,
    POINTS_PER_PENALTY,
    LinearHead,
    SentenceEvidence,
    SentenceQuality,
    SideEvidence,
    document_context,
    document_quality,
    load_weights,
    predict_quality,
)
from auditor.result import Document, FindingKind
from tests.test_source import FAITHFUL, SRC

GARBLED = (
    "Li Ming is engineer of Beijing science company one. "
    "Every morning seven he bicycle rides the work going. "
    "The weather in the city has been unusually warm this winter. "
    "Company last year income arrived 2.5 hundred million. "
    "Peng Peiao state secretary America visited company this. "
    "Future cooperation possibility sides two discussing."
)


def test_shipped_weights_name_known_features_with_safe_signs():
    weights = load_weights()
    assert {"reference", "source"} <= set(weights.penalty)
    for heads in (weights.penalty, weights.major):
        for head in heads.values():
            assert set(head.features) <= set(FEATURES)
            # every feature is oriented "higher is worse": no weight may reward it
            assert all(c >= 0 for c in head.coef)
    for minor, major in weights.mistranslation.values():
        assert 0.5 <= minor <= major <= 1
    # a reference audit does not need the multilingual encoder
    assert not weights.reads("ref_use_distance", "reference")


def test_linear_head_standardises_then_applies_the_link():
    head = LinearHead(("a", "b"), (1.0, 0.0), (2.0, 1.0), (0.5, -1.0), 0.25, "identity")
    x = np.array([[3.0, 1.0]])
    assert head.predict(x)[0] == pytest.approx(0.25 + 0.5 * 1.0 - 1.0)
    logistic = LinearHead(("a",), (0.0,), (1.0,), (1.0,), 0.0, "logistic")
    assert logistic.predict(np.array([[0.0]]))[0] == pytest.approx(0.5)
    poisson = LinearHead(("a",), (0.0,), (1.0,), (0.5,), 1.0, "log")
    assert poisson.predict(np.array([[2.0]]))[0] == pytest.approx(np.exp(2.0))


def test_signature_records_the_weights(auditor, seed_result):
    tag = load_weights().tag
    assert seed_result.signature.short().endswith(f"|q:{tag}")
    assert seed_result.signature.to_dict()["quality"] == tag


def test_seed_mt_ranks_poor(seed_result):
    """The garbled seed MT stays in the bottom quarter of the 0-100 scale."""
    assert seed_result.scores.overall < 25


def test_overall_is_the_word_weighted_mean_sentence_quality(seed_result):
    """Up to the sentences clipped at 0, whose whole penalty still counts."""
    from auditor.score import word_count

    q = np.array([s.quality for s in seed_result.sentence_scores])
    w = np.array([word_count(s.text) for s in seed_result.mt.sentences], dtype=float)
    assert ((q >= 0) & (q <= 100)).all()
    mean_quality = float((q * w).sum() / w.sum())
    assert seed_result.scores.overall <= mean_quality + 1e-9
    if (q > 0).all():
        assert seed_result.scores.overall == pytest.approx(mean_quality)
    data = json.loads(seed_result.to_json())
    assert [s["quality"] for s in data["sentences"]] == [round(x, 2) for x in q]


def test_overall_keeps_apart_documents_whose_bad_sentences_are_all_at_zero():
    """Two sentences expected to carry 10 points each, or one of 10 and one of 40: both are at
    quality 0, but the second document is worse and its overall says so."""
    def sentence(penalty: float) -> SentenceQuality:
        return SentenceQuality(0, penalty, 0.5, max(0.0, 100 - POINTS_PER_PENALTY * penalty))

    words = [10, 10, 40]
    bad = document_quality([sentence(0.5), sentence(10.0), sentence(0.0)], [10, 10, 40])
    worse = document_quality([sentence(0.5), sentence(40.0), sentence(0.0)], words)
    assert 0 <= worse < bad <= 100
    clean = document_quality([sentence(0.0), sentence(0.0), sentence(0.0)], words)
    assert clean == 100


def test_faithful_translation_scores_above_a_garbled_one(auditor):
    src = Document(SRC, "src.txt", "zh")
    faithful = auditor.audit(Document(FAITHFUL), source=src)
    garbled = auditor.audit(Document(GARBLED), source=src)
    assert faithful.scores.overall > garbled.scores.overall + 10
    # against a reference instead of the source, the same order
    ref = Document(FAITHFUL, "ref.txt")
    garbled_ref = auditor.audit(Document(GARBLED), [ref])
    paraphrase = auditor.audit(Document(FAITHFUL.replace("rides his bicycle", "cycles")), [ref])
    assert paraphrase.scores.overall > garbled_ref.scores.overall + 10


def test_mistranslation_findings_cover_only_unexplained_sentences(seed_result):
    mine = [f for f in seed_result.findings if f.detector == "quality"]
    others = {f.mt_sentence for f in seed_result.findings if f.detector != "quality"}
    for f in mine:
        assert f.kind == FindingKind.MISTRANSLATION
        assert f.mt_sentence not in others
        assert "probability of a Major error" in f.evidence and "similarity" in f.evidence
        sentence = seed_result.mt.sentences[f.mt_sentence]
        assert (f.mt_start, f.mt_end, f.mt_text) == (sentence.start, sentence.end, sentence.text)


def test_sentence_quality_reads_what_the_rest_of_the_document_says():
    """The same sentence is judged likelier wrong when the audit found errors in the rest of
    its document (a sign of the system that wrote it): a flagged neighbour against the source,
    a repeating one against a reference."""
    weights = load_weights()
    side = SideEvidence(True, 0.62, 0.62, math.nan, 0.2, -0.4)
    clean = SentenceEvidence(index=0, words=12, cjk_share=0.0, ref=None, src=side, findings=())
    twin = replace(clean, index=1)
    flagged = replace(twin, findings=(("omission", "major"),))
    assert document_context([clean, flagged]) == {"doc_flagged": 0.5, "doc_fluency": 0.0}
    alone = predict_quality([clean, twin], weights, "source")
    beside = predict_quality([clean, flagged], weights, "source")
    assert beside[0].penalty > alone[0].penalty
    ref_clean = replace(clean, ref=replace(side, chrf=40.0, log_length=0.0), src=None)
    repeating = replace(ref_clean, index=1, findings=(("repetition", "minor"),))
    assert document_context([ref_clean, repeating]) == {"doc_flagged": 0.5, "doc_fluency": 0.5}
    alone = predict_quality([ref_clean, replace(ref_clean, index=1)], weights, "reference")
    beside = predict_quality([ref_clean, repeating], weights, "reference")
    assert beside[0].penalty > alone[0].penalty


def test_cjk_share_counts_what_isspace_calls_space():
    """`_cjk_share` counts the non-space characters through `str.split`: the count a loop over
    `isspace` gives, on the seed article with Chinese left in and with every code point that
    `isspace` calls space between its words."""
    import sys

    from auditor.lang.scripts import cjk_text_count
    from auditor.quality import _cjk_share
    from tests.conftest import MT_SEED

    spaces = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
    text = MT_SEED.read_text(encoding="utf-8")
    for sample in (text, text.replace(" ", spaces) + " 康京和10日晚与美国国务卿通电话 ", spaces):
        chars = sum(1 for ch in sample if not ch.isspace())
        assert _cjk_share(sample) == (cjk_text_count(sample) / chars if chars else 0.0)
    assert _cjk_share(text + "康京和") > 0
