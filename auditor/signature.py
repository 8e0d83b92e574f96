"""A reproducibility signature in the spirit of sacrebleu's BLEUSignature.

Two reports are comparable only when their signatures match: same auditor version, model,
segmenter, alignment mode and thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from typing import Any

from auditor import __version__
from auditor.config import AuditConfig

# Packages whose versions change results; recorded in every signature.
_TRACKED = ("sentence-transformers", "torch", "sacrebleu", "pysbd", "spacy", "numpy")
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

    @classmethod
    def build(
        cls, model: str, config: AuditConfig, detectors: tuple[str, ...] = ()
    ) -> AuditSignature:
        return cls(
            auditor=__version__,
            model=model,
            segmenter=f"pysbd-{_version('pysbd')}",
            config=config,
            packages=tuple((p, _version(p)) for p in _TRACKED),
            detectors=detectors,
        )

    def short(self) -> str:
        """One line, stable field order; golden-tested."""
        cfg = self.config.to_dict()
        parts = [f"auditor:{self.auditor}", f"model:{self.model}", f"seg:{self.segmenter}"]
        parts += [f"{_ABBREV[k]}:{cfg[k]}" for k in _ABBREV]
        if self.detectors:
            parts.append("det:" + "+".join(self.detectors))
        return "|".join(parts)

    def long(self) -> str:
        return self.short() + "|" + "|".join(f"{p}:{v}" for p, v in self.packages)

    def to_dict(self) -> dict[str, Any]:
        return {
            "auditor": self.auditor,
            "model": self.model,
            "segmenter": self.segmenter,
            "config": self.config.to_dict(),
            "packages": dict(self.packages),
            "detectors": list(self.detectors),
            "short": self.short(),
        }

    def __str__(self) -> str:
        return self.short()
