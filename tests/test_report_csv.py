"""CSV tables: written with pandas, read back with the documented columns and dtypes."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest

from auditor.errors import InputError
from auditor.report.csv import COLUMNS, read_csv, table_frame, write_csv
from auditor.result import Document, FindingKind, Severity, Span
from tests.test_report_html import MT_TEXT, REF_TEXT, with_findings

# Text a naive CSV reader would mangle: pandas' default NA words, separators, quotes,
# newlines, a spreadsheet formula and markup.
AWKWARD = ["NA", "null", 'a "quoted", comma', "two\nlines", "=1+1", "<b>&amp;</b>", "N/A"]


@pytest.fixture(scope="module")
def awkward_result(auditor):
    result = auditor.audit(Document(MT_TEXT, "mt.txt", "en"), [Document(REF_TEXT, "ref.txt", "en")])
    result = with_findings(result, [
        {"kind": "name", "severity": "major", "at": "Pompei", "canonical": AWKWARD[0],
         "evidence": AWKWARD[2], "reference": Span(5, 9, AWKWARD[3], 0)},
        {"kind": "number", "severity": "critical", "at": "Wednesday", "evidence": AWKWARD[4],
         "source": Span(1, 3, AWKWARD[5]), "confidence": 0.1 + 0.2},
        {"kind": "omission", "severity": "minor", "at": None, "evidence": AWKWARD[1],
         "canonical": AWKWARD[6], "reference": Span(0, 4, "Mike", 0)},
    ])
    return result


def test_findings_csv_round_trips_with_documented_columns(awkward_result, tmp_path):
    path = tmp_path / "findings.csv"
    written = write_csv(awkward_result, path)
    assert written == {"findings": path}
    raw = pd.read_csv(path)  # a plain pandas read sees exactly the documented header
    assert list(raw.columns) == COLUMNS["findings"]
    assert len(raw) == len(awkward_result.findings)
    back = read_csv(path)
    pd.testing.assert_frame_equal(back, table_frame(awkward_result, "findings"))
    for text in AWKWARD:  # every awkward string survives as text, not as a missing value
        assert (back[["evidence", "canonical", "ref_text", "src_text"]] == text).any().any()
    assert (back["confidence"] == 0.1 + 0.2).any()  # floats are written exactly
    assert set(back["signature"]) == {awkward_result.signature.short()}
    omission = back[back["kind"] == "omission"].iloc[0]
    assert pd.isna(omission["mt_start"]) and pd.isna(omission["mt_text"])
    sidecar = json.loads((tmp_path / "findings.signature.json").read_text(encoding="utf-8"))
    assert sidecar["signature"] == awkward_result.signature.to_dict()


def test_directory_gets_all_three_tables(awkward_result, tmp_path):
    written = write_csv(awkward_result, tmp_path)
    assert {t: p.name for t, p in written.items()} == {
        "findings": "findings.csv", "sentences": "sentences.csv", "alignments": "alignments.csv",
    }
    for table, path in written.items():
        assert list(pd.read_csv(path).columns) == COLUMNS[table]
        pd.testing.assert_frame_equal(read_csv(path, table), table_frame(awkward_result, table))
    sentences = read_csv(written["sentences"], "sentences")
    assert sentences["text"].tolist() == awkward_result.mt.texts
    alignments = read_csv(written["alignments"], "alignments")
    assert len(alignments) == len(awkward_result.alignments)
    assert (tmp_path / "signature.json").exists()


def test_all_tables_beside_a_file_path(awkward_result, tmp_path):
    written = write_csv(awkward_result, tmp_path / "audit.csv", tables="all")
    assert sorted(p.name for p in written.values()) == [
        "audit.alignments.csv", "audit.csv", "audit.sentences.csv",
    ]


def test_no_findings_still_has_header_and_signature(awkward_result, tmp_path):
    empty = dataclasses.replace(awkward_result, findings=())
    path = tmp_path / "none.csv"
    write_csv(empty, path)
    back = read_csv(path)
    assert list(back.columns) == COLUMNS["findings"] and back.empty
    sidecar = json.loads((tmp_path / "none.signature.json").read_text(encoding="utf-8"))
    assert sidecar["signature"]["short"] == empty.signature.short()


def test_unknown_table_is_a_clear_error(awkward_result, tmp_path):
    with pytest.raises(InputError, match="unknown CSV table"):
        write_csv(awkward_result, tmp_path / "x.csv", tables=("findings", "scores"))


def test_findings_frame_matches_the_result(awkward_result):
    frame = table_frame(awkward_result, "findings")
    for row, finding in zip(frame.itertuples(), awkward_result.findings, strict=True):
        assert row.kind == finding.kind.value and row.severity == finding.severity.value
        assert (pd.isna(row.mt_start) and finding.mt_start is None) or row.mt_start == (
            finding.mt_start)
    assert FindingKind.NUMBER.value in set(frame["kind"])
    assert Severity.CRITICAL.value in set(frame["severity"])
