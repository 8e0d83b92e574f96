"""Units several detectors share, built once per audit: the clauses of the MT and of each
reference, their vectors (one encoder call) and the idf weights of their content words.

Detectors reach them through `AuditContext.clause_tables()`; the content detector judges support
with them, the numbers detector finds a figure's counterpart clause with them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from auditor.detect.clauses import Clause, split_clauses, with_sentence_units
from auditor.embed import Encoder
from auditor.result import MT_DOC

if TYPE_CHECKING:
    from auditor.detect.base import AuditContext


def idf_weights(sentence_contents: Sequence[frozenset[str]]) -> dict[str, float]:
    """Smoothed inverse document frequency over sentences: log((N + 1) / (df + 1)) + 1."""
    n = len(sentence_contents)
    df = Counter(w for words in sentence_contents for w in words)
    return {w: math.log((n + 1) / (c + 1)) + 1.0 for w, c in df.items()}


@dataclass(frozen=True)
class ClauseTables:
    """Clauses of the MT and of each reference, candidate units, vectors and word weights.

    `mt_units` / `ref_units[d]` are the clauses plus whole multi-clause sentences: the
    candidates a clause of the other side can be supported by.
    """

    mt: list[list[Clause]]
    refs: list[list[list[Clause]]]
    mt_units: list[Clause]
    ref_units: list[list[Clause]]
    vectors: dict[tuple[int, int, int], np.ndarray]
    idf: dict[str, float]

    def flat_mt(self) -> list[Clause]:
        return [c for sent in self.mt for c in sent]

    def flat_ref(self, doc: int) -> list[Clause]:
        return [c for sent in self.refs[doc] for c in sent]

    def ref_candidates(self, doc: int | None = None) -> list[Clause]:
        docs = range(len(self.refs)) if doc is None else [doc]
        return [c for d in docs for c in self.ref_units[d]]

    def matrix(self, clauses: Sequence[Clause]) -> np.ndarray:
        return np.vstack([self.vectors[(c.doc, c.start, c.end)] for c in clauses])

    def sentence_content(self, clause: Clause) -> frozenset[str]:
        side = self.mt if clause.doc == MT_DOC else self.refs[clause.doc]
        return frozenset().union(*(c.content for c in side[clause.sentence]))


def unit_vectors(encoder: Encoder, units: Sequence[Clause]
                 ) -> dict[tuple[int, int, int], np.ndarray]:
    """Vector of each clause or sentence unit, keyed by (doc, start, end), in one encoder call."""
    vectors = encoder.encode([u.text for u in units]) if units else []
    return {(u.doc, u.start, u.end): v for u, v in zip(units, vectors, strict=True)}


def build_clause_tables(ctx: AuditContext) -> ClauseTables:
    """Split MT and references into clauses and embed all units in one encoder call."""
    settings = ctx.config.clauses
    mt = split_clauses(MT_DOC, ctx.parsed(MT_DOC), settings, ctx.mt.pieces)
    refs = [split_clauses(d, ctx.parsed(d), settings, ref.pieces)
            for d, ref in enumerate(ctx.references)]
    mt_units = with_sentence_units(mt, ctx.mt)
    ref_units = [with_sentence_units(r, seg) for r, seg in zip(refs, ctx.references,
                                                                 strict=True)]
    every = mt_units + [c for units in ref_units for c in units]
    table = unit_vectors(ctx.resources.encoder, every)
    sentences = [frozenset().union(*(c.content for c in s)) for s in mt] + [
        frozenset().union(*(c.content for c in s)) for r in refs for s in r
    ]
    return ClauseTables(mt=mt, refs=refs, mt_units=mt_units, ref_units=ref_units,
                        vectors=table, idf=idf_weights(sentences))


__all__ = ["ClauseTables", "build_clause_tables", "idf_weights", "unit_vectors"]
