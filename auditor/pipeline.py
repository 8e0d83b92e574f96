"""The whole pipeline: load and segment -> embed -> align -> score -> detect -> result.

`Auditor` holds the models (loaded once, injected into every stage); `audit` and `audit_batch`
are the library's entry points. Library code never prints or exits.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from auditor.align import (
    Group,
    align_comparable,
    align_parallel,
    cosine_matrix,
    lexical_similarity,
    refine_parallel,
)
from auditor.config import AlignMode, AuditConfig, ParseScope
from auditor.detect import (
    CONTEXTUAL_DETECTORS,
    DEFAULT_DETECTORS,
    FAST_DETECTORS,
    AuditContext,
    Input,
    Resources,
    get_detector,
)
from auditor.detect.coverage import load_models as coverage_models
from auditor.detect.nlp import load_spacy
from auditor.embed import (
    DEFAULT_ENCODER,
    FAST_MODEL,
    GLOSS_MODEL,
    MULTILINGUAL_MODEL,
    Encoder,
    load_encoder,
    load_gloss_encoder,
)
from auditor.load import check_reference_languages, load_document
from auditor.merge import merge_sides
from auditor.quality import (
    COVERAGE_FEATURES,
    FAST_WEIGHTS_FILE,
    WEIGHTS_FILE,
    QualityWeights,
    SentenceEvidence,
    gather_evidence,
    load_weights,
    mistranslation_findings,
    predict_quality,
)
from auditor.result import (
    SOURCE_DOC,
    AlignmentPair,
    AuditResult,
    Document,
    Finding,
    SegmentedDocument,
    finding_order,
)
from auditor.score import score_document, score_groups, score_sentences, with_quality
from auditor.segment import segment_document
from auditor.signature import AuditSignature

if TYPE_CHECKING:
    import pandas as pd

DocumentInput = str | os.PathLike[str] | Document


_NO_SPACE_LANGS = ("zh", "ja")  # sentences of these languages join without a space


def expected_length_ratio(mt: SegmentedDocument, other: SegmentedDocument,
                          config: AuditConfig) -> float:
    """Characters of MT expected per character of `other`: fitted for English (same-language
    references) and Chinese sources, otherwise the two documents' own ratio (Bertalign)."""
    if other.doc.lang == mt.doc.lang == "en":
        return config.length_ratio_en
    if other.doc.lang == "zh" and mt.doc.lang == "en":
        return config.length_ratio_zh
    mt_chars = sum(len(t) for t in mt.texts)
    other_chars = sum(len(t) for t in other.texts)
    return mt_chars / other_chars if mt_chars and other_chars else 1.0


def align_parallel_texts(
    mt: SegmentedDocument,
    other: SegmentedDocument,
    mt_vectors: np.ndarray,
    other_vectors: np.ndarray,
    encoder: Encoder,
    config: AuditConfig,
    min_similarity: float,
) -> tuple[list[Group], list[float] | None]:
    """Parallel alignment: the sum-of-vectors first pass, then (config.parallel_refine) the
    second pass scoring candidate groups from their concatenated text, embedded through
    `encoder` (its cache sends each distinct text to the model once).
    Returns the groups and their cosines (None from the first pass alone)."""
    groups = align_parallel(mt_vectors, other_vectors, min_similarity=min_similarity,
                            merge_delta=config.merge_delta)
    if not config.parallel_refine or not groups:
        return groups, None
    docs = (mt, other)
    joiners = tuple("" if d.doc.lang in _NO_SPACE_LANGS else " " for d in docs)

    def embed_spans(spans: list[tuple[int, int, int]]) -> np.ndarray:
        return encoder.encode([joiners[side].join(docs[side].texts[a:b])
                               for side, a, b in spans])

    return refine_parallel(
        groups, mt_vectors, other_vectors,
        np.array([len(t) for t in mt.texts]), np.array([len(t) for t in other.texts]),
        embed_spans,
        min_similarity=min_similarity, group_delta=config.group_delta,
        size_exponent=config.size_exponent,
        length_weight=config.length_weight,
        length_ratio=expected_length_ratio(mt, other, config),
        anchor_similarity=config.anchor_similarity, window=config.refine_window,
        max_sentences=config.max_group_sentences, pair_gaps=config.pair_single_gaps,
        prune_margin=config.refine_prune_margin, pieces=(mt.pieces, other.pieces),
    )


class Auditor:
    """An MT auditor with its models loaded once. Reuse one instance for many documents.

    `model`: the encoder by name (`auditor.embed.load_encoder`); by default MiniLM in static
    int8 (`DEFAULT_ENCODER`), `all-MiniLM-L6-v2` for the float model.

    `fast=True` (or the encoder `fast`): static embeddings distilled from MiniLM
    (`python -m auditor.distill`), the thresholds refitted for them (`AuditConfig.fast`), the
    quality weights fitted on fast audits, the detectors that need contextual vectors
    (`CONTEXTUAL_DETECTORS`) skipped, and a Chinese source embedded with the static model too
    (`GlossEncoder`: CC-CEDICT glosses, instead of the multilingual USE); the signature
    records all of it."""

    def __init__(
        self,
        model: str = DEFAULT_ENCODER,
        config: AuditConfig | None = None,
        detectors: Sequence[str] | None = None,
        encoder: Encoder | None = None,
        source_encoder: Encoder | None = None,
        quality_weights: QualityWeights | None = None,
        fast: bool = False,
    ):
        if fast:
            if model not in (DEFAULT_ENCODER, FAST_MODEL, "fast"):
                raise ValueError(f"fast mode has its own encoder; model {model!r} cannot be used")
            model = FAST_MODEL
        self.encoder = encoder or load_encoder(model)
        self.fast = self.encoder.name == FAST_MODEL
        self.config = config or AuditConfig()
        if self.fast:
            self.config = self.config.for_fast()
            contextual = [d for d in detectors or () if d in CONTEXTUAL_DETECTORS]
            if contextual:
                raise ValueError(f"detector {contextual[0]!r} needs contextual vectors; "
                                 "fast mode cannot run it")
        self.quality_weights = quality_weights or load_weights(
            FAST_WEIGHTS_FILE if self.fast else WEIGHTS_FILE)
        if detectors is None:
            detectors = FAST_DETECTORS if self.fast else DEFAULT_DETECTORS
        self.detector_ids = tuple(detectors)
        self.detectors = [get_detector(d) for d in self.detector_ids]
        self.resources = Resources(
            encoder=self.encoder,
            source_encoder=source_encoder
            or (self.encoder if self.encoder.multilingual else None),
            nlp_loader=load_spacy,
        )
        source_model = (self.resources.source_encoder.name if self.resources.source_encoder
                        else MULTILINGUAL_MODEL)
        if self.fast:  # Chinese sources on the static vectors, others on the source encoder
            source_model = f"{GLOSS_MODEL}(zh)+{source_model}"
        self.signature = AuditSignature.build(
            self.encoder.name, self.config, self.detector_ids, source_model,
            quality=self.quality_weights.tag, backend=getattr(self.encoder, "backend", ""),
            coverage=coverage_models().tag if "coverage" in self.detector_ids else "",
            skipped=CONTEXTUAL_DETECTORS if self.fast else ())

    def with_config(self, config: AuditConfig) -> Auditor:
        """An Auditor with other settings and the same loaded models (encoders, spaCy): nothing
        is loaded again. Itself when the settings are the same."""
        if self.fast:
            config = config.for_fast()
        if config == self.config:
            return self
        other = Auditor(config=config, detectors=self.detector_ids, encoder=self.encoder,
                        source_encoder=self.resources.source_encoder,
                        quality_weights=self.quality_weights)
        other.resources = self.resources
        return other

    # ---- stage helpers -----------------------------------------------------------------
    def _source_encoder(self, lang: str | None = None) -> Encoder:
        """The multilingual USE; in fast mode, for a Chinese source (`lang` "zh"), the gloss
        encoder on the fast model's static vectors."""
        with self.resources.lock:  # loaded once even when threads ask at the same moment
            if self.fast and lang == "zh":
                if self.resources.gloss_encoder is None:
                    self.resources.gloss_encoder = load_gloss_encoder(self.encoder)
                return self.resources.gloss_encoder
            if self.resources.source_encoder is None:
                self.resources.source_encoder = load_encoder(MULTILINGUAL_MODEL)
            return self.resources.source_encoder

    def _align(
        self,
        mt: SegmentedDocument,
        other: SegmentedDocument,
        mt_vectors: np.ndarray,
        other_vectors: np.ndarray,
        cosine: np.ndarray,
        mode: AlignMode,
    ) -> tuple[list[Group], list[float] | None]:
        """Groups of MT and `other` sentences, with their cosines when measured on the groups'
        own text; `cosine` is the (already computed) sentence matrix."""
        cfg = self.config
        if mode is AlignMode.PARALLEL:
            return align_parallel_texts(
                mt, other, mt_vectors, other_vectors, self.encoder, cfg, cfg.min_similarity
            )
        sim = cosine
        if cfg.lexical_weight:
            lexical = lexical_similarity(mt.texts, other.texts)
            sim = (1 - cfg.lexical_weight) * sim + cfg.lexical_weight * lexical
        return align_comparable(
            sim,
            k=cfg.margin_k, margin_threshold=cfg.margin_threshold,
            min_similarity=cfg.min_similarity, merge_delta=cfg.merge_delta,
            max_merge=cfg.max_merge,
        ), None

    def _segment(self, doc: Document) -> SegmentedDocument:
        """Sentences of one input, within the config's sentence and document caps."""
        cfg = self.config
        return segment_document(doc, cfg.segmentation.value, cfg.max_sentence_chars,
                                cfg.document_chars(doc.lang))

    # ---- entry points ------------------------------------------------------------------
    def audit(
        self,
        mt: DocumentInput,
        references: Sequence[DocumentInput] = (),
        source: DocumentInput | None = None,
    ) -> AuditResult:
        """Audit one MT document against English references and/or its source text."""
        if isinstance(references, (str, os.PathLike, Document)):
            references = [references]
        max_bytes = self.config.max_input_bytes
        mt_doc = load_document(mt, max_bytes=max_bytes)
        if not references and source is None:
            from auditor.errors import InputError

            raise InputError("nothing to audit against: give at least one reference or a source")
        ref_docs = [load_document(r, max_bytes=max_bytes) for r in references]
        check_reference_languages(mt_doc, ref_docs)
        mt_seg = self._segment(mt_doc)
        ref_segs = tuple(self._segment(d) for d in ref_docs)
        src_seg = (self._segment(load_document(source, max_bytes=max_bytes))
                   if source is not None else None)
        return self.audit_segmented(mt_seg, ref_segs, src_seg)

    def audit_segmented(
        self,
        mt: SegmentedDocument,
        references: Sequence[SegmentedDocument],
        source: SegmentedDocument | None = None,
    ) -> AuditResult:
        return self.audit_with_evidence(mt, references, source)[0]

    def audit_with_evidence(
        self,
        mt: SegmentedDocument,
        references: Sequence[SegmentedDocument],
        source: SegmentedDocument | None = None,
        all_evidence: bool = False,
    ) -> tuple[AuditResult, tuple[SentenceEvidence, ...]]:
        """The audit and the per-sentence evidence its quality model read. `all_evidence`:
        gather every feature a weight set could read, not only the shipped ones (what
        benchmarks/fit_quality.py fits on).

        When a detector that will run reads spaCy, spaCy starts loading in the background
        now, while the sentences are encoded and aligned (a cold start's two biggest loads
        overlap in wall time); when one parses whole documents, their sentences are parsed in
        the background too. Both are over when this returns."""
        references = tuple(references)
        given = {Input.REFERENCES} if references else set()
        if source is not None:
            given.add(Input.SOURCE)
        # (getattr: any object with a `detect` method may stand in for a detector)
        running = [d for d in self.detectors if getattr(d, "requires", frozenset()) <= given]
        if mt.sentences and any(getattr(d, "parses", False) for d in running):
            self.resources.start_loading_nlp()
        whole = [d for d in running if getattr(d, "parses_documents", False)]
        parsing = None
        if mt.sentences and whole and self.config.parse_scope is ParseScope.ALL:
            parsing = self.resources.parse_in_background(
                mt.texts + [t for r in references for t in r.texts],
                entities=any(getattr(d, "reads_entities", False) for d in whole))
        try:
            return self._audit(mt, references, source, all_evidence)
        finally:
            if parsing is not None:
                parsing.join()
            self.resources.finish_loading_nlp()

    def _audit(
        self,
        mt: SegmentedDocument,
        references: tuple[SegmentedDocument, ...],
        source: SegmentedDocument | None,
        all_evidence: bool,
    ) -> tuple[AuditResult, tuple[SentenceEvidence, ...]]:
        # Embed: one batch for the MT and all references, each distinct sentence once.
        texts = mt.texts + [t for r in references for t in r.texts]
        vectors = self.encoder.encode(texts) if texts else np.zeros((0, 0), np.float32)
        mt_vectors = vectors[: len(mt.sentences)]
        ref_vectors, offset = [], len(mt.sentences)
        for r in references:
            ref_vectors.append(vectors[offset : offset + len(r.sentences)])
            offset += len(r.sentences)
        similarity = tuple(cosine_matrix(mt_vectors, rv) for rv in ref_vectors)

        alignments: list[AlignmentPair] = []
        for d, (ref, rv) in enumerate(zip(references, ref_vectors, strict=True)):
            groups, group_sims = self._align(mt, ref, mt_vectors, rv, similarity[d],
                                             self.config.mode)
            alignments += score_groups(d, groups, mt, ref, mt_vectors, rv, group_sims)

        mt_src_vectors = src_vectors = src_similarity = source_encoder = None
        source_alignments: list[AlignmentPair] = []
        if source is not None:
            encoder = self._source_encoder(source.doc.lang)
            both = encoder.encode(mt.texts + source.texts)
            mt_src_vectors, src_vectors = both[: len(mt.sentences)], both[len(mt.sentences):]
            src_similarity = cosine_matrix(mt_src_vectors, src_vectors)
            groups, group_sims = align_parallel_texts(
                mt, source, mt_src_vectors, src_vectors, encoder, self.config,
                self.config.source_min_similarity,
            )
            source_alignments = score_groups(SOURCE_DOC, groups, mt, source, mt_src_vectors,
                                             src_vectors, group_sims)
            source_encoder = encoder
        all_alignments = tuple(alignments + source_alignments)
        sentence_scores = score_sentences(mt, alignments if references else source_alignments)

        ctx = AuditContext(
            mt=mt, references=references, source=source,
            mt_vectors=mt_vectors, reference_vectors=tuple(ref_vectors), similarity=similarity,
            alignments=tuple(alignments), sentence_scores=sentence_scores, config=self.config,
            resources=self.resources, mt_source_vectors=mt_src_vectors,
            source_vectors=src_vectors, source_similarity=src_similarity,
            source_alignments=tuple(source_alignments), source_encoder=source_encoder,
            detectors=self.detector_ids,
        )
        for d in ctx.unmatched_references():
            ctx.note(f"{references[d].doc.name}: no MT sentence aligns with this reference "
                     "while another does, so it may tell another story; nothing in it is "
                     "reported as dropped")
        if references and not alignments:  # (the reference alignments only)
            ctx.note("no MT sentence aligns with any reference: the MT may not be a "
                     "translation of the story they tell (left untranslated, another article)")
        if self.config.parse_scope is ParseScope.CUES:
            ctx.prefetch(entry for det in self.detectors if det.ready(ctx)
                         for entry in det.plan_parses(ctx))
        findings = [_anchored(f, mt.doc.text) for det in self.detectors for f in det.detect(ctx)]
        # One finding per MT error when the source and the references both found it.
        findings = merge_sides(findings, has_references=bool(references),
                               has_source=source is not None)
        # Stage 4b: the learned sentence quality, and possible mistranslations it explains.
        weights = self.quality_weights
        side = weights.side(bool(references), source is not None)
        ref_use = None
        if references and (all_evidence or weights.reads("ref_use_distance", side)):
            use = self._source_encoder()
            ref_use = (use.encode(mt.texts), [use.encode(r.texts) for r in references])
        coverage = (ctx.sentence_coverage()
                    if all_evidence or weights.reads(COVERAGE_FEATURES, side) else None)
        evidence = gather_evidence(mt, references, source, all_alignments, similarity,
                                   src_similarity, findings, ref_use, coverage)
        qualities = predict_quality(evidence, weights, side)
        findings += mistranslation_findings(mt, evidence, qualities, weights, findings, side)
        findings.sort(key=finding_order)
        sentence_scores = with_quality(sentence_scores, qualities)
        scores = score_document(mt, references, source, all_alignments, findings, qualities)
        sims = similarity + ((src_similarity,) if src_similarity is not None else ())
        segs = (mt, *references, *([source] if source else []))
        notes = tuple(n for d in segs for n in d.doc.notes) + tuple(
            n for d in segs for n in d.notes) + tuple(ctx.notes)
        return AuditResult(
            signature=self.signature, mt=mt, references=references, source=source,
            alignments=all_alignments, sentence_scores=sentence_scores, scores=scores,
            findings=tuple(findings), similarity=sims, notes=notes,
        ), evidence

    def audit_batch(
        self,
        rows: pd.DataFrame | Iterable[dict[str, Any]],
        mt_column: str = "mt",
        reference_columns: Sequence[str] | None = None,
        source_column: str | None = None,
        progress: bool = True,
        doc_column: str | None = None,
    ) -> pd.DataFrame:
        """Audit many documents with one model load: a DataFrame (or dicts) in, a DataFrame out.

        Reference columns default to every column whose name starts with "ref". A row that
        cannot be audited gets its error message in the `error` column instead of scores.

        With `doc_column`, a row is a segment (never re-split) and consecutive rows with the
        same id form one document, audited together; each row gets its segment `score`,
        `support` and `findings` (JSON objects, offsets into the row's MT), as `auditor score`
        writes them (`auditor.segments`).
        """
        import pandas as pd
        from tqdm.auto import tqdm

        from auditor.errors import AuditorError, InputError

        frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
        ref_cols = list(reference_columns) if reference_columns is not None else [
            c for c in frame.columns if str(c).startswith("ref")
        ]
        for role, col in [("MT", mt_column), *(("reference", c) for c in ref_cols),
                          *([("source", source_column)] if source_column else [])]:
            if col not in frame.columns:
                have = ", ".join(repr(str(c)) for c in list(frame.columns)[:12]) or "none"
                raise InputError(f"no {role} column {col!r} in the batch (columns: {have})")
        if doc_column is not None:
            if doc_column not in frame.columns:
                raise InputError(f"no document id column {doc_column!r} in the batch")
            return self._audit_segment_batch(frame, mt_column, reference_columns,
                                             source_column, doc_column, progress)
        out = []
        for _, row in tqdm(frame.iterrows(), total=len(frame), disable=not progress,
                           desc="auditing", unit="doc"):
            refs = [row[c] for c in ref_cols if isinstance(row[c], str) and row[c].strip()]
            src = row[source_column] if source_column else None
            try:
                result = self.audit(row[mt_column], refs, src if isinstance(src, str) else None)
            except AuditorError as exc:
                out.append({"error": str(exc)})
                continue
            out.append(summary_row(result))
        return pd.DataFrame(out, index=frame.index)


    def _audit_segment_batch(
        self, frame: pd.DataFrame, mt_column: str, reference_columns: Sequence[str] | None,
        source_column: str | None, doc_column: str, progress: bool,
    ) -> pd.DataFrame:
        import pandas as pd

        from auditor.formats.table import Columns, rows_to_segments
        from auditor.segments import score_segments

        columns = Columns(
            mt=mt_column,
            references=tuple(reference_columns) if reference_columns is not None else None,
            source=source_column, doc=doc_column,
        ).resolve([str(c) for c in frame.columns], "batch")
        records = frame.to_dict("records")
        out: list[dict[str, Any]] = []
        for outcome in score_segments(self, rows_to_segments(iter(records), columns),
                                      progress=progress, total=len(frame)):
            overall = outcome.result.scores.overall if outcome.result is not None else None
            signature = outcome.result.signature.short() if outcome.result else None
            for seg in outcome.segments:
                row = seg.to_json()
                out.append({"score": seg.score, "support": seg.support,
                            "findings": row["findings"], "n_findings": len(seg.findings),
                            "doc_overall": overall, "error": seg.error,
                            "signature": signature})
        return pd.DataFrame(out, index=frame.index)


def _anchored(finding: Finding, text: str) -> Finding:
    """The promise of the JSON: `text[mt_start:mt_end] == mt_text`. Detectors work on sentence
    text with whitespace runs collapsed, so a name written "Kang  Jing" (two spaces, a no-break
    space, U+2029...) comes back as "Kang Jing": the document's own characters replace it."""
    if finding.mt_start is None or finding.mt_end is None:
        return finding
    exact = text[finding.mt_start:finding.mt_end]
    return finding if exact == finding.mt_text else replace(finding, mt_text=exact)


def summary_row(result: AuditResult) -> dict[str, Any]:
    """One flat row per audit: headline scores and finding counts by kind and severity."""
    from auditor.result import FindingKind, Severity

    row: dict[str, Any] = {
        "overall": result.scores.overall,
        "fidelity": result.scores.fidelity,
        "mqm": result.scores.mqm,
        "source_fidelity": result.scores.source_fidelity,
        "sentences": len(result.mt.sentences),
        "findings": len(result.findings),
    }
    for kind in FindingKind:
        row[f"n_{kind.value}"] = result.count(kind)
    for sev in Severity:
        row[f"n_{sev.value}"] = sum(1 for f in result.findings if f.severity == sev)
    row["error"] = None
    row["signature"] = result.signature.short()
    return row


@lru_cache(maxsize=2)
def _shared_auditor(model: str, config: AuditConfig) -> Auditor:
    """The convenience functions reuse one Auditor per (model, config) in a process."""
    return Auditor(model=model, config=config)


def audit(
    mt: DocumentInput,
    references: Sequence[DocumentInput] = (),
    source: DocumentInput | None = None,
    *,
    model: str = DEFAULT_ENCODER,
    config: AuditConfig | None = None,
    auditor: Auditor | None = None,
    segmentation: str | None = None,
) -> AuditResult:
    """Audit an MT (text or path) against references and/or its source. See `Auditor`.

    `segmentation="lines"` takes pre-segmented input: one sentence per line, never re-split
    (default "auto"; overrides the config's setting)."""
    config = config or (auditor.config if auditor else AuditConfig())
    if segmentation is not None and segmentation != config.segmentation.value:
        config = config.with_(segmentation=segmentation)
        if auditor is not None:  # same models, other settings
            auditor = auditor.with_config(config)
    auditor = auditor or _shared_auditor(model, config)
    return auditor.audit(mt, references, source)


def audit_batch(
    rows: pd.DataFrame | Iterable[dict[str, Any]],
    mt_column: str = "mt",
    reference_columns: Sequence[str] | None = None,
    source_column: str | None = None,
    *,
    model: str = DEFAULT_ENCODER,
    config: AuditConfig | None = None,
    auditor: Auditor | None = None,
    progress: bool = True,
    doc_column: str | None = None,
) -> pd.DataFrame:
    auditor = auditor or _shared_auditor(model, config or AuditConfig())
    return auditor.audit_batch(rows, mt_column, reference_columns, source_column, progress,
                               doc_column=doc_column)


__all__ = ["Auditor", "audit", "audit_batch", "summary_row"]
