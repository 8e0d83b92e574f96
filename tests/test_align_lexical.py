"""The TF-IDF similarity of comparable alignment is scikit-learn's, without importing it."""

from __future__ import annotations

import numpy as np
import pytest

from auditor.align import lexical_similarity
from auditor.load import load_document
from auditor.segment import segment_document
from tests.conftest import MT_SEED, REF_SEEDS

sklearn_text = pytest.importorskip("sklearn.feature_extraction.text")


def _sklearn_similarity(mt: list[str], other: list[str]) -> np.ndarray:
    vectorizer = sklearn_text.TfidfVectorizer(
        stop_words="english", sublinear_tf=True, token_pattern=r"(?u)\b\w\w+\b")
    matrix = vectorizer.fit_transform(mt + other)
    return np.asarray((matrix[: len(mt)] @ matrix[len(mt):].T).todense(), dtype=np.float32)


def test_stop_words_are_scikit_learns():
    from auditor.lang.stop_words import ENGLISH_STOP_WORDS

    assert ENGLISH_STOP_WORDS == sklearn_text.ENGLISH_STOP_WORDS


def test_lexical_similarity_matches_scikit_learn_on_the_seeds():
    mt = segment_document(load_document(MT_SEED)).texts
    for path in REF_SEEDS:
        ref = segment_document(load_document(path)).texts
        ours = lexical_similarity(mt, ref)
        assert ours.shape == (len(mt), len(ref)) and ours.max() > 0.3
        assert np.allclose(ours, _sklearn_similarity(mt, ref), atol=1e-6)


def test_lexical_similarity_edge_cases():
    odd = ["The the THE the.", "Kang Kyung-wha met Pompeo on June 29 in Bangkok.", "a",
           "Ünïcode 名字 x"]
    other = ["Pompeo met Kang in Bangkok", "of and the", "名字 ünïcode"]
    assert np.allclose(lexical_similarity(odd, other), _sklearn_similarity(odd, other), atol=1e-6)
    assert lexical_similarity(["the and of"], ["it is"]).tolist() == [[0.0]]
    assert lexical_similarity([], ["x"]).shape == (0, 1)
