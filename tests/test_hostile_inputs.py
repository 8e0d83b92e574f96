"""Issue 18, inputs: hostile files and strings fail with one line (or are decoded), never hang
or crash."""

from __future__ import annotations

import os
import threading

import pandas as pd
import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.errors import InputError
from auditor.load import load_document
from tests.conftest import REF_SEEDS

runner = CliRunner()

SENTENCES = (
    "The foreign minister held a telephone call with the Secretary of State on Thursday. "
    "She raised concerns about the new export restrictions on chip materials. "
    "The two sides agreed to keep in close contact and to meet in Bangkok later this month.\n"
)


def _one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("auditor: error: ")
    return lines[0]


def _run_with_timeout(args: list[str], seconds: float = 60):
    """Run the CLI in a thread; a hang fails the test instead of blocking the suite."""
    box: dict = {}
    thread = threading.Thread(target=lambda: box.setdefault("r", runner.invoke(app, args)),
                              daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"auditor {' '.join(args)} hung"
    return box["r"]


@pytest.mark.parametrize("role", ["mt", "ref", "source"])
def test_fifo_is_refused_before_open(tmp_path, role):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    good = str(REF_SEEDS[0])
    args = {
        "mt": ["audit", str(fifo), "--ref", good],
        "ref": ["audit", good, "--ref", str(fifo)],
        "source": ["audit", good, "--source", str(fifo)],
    }[role]
    line = _one_error_line(_run_with_timeout(args))
    assert "pipe.txt" in line and "not a regular file" in line


def test_fifo_is_refused_by_the_library(tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    box: dict = {}

    def load():
        try:
            load_document(fifo)
        except InputError as exc:
            box["error"] = str(exc)

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "load_document blocked on a fifo"
    assert "not a regular file" in box["error"]


def test_mostly_valid_utf8_is_decoded_as_utf8_with_a_note(tmp_path):
    text = "Kang Kyung-wha met Mike Pompeo in Bangkok — “a frank talk” about Japan. " * 20
    data = bytearray(text.encode("utf-8"))
    data[40:41] = b"\xff"
    data[400:401] = b"\xc3\x28"
    path = tmp_path / "broken.txt"
    path.write_bytes(bytes(data))
    doc = load_document(path)
    assert "—" in doc.text and "“a frank talk”" in doc.text  # not cp850 mojibake
    assert "\ufffd" in doc.text
    assert any("invalid UTF-8" in n for n in doc.notes)


def test_mostly_valid_utf8_warns_on_the_cli(tmp_path):
    data = bytearray(("Kang Kyung-wha — “frank talks”. " + SENTENCES).encode("utf-8"))
    data[60:61] = b"\xff"
    path = tmp_path / "broken.txt"
    path.write_bytes(bytes(data))
    result = runner.invoke(app, ["audit", str(path), "--ref", str(REF_SEEDS[0])])
    assert result.exit_code == 0, result.output
    assert "auditor: warning: " in result.stderr and "invalid UTF-8" in result.stderr


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom_is_decoded(tmp_path, codec):
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}.get(codec, b"")
    path = tmp_path / "wide.txt"
    path.write_bytes(bom + SENTENCES.encode(codec))
    doc = load_document(path)
    assert doc.text == SENTENCES


def test_a_sentence_ending_in_a_file_name_is_text():
    text = "The minister sent the file notes.txt"
    doc = load_document(text)
    assert doc.text == text


def test_pathlib_path_and_existing_str_path_are_files():
    assert load_document(REF_SEEDS[0]).name == str(REF_SEEDS[0])
    assert load_document(str(REF_SEEDS[0])).name == str(REF_SEEDS[0])


@pytest.mark.parametrize("text", ["\ud800", "Kang Kyung-wha met\udc00 Pompeo in Bangkok.",
                                  "Lone \udfff surrogate at the end \ud83d"])
def test_lone_surrogates_are_replaced_not_a_unicode_error(auditor, text):
    result = auditor.audit(text + " The talks went on for an hour.", [SENTENCES])
    assert "\ufffd" in result.mt.doc.text
    assert all(not 0xD800 <= ord(c) <= 0xDFFF for c in result.mt.doc.text)
    result.to_json()


def test_lone_surrogate_in_the_reference_too(auditor):
    result = auditor.audit(SENTENCES, ["Only \ud800 this reference sentence is here today."])
    assert result.references[0].doc.text.count("\ufffd") == 1


@pytest.mark.parametrize("missing", ["reference", "source"])
def test_audit_batch_missing_column_is_one_line(auditor, missing):
    rows = pd.DataFrame({"mt": [SENTENCES], "ref_a": [SENTENCES]})
    kwargs = ({"reference_columns": ["ref_b"]} if missing == "reference"
              else {"source_column": "src"})
    with pytest.raises(InputError) as exc:
        auditor.audit_batch(rows, progress=False, **kwargs)
    message = str(exc.value)
    assert "\n" not in message
    assert ("ref_b" if missing == "reference" else "src") in message


def test_audit_batch_missing_mt_column_is_an_input_error(auditor):
    with pytest.raises(InputError, match="'text'"):
        auditor.audit_batch(pd.DataFrame({"mt": ["x"]}), mt_column="text", progress=False)


@pytest.mark.parametrize("args", [
    ["--mode", "wrong"],
    ["--csv-tables", "bogus"],
    ["--fail-under", "150"],
    ["--fail-under", "-1"],
    ["--max-mb", "0"],
    ["--max-mb", "-3"],
    ["--no-such-option"],
])
def test_cli_usage_errors_are_one_line(args):
    result = runner.invoke(app, ["audit", str(REF_SEEDS[0]), "--ref", str(REF_SEEDS[1]), *args])
    line = _one_error_line(result)
    assert "╭" not in result.output and "Usage:" not in result.output
    assert args[0].lstrip("-").split("-")[0] in line
