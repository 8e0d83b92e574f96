"""Cost of the shared CC-CEDICT index: first build, cold open, lookups, memory.

    python benchmarks/cedict_speed.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

_PROBE = """
import time, tracemalloc
tracemalloc.start()
t = time.perf_counter()
from auditor.lang.cedict import load_cedict
d = load_cedict()
print(f"{time.perf_counter() - t:.3f} {tracemalloc.get_traced_memory()[1] / 1e6:.1f}")
"""


def _open(cache: str) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                         check=True, env={**os.environ, "AUDITOR_CACHE_DIR": cache})
    seconds, megabytes = out.stdout.split()
    return float(seconds), float(megabytes)


def main() -> None:
    with tempfile.TemporaryDirectory() as cache:
        build = _open(cache)
        cold = min(_open(cache) for _ in range(3))
    print(f"first use (builds the index): {build[0]:.2f} s, peak {build[1]:.0f} MB")
    print(f"cold open of the cached index: {cold[0]:.3f} s, peak {cold[1]:.1f} MB")
    from auditor.lang.cedict import load_cedict

    cedict = load_cedict()
    words = ["普京", "横滨", "中", "韩联社", "美国", "记者", "会见"] * 500
    t = time.perf_counter()
    for word in words:
        cedict.lookup(word)
    per_lookup = (time.perf_counter() - t) / len(words) * 1e6
    text = "岸田文雄访问横滨并会见了韩联社记者" * 50
    t = time.perf_counter()
    for i in range(len(text)):
        cedict.longest_match(text, i)
    per_char = (time.perf_counter() - t) / len(text) * 1e6
    print(f"lookup: {per_lookup:.0f} us; longest match: {per_char:.0f} us per character")


if __name__ == "__main__":
    main()
