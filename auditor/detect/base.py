"""What every detector sees (`AuditContext`) and the small base class it fills in.

As in sacrebleu's metrics/base.py, the base owns the workflow and subclasses implement one hook,
`find`. Like spaCy's factory `requires` / `assigns` and COMET's `requires_references()`, a
detector declares the inputs it needs (`requires`) and the finding kinds it makes (`produces`);
the base skips it when an input is missing, stamps its id on its findings and sorts them.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, ClassVar

import numpy as np

from auditor.config import AuditConfig
from auditor.detect.clauses import ParsedSentence, parsed_sentences
from auditor.detect.nlp import add_entities, parse_sentences
from auditor.detect.units import ClauseTables, build_clause_tables
from auditor.embed import Encoder
from auditor.result import (
    MT_DOC,
    AlignmentPair,
    Finding,
    FindingKind,
    SegmentedDocument,
    SentenceScore,
    finding_order,
    sentence_at,
)

# The word-level coverage detector (auditor.detect.coverage): where it runs, others leave it the
# decisions it makes with more evidence (AuditContext.detectors).
COVERAGE_ID = "coverage"


class Input(str, Enum):
    """An input a detector may need besides the MT."""

    REFERENCES = "references"  # at least one English reference
    SOURCE = "source"  # the source text, with its cross-lingual vectors and alignment


@dataclass
class Resources:
    """Models shared by all detectors of one Auditor: loaded once, injected, never global.

    `nlp` is spaCy's en_core_web_sm, loaded on first use (only detectors that need it pay), or
    in the background from the start of an audit that will parse (`start_loading_nlp`).
    One Auditor may be shared by threads: spaCy's pipeline and the parse cache (whose Docs
    the entity recogniser completes in place) are only touched under `lock`.
    """

    encoder: Encoder
    source_encoder: Encoder | None = None
    # fast mode's encoder for Chinese sources (`auditor.embed.GlossEncoder`), loaded on first use
    gloss_encoder: Encoder | None = None
    nlp_loader: Callable[[], Any] | None = None
    max_parses: int = 20_000
    _nlp: Any = field(default=None, repr=False)
    _parses: dict[str, Any] = field(default_factory=dict, repr=False)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    # held while spaCy loads (never while taking `lock`), so a background load never blocks the
    # other users of `lock` (the source encoder's load, parses of a loaded pipeline)
    _nlp_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _nlp_thread: threading.Thread | None = field(default=None, repr=False, compare=False)
    _thread_lock: threading.Lock = field(default_factory=threading.Lock, repr=False,
                                         compare=False)

    @property
    def nlp(self) -> Any:
        """The pipeline; waits for a load under way (`start_loading_nlp`), else loads it."""
        if self._nlp is not None:
            return self._nlp
        with self._nlp_lock:
            if self._nlp is None:
                if self.nlp_loader is None:
                    raise RuntimeError("no spaCy loader configured")
                self._nlp = self.nlp_loader()
            return self._nlp

    def start_loading_nlp(self) -> None:
        """Load spaCy on a background thread, at once. Its load is mostly Python, but ONNX
        Runtime and the tokenizer release the GIL while they encode, so the two overlap in wall
        time; the first reader of `nlp` waits for it. A failed load is left to that reader,
        which loads again and raises the error itself (one clear line, as without this)."""
        if self._nlp is not None or self.nlp_loader is None:
            return
        with self._thread_lock:
            if self._nlp_thread is None or not self._nlp_thread.is_alive():
                self._nlp_thread = threading.Thread(
                    target=self._load_nlp_quietly, name="auditor-spacy-load", daemon=True)
                self._nlp_thread.start()

    def finish_loading_nlp(self) -> None:
        """Wait for a background load: it never outlives the audit that started it (no thread
        left running across a fork, nor at exit)."""
        thread = self._nlp_thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _load_nlp_quietly(self) -> None:
        try:
            self.nlp  # noqa: B018 - loads it
        except Exception:  # noqa: BLE001, S110 - the reader that needs it raises it
            pass

    def parse(self, texts: Sequence[str]) -> list[Any]:
        """spaCy Docs of `texts` (no entities: see `AuditContext.parsed`), each distinct text
        parsed once per Auditor.

        Several detectors read the same sentences; parsing is the costliest step after
        encoding, so it is shared here as `CachedEncoder` shares embeddings.
        """
        with self.lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._parses))
            if missing:
                if len(self._parses) + len(missing) > self.max_parses:
                    self._parses.clear()
                self._parses.update(zip(missing, parse_sentences(self.nlp, missing),
                                        strict=True))
            return [self._parses[t] for t in texts]

    def add_entities(self, docs: Sequence[Any]) -> None:
        """`nlp.add_entities` under the lock: the Docs may be cached and shared by threads;
        once a Doc has its entities it is never written again."""
        with self.lock:
            add_entities(self.nlp, docs)

    def parse_in_background(self, texts: Sequence[str], entities: bool) -> threading.Thread:
        """Parse `texts` (and, with `entities`, run the recogniser on them) on a thread of its
        own, now, into the shared parse cache; the caller joins the thread it returns.

        An audit whose detectors will parse every sentence starts this before it encodes:
        ONNX Runtime releases the GIL while it encodes, so spaCy's parse, the costliest step
        after encoding, overlaps it in wall time (the same parses, so the same results).
        The thread waits for spaCy's background load (`start_loading_nlp`) without holding
        `lock` (a source encoder's load is never kept waiting behind it) and never loads it
        itself. A failure is left to the detector that parses next, which raises it."""

        def work() -> None:
            self.finish_loading_nlp()
            if self._nlp is None:  # the load failed: the detector that parses raises it
                return
            try:
                docs = self.parse(texts)
                if entities:
                    self.add_entities(docs)
            except Exception:  # noqa: BLE001, S110 - the next parse raises it in the audit
                pass

        thread = threading.Thread(target=work, name="auditor-parse", daemon=True)
        thread.start()
        return thread


@dataclass
class _AuditCache:
    """What one audit builds on first use and all its detectors share."""

    parsed: dict[int, list[ParsedSentence]] = field(default_factory=dict)
    clause_tables: ClauseTables | None = None
    word_evidence: dict[str, Any] = field(default_factory=dict)  # auditor.detect.coverage
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AuditContext:
    """Everything the earlier stages produced; detectors read it and return findings.

    `similarity[d]` is the (n_mt, n_ref_d) cosine matrix for reference d. The source side
    (when given) has its own vectors, encoded with a multilingual encoder, and `source_alignments`.
    """

    mt: SegmentedDocument
    references: tuple[SegmentedDocument, ...]
    source: SegmentedDocument | None
    mt_vectors: np.ndarray
    reference_vectors: tuple[np.ndarray, ...]
    similarity: tuple[np.ndarray, ...]
    alignments: tuple[AlignmentPair, ...]
    sentence_scores: tuple[SentenceScore, ...]
    config: AuditConfig
    resources: Resources
    mt_source_vectors: np.ndarray | None = None
    source_vectors: np.ndarray | None = None
    source_similarity: np.ndarray | None = None
    source_alignments: tuple[AlignmentPair, ...] = ()
    # the encoder of the source vectors (None: `resources.source_encoder`)
    source_encoder: Encoder | None = None
    # ids of the detectors running in this audit: a detector leaves to another what that one
    # decides with more evidence (the source clause omissions of a Chinese source, coverage)
    detectors: tuple[str, ...] = ()
    _cache: _AuditCache = field(default_factory=_AuditCache, repr=False, compare=False)

    def parsed(self, doc: int, entities: bool = False,
               sentences: Collection[int] | None = None) -> list[ParsedSentence]:
        """Each sentence of the MT (`MT_DOC`) or of reference `doc` with its spaCy parse and its
        map to document offsets; built once per audit for all detectors. `entities`: also run
        the entity recogniser (only the detectors that read entities pay for it). `sentences`:
        only those sentence indices, in document order (`ParseScope.CUES`; each distinct text
        is still parsed once per Auditor)."""
        if sentences is not None:
            seg = self.mt if doc == MT_DOC else self.references[doc]
            chosen = [seg.sentences[i] for i in sorted(sentences)]
            items = parsed_sentences(seg, self.resources.parse([s.text for s in chosen]),
                                     chosen)
        else:
            items = self._cache.parsed.get(doc)
            if items is None:
                seg = self.mt if doc == MT_DOC else self.references[doc]
                items = parsed_sentences(seg, self.resources.parse(seg.texts))
                self._cache.parsed[doc] = items
        if entities:
            self.resources.add_entities([p.parsed for p in items])
        return items

    def prefetch(self, plan: Iterable[tuple[int, Collection[int], bool]]) -> None:
        """Parse in one spaCy call the sentences the detectors will ask `parsed` for
        (`Detector.plan_parses`: (doc, sentence indices, with entities)), and run the entity
        recogniser once over those that need it. Fast mode's detectors each parse a handful
        of sentences; spaCy costs about a fifth more per sentence in such small calls."""
        texts: dict[str, bool] = {}
        for doc, indices, entities in plan:
            seg = self.mt if doc == MT_DOC else self.references[doc]
            for i in sorted(indices):
                text = seg.sentences[i].text
                texts[text] = texts.get(text, False) or entities
        if not texts:
            return
        docs = self.resources.parse(list(texts))
        self.resources.add_entities([d for d, entities in zip(docs, texts.values(), strict=True)
                                     if entities])

    def counterparts(self, mt_sentences: Iterable[int]) -> list[set[int]]:
        """Per reference, the sentences aligned to any of `mt_sentences`; an MT sentence aligned
        to none brings the most similar sentence of each reference, where the cosine reaches
        `min_similarity` (as a figure's closest reference clause must)."""
        wanted = set(mt_sentences)
        out: list[set[int]] = [set() for _ in self.references]
        linked: set[int] = set()
        for a in self.alignments:
            hit = wanted.intersection(a.mt)
            if hit and 0 <= a.doc < len(out):
                out[a.doc].update(a.other)
                linked |= hit
        for i in sorted(wanted - linked):
            for d, sim in enumerate(self.similarity):
                if sim.shape[1] and sim[i].max() >= self.config.min_similarity:
                    out[d].add(int(sim[i].argmax()))
        return out

    def clause_tables(self) -> ClauseTables:
        """Clauses of the MT and of every reference with their vectors and idf weights
        (`auditor.detect.units`), built once per audit for all detectors."""
        if self._cache.clause_tables is None:
            self._cache.clause_tables = build_clause_tables(self)
        return self._cache.clause_tables

    def word_evidence(self, key: str, build: Callable[[], Any]) -> Any:
        """Word- and clause-level evidence of the aligned groups (`auditor.detect.coverage`: per
        group, which source / reference words the MT carries; `auditor.detect.source.gaps`: the
        clause drops), built once per audit for the detectors and `sentence_coverage`; also
        what a detector chose once per audit and reads twice (fast mode's cue sentences, in
        `Detector.plan_parses` and in `find`)."""
        if key not in self._cache.word_evidence:
            self._cache.word_evidence[key] = build()
        return self._cache.word_evidence[key]

    def sentence_coverage(self) -> tuple[Any, ...]:
        """Word-level coverage figures of each MT sentence (`auditor.detect.coverage.
        SentenceCoverage`: share of the aligned source's / parallel reference's content words
        the sentence carries, share of its own content words explained, length deviation);
        features for the learned document score."""
        from auditor.detect.coverage import sentence_coverage

        return sentence_coverage(self)

    def has(self, needed: Input) -> bool:
        """Whether this audit has the input."""
        if needed is Input.REFERENCES:
            return bool(self.references)
        return (self.source is not None and self.source_vectors is not None
                and self.mt_source_vectors is not None)

    def unmatched_references(self) -> tuple[int, ...]:
        """References no MT sentence aligns with while another reference does: they tell
        another story (a wrong file, a wrong feed match), so their sentences are not content
        the MT dropped. When none aligns, the MT may be what is wrong (left untranslated, not
        a translation of this story): then none is set aside."""
        matched = {a.doc for a in self.alignments if not a.from_source}
        if not matched:
            return ()
        return tuple(d for d in range(len(self.references)) if d not in matched)

    def note(self, line: str) -> None:
        """A one-line note for the result: a detector had to cap its work on this input."""
        if line not in self._cache.notes:
            self._cache.notes.append(line)

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(self._cache.notes)

    def sentence_of(self, offset: int) -> int | None:
        """Index of the MT sentence holding a character offset (`result.sentence_at`)."""
        return sentence_at(self.mt.sentences, offset)


class Detector(ABC):
    """A detector finds one family of errors. Subclasses set `id`, `requires` and `produces`
    and implement `find`."""

    id: ClassVar[str] = "base"
    requires: ClassVar[frozenset[Input]] = frozenset()
    """Inputs without which the detector has nothing to compare: it is then not run."""
    produces: ClassVar[frozenset[FindingKind]] = frozenset()
    """The finding kinds it makes (the kind -> producers table in `auditor.detect`)."""
    parses: ClassVar[bool] = False
    """Reads spaCy (`AuditContext.parsed`, `Resources.nlp`): an audit running it starts
    loading spaCy in the background at its start (`Resources.start_loading_nlp`)."""
    parses_documents: ClassVar[bool] = False
    """With `ParseScope.ALL`, parses every MT and reference sentence (`AuditContext.parsed`
    of whole documents): an audit running it parses them all on a background thread from its
    start, while the sentences are encoded (`Resources.parse_in_background`)."""
    reads_entities: ClassVar[bool] = False
    """Reads the entity recogniser's spans of the sentences it parses (`entities=True`)."""

    def ready(self, ctx: AuditContext) -> bool:
        """Every required input is there, and the MT has a sentence to check."""
        return bool(ctx.mt.sentences) and all(ctx.has(needed) for needed in self.requires)

    def detect(self, ctx: AuditContext) -> list[Finding]:
        """The detector's findings for one audit, stamped with its id and in MT order; none when
        an input it requires is missing."""
        if not self.ready(ctx):
            return []
        findings = [f if f.detector == self.id else replace(f, detector=self.id)
                    for f in self.find(ctx)]
        return sorted(findings, key=finding_order)

    def plan_parses(self, ctx: AuditContext) -> list[tuple[int, Collection[int], bool]]:
        """With `ParseScope.CUES`: the sentences `find` will parse, as (doc, sentence indices,
        with entities), so that the audit parses every detector's in one call first
        (`AuditContext.prefetch`); called only when `ready`. None by default."""
        return []

    @abstractmethod
    def find(self, ctx: AuditContext) -> list[Finding]:
        """The findings of this detector for one audit; called only when `ready`."""
