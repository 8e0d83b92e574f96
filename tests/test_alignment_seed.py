"""The seed MT's alignment agrees with the hand annotation in reference/seed-001.json."""

from __future__ import annotations

import pytest

from auditor.result import AuditResult


def best_counterpart(result: AuditResult, mt_index: int, doc: int) -> int | None:
    """The reference sentence most similar to MT sentence `mt_index` among those aligned to it."""
    linked = {j for a in result.alignments if a.doc == doc and mt_index in a.mt for j in a.other}
    if not linked:
        return None
    sim = result.similarity[doc]
    return max(linked, key=lambda j: sim[mt_index, j])


def _find_sentence(sentences, prefix: str) -> int:
    hits = [s.index for s in sentences if s.text.startswith(prefix)]
    assert len(hits) == 1, f"annotation prefix {prefix!r} matches {len(hits)} sentences"
    return hits[0]


def alignment_disagreements(result: AuditResult, annotation: dict) -> list[str]:
    problems = []
    assert len(annotation["alignment"]) == len(result.mt.sentences)
    for entry in annotation["alignment"]:
        i = _find_sentence(result.mt.sentences, entry["mt"])
        for doc, prefixes in enumerate(entry["refs"]):
            ref = result.references[doc]
            acceptable = {_find_sentence(ref.sentences, p) for p in prefixes}
            got = best_counterpart(result, i, doc)
            text = result.mt.sentences[i].text[:50]
            if not acceptable and got is not None:
                problems.append(f"MT {i} {text!r}: ref {doc} has no counterpart, got {got}")
            elif acceptable and got is None and not entry["optional"]:
                problems.append(f"MT {i} {text!r}: ref {doc} should align to {acceptable}")
            elif acceptable and got is not None and got not in acceptable:
                problems.append(f"MT {i} {text!r}: ref {doc} aligned to {got}, not {acceptable}")
    return problems


def test_seed_alignment_agrees_with_annotation(seed_result, annotation):
    problems = alignment_disagreements(seed_result, annotation)
    assert not problems, "\n".join(problems)


def test_alignment_groups_are_valid(seed_result):
    for a in seed_result.alignments:
        ref = seed_result.references[a.doc]
        assert a.mt and a.other
        assert all(0 <= i < len(seed_result.mt.sentences) for i in a.mt)
        assert all(0 <= j < len(ref.sentences) for j in a.other)
        assert -1.0 <= a.similarity <= 1.0
        assert 0.0 <= a.chrf <= 100.0


@pytest.mark.parametrize("doc", [0, 1])
def test_unrelated_fragment_is_not_aligned(seed_result, doc):
    credit = _find_sentence(seed_result.mt.sentences, "Credit :")
    assert best_counterpart(seed_result, credit, doc) is None
