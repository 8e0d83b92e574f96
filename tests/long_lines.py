"""The long single-line inputs of issue 18, built in one place for the tests
(tests/test_hostile_scale.py) and the benchmark that times them (benchmarks/long_input.py)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED_MT = ROOT / "seeds" / "001_dda61ef40afe4077.txt"
WORDS = ("Kang Jing Ponpeo Seoul Tokyo Washington minister talks trade export chip Japan "
         "Korea Bangkok Thursday Moon Abe Trump ministry statement agreed").split()


def names_line(n_chars: int) -> str:
    """Capitalised words and numbers with no sentence punctuation: one endless 'sentence' full
    of name candidates (the input that used to hang)."""
    out, size, i = [], 0, 0
    while size < n_chars:
        word = WORDS[i % len(WORDS)] + ("" if i % 7 else str(i % 97))
        out.append(word)
        size += len(word) + 1
        i += 1
    return " ".join(out)[:n_chars]


def article_line(n_chars: int) -> str:
    """The seed MT repeated with its line breaks removed: ordinary punctuated sentences, the
    same names again and again."""
    base = " ".join(SEED_MT.read_text(encoding="utf-8").split())
    return ((base + " ") * (n_chars // len(base) + 1))[:n_chars]


CHINESE_WORDS = ("韩国 外长 康京和 日本 外相 河野太郎 曼谷 会谈 出口 管制 半导体 材料 贸易 周四 "
                 "文在寅 安倍晋三 特朗普 外交部 声明 同意").split()


def chinese_line(n_chars: int) -> str:
    """Chinese news words with no sentence punctuation (nor spaces): the source-side twin of
    `names_line`."""
    words = [CHINESE_WORDS[i % len(CHINESE_WORDS)] for i in range(n_chars // 2 + 1)]
    return "".join(words)[:n_chars]
