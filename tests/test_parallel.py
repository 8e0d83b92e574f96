"""Parallel mode: a true translation pair aligned monotonically, with a split and a drop."""

from __future__ import annotations

import numpy as np

from auditor import AlignMode, AuditConfig
from auditor.align import align_parallel
from auditor.pipeline import Auditor

REFERENCE = [
    "The museum reopened on Monday after two years of renovation.",
    "Visitors queued for hours to see the restored ceiling paintings.",
    "The director thanked the craftsmen who worked on the project and said the building was "
    "safer than ever.",
    "Tickets are free for children under twelve.",
    "The gift shop will open next month.",
]
MT = [
    "After two years of renovation, the museum opened again on Monday.",
    "Visitors waited for hours to see the restored paintings of the ceiling.",
    "The director thanked the craftsmen who worked on the project.",
    "She said the building was safer than ever.",
    "The gift shop opens next month.",
]


def test_parallel_alignment_handles_split_and_drop(auditor):
    parallel = Auditor(encoder=auditor.encoder, config=AuditConfig(mode=AlignMode.PARALLEL))
    result = parallel.audit(" ".join(MT), [" ".join(REFERENCE)])
    groups = sorted((a.mt, a.other) for a in result.alignments)
    assert groups == [((0,), (0,)), ((1,), (1,)), ((2, 3), (2,)), ((4,), (4,))]
    assert result.scores.coverage_per_reference[0] < 1.0  # the children's tickets are missing


def test_parallel_alignment_is_monotonic_on_random_vectors():
    rng = np.random.default_rng(1)
    base = rng.normal(size=(12, 32))
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    noisy = base + 0.1 * rng.normal(size=base.shape)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    groups = align_parallel(base, noisy)
    assert groups == [((i,), (i,)) for i in range(12)]
