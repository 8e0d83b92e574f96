"""Time of one audit of a hostile single-line input, against the seed reference 000.

    .venv/bin/python benchmarks/long_input.py [--sizes 10000,100000,1000000] [--shape both]

Two shapes, each a single line of the given size in characters:
- `names`: capitalised words and numbers with no sentence punctuation (the input that used to
  hang: one endless 'sentence' full of name candidates);
- `article`: the seed MT repeated with its line breaks removed (ordinary punctuated sentences,
  many of them repeated).
Both are built by tests/long_lines.py, which the tests in tests/test_hostile_scale.py share.
Prints per row: shape, characters, MT sentences after splitting, wall seconds, CPU seconds,
findings, and the notes the result carries (split, capped). Models are loaded and warmed first;
the time is that of `Auditor.audit` alone. Issue 18 asks for under 30 s for 1 MB on 2 cores.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.long_lines import article_line, names_line  # noqa: E402 - one builder for tests too

SEED_REF = ROOT / "seeds" / "000_bf9eb7df09abd944.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--shape", choices=["names", "article", "both"], default="both")
    args = parser.parse_args()
    from auditor import Auditor

    auditor = Auditor()
    auditor.audit("Kang Jing met Mike Pompeo in Seoul on Thursday.", [SEED_REF])  # warm up
    shapes = ["names", "article"] if args.shape == "both" else [args.shape]
    print("| shape | characters | MT sentences | wall s | CPU s | findings | notes |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for shape in shapes:
        for size in (int(s) for s in args.sizes.split(",")):
            text = names_line(size) if shape == "names" else article_line(size)
            wall, cpu = time.perf_counter(), time.process_time()
            result = auditor.audit(text, [SEED_REF])
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            notes = "; ".join(result.notes) or "-"
            print(f"| {shape} | {size:,} | {len(result.mt.sentences):,} | {wall:.1f} | "
                  f"{cpu:.1f} | {len(result.findings)} | {notes} |", flush=True)


if __name__ == "__main__":
    main()
