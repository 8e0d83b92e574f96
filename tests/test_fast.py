"""Fast mode (`--fast`, `Auditor(fast=True)`, the feed key `audit.fast`): static embeddings
distilled from the bundled MiniLM (auditor.distill), refitted thresholds, the detectors that need
contextual vectors skipped, and a signature that says so."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.embed import CACHE_ENV, FAST_MODEL
from auditor.errors import InputError
from tests.conftest import MT_SEED, REF_SEEDS

runner = CliRunner()
ARGS = ["audit", str(MT_SEED), "--ref", str(REF_SEEDS[0]), "--ref", str(REF_SEEDS[1])]


@pytest.fixture(scope="module")
def fast_auditor():
    """The fast Auditor on the real distilled model (built here once if this machine has none:
    `make install` builds it)."""
    from auditor import Auditor
    from auditor.distill import main as distill_main
    from auditor.embed import fast_model_path

    if not fast_model_path().exists():
        assert distill_main([]) == 0
    return Auditor(fast=True)


def test_fast_cli_on_the_seeds_reports_findings_with_its_own_signature(fast_auditor, auditor):
    result = runner.invoke(app, [*ARGS, "--fast", "--json", "-"], obj=fast_auditor)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    kinds = {f["kind"] for f in data["findings"]}
    assert "name" in kinds  # the mangled names of the seed MT do not need contextual vectors
    sig = data["signature"]
    assert sig["model"] == FAST_MODEL and sig["backend"].startswith("model2vec-")
    assert sig["skipped"] == ["content", "coverage"]
    assert "content" not in sig["detectors"]
    assert sig["short"] != auditor.signature.short()
    assert "|skip:content+coverage|" in sig["short"]
    assert "|parse:cues|" in sig["short"] and "|parse:all|" in auditor.signature.short()
    assert sig["config"]["min_similarity"] == fast_auditor.config.fast.min_similarity


def test_fast_mode_parses_only_cued_sentences_and_keeps_the_seed_names(fast_auditor):
    """`ParseScope.CUES`: the seed's name findings (its mangled renderings of the references'
    names) are those of a fast audit parsing every sentence, from fewer parses."""
    from auditor import Auditor
    from auditor.config import AuditConfig, FastConfig
    from auditor.detect.base import Resources
    from tests.conftest import MT_SEED, REF_SEEDS

    found, parses = {}, {}
    for scope in ("all", "cues"):
        mine = Auditor(config=AuditConfig(fast=FastConfig(parse_scope=scope)),
                       encoder=fast_auditor.encoder)
        mine.resources = Resources(encoder=fast_auditor.encoder,
                                   nlp_loader=lambda: fast_auditor.resources.nlp)
        result = mine.audit(MT_SEED, REF_SEEDS)
        found[scope] = sorted((f.mt_text, f.canonical, f.severity) for f in result.findings
                              if f.kind.value == "name")
        parses[scope] = len(mine.resources._parses)
    assert found["cues"] == found["all"]
    assert len({text for text, _, _ in found["cues"]}) >= 3
    assert parses["cues"] < parses["all"]


def test_fast_mode_parses_the_detectors_cue_sentences_in_one_call(fast_auditor, monkeypatch):
    """The sentences each detector will parse (`Detector.plan_parses`) go through spaCy in one
    call before the detectors run, the reference sentences aligned to the MT figures too
    (numbers): nothing is left to parse afterwards. Without the prefetch, each detector made
    its own small calls (spaCy costs a fifth more per sentence in them)."""
    import auditor.detect.base as base
    from auditor import Auditor
    from auditor.detect.base import Resources

    mine = Auditor(config=fast_auditor.config, encoder=fast_auditor.encoder)
    mine.resources = Resources(encoder=fast_auditor.encoder,
                               nlp_loader=lambda: fast_auditor.resources.nlp)
    calls: list[int] = []
    real = base.parse_sentences
    monkeypatch.setattr(base, "parse_sentences",
                        lambda nlp, texts: calls.append(len(texts)) or real(nlp, texts))
    result = mine.audit(MT_SEED, REF_SEEDS)
    assert any(f.kind.value == "name" for f in result.findings)
    assert len(calls) == 1 and calls[0] >= 10, calls


def test_fast_mode_never_runs_a_contextual_detector(fast_auditor):
    from auditor import Auditor

    with pytest.raises(ValueError, match="contextual"):
        Auditor(encoder=fast_auditor.encoder, detectors=["names", "content"])
    with pytest.raises(ValueError, match="own encoder"):
        Auditor(model="use-multilingual-v3", fast=True)


def test_fast_settings_survive_with_config(fast_auditor):
    from auditor.config import AlignMode, AuditConfig

    other = fast_auditor.with_config(AuditConfig(mode=AlignMode.PARALLEL))
    assert other.fast and other.encoder is fast_auditor.encoder
    assert other.config.min_similarity == AuditConfig().fast.min_similarity
    assert other.config.mode is AlignMode.PARALLEL
    assert other.signature.skipped == ("content", "coverage")


def test_missing_fast_model_is_one_line_and_exit_2(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))  # an empty cache: no distilled model
    result = runner.invoke(app, [*ARGS, "--fast"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("auditor: error: the fast model is not built")
    assert "python -m auditor.distill" in lines[0]
    assert not list(tmp_path.iterdir())  # nothing was exported or built behind the user's back


def test_fast_with_another_model_is_one_line_and_exit_2():
    result = runner.invoke(app, [*ARGS, "--fast", "--model", "use-multilingual-v3"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "auditor: error: --fast has its own encoder: leave out --model"


def test_static_vectors_keep_meaning_apart(fast_auditor):
    """Real vectors from the distilled model: a paraphrase is nearer than an unrelated
    sentence, and a sentence is the normalised mean of its tokens' rows (model2vec)."""
    enc = fast_auditor.encoder
    v = enc.encode(["The foreign minister met her counterpart in Seoul on Tuesday.",
                    "On Tuesday the foreign minister held talks with her counterpart in Seoul.",
                    "Heavy rain flooded several villages in the south of the country."])
    assert v.shape == (3, 256)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2


def test_distillation_pca_matches_scikit_learn():
    """The numpy PCA of the distillation (model2vec's) spans what scikit-learn's does."""
    from sklearn.decomposition import PCA

    from auditor.distill import pca, zipf_weights

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 12)) @ rng.normal(size=(12, 12))
    _, components, scores = pca(x, 5)
    ours = np.abs(scores)
    theirs = np.abs(PCA(n_components=5, svd_solver="full").fit_transform(x))
    assert np.allclose(ours, theirs, atol=1e-6)
    assert np.allclose(np.abs(components @ components.T), np.eye(5), atol=1e-8)
    w = zipf_weights(1000)
    assert np.all(np.diff(w) > 0) and w[-1] < 1  # frequent (low-rank) tokens weigh least


def test_feed_config_fast_key():
    from auditor.feed.config import config_from_dict

    base = {"feeds": [{"name": "t", "path": "a/", "role": "translated"},
                      {"name": "r", "path": "b/", "role": "reference"}]}
    assert config_from_dict({**base, "audit": {"fast": True}}).audit.fast is True
    assert config_from_dict(base).audit.fast is False
    with pytest.raises(InputError, match="audit.fast must be true or false"):
        config_from_dict({**base, "audit": {"fast": "yes"}})


@pytest.fixture(scope="module")
def gloss_encoder(fast_auditor):
    """Fast mode's encoder for Chinese sources, on the real distilled model and CC-CEDICT (its
    table is built here once if this machine has none)."""
    from auditor.embed import load_gloss_encoder

    return load_gloss_encoder(fast_auditor.encoder)


def test_fast_source_audit_never_loads_use_and_finds_the_planted_errors(fast_auditor,
                                                                        monkeypatch):
    """A fast audit of the hand-written Chinese source (tests/test_source.py) runs on the
    static vectors alone: the multilingual USE is never built (its factory would fail), the
    MT aligns to its source sentences, and the four planted errors are found, nothing else."""
    from auditor import Auditor, embed
    from auditor.result import Document
    from tests.test_source import ADDED, FAITHFUL, FLAWED, SRC

    def no_use(*args, **kwargs):
        raise AssertionError("fast mode loaded the multilingual USE for a Chinese source")

    monkeypatch.setattr(embed, "USEEncoder", no_use)
    fast = Auditor(encoder=fast_auditor.encoder)  # fresh resources: no source encoder yet
    source = Document(SRC, "src.txt", "zh")
    faithful = fast.audit(Document(FAITHFUL), source=source)
    assert [(p.mt, p.other) for p in faithful.alignments] == [((i,), (i,)) for i in range(6)]
    assert not faithful.findings
    flawed = fast.audit(Document(FLAWED), source=source)
    # MT 2 is the added sentence, source 4 the omitted one
    assert [(p.mt, p.other) for p in flawed.alignments] == [
        ((0,), (0,)), ((1,), (1,)), ((3,), (2,)), ((4,), (3,)), ((5,), (5,))]
    found = {(f.kind.value, f.mt_text or f.source.text) for f in flawed.findings}
    assert found == {("addition", ADDED.strip()), ("number", "280 million"),
                     ("name", "Peng Peiao"), ("omission", "他对公司的技术印象深刻。")}
    assert fast.resources.source_encoder is None
    assert fast.signature.source_model == "cedict-gloss-static256(zh)+use-multilingual-v3"
    assert "|src:cedict-gloss-static256(zh)+use-multilingual-v3|" in fast.signature.short()


def test_gloss_vectors_put_chinese_beside_its_english(gloss_encoder, fast_auditor):
    """Chinese words are their CC-CEDICT glosses in the static model's space: a sentence is
    nearer its translation than an unrelated one, simplified and traditional forms give one
    vector, English goes through the static model unchanged, letters inside Chinese count."""
    v = gloss_encoder.encode([
        "欧盟领导人同意出台更严格的移民政策。",
        "EU leaders agreed to adopt a stricter immigration policy.",
        "Heavy rain flooded several villages in the south of the country.",
        "歐盟領導人同意出臺更嚴格的移民政策。",
    ])
    assert v.shape == (4, 256)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2
    assert v[0] @ v[3] > 0.99
    english = "EU leaders agreed to adopt a stricter immigration policy."
    assert np.allclose(gloss_encoder.encode([english]), fast_auditor.encoder.encode([english]),
                       atol=1e-6)
    with_name = gloss_encoder.encode(["他在NASA工作。", "他在工作。", "He works at NASA."])
    assert with_name[0] @ with_name[2] > with_name[1] @ with_name[2]


def test_gloss_table_rows_follow_the_recipe(gloss_encoder, fast_auditor):
    """A headword's row is the mean, over its first four CC-CEDICT glosses, of each gloss's
    mean static token row (auditor.distill.build_gloss_table), float16 in the table."""
    from auditor.distill import MAX_GLOSSES, headword_glosses
    from auditor.embed import bare_encoder

    table = bare_encoder(gloss_encoder)
    static = bare_encoder(fast_auditor.encoder)
    glosses = headword_glosses()
    for word in ("北京", "峰会", "移民"):
        senses = glosses[word][:MAX_GLOSSES]
        expected = np.mean([rows.mean(axis=0) for rows in static.token_rows(senses)], axis=0)
        row = np.asarray(table._vectors[table._rows[word]], np.float32)
        assert np.allclose(row, expected, atol=2e-3), word
    assert "Beijing" in glosses["北京"][0]
    assert table.words("欧盟峰会") == (table._rows["欧盟"], table._rows["峰会"])


def test_fast_mode_parses_a_figures_reference_sentences_with_the_mt_ones(fast_auditor,
                                                                       monkeypatch):
    """A figure the references contradict: its MT sentence and the reference sentence aligned
    to it are parsed in the audit's one spaCy call (`NumberDetector.plan_parses`), not in a
    second small call after the MT parse; the finding is the same."""
    import auditor.detect.base as base
    from auditor import Auditor
    from auditor.detect.base import Resources
    from auditor.result import Document

    mt = ("The new bridge over the river is 300 meters long. It took four years to build, "
          "and the city paid for most of it. Traffic on the old road fell by half.")
    ref = ("The new bridge over the river is 250 meters long. It took four years to build, "
           "and the city paid for most of it. Traffic on the old road fell by half.")
    mine = Auditor(config=fast_auditor.config, encoder=fast_auditor.encoder)
    mine.resources = Resources(encoder=fast_auditor.encoder,
                               nlp_loader=lambda: fast_auditor.resources.nlp)
    calls: list[list[str]] = []
    real = base.parse_sentences
    monkeypatch.setattr(base, "parse_sentences",
                        lambda nlp, texts: calls.append(list(texts)) or real(nlp, texts))
    result = mine.audit(Document(mt, "mt"), [Document(ref, "ref")])
    numbers = [f for f in result.findings if f.kind.value == "number"]
    assert [(f.mt_text, f.reference.text) for f in numbers] == [("300 meters", "250 meters")]
    assert len(calls) == 1 and ref.split(". ")[0] + "." in calls[0], calls
