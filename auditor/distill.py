"""Build step: distil the bundled all-MiniLM-L6-v2 into static token embeddings (fast mode).

    python -m auditor.distill [--force]

Model2Vec's recipe (Tulkens & van Dongen 2024, `model2vec.distill`, defaults of 0.10), run
through the ONNX copy of the model this package already exports (`auditor.export_onnx`):
1. every token of the vocabulary but the special and `[unusedN]` ones goes through the model
   as `[CLS] token [SEP]`, mean-pooled over those three positions (the graph's vector before
   its L2 normalisation);
2. PCA to 256 dimensions (eigendecomposition of the covariance, model2vec's sign convention);
3. Zipf/SIF weighting: the token of rank r (vocabulary order) is scaled by
   1e-4 / (1e-4 + p(r)), p(r) proportional to 1 / (r + 2);
4. stored as float16 in model2vec's own format (`StaticModel.save_pretrained`), so plain
   `model2vec.StaticModel.from_pretrained` loads it.
Why not `model2vec[distill]` itself: it needs torch and transformers < 5.4; in a fresh build
venv pip resolves that to torch 2.14 with the CUDA 13 wheels (several GB of downloads, 69 s
just to resolve here), too heavy for a build step a CI machine repeats. The tokenizer is the
bundled model's own `tokenizer.json`: model2vec drops the special and unused tokens from the
vocabulary; here their rows are zero and never read (no special tokens are added when
encoding, `[UNK]` is skipped), which leaves every other token's id, vector and weight the same.
The folder is written under a temporary name and renamed, so a concurrent first use never
reads half a model.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from auditor.errors import ModelError

# Bumped when the recipe changes, so an older cached model is not reused.
DISTILL_VERSION = "1"
# Bumped when the gloss table's recipe (`build_gloss_table`) changes.
GLOSS_VERSION = "1"
# Glosses averaged per Chinese headword: on the news dev data, MT sentences found their own
# source segment among the document's (cosine rank 1) for 89% with the first gloss, 92% with
# two, 95.5% with four, 95.2% with eight (multilingual USE: 98.7%).
MAX_GLOSSES = 4
PCA_DIMS = 256
SIF_COEFFICIENT = 1e-4
UNUSED = re.compile(r"\[unused\d+\]")
BATCH = 512


def _mean_pooled_session(onnx_path: Path):  # noqa: ANN202 - onnxruntime.InferenceSession
    """The exported MiniLM graph with its mean-pooled vector (before L2 normalisation) as an
    extra output: model2vec pools the raw hidden states."""
    import onnx
    import onnxruntime as ort

    model = onnx.load(str(onnx_path))
    final = next(n for n in model.graph.node if "sentence_vector" in n.output)
    if final.op_type != "Div":
        raise ModelError(f"unexpected ONNX graph in {onnx_path}: delete it to export it again")
    mean = onnx.helper.make_tensor_value_info(final.input[0], onnx.TensorProto.FLOAT, None)
    model.graph.output.append(mean)
    options = ort.SessionOptions()
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(model.SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    return session, final.input[0]


def token_vectors(onnx_path: Path, token_ids: Sequence[int], cls_id: int, sep_id: int
                  ) -> np.ndarray:
    """Mean-pooled MiniLM output of `[CLS] token [SEP]` for every token id, (n, 384)."""
    session, output = _mean_pooled_session(onnx_path)
    ids = np.asarray(token_ids, dtype=np.int64)
    out = np.zeros((len(ids), 384), np.float32)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        batch = np.stack([np.full_like(chunk, cls_id), chunk, np.full_like(chunk, sep_id)], 1)
        (vectors,) = session.run([output], {"input_ids": batch,
                                            "attention_mask": np.ones_like(batch)})
        out[start : start + len(chunk)] = vectors
    return out


def pca(x: np.ndarray, dims: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, components (dims, d) with model2vec's sign convention (the largest score of each
    component positive), and the transformed rows."""
    mean = x.mean(axis=0)
    centred = x - mean
    cov = (centred.T @ centred) / (len(x) - 1)
    _, eigvecs = np.linalg.eigh(cov)
    components = eigvecs[:, ::-1][:, :dims].T
    scores = centred @ components.T
    top = np.argmax(np.abs(scores), axis=0)
    signs = np.sign(scores[top, np.arange(dims)])
    return mean, components * signs[:, None], scores * signs


def zipf_weights(n: int, sif: float = SIF_COEFFICIENT) -> np.ndarray:
    """SIF weight of the token of each rank, word frequency estimated by Zipf's law."""
    inv_rank = 1.0 / np.arange(2, n + 2)
    proba = inv_rank / inv_rank.sum()
    return sif / (sif + proba)


def distill(target: Path) -> Path:
    """Distil the bundled MiniLM into `target` (a model2vec folder)."""
    try:
        from model2vec import StaticModel
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise ModelError(f"cannot build the fast model: package {exc.name} is not installed"
                         ) from None
    from auditor.embed import MINILM_MODEL, _minilm_dir, ensure_onnx_model

    tokenizer = Tokenizer.from_file(str(_minilm_dir() / "tokenizer.json"))
    vocab = tokenizer.get_vocab()
    special = {t.content for t in tokenizer.get_added_tokens_decoder().values()}
    kept = sorted(i for tok, i in vocab.items() if tok not in special and not UNUSED.fullmatch(tok))
    cls_id, sep_id = vocab["[CLS]"], vocab["[SEP]"]
    raw = token_vectors(ensure_onnx_model(), kept, cls_id, sep_id)
    raw = np.nan_to_num(raw)
    _, _, reduced = pca(raw.astype(np.float64), PCA_DIMS)
    reduced *= zipf_weights(len(kept))[:, None]
    embeddings = np.zeros((len(vocab), PCA_DIMS), np.float16)
    embeddings[kept] = reduced.astype(np.float16)
    config = {
        "model_type": "model2vec", "architectures": ["StaticModel"],
        "tokenizer_name": MINILM_MODEL, "apply_pca": PCA_DIMS,
        "sif_coefficient": SIF_COEFFICIENT, "hidden_dim": PCA_DIMS, "seq_length": 1000000,
        "normalize": True, "pooling": "mean",
        "distilled_by": f"auditor.distill {DISTILL_VERSION} (model2vec recipe, ONNX MiniLM)",
    }
    model = StaticModel(vectors=embeddings, tokenizer=tokenizer, config=config,
                        normalize=True, base_model_name=MINILM_MODEL)
    return _published(target, model.save_pretrained)


def _published(target: Path, write: Callable[[Path], object]) -> Path:
    """`write` fills a temporary folder beside `target`, which is then renamed into place, so
    a reader (or a second process building the same cache) never sees half a folder."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=target.name, suffix=".part", dir=target.parent))
    try:
        write(tmp)
        tmp.chmod(0o755)  # mkdtemp and safetensors make files private; the cache is shared
        for f in tmp.iterdir():
            f.chmod(0o644)
        try:
            tmp.rename(target)
        except OSError:  # another process finished first: keep its copy
            if not target.exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def headword_glosses() -> dict[str, list[str]]:
    """Every CC-CEDICT headword (simplified and traditional) and its English glosses in file
    order, each ";"-separated sense one gloss (cross-references and notes dropped)."""
    from auditor.lang.cedict import load_cedict

    out: dict[str, list[str]] = {}
    for entry in load_cedict().entries():
        senses = [p.strip() for g in entry.english for p in g.split(";") if p.strip()]
        if not senses:
            continue
        for form in dict.fromkeys((entry.simplified, entry.traditional)):
            glosses = out.setdefault(form, [])
            glosses += [s for s in senses if s not in glosses]
    return out


def build_gloss_table(target: Path, static) -> Path:  # noqa: ANN001 - embed.StaticEncoder
    """Fast mode's Chinese word vectors (`auditor.embed.GlossEncoder`): per headword, the mean
    over its first `MAX_GLOSSES` glosses of each gloss's mean static token row (the vector the
    static model gives the gloss, before normalisation: a frequent word's rows are small, as its
    English counterparts' are). Headwords with the same glosses share a row. Written as
    `vectors.npy` (float16) and `words.tsv` (headword, row) under a temporary name and renamed."""
    glosses = headword_glosses()
    rows: dict[tuple[str, ...], int] = {}
    words = []
    for word, senses in glosses.items():
        key = tuple(senses[:MAX_GLOSSES])
        words.append(f"{word}\t{rows.setdefault(key, len(rows))}")
    texts = [g for key in rows for g in key]
    owner = np.repeat(np.arange(len(rows)), [len(key) for key in rows])
    gloss_vectors = np.zeros((len(texts), static.dimension), np.float32)
    for start in range(0, len(texts), 10_000):
        chunk = static.token_rows(texts[start:start + 10_000])
        for k, tokens in enumerate(chunk):
            if len(tokens):
                gloss_vectors[start + k] = tokens.mean(axis=0)
    table = np.zeros((len(rows), static.dimension), np.float32)
    np.add.at(table, owner, gloss_vectors)
    table /= np.bincount(owner, minlength=len(rows))[:, None]

    def write(folder: Path) -> None:
        np.save(folder / "vectors.npy", table.astype(np.float16))
        (folder / "words.tsv").write_text("\n".join(words), encoding="utf-8")

    return _published(target, write)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="distil even if cached")
    args = parser.parse_args(argv)
    from auditor.embed import fast_model_path

    target = fast_model_path()
    t0 = time.perf_counter()
    if args.force and target.exists():
        shutil.rmtree(target)
    if not target.exists():
        try:
            distill(target)
        except ModelError as exc:
            print(f"auditor: error: {exc}", file=sys.stderr)
            return 2
    print(f"{target} ({time.perf_counter() - t0:.1f} s)")
    from auditor.embed import StaticEncoder, gloss_table_path

    table = gloss_table_path()
    t0 = time.perf_counter()
    if args.force and table.exists():
        shutil.rmtree(table)
    if not table.exists():
        build_gloss_table(table, StaticEncoder())
    print(f"{table} ({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
