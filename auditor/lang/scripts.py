"""Scripts of the languages auditor reads: which characters are Chinese, Japanese or Korean
letters, and runs of them inside other text."""

from __future__ import annotations

import re

# Han (with extension A and compatibility ideographs), kana and Hangul syllables: letters an
# English text has only when something was left untranslated or quoted.
HAN = "\u3400-\u9fff\uf900-\ufaff"
KANA = "\u3040-\u30ff"
HANGUL = "\uac00-\ud7af"
CJK_LETTERS = KANA + HAN + HANGUL
# Text of a language written without spaces, for counting its length in characters: the letters
# and the CJK blocks between kana and Han (bopomofo, Hangul jamo, enclosed and compatibility
# forms such as "㎡", which an English text may use but which are not words left untranslated).
CJK_TEXT = "\u3040-\u9fff\uf900-\ufaff\uac00-\ud7af"
# From the first CJK letter to the last, across CJK punctuation, digits and spaces between
# ("康京和10日晚与美国国务卿蓬佩奥通电话，对日本…"): one stretch left in the source language.
_CJK_RUN = re.compile(f"[{CJK_LETTERS}](?:[{CJK_LETTERS}\u3000-\u303f\uff00-\uffef0-9 ]*"
                      f"[{CJK_LETTERS}])?")
# Names of the languages `auditor.segment.detect_lang` tells apart by script, for messages.
LANGUAGE_NAMES = {"en": "English", "zh": "Chinese", "ja": "Japanese", "ko": "Korean"}
_CJK_LETTER = re.compile(f"[{CJK_LETTERS}]")
_CJK_TEXT = re.compile(f"[{CJK_TEXT}]")


def cjk_runs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each stretch of CJK letters in `text`."""
    return [(m.start(), m.end()) for m in _CJK_RUN.finditer(text)]


def cjk_letter_count(text: str) -> int:
    return len(_CJK_LETTER.findall(text))


def cjk_text_count(text: str) -> int:
    """Characters of `text` in CJK_TEXT (a regex: a Python loop per character costs more)."""
    return len(_CJK_TEXT.findall(text))


__all__ = ["CJK_LETTERS", "CJK_TEXT", "HAN", "HANGUL", "KANA", "LANGUAGE_NAMES",
           "cjk_letter_count", "cjk_runs", "cjk_text_count"]
