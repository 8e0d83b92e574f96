"""Thresholds and switches of one audit. They all go into the signature.

Defaults come from general reasoning about the measures, not from the seed articles:
- `margin_threshold`: ratio-margin score (Artetxe & Schwenk 2019) above which a sentence pair
  counts as parallel; 1.0 means "more similar than the pair's neighbourhood average". 1.10 was
  chosen on a comparable-alignment proxy built from the TED MQM data (MT vs shuffled, thinned
  human reference; benchmarks/align_benchmark.py), not on the seeds.
- `lexical_weight`: share of TF-IDF word overlap in the similarity used to align comparable
  reports (the rest is embedding cosine); see `align.lexical_similarity`.
- `min_similarity`: floor on raw cosine, so that margin alone cannot link two unrelated sentences
  in a tiny document where every neighbour is unrelated.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from enum import Enum
from typing import Any


class AlignMode(str, Enum):
    COMPARABLE = "comparable"  # independent reports of one event: any order, gaps allowed
    PARALLEL = "parallel"  # a true translation pair: monotonic, Bertalign-style DP


@dataclass(frozen=True)
class AuditConfig:
    mode: AlignMode = AlignMode.COMPARABLE
    margin_k: int = 4
    margin_threshold: float = 1.10
    min_similarity: float = 0.40
    merge_delta: float = 0.05
    max_merge: int = 3
    lexical_weight: float = 0.25
    source_min_similarity: float = 0.30
    max_input_bytes: int = 5_000_000

    def with_(self, **changes: Any) -> AuditConfig:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["mode"] = self.mode.value
        return out
