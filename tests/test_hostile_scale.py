"""Issue 18, scale: long lines are split, name candidates capped, and the work grows about
linearly with the input (timings themselves live in benchmarks/speed.py)."""

from __future__ import annotations

from dataclasses import replace

from auditor.config import AuditConfig
from auditor.result import Document
from auditor.segment import segment_document
from tests.conftest import REF_SEEDS

WORDS = ("Kang Jing Ponpeo Seoul Tokyo Washington minister talks trade export chip Japan "
         "Korea Bangkok Thursday Moon Abe Trump ministry statement agreed").split()


def _unpunctuated(n_chars: int) -> str:
    """Capitalised words with no sentence punctuation: one endless 'sentence' of names."""
    out, size, i = [], 0, 0
    while size < n_chars:
        word = WORDS[i % len(WORDS)] + ("" if i % 7 else str(i % 97))
        out.append(word)
        size += len(word) + 1
        i += 1
    return " ".join(out)[:n_chars]


def test_a_sentence_over_the_limit_is_split_with_a_note():
    limit = AuditConfig().max_sentence_chars
    text = _unpunctuated(10 * limit)
    seg = segment_document(Document(text), max_chars=limit)
    assert len(seg.sentences) >= 10
    assert all(len(s.text) <= limit for s in seg.sentences)
    assert all(text[s.start:s.end] == s.text for s in seg.sentences)
    assert seg.notes and "split" in seg.notes[0]


def test_pysbd_never_sees_a_block_over_its_limit(monkeypatch):
    """pysbd's time grows with the square of a block (20k characters 2 s, 80k 27 s): a long
    paragraph reaches it in pieces."""
    import auditor.segment as segment

    seen: list[int] = []
    real = segment._pysbd

    class Recording:
        def __init__(self, inner):
            self.inner = inner

        def segment(self, text):
            seen.append(len(text))
            return self.inner.segment(text)

    monkeypatch.setattr(segment, "_pysbd", lambda lang: Recording(real(lang)))
    base = REF_SEEDS[0].read_text(encoding="utf-8").replace("\n", " ")
    text = (base * 20)[:30_000]
    seg = segment_document(Document(text))
    assert seen and max(seen) <= segment.MAX_PYSBD_CHARS
    assert all(" ".join(text[s.start:s.end].split()) == s.text for s in seg.sentences)
    assert len(seg.sentences) > 50


def test_unpunctuated_line_audits_with_capped_candidates():
    """Small limits, so that a short input shows both caps acting (the full-size figures are
    in benchmarks/long_input.py)."""
    from auditor import Auditor

    config = AuditConfig(max_sentence_chars=300)
    auditor = Auditor(config=config.with_(names=replace(config.names, max_candidates=5)))
    text = _unpunctuated(3_000)
    result = auditor.audit(text, [REF_SEEDS[0]])
    assert all(len(s.text) <= 300 for s in result.mt.sentences)
    assert any("split" in n for n in result.notes), result.notes
    assert any("name candidates" in n for n in result.notes), result.notes
    assert len([f for f in result.findings if f.kind.value == "name"]) <= 5
    for f in result.findings:
        if f.mt_start is not None:
            assert result.mt.doc.text[f.mt_start:f.mt_end] == f.mt_text
