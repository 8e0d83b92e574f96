"""Fit the transliteration table (auditor/data/transliteration.json) from CC-CEDICT.

    python benchmarks/fit_transliteration.py            # fit and write the table
    python benchmarks/fit_transliteration.py --check    # refit and compare with the shipped file

Chinese writes a foreign name by sound, syllable by syllable, after conventions such as
Xinhua's transliteration tables (Sarkozy 萨科齐 sa-ke-qi, Thatcher 撒切尔 sa-qie-er). An MT that
does not know the person writes the pinyin of those characters ("Sakeqi"), which spelling, sound
and consonant skeleton tie only loosely to "Sarkozy". CC-CEDICT holds about ten thousand such
pairs: proper-noun entries whose English name is not their pinyin. From the one-word pairs (and
the words of a person's name against the parts of its Chinese form, 冯·德莱恩) this learns
P(pinyin syllable | chunk of 1-4 English letters) by expectation-maximisation over every cut of
the English word into as many chunks as the form has syllables (a monotone many-to-one
alignment, as in Knight & Graehl's back-transliteration). `auditor.lang.transliteration` scores
an MT rendering against a reference name with it.

The Chinese forms of the name benchmark's people and places (benchmarks/data/*.tsv) are left
out of the training pairs, so the benchmark measures the table on names it has never seen.
Deterministic (fixed data, fixed iterations, rounded output): this command reproduces the file.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET = ROOT / "auditor" / "data" / "transliteration.json"
BENCHMARK_FILES = (ROOT / "benchmarks" / "data" / "name_pairs.tsv",
                   ROOT / "benchmarks" / "data" / "world_names.tsv")
MAX_CHUNK = 4  # English letters per syllable, at most ("sch", "ough")
ITERATIONS = 8
MIN_PROBABILITY = 0.01  # smaller entries are dropped from the shipped table


def benchmark_forms() -> set[str]:
    """Every Chinese form (whole, and each part between middle dots) of the name benchmark."""
    forms: set[str] = set()
    for path in BENCHMARK_FILES:
        for row in csv.reader((line for line in path.read_text(encoding="utf-8").splitlines()
                               if line and not line.startswith("#")), delimiter="\t"):
            chinese = next((c for c in row if re.search(r"[\u4e00-\u9fff]", c)), "")
            whole = chinese.replace(" ", "")
            forms |= {whole, *whole.split("·")}
    return {f for f in forms if f}


def training_pairs(exclude: set[str]) -> list[tuple[str, tuple[str, ...]]]:
    """(folded English word, pinyin syllables) of CC-CEDICT's transliterated proper nouns."""
    from auditor.lang.cedict import load_cedict
    from auditor.lang.name_glosses import entry_names
    from auditor.lang.romanize import fold

    cedict = load_cedict()
    pairs: list[tuple[str, tuple[str, ...]]] = []
    for entry in cedict.entries():
        if not entry.is_proper or entry.simplified in exclude or entry.traditional in exclude:
            continue
        names = entry_names(entry)
        if not names:
            continue
        syllables = [s for s in entry.syllables if s.isalpha()]
        parts = [p for p in re.split(r"[·・]", entry.simplified) if p]
        words = names[0].split()
        if len(words) == 1 and len(parts) == 1:
            candidates = [(fold(words[0]), syllables)]
        elif len(parts) == len(words) > 1 and sum(map(len, parts)) == len(syllables):
            candidates, k = [], 0
            for part, word in zip(parts, words, strict=True):
                candidates.append((fold(word), syllables[k:k + len(part)]))
                k += len(part)
        else:
            continue
        for word, syl in candidates:
            if (syl and word != "".join(syl) and len(syl) <= len(word) <= MAX_CHUNK * len(syl)
                    and len(word) <= 16):
                pairs.append((word, tuple(syl)))
    pairs.sort()
    return pairs


def fit(pairs: list[tuple[str, tuple[str, ...]]]) -> dict[tuple[str, str], float]:
    """P(syllable | chunk) by EM over the monotone alignments of each pair."""
    prob: dict[tuple[str, str], float] = defaultdict(lambda: 1.0)
    for _ in range(ITERATIONS):
        counts: dict[tuple[str, str], float] = defaultdict(float)
        for word, syl in pairs:
            n, m = len(word), len(syl)
            fwd = [[0.0] * (n + 1) for _ in range(m + 1)]
            fwd[0][0] = 1.0
            for j in range(1, m + 1):
                for i in range(1, n + 1):
                    fwd[j][i] = sum(fwd[j - 1][i - k] * prob[(word[i - k:i], syl[j - 1])]
                                    for k in range(1, min(MAX_CHUNK, i) + 1) if fwd[j - 1][i - k])
            total = fwd[m][n]
            if total <= 0:
                continue
            bwd = [[0.0] * (n + 1) for _ in range(m + 1)]
            bwd[m][n] = 1.0
            for j in range(m - 1, -1, -1):
                for i in range(n - 1, -1, -1):
                    bwd[j][i] = sum(prob[(word[i:i + k], syl[j])] * bwd[j + 1][i + k]
                                    for k in range(1, min(MAX_CHUNK, n - i) + 1)
                                    if bwd[j + 1][i + k])
            for j in range(1, m + 1):
                for i in range(1, n + 1):
                    if not bwd[j][i]:
                        continue
                    for k in range(1, min(MAX_CHUNK, i) + 1):
                        if fwd[j - 1][i - k]:
                            key = (word[i - k:i], syl[j - 1])
                            share = fwd[j - 1][i - k] * prob[key] * bwd[j][i] / total
                            if share > 1e-6:
                                counts[key] += share
        per_chunk: dict[str, float] = defaultdict(float)
        for (chunk, _), value in counts.items():
            per_chunk[chunk] += value
        prob = defaultdict(float, {key: value / per_chunk[key[0]]
                                   for key, value in counts.items()})
    return dict(prob)


def table(pairs: list[tuple[str, tuple[str, ...]]]) -> dict[str, object]:
    prob = fit(pairs)
    by_syllable: dict[str, dict[str, float]] = defaultdict(dict)
    for (chunk, syllable), p in sorted(prob.items()):
        if p >= MIN_PROBABILITY:
            by_syllable[syllable][chunk] = round(math.log(p), 3)
    frequency = Counter(s for _, syl in pairs for s in syl)
    total = sum(frequency.values())
    return {
        "about": "P(pinyin syllable | English letters) of Chinese transliteration, as log "
                 "probabilities; fitted from CC-CEDICT by benchmarks/fit_transliteration.py "
                 "(the name benchmark's forms left out)",
        "max_chunk": MAX_CHUNK,
        "pairs": len(pairs),
        "syllable_log_frequency": {s: round(math.log(c / total), 3)
                                   for s, c in sorted(frequency.items())},
        "log_probability": {s: dict(sorted(c.items())) for s, c in sorted(by_syllable.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="refit and compare with the shipped file instead of writing it")
    args = parser.parse_args()
    pairs = training_pairs(benchmark_forms())
    text = json.dumps(table(pairs), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    print(f"training pairs: {len(pairs)}; table sha256 {digest} "
          "(NamesConfig.transliteration_table)")
    if args.check:
        same = TARGET.read_text(encoding="utf-8") == text
        print("shipped table reproduced" if same else "shipped table DIFFERS")
        sys.exit(0 if same else 1)
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET} ({len(text):,} bytes)")


if __name__ == "__main__":
    main()
