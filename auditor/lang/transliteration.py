"""How Chinese transliterates a foreign name, learned from CC-CEDICT: is "Sakeqi" Sarkozy?

Chinese writes a foreign name by sound, one syllable per chunk of the name (Sarkozy 萨科齐
sa-ke-qi, Thatcher 撒切尔 sa-qie-er, Navalny 纳瓦尔尼 na-wa-er-ni). An MT that does not know the
person writes the pinyin of those characters, which shares few letters with the English name.
`auditor/data/transliteration.json` holds P(pinyin syllable | 1-4 English letters), fitted by
`python benchmarks/fit_transliteration.py` from CC-CEDICT's transliterated proper nouns (the
name benchmark's forms left out). A rendering is scored against an English name by the best
monotone cut of the name into as many chunks as the rendering has syllables (Viterbi), as the
log-likelihood ratio per syllable against the syllables' base rates: about 3-5 for a true
transliteration ("Sakeqi" / Sarkozy 4.6), below 0 for another name ("Sakeqi" / Putin -2.3).
A rendering that lost its last syllables ("Saqie") may cover only the start of the name, at a
cost.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources

from auditor.lang.romanize import fold

TABLE_FILE = "transliteration.json"
# Log-probability of a syllable for a chunk the table does not pair with it.
_UNSEEN = math.log(1e-4)
# Per-syllable log-likelihood ratio that counts as full evidence (the score is divided by it
# and clipped to [0, 1]); a true transliteration scores 3-5.
FULL_EVIDENCE = 4.0
# A rendering covering only the start of the name (its last syllables lost) pays this much per
# syllable: "Saqie" for Thatcher is evidence, but less than "Saqieer".
PREFIX_COST = 1.0
# Renderings of fewer syllables say too little (a two-letter chunk fits many names).
MIN_SYLLABLES = 2


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, dict[str, float]], dict[str, float], int]:
    """(log P(syllable | chunk) by syllable, log base rate by syllable, longest chunk), read
    once per process on first use."""
    text = (resources.files("auditor") / "data" / TABLE_FILE).read_text(encoding="utf-8")
    data = json.loads(text)
    return data["log_probability"], data["syllable_log_frequency"], int(data["max_chunk"])


@lru_cache(maxsize=8192)
def transliteration_score(english: str, syllables: tuple[str, ...]) -> float:
    """Per-syllable log-likelihood ratio that `syllables` transliterate the English word (its
    letters, folded), the whole word or, at `PREFIX_COST` per syllable, its beginning; -inf
    when the lengths cannot match."""
    table, base, longest = _table()
    word = fold(english)
    n, m = len(word), len(syllables)
    if m == 0 or n < m:
        return -math.inf
    best = [[-math.inf] * (n + 1) for _ in range(m + 1)]
    best[0][0] = 0.0
    for j in range(1, m + 1):
        chunks = table.get(syllables[j - 1], {})
        for i in range(j, n + 1):
            here = -math.inf
            for k in range(1, min(longest, i) + 1):
                prev = best[j - 1][i - k]
                if prev > -math.inf:
                    here = max(here, prev + chunks.get(word[i - k:i], _UNSEEN))
            best[j][i] = here
    whole = best[m][n]
    # a prefix of at least half the name (a rendering that lost its last syllables)
    start = max(m, (n + 1) // 2)
    prefix = max(best[m][start:n], default=-math.inf) - PREFIX_COST * m
    null = sum(base.get(s, _UNSEEN) for s in syllables)
    return (max(whole, prefix) - null) / m


@lru_cache(maxsize=16384)
def transliteration_match(readings: tuple[tuple[str, ...], ...], names: frozenset[str]) -> float:
    """How well the best pinyin reading of a rendering transliterates one of `names` (the
    reference entity's name and its words), in [0, 1]."""
    best = 0.0
    for syllables in readings:
        if len(syllables) < MIN_SYLLABLES:
            continue
        for name in names:
            if fold(name) == "".join(syllables):
                continue
            score = transliteration_score(name, syllables) / FULL_EVIDENCE
            best = max(best, min(1.0, score))
    return best


__all__ = ["transliteration_match", "transliteration_score"]
