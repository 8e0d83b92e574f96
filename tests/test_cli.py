"""The `auditor audit` command end to end on the seeds, with the session's Auditor injected (the
click context object) so that no call loads the models again."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.config import AlignMode, AuditConfig
from tests.conftest import MT_SEED, REF_SEEDS

pytestmark = pytest.mark.slow  # whole audits and reports through the CLI

runner = CliRunner()
ARGS = ["audit", str(MT_SEED), "--ref", str(REF_SEEDS[0]), "--ref", str(REF_SEEDS[1])]


def test_cli_writes_json_and_summary(auditor, tmp_path):
    out = tmp_path / "audit.json"
    result = runner.invoke(app, [*ARGS, "--json", str(out)], obj=auditor)
    assert result.exit_code == 0, result.output
    assert "overall" in result.stdout and "signature: auditor:" in result.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["sentences"]) == 15
    assert data["signature"]["short"] in result.stdout
    assert data["signature"]["short"] == auditor.signature.short()


def test_an_injected_auditor_is_reused_with_the_command_options(auditor):
    assert auditor.with_config(AuditConfig()) is auditor
    parallel = auditor.with_config(AuditConfig(mode=AlignMode.PARALLEL))
    assert parallel.resources is auditor.resources and parallel.encoder is auditor.encoder
    assert parallel.config.mode is AlignMode.PARALLEL
    result = runner.invoke(app, [*ARGS, "--mode", "parallel", "--json", "-"], obj=auditor)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["signature"]["short"] == parallel.signature.short()


def test_cli_json_to_stdout_and_fail_under(auditor):
    result = runner.invoke(app, [*ARGS, "--json", "-", "--fail-under", "100"], obj=auditor)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["scores"]["overall"] < 100
    assert "is under 100" in result.stderr
    passing = runner.invoke(app, [*ARGS, "--json", "-", "--fail-under", "0"], obj=auditor)
    assert passing.exit_code == 0


def test_cli_help_lists_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0 and "audit" in result.stdout


def test_cli_writes_html_and_all_csv_tables_into_a_new_directory(auditor, tmp_path):
    out_dir = tmp_path / "out"
    html = tmp_path / "report.html"
    result = runner.invoke(app, [*ARGS, "--csv", f"{out_dir}/", "--html", str(html)],
                           obj=auditor)
    assert result.exit_code == 0, result.output
    assert {p.name for p in out_dir.iterdir()} >= {
        "findings.csv", "sentences.csv", "alignments.csv"}
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Kang Kyung-wha" in page
