"""What MiniLM on ONNX Runtime costs per batch shape, and what the batching saves on real audits.

    .venv/bin/python benchmarks/encoder_batches.py [--limit 10] [--repeat 2] [--model PATH]

Prints, all on one ONNX Runtime thread (CPU seconds of this process):
- the cost of one run by width (tokens a text) and rows (texts a batch): ms a run and µs a
  token, padding included; a run has a fixed cost (it reads all the weights) and the cost a
  token grows again in big batches, which is what `auditor.embed.padded_batches` weighs;
- every text TED audits against refB send the encoder (`--limit` documents, parallel mode, a
  fresh cache for each audit as in `benchmarks/speed.py`), call by call: real tokens, padded
  tokens and runs with sorted batches of 16 (the first batching), with `padded_batches` (the
  free dynamic-programming cut that followed, each batch padded to its longest text) and with
  `auditor.embed.bucketed_batches` (every text padded to its own `bucket_width`, a lone text
  run twice: what keeps a vector independent of its batch mates), and with that and the word
  table the encoder reads one-token texts from (`auditor.embed.WordTable`);
- the CPU of encoding those calls again with each batching, alternately (`--repeat` rounds),
  and how far the vectors differ (the encoder pads every batch to the `bucket_width` of its
  longest text, so the two earlier cuts are replayed slightly wider than they ran).
`--model PATH` times another ONNX file with the same inputs in the first table (e.g. one
rewritten by onnxruntime's transformer optimizer, or the int8 copy).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mqm_data import load_documents  # noqa: E402
from speed import fresh_caches, make_auditors, mqm_jobs  # noqa: E402

WIDTHS = (3, 8, 16, 32, 64, 128)
ROWS = (1, 4, 16, 64)


def shape_lines(path: str) -> list[str]:
    """CPU of one run by width and rows, on one thread."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    lines = [f"One run of `{Path(path).name}` on one thread: ms a run / µs a token", "",
             "| width \\ rows | " + " | ".join(str(r) for r in ROWS) + " |",
             "|---" * (len(ROWS) + 1) + "|"]
    for width in WIDTHS:
        cells = []
        for rows in ROWS:
            ids = np.full((rows, width), 2000, np.int64)
            ids[:, 0], ids[:, -1] = 101, 102
            feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
            session.run(None, feeds)
            repeat = max(2, 8_000 // (rows * width))
            c0 = time.process_time()
            for _ in range(repeat):
                session.run(None, feeds)
            seconds = (time.process_time() - c0) / repeat
            cells.append(f"{seconds * 1e3:.2f} / {seconds * 1e6 / (rows * width):.0f}")
        lines.append(f"| {width} | " + " | ".join(cells) + " |")
    return lines


def audit_calls(limit: int) -> list[list[str]]:
    """Every call the TED audits (against refB) made to the encoder, in order."""
    docs = load_documents("ted")
    step = max(len(docs) / limit, 1)
    jobs = mqm_jobs([docs[int(i * step)] for i in range(min(limit, len(docs)))])
    auditors = make_auditors(None)
    calls: list[list[str]] = []
    for job in jobs:
        recorders = fresh_caches(auditors[job.mode])
        auditors[job.mode].audit(job.mt, job.references, job.source)
        calls += recorders[0].batches
    return calls


RUN_COST_TOKENS = 10  # a run's fixed cost in tokens (about 2.3 ms against 220 µs a token, float)


def padded_batches(lengths: Sequence[int], run_cost: int = RUN_COST_TOKENS,
                   max_tokens: int = 1024, max_rows: int = 64) -> list[list[int]]:
    """The batching before `bucketed_batches`: rows sorted by token length, cut (dynamic
    programming) where padded tokens + `run_cost` per batch are smallest."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    width = [lengths[i] for i in order]
    n = len(order)
    best = [0] * (n + 1)
    cut = [0] * (n + 1)
    for j in range(1, n + 1):
        best[j], cut[j] = best[j - 1] + run_cost + width[j - 1], j - 1
        for i in range(j - 2, max(-1, j - max_rows - 1), -1):
            if (j - i) * width[j - 1] > max_tokens:
                break
            cost = best[i] + run_cost + (j - i) * width[j - 1]
            if cost < best[j]:
                best[j], cut[j] = cost, i
    batches: list[list[int]] = []
    j = n
    while j > 0:
        batches.append(order[cut[j]:j])
        j = cut[j]
    return batches[::-1]


def sorted_by_16(lengths: Sequence[int]) -> list[list[int]]:
    """The first batching: sorted by length, 16 a batch."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[k:k + 16] for k in range(0, len(order), 16)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=10, help="TED documents to audit")
    parser.add_argument("--repeat", type=int, default=2, help="alternate rounds of the replay")
    parser.add_argument("--model", default=None, help="another ONNX file for the shape table")
    args = parser.parse_args(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from auditor.embed import OnnxEncoder, bucket_width, bucketed_batches, onnx_model_path

    lines = ["# MiniLM batches (benchmarks/encoder_batches.py)", "",
             f"- load average {os.getloadavg()[0]:.1f} at the start", ""]
    lines += shape_lines(str(onnx_model_path()))
    if args.model:
        lines += [""] + shape_lines(args.model)

    calls = audit_calls(args.limit)
    encoder = OnnxEncoder(threads=1, words=False)  # every text to the model
    lengths = [[len(e.ids) for e in encoder._tokenizer.encode_batch(c)] for c in calls]
    lines += ["", f"{sum(map(len, calls))} texts in {len(calls)} calls of {args.limit} TED audits "
              f"against refB, {sum(map(sum, lengths))} tokens:", "",
              "| batching | padded tokens | runs | padded + runs × "
              f"{RUN_COST_TOKENS} | CPU of the calls (each round) |", "|---|---|---|---|---|"]
    policies = {"sorted, 16 a batch (first)": sorted_by_16,
                "padded_batches (free cut, before)": padded_batches,
                "bucketed_batches (now)": bucketed_batches}
    widths = {"bucketed_batches (now)": bucket_width}
    seconds: dict[str, list[float]] = {name: [] for name in policies}
    vectors: dict[str, list[np.ndarray]] = {}
    for _ in range(max(args.repeat, 1)):
        for name, policy in policies.items():
            encoder.batching = policy
            c0 = time.process_time()
            vectors[name] = [encoder.encode(c) for c in calls]
            seconds[name].append(time.process_time() - c0)
    for name, policy in policies.items():
        batches = [policy(ls) for ls in lengths]
        grid = widths.get(name, lambda n: n)
        padded = sum(max(len(b), 2 if name in widths else 1) * grid(max(ls[i] for i in b))
                     for ls, bs in zip(lengths, batches, strict=True) for b in bs)
        runs = sum(map(len, batches))
        lines.append(f"| {name} | {padded} | {runs} | {padded + runs * RUN_COST_TOKENS} | "
                     + ", ".join(f"{s:.2f} s" for s in seconds[name]) + " |")
    with_table = OnnxEncoder(threads=1)
    if with_table._words is not None:
        single = sum(n == 3 for ls in lengths for n in ls)
        c0 = time.process_time()
        read = [with_table.encode(c) for c in calls]
        same = all(np.array_equal(a, b) for a, b in
                   zip(read, vectors["bucketed_batches (now)"], strict=True))
        lines += ["", f"bucketed_batches with the word table (`auditor.embed.WordTable`): "
                  f"{single} one-token texts of {sum(map(len, calls))} read from it, the rest "
                  f"to the model: {time.process_time() - c0:.2f} s; vectors bit for bit the "
                  f"same: {same}"]
    before, after = np.vstack(vectors["padded_batches (free cut, before)"]), np.vstack(
        vectors["bucketed_batches (now)"])
    lines += ["", f"Vectors, the free cut against bucket widths: max |difference| "
              f"{float(np.abs(before - after).max()):.1e}, min cosine "
              f"{float((before * after).sum(axis=1).min()):.7f}",
              f"- load average {os.getloadavg()[0]:.1f} at the end"]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
