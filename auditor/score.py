"""Stage 4: scores for aligned pairs, MT sentences and the whole document.

- pair: embedding cosine of the group, sentence chrF and BLEU (sacrebleu) of the joined texts;
- sentence `support`: the best pair similarity the MT sentence gets from any reference (0 when
  no reference has a counterpart);
- document `fidelity`: word-weighted mean support over MT sentences, per reference and combined;
- `coverage`: word-weighted share of a reference's sentences that the MT carries;
- `mqm`: error points per 100 MT words (Minor 1, Major 5, Critical 10), from the findings;
- `overall`: the word-weighted mean of the learned sentence `quality` (auditor/quality.py),
  0..100, higher is better.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from auditor.align import Group, group_similarity
from auditor.lang.scripts import cjk_text_count
from auditor.metrics import bleu_scores, chrf_scores
from auditor.quality import SentenceQuality, document_quality
from auditor.result import (
    SEVERITY_POINTS,
    AlignmentPair,
    DocumentScores,
    Finding,
    SegmentedDocument,
    SentenceScore,
)


def word_count(text: str) -> int:
    """Whitespace words, or characters for scripts written without spaces (CJK)."""
    return max(len(text.split()), cjk_text_count(text), 1)


def score_groups(
    doc: int,
    groups: Sequence[Group],
    mt: SegmentedDocument,
    other: SegmentedDocument,
    mt_vectors: np.ndarray,
    other_vectors: np.ndarray,
    similarities: Sequence[float] | None = None,
) -> list[AlignmentPair]:
    """Score each group; `similarities` (one per group) when the aligner measured them on the
    group's own text, otherwise the cosine of the summed sentence vectors. chrF and BLEU:
    sacrebleu's sentence scores, all groups at once (`auditor.metrics`)."""
    parts = [([mt.sentences[i].text for i in group[0]],
              [other.sentences[j].text for j in group[1]]) for group in groups]
    chrfs = chrf_scores([(" ".join(a), " ".join(b)) for a, b in parts])
    bleus = bleu_scores(parts)  # (sentence by sentence: the same tokens as the joined text)
    return [
        AlignmentPair(
            doc=doc,
            mt=group[0],
            other=group[1],
            # float32 cosines overshoot 1 by an ulp: keep the documented 0..1 range
            similarity=min(1.0, max(0.0, similarities[k] if similarities is not None
                                    else group_similarity(mt_vectors, other_vectors, group))),
            chrf=chrfs[k],
            bleu=bleus[k],
        )
        for k, group in enumerate(groups)
    ]


def score_sentences(
    mt: SegmentedDocument, alignments: Sequence[AlignmentPair]
) -> tuple[SentenceScore, ...]:
    """Each MT sentence's best aligned pair across all documents."""
    best: dict[int, AlignmentPair] = {}
    for pair in alignments:
        for i in pair.mt:
            if i not in best or pair.similarity > best[i].similarity:
                best[i] = pair
    out = []
    for s in mt.sentences:
        pair = best.get(s.index)
        if pair is None:
            out.append(SentenceScore(s.index, 0.0, None, None, 0.0, 0.0, False))
            continue
        out.append(
            SentenceScore(
                index=s.index,
                support=pair.similarity,
                best_doc=pair.doc,
                best_sentence=pair.other[0],
                chrf=pair.chrf,
                bleu=pair.bleu,
                aligned=True,
            )
        )
    return tuple(out)


def _weighted_support(
    mt: SegmentedDocument, alignments: Sequence[AlignmentPair], weights: np.ndarray
) -> float:
    support = np.zeros(len(mt.sentences))
    for pair in alignments:
        for i in pair.mt:
            support[i] = max(support[i], pair.similarity)
    return float((support * weights).sum() / max(weights.sum(), 1e-9))


def _coverage(other: SegmentedDocument, alignments: Sequence[AlignmentPair]) -> float:
    weights = np.array([word_count(s.text) for s in other.sentences], dtype=float)
    covered = np.zeros(len(other.sentences), dtype=bool)
    for pair in alignments:
        covered[list(pair.other)] = True
    return float((weights * covered).sum() / max(weights.sum(), 1e-9))


def _corpus_metrics(mt: SegmentedDocument, references: Sequence[SegmentedDocument]
                    ) -> list[tuple[float, float]]:
    """Document-level chrF and BLEU of the whole MT against each whole reference."""
    texts = [(" ".join(mt.texts), " ".join(other.texts)) for other in references]
    bleus = bleu_scores([(mt.texts, other.texts) for other in references])
    return list(zip(chrf_scores(texts), bleus, strict=True))


def mqm_points(findings: Sequence[Finding], words: int) -> float:
    """MQM-style error points per 100 MT words (Minor 1, Major 5, Critical 10).

    Findings marked `scored=False` (background context only a reference has) do not count.
    """
    points = sum(SEVERITY_POINTS[f.severity] for f in findings if f.scored)
    return 100.0 * points / max(words, 1)


def score_document(
    mt: SegmentedDocument,
    references: Sequence[SegmentedDocument],
    source: SegmentedDocument | None,
    alignments: Sequence[AlignmentPair],
    findings: Sequence[Finding],
    qualities: Sequence[SentenceQuality] = (),
) -> DocumentScores:
    weights = np.array([word_count(s.text) for s in mt.sentences], dtype=float)
    per_ref = [[a for a in alignments if a.doc == d] for d in range(len(references))]
    src_pairs = [a for a in alignments if a.from_source]
    metrics = _corpus_metrics(mt, references)
    ref_pairs = [a for a in alignments if not a.from_source]
    basis = ref_pairs if references else src_pairs
    fidelity = _weighted_support(mt, basis, weights)
    words = int(weights.sum())
    mqm = mqm_points(findings, words)
    return DocumentScores(
        fidelity=fidelity,
        fidelity_per_reference=tuple(_weighted_support(mt, p, weights) for p in per_ref),
        coverage_per_reference=tuple(_coverage(r, p) for r, p in zip(references, per_ref,
                                                                      strict=True)),
        chrf_per_reference=tuple(c for c, _ in metrics),
        bleu_per_reference=tuple(b for _, b in metrics),
        source_fidelity=_weighted_support(mt, src_pairs, weights) if source else None,
        mqm=mqm,
        overall=document_quality(qualities, weights.tolist()) if qualities else 0.0,
        words=words,
    )


def with_quality(
    scores: Sequence[SentenceScore], qualities: Sequence[SentenceQuality]
) -> tuple[SentenceScore, ...]:
    """Sentence scores with the learned quality filled in."""
    return tuple(replace(s, quality=q.quality) for s, q in zip(scores, qualities, strict=True))
