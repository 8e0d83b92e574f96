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


def _scipy_similarity(mt: list[str], other: list[str]) -> np.ndarray:
    """The same weights through scipy.sparse, as `lexical_similarity` computed them before it
    was written in numpy (importing scipy.sparse cost a cold audit about 0.13 s of CPU)."""
    from collections import Counter

    from scipy.sparse import csr_matrix

    from auditor.align import _WORD
    from auditor.lang.stop_words import ENGLISH_STOP_WORDS

    n, m = len(mt), len(other)
    vocabulary: dict[str, int] = {}
    indptr, indices, counts = [0], [], []
    for text in [*mt, *other]:
        words = Counter(w for w in _WORD.findall(text.lower()) if w not in ENGLISH_STOP_WORDS)
        for word, count in words.items():
            indices.append(vocabulary.setdefault(word, len(vocabulary)))
            counts.append(count)
        indptr.append(len(indices))
    if not vocabulary:
        return np.zeros((n, m), dtype=np.float32)
    columns = np.asarray(indices, dtype=np.int64)
    weights = 1.0 + np.log(np.asarray(counts, dtype=np.float64))
    idf = np.log((1.0 + n + m) / (1.0 + np.bincount(columns, minlength=len(vocabulary)))) + 1.0
    weights *= idf[columns]
    matrix = csr_matrix((weights, columns, np.asarray(indptr)), shape=(n + m, len(vocabulary)))
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    matrix = csr_matrix(matrix.multiply(1.0 / np.maximum(norms, 1e-300)[:, None]))
    return np.asarray((matrix[:n] @ matrix[n:].T).todense(), dtype=np.float32)


def test_lexical_similarity_is_scipys_bit_for_bit():
    """Written in numpy, the cosines are scipy.sparse's to the last bit (an alignment compares
    them), on the seeds, on the seeds joined into one long document pair, and on texts over
    a tiny vocabulary (repeated words, stop-word-only and empty sentences, rows whose words are
    and are not in vocabulary order)."""
    mt = segment_document(load_document(MT_SEED)).texts
    refs = [segment_document(load_document(p)).texts for p in REF_SEEDS]
    pairs = [(mt, refs[0]), (mt, refs[1]), (refs[0], refs[1]), (mt * 7 + refs[0], refs[1] * 5)]
    rng = np.random.default_rng(3)
    words = np.array(["alpha", "beta", "gamma", "delta", "the", "and", "x", "epsilon", "zeta"])
    for _ in range(300):
        pairs.append(tuple([" ".join(rng.choice(words, rng.integers(0, 12)))
                            for _ in range(rng.integers(1, 5))] for _ in range(2)))
    for a, b in pairs:
        ours, theirs = lexical_similarity(a, b), _scipy_similarity(a, b)
        assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs)
