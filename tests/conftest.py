"""Shared fixtures: one real Auditor per test session (the bundled MiniLM), seed paths."""

from __future__ import annotations

import functools
import json
import os
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.feeds import QuietHandler, copy_fixtures

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


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A copy of the fixtures (plus a huge item) served on 127.0.0.1; yields (dir, base URL)."""
    root = copy_fixtures(tmp_path_factory.mktemp("feeds") / "site")
    huge = {"guid": "huge-1", "title": "A very long item", "published": "2026-11-12T10:00:00Z",
            "text": "This sentence repeats to make a huge item. " * 30_000}
    (root / "huge.jsonl").write_text(json.dumps(huge) + "\n", encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
