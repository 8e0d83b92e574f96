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


SOURCE = ("韩国外交部长康京和10日晚与美国国务卿蓬佩奥通电话，对日本限制出口表示关切。"
          "双方同意继续在各个层面加强沟通与合作。日本政府上月宣布加强对韩出口管制。")
MT = ("South Korean Foreign Minister Kang Kyung-wha spoke by phone with US Secretary of State "
      "Pompeo on the evening of the 10th. Both sides agreed to keep strengthening "
      "communication and cooperation at all levels.")


def test_source_vectors_do_not_depend_on_batch_mates():
    """The multilingual encoder gives a sentence the same vector alone, in a batch, and in a
    batch in another order (batched, 30 of 31 seed sentences differed by up to 2e-7)."""
    import numpy as np

    from auditor.embed import load_encoder

    use = load_encoder("use-multilingual-v3", cache=False)
    texts = [line for path in (MT_SEED, *REF_SEEDS)
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts += [SOURCE[:33], SOURCE[33:], MT]
    alone = np.vstack([use.encode([t]) for t in texts])
    assert np.array_equal(use.encode(texts), alone)
    assert np.array_equal(use.encode(texts[::-1])[::-1], alone)


def _exact(result) -> tuple:
    """Everything an audit computed, unrounded (the JSON rounds to 4 decimals)."""
    return (result.alignments, result.sentence_scores, result.scores, result.findings,
            [m.tobytes() for m in result.similarity])


def test_source_audit_alone_equals_in_a_batch_and_from_threads():
    """The same source-side audit, first thing in a fresh Auditor, after a batch of documents
    that share its sentences (so their vectors were first computed beside others), and from a
    pool of threads: exactly the same result."""
    import pandas as pd

    from auditor.embed import CachedEncoder, load_encoder
    from auditor.result import Document

    use = load_encoder("use-multilingual-v3", cache=False)
    base = Auditor()

    def fresh() -> Auditor:  # the same models, empty caches
        return Auditor(encoder=CachedEncoder(base.encoder.inner),  # type: ignore[attr-defined]
                       source_encoder=CachedEncoder(use))

    def job(auditor: Auditor) -> tuple:
        return _exact(auditor.audit(MT, source=Document(SOURCE, lang="zh")))

    alone = job(fresh())
    batched = fresh()
    other = " ".join(REF_SEEDS[0].read_text(encoding="utf-8").split()[:60])
    rows = pd.DataFrame({"mt": [other + " " + MT, MT + " " + other],
                         "src": ["日本外相河野太郎周四表示。" + SOURCE,
                                 SOURCE + "会谈在曼谷举行。"]})
    assert batched.audit_batch(rows, source_column="src", progress=False)["error"].isna().all()
    assert job(batched) == alone
    shared = fresh()
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(lambda _: job(shared), range(4))) == [alone] * 4
