"""The `auditor` console command's entry point: sets the process up, then runs the CLI.

OpenBLAS gets one thread unless the environment says otherwise (`OPENBLAS_NUM_THREADS`, read
when numpy loads it, so this module imports nothing that imports numpy). An audit's numpy
products are small (cosine matrices of a few hundred sentences, word vectors by glosses):
OpenBLAS split them over a second thread, which then spun waiting for the next one, took a
core from the encoder's second batch and the background parse, and cost more CPU than it
saved. Ten warm TED audits against refB (`benchmarks/speed.py`'s documents, int8 encoder,
parse cache emptied before each, load 0.4-1.5, two runs each): 10.3 and 9.7 s wall, 19.0 and
17.6 s CPU per 1,000 MT sentences with OpenBLAS's default two threads; 8.8 and 8.5 s, 14.8 and
14.5 s with one. The results are the same (the seed audit's JSON; `evaluate_mqm.py --findings`
on 60 TED and 30 news documents). The CLI owns its process, so it sets this; a library caller
sets it in its own environment (README, "Speed and memory"); feed workers inherit it.
"""

from __future__ import annotations

import os


def main() -> None:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from auditor.cli import main as cli_main

    cli_main()
