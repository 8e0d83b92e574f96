"""Peak memory of reading and writing back XLIFF 1.2 / 2.0 files with `auditor.formats.xliff`.

    .venv/bin/python benchmarks/xliff_stream.py [--units 10000,100000]

Writes XLIFF files of N units (TED dev lines from ../shared/data, repeated; to a temporary
folder) and runs, in a fresh process each, what `auditor score FILE --xliff-out OUT` does with
the file besides auditing: the checking pass (`open_store`), the segment stream
(`store_segments`) and the write-back (`write_findings`, every unit with a score and two
findings, rows read from a JSONL on disk as the command does). Prints the peak RSS of each
process, and of translate-toolkit parsing the same file (what the command did before: the
whole file as a tree), so the difference is the file, not the interpreter.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mqm_data import load_documents  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

OURS = """
import json, sys
from pathlib import Path
from auditor.formats import InputFormat
from auditor.formats.xliff import open_store, store_segments, write_findings
from auditor.report.segments import RowFile
path, rows = Path(sys.argv[1]), Path(sys.argv[2])
store = open_store(path, InputFormat.XLIFF)
finding = {"severity": "major", "kind": "name", "mt_text": "x", "mt_start": 0, "mt_end": 1,
           "scored": True, "evidence": "a test finding"}
offsets, position = {}, 0
with open(rows, "wb") as fh:
    for seg in store_segments(store):
        line = (json.dumps({"segment": seg.index, "score": 50.0,
                            "findings": [finding, finding]}) + "\\n").encode()
        offsets[seg.index] = position
        position += fh.write(line)
with RowFile(rows, offsets) as results:
    write_findings(store, results, path.with_suffix(".out.xlf"), "sig")
"""

THEIRS = """
import sys
from pathlib import Path
from translate.storage import xliff, xliff2
data = Path(sys.argv[1]).read_bytes()
reader = xliff2.Xliff2File if b'version="2.0"' in data[:400] else xliff.Xliff1File
store = reader.parsestring(data)
assert len(store.units) > 0
"""


def texts() -> list[tuple[str, str]]:
    out = []
    for doc in load_documents("ted"):
        for seg in doc.segments:
            out.append((" ".join(seg.source.split()), " ".join(seg.mt.split())))
    return out


def write_xliff(path: Path, version: str, n: int, pairs: list[tuple[str, str]]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        if version == "1.2":
            fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<xliff version="1.2" '
                     'xmlns="urn:oasis:names:tc:xliff:document:1.2">\n<file original="big" '
                     'source-language="zh" target-language="en" datatype="plaintext">\n<body>\n')
            for i in range(n):
                src, mt = pairs[i % len(pairs)]
                fh.write(f'<trans-unit id="u{i}"><source>{escape(src)}</source>'
                         f'<target>{escape(mt)}</target></trans-unit>\n')
            fh.write("</body>\n</file>\n</xliff>\n")
        else:
            fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<xliff version="2.0" '
                     'xmlns="urn:oasis:names:tc:xliff:document:2.0" srcLang="zh" '
                     'trgLang="en">\n<file id="big">\n')
            for i in range(n):
                src, mt = pairs[i % len(pairs)]
                fh.write(f'<unit id="u{i}"><segment><source>{escape(src)}</source>'
                         f'<target>{escape(mt)}</target></segment></unit>\n')
            fh.write("</file>\n</xliff>\n")


def peak(code: str, *args: str) -> tuple[float, float]:
    """(peak RSS MB, CPU seconds) of a fresh process running `code`."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", code, *args], env=env,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    assert proc.stderr is not None
    err = proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(err[-500:])
    return usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", default="10000,100000")
    args = parser.parse_args()
    pairs = texts()
    baseline, _ = peak("import auditor.formats.xliff, auditor.report.segments")
    print(f"interpreter with auditor.formats.xliff imported: {baseline:.0f} MB\n")
    print("| XLIFF | units | file MB | auditor: check, stream, write back: peak RSS MB "
          "(CPU s) | translate-toolkit parse: peak RSS MB (CPU s) |")
    print("|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for version in ("1.2", "2.0"):
            for n in (int(x) for x in args.units.split(",")):
                path = Path(tmp) / f"big{n}.{version}.xlf"
                write_xliff(path, version, n, pairs)
                start = time.perf_counter()
                ours = peak(OURS, str(path), str(Path(tmp) / "rows.jsonl"))
                theirs = peak(THEIRS, str(path))
                del start
                print(f"| {version} | {n:,} | {path.stat().st_size / 2**20:.0f} | "
                      f"{ours[0]:.0f} ({ours[1]:.1f}) | {theirs[0]:.0f} ({theirs[1]:.1f}) |",
                      flush=True)


if __name__ == "__main__":
    main()
