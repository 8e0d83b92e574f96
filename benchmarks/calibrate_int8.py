"""Calibrate and check the static int8 MiniLM (`--model all-MiniLM-L6-v2-int8`).

    .venv/bin/python benchmarks/calibrate_int8.py --write  # the calibration file (auditor/data)
    .venv/bin/python benchmarks/calibrate_int8.py --compare [--limit 10]

`--write` runs the float ONNX MiniLM on each calibration text alone and records, for the input
of every weight product (query/key/value, attention output, feed-forward in and out of each
layer), each channel's minimum and maximum over all tokens; `auditor.export_onnx.quantize_int8`
smooths and quantises from those ranges, offline. Calibration text: the English MT of the news
dev half (../shared/data/mqm_news_zhen.dev.tsv), not the TED documents the figures below are
measured on: 300 segments, 300 clauses of them, 200 single words (an audit encodes sentences,
clauses and words), chosen by stride over sorted distinct texts, so the file is deterministic.

`--compare` audits `--limit` TED documents against refB (parallel mode), replays every text
they sent the encoder with the float and the int8 model (batched as the encoder batches, one
thread) and prints the cosine of each text's int8 vector to its float vector (min and mean;
all texts and those of 10+ tokens), the CPU per token of each model, and how far a seed
sentence's int8 vector moves between a batch of all seed sentences and a call of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mqm_data import load_documents  # noqa: E402

SEGMENTS, CLAUSES, WORDS = 300, 300, 200


def _stride(items: Sequence[str], n: int) -> list[str]:
    step = max(len(items) / n, 1)
    return [items[int(i * step)] for i in range(min(n, len(items)))]


def calibration_texts() -> list[str]:
    """Segments, clauses and words of the news dev MT (English), by stride over sorted texts."""
    segments = sorted({s.strip() for d in load_documents("news") for s in d.mt.split("\n")}
                      - {""})
    picked = _stride(segments, SEGMENTS)
    clauses = sorted({c.strip() for s in picked for c in re.split(r"[,;:]", s)
                      if len(c.split()) >= 3})
    words = sorted({w.strip(".,;:!?\"'()") for s in picked for w in s.split()} - {""})
    return picked + _stride(clauses, CLAUSES) + _stride(words, WORDS)


def channel_ranges(texts: Sequence[str]) -> dict[str, dict[str, list[float]]]:
    """Per-channel min and max of every weight product's input, each text run alone."""
    import onnx
    import onnxruntime as ort
    from onnx import helper

    from auditor.embed import OnnxEncoder, ensure_onnx_model
    from auditor.export_onnx import weight_products

    model = onnx.load(str(ensure_onnx_model()))
    groups = weight_products(model)
    inputs = [nodes[0].input[0] for nodes in groups.values()]
    for name in inputs:
        model.graph.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT,
                                                                None))
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(model.SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    tokenizer = OnnxEncoder(threads=1)._tokenizer
    low: dict[str, np.ndarray] = {}
    high: dict[str, np.ndarray] = {}
    for encoding in tokenizer.encode_batch(list(texts)):
        ids = np.array([encoding.ids], np.int64)
        values = session.run(inputs, {"input_ids": ids, "attention_mask": np.ones_like(ids)})
        for name, v in zip(inputs, values, strict=True):
            flat = v.reshape(-1, v.shape[-1])
            low[name] = np.minimum(low.get(name, flat.min(axis=0)), flat.min(axis=0))
            high[name] = np.maximum(high.get(name, flat.max(axis=0)), flat.max(axis=0))

    def rounded(values: np.ndarray) -> list[float]:
        return [float(f"{x:.4g}") for x in values]

    return {key: {"min": rounded(low[x]), "max": rounded(high[x])}
            for key, x in zip(groups, inputs, strict=True)}


def write(path: Path) -> None:
    texts = calibration_texts()
    data = {
        "about": "Per-channel min/max of the input of each weight product of the float ONNX "
                 "all-MiniLM-L6-v2 (keyed by the first product's node name), over "
                 f"{len(texts)} calibration texts, each run alone: segments, clauses and words "
                 "of the English MT of the news dev half. Read by "
                 "auditor.export_onnx.quantize_int8.",
        "command": "python benchmarks/calibrate_int8.py --write",
        "texts": len(texts),
        "inputs": channel_ranges(texts),
    }
    inputs = data.pop("inputs")
    head = json.dumps(data, indent=1, sort_keys=True)[:-2]  # one line a product group
    body = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v, sort_keys=True)}"
                       for k, v in sorted(inputs.items()))
    path.write_text(f'{head},\n "inputs": {{\n{body}\n }}\n}}\n', encoding="utf-8")
    print(f"wrote {path} ({len(texts)} texts)")


def compare(limit: int) -> list[str]:
    import onnxruntime as ort
    from encoder_batches import audit_calls

    from auditor.embed import OnnxEncoder, ensure_onnx_model
    from auditor.export_onnx import calibration_tag

    calls = audit_calls(limit)
    float_encoder, int8_encoder = OnnxEncoder(threads=1), OnnxEncoder(int8=True, threads=1)
    tokens = sum(len(e.ids) for c in calls for e in float_encoder._tokenizer.encode_batch(c))
    lines = [f"{sum(map(len, calls))} texts ({tokens} tokens) of {limit} TED audits against "
             f"refB; int8 {calibration_tag()}; load average {os.getloadavg()[0]:.1f}", "",
             "| model | CPU / token | cosine to float, min / mean | texts of 10+ tokens |",
             "|---|---|---|---|"]
    vectors, seconds = [], []
    for encoder in (float_encoder, int8_encoder):
        c0 = time.process_time()
        vectors.append(np.vstack([encoder.encode(c) for c in calls]))
        seconds.append(time.process_time() - c0)
    lengths = np.array([len(e.ids) for c in calls
                        for e in float_encoder._tokenizer.encode_batch(c)])
    cosine = (vectors[0] * vectors[1]).sum(axis=1)
    long = cosine[lengths >= 10]
    lines.append(f"| float | {seconds[0] / tokens * 1e6:.0f} µs | | |")
    lines.append(f"| int8 | {seconds[1] / tokens * 1e6:.0f} µs ({seconds[0] / seconds[1]:.2f}× "
                 f"less) | {cosine.min():.4f} / {cosine.mean():.4f} | "
                 f"{long.min():.4f} / {long.mean():.4f} |")
    seeds = [t for c in calls[:1] for t in c][:40]
    together = int8_encoder.encode(seeds)
    alone = np.vstack([int8_encoder.encode([t]) for t in seeds])
    lines += ["", f"int8, {len(seeds)} texts in one call vs each alone: max |difference| "
              f"{float(np.abs(together - alone).max()):.1e}",
              f"- ONNX Runtime {ort.__version__}, {ensure_onnx_model(int8=True).name}; "
              f"load average {os.getloadavg()[0]:.1f} at the end"]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="write the calibration file")
    parser.add_argument("--compare", action="store_true", help="int8 against float on TED")
    parser.add_argument("--limit", type=int, default=10, help="TED documents for --compare")
    args = parser.parse_args(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.write:
        from auditor.export_onnx import CALIBRATION_FILE

        write(CALIBRATION_FILE)
    if args.compare:
        print("\n".join(compare(args.limit)))
    if not (args.write or args.compare):
        parser.error("nothing to do: --write and/or --compare")
    return 0


if __name__ == "__main__":
    sys.exit(main())
