"""Where one cold `auditor audit` goes: CPU and wall seconds of each stage, in one fresh process.

    .venv/bin/python benchmarks/cold_stages.py [--repeat N] [--background]

Runs the CLI on the seeds (001 against 000 and 004) in a fresh interpreter N times, with
timers wrapped around the stages (imports, the encoder's load, each encoder call, spaCy's load,
parsing, entities, alignment, scoring, each detector) and prints each stage's median. spaCy
loads in line by default, so that each stage's CPU is its own (process CPU counts every
thread); `--background` keeps the shipped background load and prints only the wall times that
matter then: the whole run and the wait for spaCy. Stages nest (a detector's time includes the
parsing it asks for). Machine figures: quote the load average printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED_MT = ROOT / "seeds" / "001_dda61ef40afe4077.txt"
SEED_REFS = [ROOT / "seeds" / "000_bf9eb7df09abd944.txt",
             ROOT / "seeds" / "004_cffa8e18d46157bb.txt"]

# The child: wraps the stages, runs the CLI, prints one JSON line of {stage: [cpu, wall]}.
CHILD = r'''
import json, sys, threading, time
T0 = (time.process_time(), time.perf_counter())
rows = {}
def add(label, c, w):
    r = rows.setdefault(label, [0.0, 0.0]); r[0] += c; r[1] += w
def wrap(owner, name, label):
    inner = getattr(owner, name)
    def timed(*a, **k):
        c, w = time.process_time(), time.perf_counter()
        try:
            return inner(*a, **k)
        finally:
            add(label, time.process_time() - c, time.perf_counter() - w)
    setattr(owner, name, timed)
import auditor.detect.base as base
if not BACKGROUND:
    base.Resources.start_loading_nlp = lambda self: None
import auditor.cli
add("python start + import auditor.cli", time.process_time() - T0[0], time.perf_counter() - T0[1])
c, w = time.process_time(), time.perf_counter()
import auditor.pipeline as pipeline, auditor.embed as embed, auditor.detect.nlp as nlp
add("import the pipeline", time.process_time() - c, time.perf_counter() - w)
wrap(pipeline, "load_encoder", "encoder load (ONNX session, tokenizer)")
wrap(pipeline, "load_spacy", "spaCy load (import + model)")
wrap(pipeline, "segment_document", "segment")
wrap(pipeline, "score_groups", "score aligned groups (chrF, BLEU)")
wrap(pipeline.Auditor, "_align", "align")
wrap(embed.OnnxEncoder, "encode", "encode (all calls)")
wrap(base, "parse_sentences", "parse (tagger, parser, lemmatizer)")
wrap(base, "add_entities", "entities (NER)")
wrap(base.Resources, "finish_loading_nlp", "wait for the background spaCy load at the end")
real_nlp = base.Resources.nlp.fget
first = []
def nlp_timed(self):
    if first or threading.current_thread().name == "auditor-spacy-load":
        return real_nlp(self)
    first.append(True)
    c, w = time.process_time(), time.perf_counter()
    try:
        return real_nlp(self)
    finally:
        add("first read of spaCy by the audit (in line: its load; background: the wait)",
            time.process_time() - c, time.perf_counter() - w)
base.Resources.nlp = property(nlp_timed)
get = pipeline.get_detector
def get_detector(i):
    d = get(i)
    wrap(d, "find", "detector " + i)
    return d
pipeline.get_detector = get_detector
from auditor.cli import main
sys.argv = ["auditor", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
add("whole run (in process)", time.process_time() - T0[0], time.perf_counter() - T0[1])
print(json.dumps(rows))
'''


def run(background: bool) -> dict[str, list[float]]:
    refs = [a for r in SEED_REFS for a in ("--ref", str(r))]
    code = f"BACKGROUND = {background!r}\n" + CHILD
    proc = subprocess.run(
        [sys.executable, "-c", code, "audit", str(SEED_MT), *refs, "--json",
         "/tmp/auditor-cold-stages.json"], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--background", action="store_true",
                        help="keep spaCy's background load (wall times only are meaningful)")
    args = parser.parse_args(argv)
    loads = [os.getloadavg()[0]]
    runs = []
    for _ in range(max(args.repeat, 1)):
        runs.append(run(args.background))
        loads.append(os.getloadavg()[0])
    labels = list(dict.fromkeys(k for r in runs for k in r))
    how = "background (shipped)" if args.background else "in line"
    print(f"Cold CLI on the seeds, stages (median of {len(runs)} runs; spaCy loaded {how}; "
          f"load average {min(loads):.1f}-{max(loads):.1f}):\n")
    print("| stage | CPU | wall |\n|---|---|---|")
    for label in labels:
        cpu = statistics.median(r.get(label, [0.0, 0.0])[0] for r in runs)
        wall = statistics.median(r.get(label, [0.0, 0.0])[1] for r in runs)
        print(f"| {label} | {cpu:.3f} s | {wall:.3f} s |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
