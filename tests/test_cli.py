"""The `auditor audit` command end to end on the seeds."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from auditor.cli import app
from tests.conftest import MT_SEED, REF_SEEDS

runner = CliRunner()
ARGS = ["audit", str(MT_SEED), "--ref", str(REF_SEEDS[0]), "--ref", str(REF_SEEDS[1])]


def test_cli_writes_json_and_summary(tmp_path):
    out = tmp_path / "audit.json"
    result = runner.invoke(app, [*ARGS, "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "overall" in result.stdout and "signature: auditor:" in result.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["sentences"]) == 15
    assert data["signature"]["short"] in result.stdout


def test_cli_json_to_stdout_and_fail_under():
    result = runner.invoke(app, [*ARGS, "--json", "-", "--fail-under", "101"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["scores"]["overall"] < 101
    assert "is under 101" in result.stderr
    passing = runner.invoke(app, [*ARGS, "--json", "-", "--fail-under", "0"])
    assert passing.exit_code == 0


def test_cli_help_lists_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0 and "audit" in result.stdout


def test_cli_writes_html_and_all_csv_tables_into_a_new_directory(tmp_path):
    out_dir = tmp_path / "out"
    html = tmp_path / "report.html"
    result = runner.invoke(app, [*ARGS, "--csv", f"{out_dir}/", "--html", str(html)])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out_dir.iterdir()} >= {
        "findings.csv", "sentences.csv", "alignments.csv"}
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Kang Kyung-wha" in page
