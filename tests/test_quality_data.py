"""benchmarks/quality_data.py: when its cached audits of the dev data are stale."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))


def test_cache_key_follows_the_shipped_quality_weights(tmp_path, monkeypatch):
    """A quality refit changes the records' fidelity and MQM (the possible-mistranslation
    findings it decides), so it names a new cache; the cache kept them from before a refit
    (quality_eval.py's "previous overall" row moved 0.401 -> 0.400 once audited again)."""
    import quality_data

    shutil.copytree(quality_data.ROOT / "auditor", tmp_path / "auditor")
    monkeypatch.setattr(quality_data, "ROOT", tmp_path)
    before = quality_data.code_key()
    assert quality_data.code_key() == before
    keys = {before}
    for name in ("quality.json", "quality-fast.json"):
        weights = tmp_path / "auditor" / "data" / name
        weights.write_bytes(weights.read_bytes() + b"\n")
        keys.add(quality_data.code_key())
    assert len(keys) == 3
