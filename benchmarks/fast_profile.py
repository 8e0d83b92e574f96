"""Where a warm fast-mode audit (`--fast`) spends its CPU: stage by stage, and spaCy pipe by pipe.

Audits MQM TED dev documents against refB in parallel mode with a warm fast `Auditor`, the way
`benchmarks/speed.py --compare fast` picks and times them (fresh sentence caches, empty parse
cache per document, CPU seconds), with each stage wrapped in a CPU timer. Stages nest (the
spaCy rows are inside the detectors that ask for them; "clause tables" includes the reference
parse it triggers), so shares do not add up to 100 %. Then the same MT and reference sentences
go through each pipe of en_core_web_sm alone, the entity recogniser on every sentence (audits
run it only on those that may hold an entity, `auditor.detect.nlp.may_hold_entities`).
With --ratio, the same documents again, same run: CPU per 1,000 MT sentences of the default
audit, the fast audit, and the fast audit without the two detectors that read spaCy parses
(`names`, `numbers`; a library caller can ask for that with `Auditor(fast=True, detectors=...)`;
its quality score then reads no name or number findings, which its weights were fitted with).

    python benchmarks/fast_profile.py --limit 10 --ratio
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mqm_data import load_documents  # noqa: E402
from speed import fresh_caches, make_auditors, mqm_jobs  # noqa: E402


def cpu_timer(totals: Counter[str], key: str, inner: Callable[..., Any]) -> Callable[..., Any]:
    """`inner` with its CPU seconds added to `totals[key]`."""
    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.process_time()
        try:
            return inner(*args, **kwargs)
        finally:
            totals[key] += time.process_time() - t0
    return timed


def ted_jobs(limit: int) -> list[Any]:
    """`limit` TED dev documents spread over the set, as `speed.py` picks them."""
    ted = load_documents("ted")
    step = max(len(ted) / limit, 1)
    return mqm_jobs([ted[int(i * step)] for i in range(min(limit, len(ted)))])


def timed_audits(auditor: Any, jobs: Sequence[Any]) -> tuple[float, list[Any]]:
    """CPU seconds of audits of `jobs`, each with fresh caches, and their results."""
    cpu, results = 0.0, []
    for job in jobs:
        fresh_caches(auditor)
        auditor.resources._parses.clear()
        t0 = time.process_time()
        results.append(auditor.audit(job.mt, job.references))
        cpu += time.process_time() - t0
    return cpu, results


def audit_cpu(auditor: Any, jobs: Sequence[Any]) -> tuple[float, int]:
    """CPU seconds of warm audits of `jobs` (fresh caches each) and their MT sentences."""
    auditor.audit(jobs[-1].mt, jobs[-1].references)  # warm-up: lazily loaded models and tables
    cpu, results = timed_audits(auditor, jobs)
    return cpu, sum(len(result.mt.sentences) for result in results)


def ratio_lines(limit: int) -> list[str]:
    """Default, fast, and fast without names and numbers on the same documents, same run."""
    from auditor import Auditor
    from auditor.config import AlignMode, AuditConfig, FastConfig, ParseScope

    jobs = ted_jobs(limit)
    default = make_auditors(None)["parallel"]
    fast = make_auditors("fast")["parallel"]
    every_parse = fast.with_config(AuditConfig(mode=AlignMode.PARALLEL,
                                               fast=FastConfig(parse_scope=ParseScope.ALL)))
    no_spacy = Auditor(config=AuditConfig(mode=AlignMode.PARALLEL), encoder=fast.encoder,
                       detectors=[d for d in fast.detector_ids if d not in ("names", "numbers")])
    no_spacy.resources = fast.resources
    rows = [(name, *audit_cpu(a, jobs)) for name, a in (
        ("default", default), ("fast", fast),
        ("fast, every sentence parsed (parse_scope all)", every_parse),
        ("fast without names, numbers", no_spacy))]
    base = 1000 * rows[0][1] / max(rows[0][2], 1)
    lines = [f"Same run, {len(jobs)} TED documents vs refB (parallel), CPU per 1,000 MT "
             f"sentences; load average {os.getloadavg()[0]:.1f}:", "",
             "| audit | CPU / 1k MT sentences | throughput over the default |", "|---|---|---|"]
    for name, cpu, sentences in rows:
        per_k = 1000 * cpu / max(sentences, 1)
        lines.append(f"| {name} | {per_k:.1f} s | {base / max(per_k, 1e-9):.1f}× |")
    return lines


def stage_lines(limit: int) -> tuple[list[str], list[str]]:
    """CPU per stage of warm fast audits of `limit` TED documents; also returns their texts."""
    import auditor.detect.base as base
    import auditor.detect.coverage as coverage
    import auditor.pipeline as pipeline

    totals: Counter[str] = Counter()
    for module, name, key in (
            (pipeline, "segment_document", "segmentation"),
            (pipeline, "align_parallel_texts", "alignment (both passes)"),
            (pipeline, "score_groups", "pair chrF / BLEU (score_groups)"),
            (pipeline, "score_document", "document scores (whole-text chrF / BLEU)"),
            (pipeline, "gather_evidence", "quality evidence"),
            (base, "parse_sentences", "spaCy parse, no entities (tagger, parser, lemmas)"),
            (base, "add_entities", "spaCy entity recogniser"),
            (base, "build_clause_tables", "clause tables (numbers; incl. reference parse)"),
            (coverage, "sentence_coverage", "word coverage features (quality weights)")):
        setattr(module, name, cpu_timer(totals, key, getattr(module, name)))
    auditor = make_auditors("fast")["parallel"]
    jobs = ted_jobs(limit)
    auditor.audit(jobs[-1].mt, jobs[-1].references)  # warm-up: spaCy and lazily loaded tables
    for detector in auditor.detectors:
        detector.detect = cpu_timer(totals, f"detector {detector.id}", detector.detect)
    totals.clear()
    cpu, results = timed_audits(auditor, jobs)
    sentences = sum(len(result.mt.sentences) for result in results)
    texts = [t for result in results
             for t in result.mt.texts + [t for r in result.references for t in r.texts]]
    lines = [f"Warm fast audits, {len(jobs)} TED documents vs refB (parallel), {sentences} MT "
             f"sentences: {cpu:.2f} s CPU, {1000 * cpu / max(sentences, 1):.2f} s per 1k MT "
             f"sentences; load average {os.getloadavg()[0]:.1f}", "",
             "| stage | CPU | share |", "|---|---|---|"]
    lines += [f"| {k} | {v:.2f} s | {100 * v / max(cpu, 1e-9):.0f} % |"
              for k, v in totals.most_common()]
    return lines, texts


def pipe_lines(texts: Sequence[str]) -> list[str]:
    """CPU of each en_core_web_sm pipe alone over `texts`."""
    from auditor.detect.nlp import load_spacy

    nlp = load_spacy()
    list(nlp.pipe(texts[:50]))  # warm-up
    t0 = time.process_time()
    docs = [nlp.make_doc(t) for t in texts]
    seconds = {"tokenizer": time.process_time() - t0}
    for name, proc in nlp.pipeline:
        if name == "ner":
            continue
        t0 = time.process_time()
        docs = list(proc.pipe(docs))
        seconds[name] = time.process_time() - t0
    t0 = time.process_time()
    list(nlp.get_pipe("ner").pipe(docs))
    seconds["ner (every sentence)"] = time.process_time() - t0
    return [f"The same {len(texts)} MT and reference sentences through each spaCy pipe alone:",
            "", "| pipe | CPU |", "|---|---|",
            *(f"| {k} | {v:.2f} s |" for k, v in seconds.items())]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=10, help="TED documents")
    parser.add_argument("--ratio", action="store_true",
                        help="also default vs fast vs fast without names and numbers, same run")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    lines, texts = stage_lines(args.limit)
    lines += ["", *pipe_lines(texts)]
    if args.ratio:
        lines += ["", *ratio_lines(args.limit)]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
