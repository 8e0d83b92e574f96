"""Issue 18, threads: one Auditor shared by a thread pool gives exactly the results it gives
when the same documents are audited one after the other."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from auditor import Auditor
from tests.conftest import MT_SEED, REF_SEEDS

JOBS = [
    (MT_SEED, (REF_SEEDS[0], REF_SEEDS[1])),
    (REF_SEEDS[0], (MT_SEED,)),
    (REF_SEEDS[1], (REF_SEEDS[0],)),
    (MT_SEED, (REF_SEEDS[1],)),
    (REF_SEEDS[0], (REF_SEEDS[1], MT_SEED)),
    (REF_SEEDS[1], (MT_SEED,)),
]


def _run(auditor: Auditor, job) -> str:
    mt, refs = job
    return auditor.audit(mt, list(refs)).to_json()


def test_shared_auditor_from_a_thread_pool_matches_sequential_runs():
    fresh = Auditor()
    sequential = [_run(fresh, job) for job in JOBS]
    shared = Auditor()  # nothing cached yet: the threads race to parse and encode
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(2):
            threaded = list(pool.map(lambda job: _run(shared, job), JOBS * 2))
            assert threaded == sequential * 2
