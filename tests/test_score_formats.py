"""`auditor score` on real files: line-aligned triples from the public TED MQM data (built here,
never copied into the repo), JSONL tables, XLIFF 1.2 / 2.0 and TMX written by translate-toolkit."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.cli import app
from tests.conftest import SHARED_DATA

runner = CliRunner()
TED = SHARED_DATA / "mqm_ted_zhen.dev.tsv"
SYSTEMS = ("Online-W", "metricsystem1")  # two MT systems of the dev data
TALKS = ("talk.2", "talk.5")
SEGMENTS_PER_TALK = 8


@pytest.fixture(scope="module")
def ted() -> dict[str, dict[str, list[tuple[str, str, str]]]]:
    """system -> talk -> [(source, mt, reference)], the first segments of two talks."""
    assert TED.exists(), f"{TED}: the shared dev data must sit beside the repository"
    texts: dict[tuple[str, str, int], list[tuple[str, str]]] = defaultdict(list)
    with open(TED, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row["doc"] in TALKS and row["severity"] != "HOTW-test":
                clean = [re.sub(r"</?v>", "", row[k]).strip() for k in ("source", "target")]
                texts[(row["system"], row["doc"], int(row["seg_id"]))].append(tuple(clean))
    out: dict[str, dict[str, list[tuple[str, str, str]]]] = defaultdict(dict)
    for system in SYSTEMS:
        for talk in TALKS:
            ids = sorted(k[2] for k in texts if k[0] == system and k[1] == talk)
            rows = []
            for seg in ids[:SEGMENTS_PER_TALK]:
                src, mt = Counter(texts[(system, talk, seg)]).most_common(1)[0][0]
                ref = Counter(t for _, t in texts[("refB", talk, seg)]).most_common(1)[0][0]
                rows.append((src, mt, ref))
            out[system][talk] = rows
    return out


@pytest.fixture(scope="module")
def parallel_auditor(auditor, use_encoder):
    """The session's models, with the alignment `auditor score` uses by default."""
    from auditor import AuditConfig, Auditor
    from auditor.config import AlignMode

    return Auditor(config=AuditConfig(mode=AlignMode.PARALLEL), encoder=auditor.encoder,
                   source_encoder=use_encoder)


def _write_lines(folder: Path, ted, system: str, blank: bool = False) -> dict[str, Path]:
    files = {k: folder / f"{k}.txt" for k in ("mt", "src", "ref", "ids")}
    parts: dict[str, list[str]] = {k: [] for k in files}
    for n, talk in enumerate(TALKS):
        if blank and n:
            for k in ("mt", "src", "ref"):
                parts[k].append("")
        for src, mt, ref in ted[system][talk]:
            parts["mt"].append(mt)
            parts["src"].append(src)
            parts["ref"].append(ref)
            parts["ids"].append(talk)
    for k, path in files.items():
        path.write_text("\n".join(parts[k]) + "\n", encoding="utf-8")
    files["mt"] = files["mt"].rename(folder / f"{system}.txt")
    return files


def _score(parallel_auditor, *args: str):
    return runner.invoke(app, ["score", "--no-progress", *args], obj=parallel_auditor)


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _one_error_line(result) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("auditor: error: "), result.stderr
    assert "Traceback" not in result.output


@pytest.fixture(scope="module")
def lines_run(tmp_path_factory, ted, parallel_auditor):
    folder = tmp_path_factory.mktemp("lines")
    files = _write_lines(folder, ted, SYSTEMS[0])
    out = {k: folder / f"out.{k}" for k in ("jsonl", "csv", "html")}
    result = _score(parallel_auditor, "-t", str(files["mt"]), "-s", str(files["src"]),
                    "-r", str(files["ref"]), "--doc-ids", str(files["ids"]),
                    "--jsonl", str(out["jsonl"]), "--csv", str(out["csv"]),
                    "--html", str(out["html"]))
    assert result.exit_code == 0, result.output
    return files, out, result


def test_line_aligned_triple_scores_every_segment_with_findings_in_the_segment(lines_run):
    files, out, result = lines_run
    mt_lines = files["mt"].read_text(encoding="utf-8").splitlines()
    rows = _jsonl(out["jsonl"])
    assert [r["segment"] for r in rows] == list(range(len(mt_lines)))
    assert [r["doc"] for r in rows] == files["ids"].read_text().split()
    assert all(0 <= r["score"] <= 100 for r in rows)
    findings = [(r["segment"], f) for r in rows for f in r["findings"]]
    assert findings, "a real MT system with MQM errors should get findings"
    for segment, f in findings:  # offsets index the segment's own line
        if f["mt_start"] is not None:
            assert mt_lines[segment][f["mt_start"]:f["mt_end"]] == f["mt_text"]
    # The summary line: the file, the system score (mean of the segment scores), the signature.
    mean = sum(r["score"] for r in rows) / len(rows)
    assert f"score: {mean:.2f}" in result.stdout and "seg:lines-chunk400" in result.stdout
    with open(out["csv"], encoding="utf-8", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert [int(r["segment"]) for r in table] == [r["segment"] for r in rows]
    assert sum(int(r["findings"]) for r in table) == len(findings)
    page = out["html"].read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Content-Security-Policy" in page
    assert "talk.5" in page


def test_blank_lines_separate_documents_like_doc_ids(lines_run, tmp_path, ted,
                                                     parallel_auditor):
    _, out, _ = lines_run
    files = _write_lines(tmp_path, ted, SYSTEMS[0], blank=True)
    jsonl = tmp_path / "blank.jsonl"
    result = _score(parallel_auditor, "-t", str(files["mt"]), "-s", str(files["src"]),
                    "-r", str(files["ref"]), "--jsonl", str(jsonl))
    assert result.exit_code == 0, result.output
    rows, before = _jsonl(jsonl), _jsonl(out["jsonl"])
    boundary = SEGMENTS_PER_TALK  # the blank line is not a segment, but keeps its line number
    assert [r["segment"] for r in rows] == [*range(boundary),
                                            *range(boundary + 1, 2 * boundary + 1)]
    assert [r["score"] for r in rows] == [r["score"] for r in before]


def test_segment_scores_equal_audit_batch(lines_run, ted, parallel_auditor):
    import pandas as pd

    from auditor import audit_batch

    _, out, _ = lines_run
    frame = pd.DataFrame(
        [{"doc": talk, "src": s, "mt": m, "ref": r}
         for talk in TALKS for s, m, r in ted[SYSTEMS[0]][talk]])
    batch = audit_batch(frame, source_column="src", doc_column="doc",
                        auditor=parallel_auditor, progress=False)
    rows = _jsonl(out["jsonl"])
    assert list(batch["score"].round(4)) == [r["score"] for r in rows]
    assert list(batch["n_findings"]) == [len(r["findings"]) for r in rows]


def test_a_one_segment_document_scores_its_overall(parallel_auditor, ted):
    from auditor.segments import SegmentInput, audit_document

    src, mt, ref = ted[SYSTEMS[0]][TALKS[0]][1]
    outcome = audit_document(parallel_auditor, [SegmentInput(0, "d", mt, (ref,), src)])
    assert outcome.segments[0].score == pytest.approx(outcome.result.scores.overall, abs=1e-6)


def test_jsonl_table_with_named_columns_gives_the_same_scores(lines_run, tmp_path, ted,
                                                               parallel_auditor):
    _, out, _ = lines_run
    table = tmp_path / "rows.jsonl"
    with open(table, "w", encoding="utf-8") as fh:
        for talk in TALKS:
            for n, (s, m, r) in enumerate(ted[SYSTEMS[0]][talk]):
                fh.write(json.dumps({"talk": talk, "id": f"{talk}-{n}", "zh": s, "hyp": m,
                                     "human": r}, ensure_ascii=False) + "\n")
    jsonl = tmp_path / "out.jsonl"
    result = _score(parallel_auditor, str(table), "--mt-column", "hyp", "--ref-column", "human",
                    "--source-column", "zh", "--doc-column", "talk", "--id-column", "id",
                    "--jsonl", str(jsonl))
    assert result.exit_code == 0, result.output
    rows = _jsonl(jsonl)
    assert [r["score"] for r in rows] == [r["score"] for r in _jsonl(out["jsonl"])]
    assert rows[0]["id"] == "talk.2-0"
    tsv = tmp_path / "rows.tsv"  # the same rows as TSV, with the default column names
    with open(tsv, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t")
        writer.writerow(["doc", "src", "mt", "ref"])
        for talk in TALKS:
            writer.writerows([talk, s, m, r] for s, m, r in ted[SYSTEMS[0]][talk])
    reports = tmp_path / "reports"
    result = _score(parallel_auditor, str(tsv), "--doc-column", "doc", "--jsonl",
                    str(tmp_path / "tsv.jsonl"), "--html", f"{reports}/")
    assert result.exit_code == 0, result.output
    assert [r["score"] for r in _jsonl(tmp_path / "tsv.jsonl")] == [r["score"] for r in rows]
    pages = sorted(p.name for p in reports.iterdir())
    assert len(pages) == len(TALKS) + 1 and "index.html" in pages  # a full report per document
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert all(name in index for name in pages if name != "index.html")
    missing = _score(parallel_auditor, str(table), "--mt-column", "nope")
    _one_error_line(missing)
    assert "'nope'" in missing.stderr


def test_two_systems_are_ranked_with_paired_bootstrap(tmp_path, ted, parallel_auditor):
    files = _write_lines(tmp_path, ted, SYSTEMS[0])
    (tmp_path / "b").mkdir()
    other = _write_lines(tmp_path / "b", ted, SYSTEMS[1])
    result = _score(parallel_auditor, "-t", str(files["mt"]), "-t", str(other["mt"]),
                    "-r", str(files["ref"]), "--doc-ids", str(files["ids"]),
                    "--paired-bs-n", "200")
    assert result.exit_code == 0, result.output
    assert "Paired bootstrap resampling (200 resamples" in result.stdout
    assert "(baseline)" in result.stdout and re.search(r"\d\.\d{4}", result.stdout)
    assert str(other["mt"])[-30:] in result.stdout


def test_wrong_number_of_lines_is_one_line_and_exit_2(tmp_path, ted, parallel_auditor):
    files = _write_lines(tmp_path, ted, SYSTEMS[0])
    lines = files["ref"].read_text(encoding="utf-8").splitlines()
    files["ref"].write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    result = _score(parallel_auditor, "-t", str(files["mt"]), "-r", str(files["ref"]))
    _one_error_line(result)
    assert f"has {len(lines) - 1} lines" in result.stderr


def test_fail_under_gates_on_the_system_score(lines_run, parallel_auditor):
    files, _, _ = lines_run
    args = ["-t", str(files["mt"]), "-r", str(files["ref"]), "--doc-ids", str(files["ids"])]
    assert _score(parallel_auditor, *args, "--fail-under", "100").exit_code == 1
    assert _score(parallel_auditor, *args, "--fail-under", "0").exit_code == 0


def test_resume_keeps_what_is_done_and_audits_the_rest(lines_run, tmp_path, parallel_auditor):
    files, out, _ = lines_run
    full = out["jsonl"].read_text(encoding="utf-8").splitlines()
    first_doc = [json.loads(x) for x in full[:SEGMENTS_PER_TALK]]
    for row in first_doc:  # a value no audit gives: proves the done document was not redone
        row["score"] = 12.5
    partial = tmp_path / "resume.jsonl"
    partial.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in first_doc)
                       + full[SEGMENTS_PER_TALK][:40], encoding="utf-8")  # a line cut short
    result = _score(parallel_auditor, "-t", str(files["mt"]), "-s", str(files["src"]),
                    "-r", str(files["ref"]), "--doc-ids", str(files["ids"]),
                    "--jsonl", str(partial), "--resume")
    assert result.exit_code == 0, result.output
    rows = _jsonl(partial)
    assert [r["segment"] for r in rows] == list(range(len(full)))
    assert all(r["score"] == 12.5 for r in rows[:SEGMENTS_PER_TALK])
    assert [r["score"] for r in rows[SEGMENTS_PER_TALK:]] == [
        json.loads(x)["score"] for x in full[SEGMENTS_PER_TALK:]]


def test_resume_knows_the_same_file_typed_another_way_and_refuses_a_changed_one(
        lines_run, tmp_path, parallel_auditor, monkeypatch):
    files, out, _ = lines_run
    full = out["jsonl"].read_text(encoding="utf-8").splitlines()
    rows = [json.loads(x) for x in full]
    for row in rows:  # a value no audit gives: proves nothing was redone
        row["score"] = 12.5
    done = tmp_path / "done.jsonl"
    done.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    monkeypatch.chdir(files["mt"].parent)
    typed = ["-t", f"./{files['mt'].name}", "-s", str(files["src"]), "-r",
             f"../{files['ref'].parent.name}/{files['ref'].name}", "--doc-ids",
             str(files["ids"]), "--jsonl", str(done), "--resume"]
    result = _score(parallel_auditor, *typed)
    assert result.exit_code == 0, result.output
    assert [json.loads(x)["score"] for x in done.read_text(encoding="utf-8").splitlines()] \
        == [12.5] * len(rows)
    changed = tmp_path / files["mt"].name
    changed.write_text(files["mt"].read_text(encoding="utf-8").replace("the", "a"),
                       encoding="utf-8")
    result = _score(parallel_auditor, "-t", str(changed), *typed[2:])
    _one_error_line(result)
    assert "other inputs" in result.stderr


# ---- XLIFF and TMX --------------------------------------------------------------------------
def _units(ted) -> list[tuple[str, str, str]]:
    return [u for talk in TALKS for u in ted[SYSTEMS[0]][talk]]


def _xliff12(path: Path, units) -> None:
    from translate.storage import xliff

    skeleton = ('<?xml version="1.0" encoding="UTF-8"?><xliff xmlns="urn:oasis:names:tc:xliff:'
                'document:1.2" version="1.2"><file original="talk" source-language="zh" '
                'target-language="en" datatype="plaintext"><body></body></file></xliff>')
    store = xliff.Xliff1File.parsestring(skeleton.encode())
    for n, (src, mt, _) in enumerate(units):
        unit = store.addsourceunit(src, filename="talk")
        unit.settarget(mt)
        unit.setid(f"seg{n}")
    path.write_bytes(bytes(store))


def _xliff20(path: Path, units) -> None:
    from translate.storage import xliff2

    store = xliff2.Xliff2File(sourcelanguage="zh", targetlanguage="en")
    for n, (src, mt, _) in enumerate(units):
        unit = store.addsourceunit(src)
        unit.settarget(mt)
        unit.setid(f"seg{n}")
    path.write_bytes(bytes(store))


def _tmx(path: Path, units) -> None:
    from translate.storage import tmx

    store = tmx.tmxfile(sourcelanguage="zh", targetlanguage="en")
    for src, mt, _ in units:
        store.addtranslation(src, "zh", mt, "en")
    path.write_bytes(bytes(store))


@pytest.mark.parametrize("kind", ["xliff12", "xliff20", "tmx"])
def test_xliff_and_tmx_round_trip_with_findings_as_notes(kind, tmp_path, ted, parallel_auditor):
    from translate.storage import xliff, xliff2

    units = _units(ted)
    path = tmp_path / ("in.tmx" if kind == "tmx" else "in.xlf")
    {"xliff12": _xliff12, "xliff20": _xliff20, "tmx": _tmx}[kind](path, units)
    refs = tmp_path / "ref.txt"
    refs.write_text("\n".join(r for _, _, r in units) + "\n", encoding="utf-8")
    out, jsonl = tmp_path / "out.xlf", tmp_path / "out.jsonl"
    result = _score(parallel_auditor, str(path), "-r", str(refs), "--xliff-out", str(out),
                    "--jsonl", str(jsonl))
    assert result.exit_code == 0, result.output
    rows = _jsonl(jsonl)
    assert len(rows) == len(units) and sum(len(r["findings"]) for r in rows) > 0

    reader = xliff2.Xliff2File if kind == "xliff20" else xliff.Xliff1File
    before = [] if kind == "tmx" else [
        (u.getid(), u.source, u.target) for u in reader.parsestring(path.read_bytes()).units]
    reread = reader.parsestring(out.read_bytes())
    after = [(u.getid(), u.source, u.target) for u in reread.units]
    if kind == "tmx":  # written as XLIFF 1.2: same texts, units numbered in order
        assert [(s, t) for _, s, t in after] == [(s, m) for s, m, _ in units]
    else:
        assert after == before
    for row, unit in zip(rows, reread.units, strict=True):
        if kind == "xliff20":  # in the <unit>'s <notes>, where the XLIFF 2.0 schema has them
            holder = unit.getunitelement().find(unit.namespaced("notes"))
            notes = [n.text for n in holder if n.get("category") == "auditor"] \
                if holder is not None else []
        else:
            notes = [n for n in unit.getnotes("auditor").split("\n") if n]
        assert len(notes) == len(row["findings"])
        for note, f in zip(notes, row["findings"], strict=True):
            assert note.startswith(f"auditor {f['severity']} {f['kind']}")
        element = unit.getunitelement() if kind == "xliff20" else unit.xmlelement
        score = element.get("{http://www.w3.org/2005/11/its}locQualityRatingScore")
        assert float(score) == pytest.approx(row["score"], abs=0.05)
        if any(f["severity"] == "major" and f["scored"] for f in row["findings"]):
            if kind == "xliff20":
                assert unit.xmlelement.get("subState") == "auditor:needs-review"
            else:
                assert unit.xmlelement.find(unit.namespaced("target")).get("state") == \
                    "needs-review-translation"


def test_malformed_xliff_is_one_line_and_exit_2(tmp_path, parallel_auditor):
    bad = tmp_path / "bad.xlf"
    bad.write_text('<?xml version="1.0"?><xliff version="1.2"><file><body><trans-unit>',
                   encoding="utf-8")
    result = _score(parallel_auditor, str(bad))
    _one_error_line(result)
    assert "not a valid XLIFF file" in result.stderr


def test_xliff_declaring_entities_is_refused_in_one_line(tmp_path, parallel_auditor):
    bomb = tmp_path / "bomb.xlf"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE xliff [<!ENTITY a "aaaaaaaaaa">'
                    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><xliff version="1.2" '
                    'xmlns="urn:oasis:names:tc:xliff:document:1.2"><file original="f" '
                    'source-language="zh" target-language="en" datatype="plaintext"><body>'
                    '<trans-unit id="1"><source>&b;</source><target>&b;</target></trans-unit>'
                    '</body></file></xliff>', encoding="utf-8")
    result = _score(parallel_auditor, str(bomb))
    _one_error_line(result)
    assert "declares entities" in result.stderr


def test_xliff_and_tmx_are_read_and_written_without_importing_translate_toolkit(tmp_path,
                                                                                ted):
    """translate-toolkit is GPL-3.0-or-later and auditor MIT: it writes the test files, but
    reading and writing them back at run time must not import it."""
    import subprocess
    import sys

    units = _units(ted)[:4]
    for name, writer in (("a.xlf", _xliff12), ("b.xlf", _xliff20), ("c.tmx", _tmx)):
        writer(tmp_path / name, units)
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from auditor.formats import InputFormat\n"
        "from auditor.formats.xliff import open_store, store_segments, write_findings\n"
        f"folder = Path({str(tmp_path)!r})\n"
        "for name in ('a.xlf', 'b.xlf', 'c.tmx'):\n"
        "    fmt = InputFormat.TMX if name.endswith('tmx') else InputFormat.XLIFF\n"
        "    store = open_store(folder / name, fmt)\n"
        "    segments = list(store_segments(store))\n"
        "    assert len(segments) == 4, segments\n"
        "    rows = {s.index: {'score': 50.0, 'findings': []} for s in segments}\n"
        "    write_findings(store, rows, folder / (name + '.out.xlf'))\n"
        "assert not [m for m in sys.modules if m == 'translate' or m.startswith('translate.')]\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr


def test_tmx_without_the_asked_language_is_one_line_and_exit_2(tmp_path, ted,
                                                               parallel_auditor):
    path = tmp_path / "tm.tmx"
    _tmx(path, _units(ted)[:3])
    result = _score(parallel_auditor, str(path), "--target-lang", "de")
    _one_error_line(result)
    assert "no 'de' text" in result.stderr


def test_paired_bootstrap_tells_a_real_difference_from_none():
    import numpy as np

    from auditor.segments import paired_bootstrap

    rng = np.random.default_rng(0)
    base = rng.uniform(40, 90, 300)
    same = paired_bootstrap([("a", list(base)), ("b", list(base))], n_samples=500)
    better = paired_bootstrap([("a", list(base)), ("b", list(base + 5 + rng.normal(0, 2, 300)))],
                              n_samples=500)
    assert same[1].p_value > 0.5 and better[1].p_value < 0.01
    assert better[1].score - better[0].score == pytest.approx(5, abs=0.5)
    assert better[0].ci > 0
