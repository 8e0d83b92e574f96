"""How a name comes back after passing through Chinese characters: pure string functions.

A Chinese→English MT system meets a foreign name as Chinese characters and often writes their
pinyin: Korean and Japanese names come back as the Mandarin readings of their characters, and
Western names as the pinyin of their Chinese transliteration (one syllable per consonant-vowel
unit, final consonants given their own syllable, no -m coda, r→l). Three general mechanisms,
none with a table of names:

- `pinyin_syllables`: split a word into Mandarin syllables; the inventory is every reading in
  pypinyin's character dictionary.
- `skeleton`: the consonant classes that survive a trip through Mandarin transliteration
  (voicing and aspiration merged, nasal codas merged, vowels, h, w and y dropped), so that
  "Pompeo" and "Peng Poe" share "PNP". Compared with `skeleton_similarity`, a weighted edit
  distance whose cheap substitutions are the palatalisations Mandarin made (k/t/s → j).
- `sino_korean_similarity`: Korean names are Sino-Korean readings of characters whose Mandarin
  readings descend from the same Middle Chinese syllables, so their onsets and codas correspond
  regularly (Korean k ↔ Mandarin g/k/j/q/h/x, Korean -m ↔ Mandarin -n, Korean -l/-k/-p ↔ an
  open Mandarin syllable, ...). The correspondence rules are the textbook ones of historical
  Chinese phonology (see e.g. Sohn, "The Korean Language", ch. 4), written as onset and coda
  classes, not as syllable lists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache, lru_cache
from itertools import product

from unidecode import unidecode

_LETTERS = re.compile(r"[^a-z]")


@lru_cache(maxsize=65_536)  # the one key of every name comparison: called for each pair
def fold(text: str) -> str:
    """Lower-case ASCII letters only, accents and other scripts transliterated (unidecode):
    'Kyung-wha' -> 'kyungwha', "Wang-Yi", "wángyì" -> "wangyi". The one key every name
    comparison uses; memoised (the names check folds every word of the references, and
    words recur)."""
    return _LETTERS.sub("", unidecode(text).lower())


# ---- Mandarin syllables ----------------------------------------------------------------------
@lru_cache(maxsize=1)
def _dictionary_readings() -> dict[str, str]:
    """Every toneless reading in pypinyin's character dictionary, folded (bare nasals too), to
    its Wade-Giles spelling; read from the cached index rather than from pypinyin's tables in
    every process."""
    from auditor.lang.kanji_readings import load_kanji_readings

    return load_kanji_readings().mandarin_readings()


@lru_cache(maxsize=1)
def pinyin_inventory() -> frozenset[str]:
    """Every toneless Mandarin syllable pypinyin knows (about 410), without bare nasals."""
    return frozenset(s for s in _dictionary_readings() if s and any(v in s for v in "aeiouv"))


@lru_cache(maxsize=1)
def romanised_syllables() -> frozenset[str]:
    """Every toneless Mandarin syllable in pinyin or in Wade-Giles, as letter keys (bare nasals
    such as "ng" included)."""
    readings = _dictionary_readings()
    out = set(readings) | {fold(_wade_giles_syllable(r)) for r in readings}
    out.discard("")
    return frozenset(out)


def romanisations(han: str, limit: int = 16) -> tuple[str, ...]:
    """Pinyin readings of a name, toneless, syllables spaced; every reading of polyphonic
    characters (曾 is Zeng as a surname), most likely first, at most `limit`."""
    from pypinyin import Style, lazy_pinyin, pinyin

    first = " ".join(lazy_pinyin(han, style=Style.NORMAL, v_to_u=True))
    readings = pinyin(han, style=Style.NORMAL, heteronym=True, v_to_u=True)
    out = [first]
    for combo in product(*readings):
        candidate = " ".join(combo)
        if candidate not in out:
            out.append(candidate)
        if len(out) >= limit:
            break
    return tuple(out)


def pinyin_syllables(word: str) -> list[str] | None:
    """Split one word into Mandarin syllables (fewest syllables wins), or None if it is not pinyin.

    'Jinghe' -> ['jing', 'he']; 'Kangjing' -> ['kang', 'jing']; 'Pompeo' -> None.
    """
    letters = fold(word)
    if not letters or len(letters) > 30:
        return None
    inventory = pinyin_inventory()
    best: list[list[str] | None] = [None] * (len(letters) + 1)
    best[0] = []
    for end in range(1, len(letters) + 1):
        for start in range(max(0, end - 6), end):
            prev = best[start]
            piece = letters[start:end]
            if prev is not None and piece in inventory:
                cand = prev + [piece]
                current = best[end]
                if current is None or len(cand) < len(current):
                    best[end] = cand
    return best[len(letters)]


def name_pinyin(name: str) -> list[str] | None:
    """Mandarin syllables of a whole multi-word name, or None if any word is not pinyin."""
    out: list[str] = []
    for word in re.split(r"[\s\-']+", name.strip()):
        if not word:
            continue
        syllables = pinyin_syllables(word)
        if syllables is None:
            return None
        out += syllables
    return out or None


_PINYIN_ONSETS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j",
                  "q", "x", "r", "z", "c", "s")


def pinyin_parts(syllable: str) -> tuple[str, str, str]:
    """(onset, vowel, coda) of a Mandarin syllable; glides y/w count as no onset."""
    onset = next((o for o in _PINYIN_ONSETS if syllable.startswith(o)), "")
    rest = syllable[len(onset):]
    if rest.endswith("ng"):
        return onset, rest[:-2], "ng"
    if rest.endswith("n"):
        return onset, rest[:-1], "n"
    return onset, rest, ""


# ---- Korean romanised syllables ----------------------------------------------------------
# Onsets and codas as written in Revised, McCune-Reischauer and common personal spellings,
# mapped to the Hangul consonant class they stand for.
_KO_ONSETS: dict[str, str] = {
    "kk": "K", "gg": "K", "g": "K", "k": "K", "n": "N", "tt": "T", "d": "T", "t": "T",
    "r": "L", "l": "L", "rh": "L", "m": "M", "pp": "P", "bb": "P", "b": "P", "p": "P",
    "ss": "S", "s": "S", "sh": "S", "jj": "J", "j": "J", "ch": "J", "tch": "J", "c": "J",
    "h": "H", "wh": "H", "": "",
}
_KO_VOWELS = ("a", "ae", "ya", "yae", "eo", "o", "e", "ye", "yeo", "yo", "u", "oo", "wa", "wae",
              "oe", "oi", "wo", "weo", "we", "wi", "yu", "yoo", "eu", "ui", "eui", "i", "ee", "ea",
              "ai", "ou", "you", "eou", "yee", "ah", "oh", "uh", "yuh", "eh")
_KO_CODAS: dict[str, str] = {"ng": "ng", "n": "n", "m": "m", "l": "l", "r": "l", "k": "k",
                             "g": "k", "ck": "k", "rk": "k", "p": "p", "b": "p", "t": "t", "": ""}

# Sino-Korean onset class -> Mandarin onsets descending from the same Middle Chinese initials.
_KO_TO_MANDARIN_ONSET: dict[str, frozenset[str]] = {
    "K": frozenset({"g", "k", "j", "q", "h", "x"}),
    "N": frozenset({"n", "r", "l"}),  # l: the initial-r rule (두음법칙) writes ㄹ as ㄴ
    "T": frozenset({"d", "t", "zh", "ch"}),
    "L": frozenset({"l"}),
    "M": frozenset({"m", ""}),  # "": Middle Chinese m- became Mandarin w- (文 mun -> wen)
    "P": frozenset({"b", "p", "f"}),
    "S": frozenset({"s", "sh", "x", "z", "zh", "c", "ch", "j", "q"}),
    "J": frozenset({"z", "zh", "c", "ch", "j", "q", "s", "sh", "x"}),
    "H": frozenset({"h", "x"}),
    "": frozenset({"", "r", "l", "n"}),  # glides; 日-initial r-; dropped initial l-/n-
}
# Sino-Korean coda -> Mandarin coda: -m merged into -n; the stop codas -k/-p/-l(<-t) were lost.
_KO_TO_MANDARIN_CODA: dict[str, frozenset[str]] = {
    "ng": frozenset({"ng"}), "n": frozenset({"n"}), "m": frozenset({"n"}),
    "l": frozenset({""}), "k": frozenset({""}), "p": frozenset({""}), "t": frozenset({""}),
    "": frozenset({""}),
}


def korean_syllables(word: str) -> list[tuple[str, str]] | None:
    """Parse a romanised Korean word into (onset class, coda) pairs, or None.

    'Kyung' -> [('K', 'ng')]; 'Jaein' -> [('J', ''), ('', 'n')]. The parse prefers syllables
    with an onset, as Korean spelling does between vowels.
    """
    found = _korean_parse(fold(word))
    return list(found) if found else None


@lru_cache(maxsize=16_384)
def _korean_parse(letters: str) -> tuple[tuple[str, str], ...] | None:
    """`korean_syllables` of folded letters, memoised: the names detector asks it of the same
    reference name parts for every MT mention it compares them with."""
    if not letters or len(letters) > 24:
        return None
    onsets = sorted(_KO_ONSETS, key=len, reverse=True)
    vowels = sorted(_KO_VOWELS, key=len, reverse=True)
    codas = sorted(_KO_CODAS, key=len, reverse=True)

    @cache
    def parse(pos: int) -> tuple[tuple[str, str], ...] | None:
        if pos == len(letters):
            return ()
        best: tuple[tuple[str, str], ...] | None = None
        for onset in onsets:
            if not letters.startswith(onset, pos):
                continue
            p1 = pos + len(onset)
            for vowel in vowels:
                if not letters.startswith(vowel, p1):
                    continue
                p2 = p1 + len(vowel)
                for coda in codas:
                    if not letters.startswith(coda, p2):
                        continue
                    p3 = p2 + len(coda)
                    # a coda consonant followed by a vowel belongs to the next syllable
                    if coda and p3 < len(letters) and letters[p3] in "aeiouy":
                        continue
                    rest = parse(p3)
                    if rest is None:
                        continue
                    cand = ((_KO_ONSETS[onset], _KO_CODAS[coda]),) + rest
                    if best is None or len(cand) < len(best):
                        best = cand
        return best

    return parse(0) or None


def name_korean(name: str) -> list[tuple[str, str]] | None:
    """Korean syllables of a name shaped like a Korean one, or None.

    The shape: a one-syllable surname word and a given name of one or two syllables (one per
    hyphenated part), 2-4 syllables in all: 'Moon Jae-in' -> three syllables; 'Mike Pompeo'
    (no one-syllable word) -> None.
    """
    found = _name_korean(name)
    return list(found) if found else None


@lru_cache(maxsize=16_384)
def _name_korean(name: str) -> tuple[tuple[str, str], ...] | None:
    """`name_korean`, memoised (asked of each reference name once per MT mention)."""
    out: list[tuple[str, str]] = []
    words = [w for w in name.strip().split() if fold(w)]
    if not 2 <= len(words) <= 3:
        return None
    one_syllable_word = False
    for word in words:
        parts = [p for p in re.split(r"[\-']+", word) if fold(p)]
        word_syllables: list[tuple[str, str]] = []
        for part in parts:
            syllables = korean_syllables(part)
            if syllables is None or (len(parts) > 1 and len(syllables) != 1):
                return None
            word_syllables += syllables
        if len(word_syllables) > 2:
            return None
        one_syllable_word |= len(word_syllables) == 1
        out += word_syllables
    return tuple(out) if one_syllable_word and 2 <= len(out) <= 4 else None


def sino_korean_match(korean: tuple[str, str], pinyin: str) -> float:
    """1.0 when onset and coda both correspond, 0.5 for one of them, else 0."""
    onset, vowel, coda = pinyin_parts(pinyin)
    k_onset, k_coda = korean
    score = 0.5 * (onset in _KO_TO_MANDARIN_ONSET[k_onset])
    score += 0.5 * (coda in _KO_TO_MANDARIN_CODA[k_coda])
    return score


@lru_cache(maxsize=65_536)  # pure; asked again for every (mention, reference name) pair
def sino_korean_similarity(korean_name: str, mt_name: str) -> tuple[float, int]:
    """How well pinyin syllables in `mt_name` read as the characters of a Korean name.

    Returns (score in [0, 1], number of Korean syllables matched fully). A monotone alignment:
    Korean syllables may be left out (a truncated name), extra MT syllables cost a quarter each
    (a prefix such as a country name). 0 when either side is not of the right shape.
    """
    korean = name_korean(korean_name)
    pinyin = name_pinyin(mt_name)
    if not korean or not pinyin:
        return 0.0, 0
    return _align_syllables(korean, pinyin, sino_korean_match)


def _align_syllables(reference: Sequence[tuple[str, str]], pinyin: Sequence[str],
                     match: Callable[[tuple[str, str], str], float]) -> tuple[float, int]:
    """Best monotone alignment of reference syllables (onset, coda) with pinyin syllables:
    reference syllables may be left out, an extra pinyin syllable costs a quarter. Returns
    (score / number of reference syllables, syllables matched fully)."""
    n, m = len(reference), len(pinyin)
    # dp[i][j]: best (score, full matches) aligning reference[:i] with pinyin[:j]
    dp: list[list[tuple[float, int]]] = [[(-1e9, 0)] * (m + 1) for _ in range(n + 1)]
    dp[0][0] = (0.0, 0)
    for i in range(n + 1):
        for j in range(m + 1):
            here = dp[i][j]
            if here[0] <= -1e8:
                continue
            if i < n:  # reference syllable not rendered
                dp[i + 1][j] = max(dp[i + 1][j], here)
            if j < m:  # extra MT syllable
                dp[i][j + 1] = max(dp[i][j + 1], (here[0] - 0.25, here[1]))
            if i < n and j < m:
                s = match(reference[i], pinyin[j])
                if s > 0:
                    dp[i + 1][j + 1] = max(dp[i + 1][j + 1], (here[0] + s, here[1] + (s == 1)))
    score, full = dp[n][m]
    return max(0.0, score / n), full


# ---- Chinese names in other romanisations ------------------------------------------------
# Names from Hong Kong, Macau, Singapore, Malaysia and Taiwan come into English in Cantonese,
# Hokkien or Wade-Giles spellings (Tsang, Goh Chok Tong, Hsien Loong, Kai-shek) whose syllables
# descend, like the Mandarin ones, from Middle Chinese: onsets and codas correspond regularly
# (Cantonese f- ~ Mandarin h-, w- ~ h-/w-, ng- ~ w-, k-/g- ~ g-/k-/j-/q-; codas -m ~ -n and
# -k/-p/-t lost). One syllable per word or hyphenated part; spelled onsets mapped to the
# Mandarin onsets they can stand for.
_ROMANISED_SYLLABLE = re.compile(
    r"^(tsh|ts|tz|ch|hs|sh|kw|gw|kh|ph|th|ng|ny|[bcdfghjklmnpqrstvwxyz])?"
    r"([aeiou][aeiouwy]*h?)(ng|n|m|k|p|t)?$")
_AFFRICATES = frozenset({"z", "c", "zh", "ch", "j", "q", "s", "sh", "x"})
_ZH_ONSETS: dict[str, frozenset[str]] = {
    "": frozenset({"", "r", "n"}), "y": frozenset({"", "r", "n"}),
    "w": frozenset({"", "h"}), "ng": frozenset({"", "n"}), "ny": frozenset({"", "n", "r"}),
    "b": frozenset({"b", "p"}), "p": frozenset({"b", "p"}), "ph": frozenset({"b", "p"}),
    "f": frozenset({"f", "h"}), "v": frozenset({"f", ""}), "m": frozenset({"m", ""}),
    "d": frozenset({"d", "t", "zh", "ch"}), "t": frozenset({"d", "t", "zh", "ch"}),
    "th": frozenset({"d", "t", "zh", "ch"}), "n": frozenset({"n", "l"}),
    "l": frozenset({"l", "n"}), "r": frozenset({"r", "l"}),
    "g": frozenset({"g", "k", "j", "q", "h", "x", ""}), "k": frozenset({"g", "k", "j", "q", "h",
                                                                       "x"}),
    "kh": frozenset({"g", "k", "j", "q", "h", "x"}), "kw": frozenset({"g", "k", "j", "q", "h"}),
    "gw": frozenset({"g", "k", "j", "q", "h"}), "h": frozenset({"h", "x", "k", "q", "f"}),
    "hs": frozenset({"x"}), "x": frozenset({"x"}), "q": frozenset({"q"}),
    "ch": _AFFRICATES, "ts": _AFFRICATES, "tz": _AFFRICATES, "tsh": _AFFRICATES,
    "j": _AFFRICATES | {"r"}, "c": _AFFRICATES, "z": _AFFRICATES, "s": _AFFRICATES,
    "sh": _AFFRICATES,
}
_ZH_CODAS: dict[str, frozenset[str]] = {
    "ng": frozenset({"ng"}), "n": frozenset({"n"}), "m": frozenset({"n"}),
    "k": frozenset({""}), "p": frozenset({""}), "t": frozenset({""}), "": frozenset({""}),
}


def romanised_chinese_syllables(name: str) -> list[tuple[str, str]] | None:
    """(onset, coda) of each word or hyphenated part that spells one Chinese syllable ("Tsang",
    "Chok", "Hsien"); other words (an English given name: "Donald") are left out. None when no
    part reads so or the name has more than four parts."""
    parts = [fold(p) for p in re.split(r"[\s\-']+", name.strip()) if fold(p)]
    if not parts or len(parts) > 4:
        return None
    out = []
    for part in parts:
        match = _ROMANISED_SYLLABLE.match(part)
        if match is not None:
            out.append((match.group(1) or "", match.group(3) or ""))
    return out or None


def romanised_chinese_match(syllable: tuple[str, str], pinyin: str) -> float:
    """1.0 when onset and coda of a romanised Chinese syllable both correspond to the pinyin
    syllable's, 0.5 for one of them, else 0."""
    onset, _, coda = pinyin_parts(pinyin)  # glides y-, w- count as no onset
    spelled_onset, spelled_coda = syllable
    return (0.5 * (onset in _ZH_ONSETS.get(spelled_onset, frozenset()))
            + 0.5 * (coda in _ZH_CODAS[spelled_coda]))


@lru_cache(maxsize=65_536)  # pure; asked again for every (mention, reference name) pair
def romanised_chinese_similarity(reference_name: str, mt_name: str) -> float:
    """How well the pinyin syllables of `mt_name` read as a Chinese name spelled in another
    romanisation ("Ceng Yinquan" / "Donald Tsang", "Wu Zuodong" / "Goh Chok Tong", "Li Xian" /
    "Lee Hsien Loong"), as `sino_korean_similarity` scores a Korean one; 0 when a side is not of
    that shape or the MT spells the reference exactly."""
    reference = romanised_chinese_syllables(reference_name)
    pinyin = name_pinyin(mt_name)
    if not reference or not pinyin or fold(reference_name) == fold(mt_name):
        return 0.0
    return _align_syllables(reference, pinyin, romanised_chinese_match)[0]


def _wade_giles_syllable(syllable: str) -> str:
    """One toneless pinyin syllable (from `pinyin_inventory`) in Wade-Giles ("xia" -> "hsia"),
    pypinyin's spelling."""
    return _dictionary_readings()[syllable]


@lru_cache(maxsize=8192)
def wade_giles_key(name: str) -> str | None:
    """The Wade-Giles spelling (letters only) of a name read as pinyin ("Xia Liyan" ->
    "hsialiyen"), or None when the name is not pinyin."""
    syllables = name_pinyin(name)
    if not syllables:
        return None
    return fold("".join(_wade_giles_syllable(s) for s in syllables))


def wade_giles(han: str, limit: int = 16) -> tuple[str, ...]:
    """Wade-Giles readings of a Chinese name as letter keys ("赵春山" -> "chaochunshan"): Taiwan
    and older English writing spell Chinese names so ("Chao Chun-shan", "Hsia Li-yen").

    Read from the characters with pypinyin's Wade-Giles style (which writes ü as "v": "lv"),
    at most `limit` readings."""
    from pypinyin import Style, pinyin

    readings = pinyin(han, style=Style.WADEGILES, heteronym=True)
    out: list[str] = []
    for combo in product(*readings):
        key = fold("".join(combo))
        if key not in out:
            out.append(key)
        if len(out) >= limit:
            break
    return tuple(out)


@lru_cache(maxsize=65_536)  # pure; asked again for every (mention, reference name) pair
def wade_giles_match(a: str, b: str) -> float:
    """1.0 when one name, read as pinyin, is the other written in Wade-Giles ("Xia Liyan" and
    "Hsia Li-yen"; Taiwan's names in English are mostly so), else 0. Exact, because a near
    Wade-Giles spelling is also near in plain letters, which the string evidence already sees."""
    fa, fb = fold(a), fold(b)
    if not fa or not fb or fa == fb:
        return 0.0
    return 1.0 if wade_giles_key(a) == fb or wade_giles_key(b) == fa else 0.0


# ---- Japanese names read in Mandarin ------------------------------------------------------
# A Chinese text writes a Japanese name in kanji (岸田文雄); an MT that does not know the person
# gives the Mandarin reading of the characters ("Antian Wenxiong") instead of the Japanese one
# (Kishida Fumio). The kanji that can stand behind each pinyin syllable are read in Japanese by
# pykakasi's dictionary, and the readings compared with the reference name.
_JAPANESE_COMBINATIONS = 10_000  # candidate kanji words per MT word, at most (about 0.5 s)
# A word of Hepburn syllables: how a Japanese name is spelled in English ("Kishida", "Shinzo").
_HEPBURN_WORD = re.compile(
    r"(?:(?:[kgsztdnhbpmrwfj]|sh|ch|ts|[kgnhbpmr]y)?[aeiou]|y[aou]|n(?![aeiouy]))+")


@lru_cache(maxsize=512)
def _kanji_for(syllable: str) -> tuple[str, ...]:
    """Characters with this Mandarin reading that Japanese also writes (pykakasi reads them),
    from the main CJK block: the extensions hold rare and historic characters, not names."""
    from auditor.lang.kanji_readings import load_kanji_readings

    return load_kanji_readings().kanji(syllable)


def _japanese_key(romaji: str) -> str:
    """Letters with long vowels shortened: "Kouno", "Kono", "Kōno" -> "kono"."""
    key = fold(romaji)
    for long, short in (("ou", "o"), ("oo", "o"), ("uu", "u"), ("aa", "a"), ("ii", "i")):
        key = key.replace(long, short)
    return key


@lru_cache(maxsize=4096)
def japanese_readings(word: str) -> frozenset[str]:
    """Japanese readings of the kanji words a pinyin word can stand for ("Antian" -> 岸田 ->
    "kishida", among others); empty when the word is not pinyin or too ambiguous. A word of
    three syllables is also read as two pieces ("Chunyilang" -> 純一 + 郎 -> "junichiro")."""
    syllables = pinyin_syllables(word)
    if not syllables or len(syllables) > 3:
        return frozenset()
    out = set(_kanji_word_readings(tuple(syllables)))
    if len(syllables) == 3:
        for cut in (1, 2):
            heads = _kanji_word_readings(tuple(syllables[:cut]))
            tails = _kanji_word_readings(tuple(syllables[cut:]))
            if len(heads) * len(tails) <= _JAPANESE_COMBINATIONS * 10:
                out.update(h + t for h in heads for t in tails)
    return frozenset(out)


@lru_cache(maxsize=4096)
def _kanji_word_readings(syllables: tuple[str, ...]) -> frozenset[str]:
    """Readings of every kanji word whose characters have these Mandarin syllables (at most
    `_JAPANESE_COMBINATIONS` words, else none)."""
    candidates = [_kanji_for(s) for s in syllables]
    total = 1
    for c in candidates:
        total *= len(c)
    if not total or total > _JAPANESE_COMBINATIONS:
        return frozenset()
    from auditor.lang.kanji_readings import load_kanji_readings

    index = load_kanji_readings()
    index.prefetch(char for chars in candidates[:-1] for char in chars)
    out = set()
    for combo in product(*candidates):
        romaji = index.hepburn("".join(combo))
        key = _japanese_key(romaji)
        if romaji and key:
            out.add(key)
    return frozenset(out)


@lru_cache(maxsize=65_536)  # pure; asked again for every (mention, reference name) pair
def japanese_reading_match(reference_name: str, mt_name: str) -> float:
    """Share of the words of a Japanese reference name that `mt_name` renders, at least one of
    them as the Mandarin reading of its kanji ("Antian Wenxiong" for "Fumio Kishida": 1.0;
    "Makiko Tianzhong" for "Makiko Tanaka": 1.0). 0 for names that are not Japanese in shape."""
    wanted = [_japanese_key(w) for w in re.split(r"[\s\-]+", reference_name) if w]
    if not wanted or not all(_HEPBURN_WORD.fullmatch(k) for k in wanted):
        return 0.0
    words = [w for w in re.split(r"[\s\-]+", mt_name) if w]
    spelled = {_japanese_key(w) for w in words}
    readings = set().union(*(japanese_readings(w) for w in words if _japanese_key(w)
                             not in wanted))
    read = [k for k in wanted if k in readings and k not in spelled]
    if not read:
        return 0.0
    return sum(k in readings or k in spelled for k in wanted) / len(wanted)


# ---- consonant skeletons -----------------------------------------------------------------
_PINYIN_CLASS = {"b": "P", "p": "P", "d": "T", "t": "T", "g": "K", "k": "K", "j": "J", "q": "J",
                 "z": "J", "c": "J", "zh": "J", "ch": "J", "x": "S", "s": "S", "sh": "S",
                 "f": "F", "l": "L", "r": "L", "m": "M", "n": "N", "h": "", "": ""}
_WESTERN_DIGRAPHS = (("sch", "S"), ("tch", "J"), ("tsch", "J"), ("sh", "S"), ("zh", "J"),
                     ("ch", "J"), ("ts", "J"), ("tz", "J"), ("dj", "J"), ("ph", "F"), ("th", "T"),
                     ("ck", "K"), ("qu", "K"), ("gh", "K"), ("kh", "K"), ("ng", "N"), ("x", "KS"))
_WESTERN_CLASS = {"b": "P", "p": "P", "d": "T", "t": "T", "g": "K", "k": "K", "q": "K",
                  "c": "K", "j": "J", "z": "J", "s": "S", "f": "F", "v": "F", "l": "L", "r": "L",
                  "m": "M", "n": "N"}
_VOWELS = set("aeiouy")


def _western_skeleton(word: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(word):
        for digraph, cls in _WESTERN_DIGRAPHS:
            if word.startswith(digraph, i):
                out.append(cls)
                i += len(digraph)
                break
        else:
            ch = word[i]
            nxt = word[i + 1] if i + 1 < len(word) else ""
            prev = word[i - 1] if i else ""
            if ch == "c" and nxt in ("e", "i", "y"):
                out.append("S")
            elif ch == "r" and prev in _VOWELS and nxt and nxt not in _VOWELS:
                pass  # Mandarin transliteration drops a coda r before a consonant (Merkel)
            elif ch in ("m", "n") and prev in _VOWELS and (not nxt or nxt not in _VOWELS):
                out.append("N")  # no -m coda in Mandarin: m and n merge at a syllable end
            elif ch in _WESTERN_CLASS:
                out.append(_WESTERN_CLASS[ch])
            i += 1
    return "".join(out)


@lru_cache(maxsize=8192)
def skeleton(name: str) -> str:
    """Consonant classes of a name as Mandarin transliteration keeps them.

    Pinyin words are read as pinyin (q -> J, x -> S), others by English spelling. Nasal codas
    become N, voicing and aspiration merge (b/p -> P), h/w/y and vowels vanish, repeats collapse.
    """
    classes: list[str] = []
    for word in re.split(r"[\s\-']+", name.strip()):
        letters = fold(word)
        if not letters:
            continue
        syllables = pinyin_syllables(letters)
        if syllables is not None:
            for syllable in syllables:
                onset, _, coda = pinyin_parts(syllable)
                classes.append(_PINYIN_CLASS.get(onset, ""))
                if coda:
                    classes.append("N")
                if syllable == "er":
                    classes.append("L")
        else:
            classes.append(_western_skeleton(letters))
    joined = "".join(classes)
    return re.sub(r"(.)\1+", r"\1", joined)


# Substitutions that Mandarin made or that transliteration blurs cost half an edit.
_CHEAP = {frozenset(p) for p in (("K", "J"), ("T", "J"), ("S", "J"), ("P", "F"), ("M", "N"),
                                 ("L", "N"), ("K", "S"))}


@lru_cache(maxsize=65_536)  # pure; asked again for every (mention, reference name) pair
def skeleton_similarity(a: str, b: str) -> float:
    """1 - weighted edit distance / longer length, over two skeletons."""
    if not a or not b:
        return 0.0
    prev = [float(j) for j in range(len(b) + 1)]
    for i in range(1, len(a) + 1):
        cur = [float(i)] + [0.0] * len(b)
        for j in range(1, len(b) + 1):
            if a[i - 1] == b[j - 1]:
                sub = 0.0
            elif frozenset((a[i - 1], b[j - 1])) in _CHEAP:
                sub = 0.5
            else:
                sub = 1.0
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + sub)
        prev = cur
    return max(0.0, 1.0 - prev[len(b)] / max(len(a), len(b)))
