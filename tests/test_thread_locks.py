"""Shared spaCy Docs are completed in place by the entity recogniser, so every caller must go
through `Resources.add_entities`, which holds the Auditor's lock (`Resources` docstring): two
threads sharing one Auditor could otherwise tag the same cached Doc at once.

A lock that counts its holders stands in for the RLock, and the entity recogniser is wrapped to
record whether that lock was held when it ran. The check that calls it is the source check's
"another person" rule (冯德莱恩 named in the source, another person in the MT), on a real
sentence pair with spaCy; the alignment is given, so no encoder is loaded.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import auditor.detect.base as base
import auditor.detect.nlp as nlp_module
from auditor.config import AuditConfig
from auditor.detect.base import AuditContext, Resources
from auditor.detect.nlp import load_spacy
from auditor.detect.source.dictionary import dictionary_findings
from auditor.result import SOURCE_DOC, AlignmentPair, Document
from auditor.segment import segment_document


class CountingLock:
    """An RLock that knows whether some thread holds it."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.depth = 0

    def __enter__(self) -> CountingLock:
        self._lock.acquire()
        self.depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self.depth -= 1
        self._lock.release()


@pytest.mark.parametrize("module", [base, nlp_module])
def test_entity_tagging_of_shared_docs_holds_the_lock(monkeypatch, module):
    lock = CountingLock()
    held: list[bool] = []
    original = nlp_module.add_entities

    def tagged(nlp, docs):
        held.append(lock.depth > 0)
        return original(nlp, docs)

    monkeypatch.setattr(module, "add_entities", tagged)
    src = segment_document(Document("冯德莱恩周三表示，欧盟将继续支持乌克兰。", "src", "zh"))
    mt = segment_document(Document(
        "Angela Merkel said on Wednesday that the EU would keep supporting Ukraine.", "mt", "en"))
    pair = AlignmentPair(SOURCE_DOC, tuple(range(len(mt.sentences))),
                         tuple(range(len(src.sentences))), 1.0, 0.0, 0.0)
    resources = Resources(encoder=None, nlp_loader=load_spacy, lock=lock)
    ctx = AuditContext(mt=mt, references=(), source=src,
                       mt_vectors=np.zeros((len(mt.sentences), 0), np.float32),
                       reference_vectors=(), similarity=(), alignments=(), sentence_scores=(),
                       config=AuditConfig(), resources=resources, source_alignments=(pair,))
    findings = dictionary_findings(ctx, [pair])
    assert [f.mt_text for f in findings] == ["Angela Merkel"]  # the rule ran
    if module is base:  # the lock's own path: the recogniser ran, under the lock
        assert held and all(held)
    else:  # nothing reaches the recogniser around the lock
        assert held == []
