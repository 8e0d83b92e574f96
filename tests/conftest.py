"""Shared fixtures: one real Auditor per test session (the bundled MiniLM), seed paths."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
MT_SEED = SEEDS / "001_dda61ef40afe4077.txt"
REF_SEEDS = [SEEDS / "000_bf9eb7df09abd944.txt", SEEDS / "004_cffa8e18d46157bb.txt"]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def auditor():
    from auditor import Auditor

    return Auditor()


@pytest.fixture(scope="session")
def seed_result(auditor):
    return auditor.audit(MT_SEED, REF_SEEDS)


@pytest.fixture(scope="session")
def annotation() -> dict:
    return json.loads((ROOT / "reference" / "seed-001.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def use_encoder():
    from auditor.embed import load_encoder

    return load_encoder("use-multilingual-v3")
