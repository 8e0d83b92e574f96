"""Time of one audit of a hostile single-line input, as the MT, the reference or the source.

    .venv/bin/python benchmarks/long_input.py [--sizes 10000,100000,1000000] [--shape both]
        [--side mt|reference|source]

Two shapes, each a single line of the given size in characters:
- `names`: capitalised words and numbers with no sentence punctuation (the input that used to
  hang: one endless 'sentence' full of name candidates);
- `article`: the seed MT repeated with its line breaks removed (ordinary punctuated sentences,
  many of them repeated).
Both are built by tests/long_lines.py, which the tests in tests/test_hostile_scale.py share.
`--side mt` (default) audits the line against the seed reference 000; `--side reference`
audits the seed MT 001 against the line; `--side source` audits the seed MT against a Chinese
line of the given size (no punctuation, no spaces; `--shape` is ignored).
Prints per row: side, shape, characters, sentences of the long document after splitting, wall
seconds, CPU seconds (all threads of the process), the 1-minute load average of the machine
before the audit, findings, and the notes the result carries (split, capped). Models are
loaded and warmed first, and every row starts with empty caches (vectors, parses); the time
is that of `Auditor.audit` alone. Issue 18 asks for under
30 s for 1 MB on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.long_lines import (  # noqa: E402 - one builder for tests too
    SEED_MT,
    article_line,
    chinese_line,
    names_line,
)

SEED_REF = ROOT / "seeds" / "000_bf9eb7df09abd944.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--shape", choices=["names", "article", "both"], default="both")
    parser.add_argument("--side", choices=["mt", "reference", "source"], default="mt")
    args = parser.parse_args()
    from auditor import Auditor
    from auditor.embed import CachedEncoder
    from auditor.result import Document

    models = Auditor()
    warm = "Kang Jing met Mike Pompeo in Seoul on Thursday."
    models.audit(warm, [SEED_REF], source=Document("康京和周四在首尔会见蓬佩奥。", lang="zh"))
    source_model = models.resources.source_encoder
    assert isinstance(models.encoder, CachedEncoder) and isinstance(source_model, CachedEncoder)
    shapes = ["names", "article"] if args.shape == "both" else [args.shape]
    if args.side == "source":
        shapes = ["chinese"]
    print("| side | shape | characters | sentences | wall s | CPU s | load | findings | notes |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for shape in shapes:
        for size in (int(s) for s in args.sizes.split(",")):
            builder = {"names": names_line, "article": article_line, "chinese": chinese_line}
            text = builder[shape](size)
            # the same loaded models with empty caches: a row must not reuse the sentence
            # vectors or parses of the row before (the lines of two sizes share a prefix)
            encoder = CachedEncoder(models.encoder.inner)
            source_encoder = CachedEncoder(source_model.inner)
            auditor = Auditor(encoder=encoder, source_encoder=source_encoder)
            auditor.resources = replace(models.resources, encoder=encoder,
                                        source_encoder=source_encoder, _parses={})
            load = os.getloadavg()[0]
            wall, cpu = time.perf_counter(), time.process_time()
            if args.side == "mt":
                result = auditor.audit(text, [SEED_REF])
                long_doc = result.mt
            elif args.side == "reference":
                result = auditor.audit(SEED_MT, [text])
                long_doc = result.references[0]
            else:
                result = auditor.audit(SEED_MT, source=Document(text, lang="zh"))
                assert result.source is not None
                long_doc = result.source
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            notes = "; ".join(result.notes) or "-"
            print(f"| {args.side} | {shape} | {size:,} | {len(long_doc.sentences):,} | "
                  f"{wall:.1f} | {cpu:.1f} | {load:.1f} | {len(result.findings)} | {notes} |",
                  flush=True)


if __name__ == "__main__":
    main()
