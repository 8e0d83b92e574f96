"""Issue 18, scale: long lines are split, name candidates capped, and the work grows about
linearly with the input (timings themselves live in benchmarks/speed.py)."""

from __future__ import annotations

from dataclasses import replace

from auditor.config import AuditConfig
from auditor.result import Document
from auditor.segment import segment_document
from tests.conftest import REF_SEEDS
from tests.long_lines import article_line, names_line


def test_a_sentence_over_the_limit_is_split_with_a_note():
    limit = AuditConfig().max_sentence_chars
    text = names_line(10 * limit)
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
    text = names_line(3_000)
    result = auditor.audit(text, [REF_SEEDS[0]])
    assert all(len(s.text) <= 300 for s in result.mt.sentences)
    assert any("split" in n for n in result.notes), result.notes
    assert any("name candidates" in n for n in result.notes), result.notes
    assert len([f for f in result.findings if f.kind.value == "name"]) <= 5
    for f in result.findings:
        if f.mt_start is not None:
            assert result.mt.doc.text[f.mt_start:f.mt_end] == f.mt_text


def test_names_work_grows_linearly_with_repeated_mentions(monkeypatch):
    """A long article repeats its names: finding the right renderings of an entity must not
    compare every finding with every mention (the article shape of benchmarks/long_input.py
    spent most of its time in such comparisons)."""
    from auditor import Auditor
    from auditor.detect.names import NameMention

    calls = [0]
    real = NameMention.__eq__

    def counting(self, other):
        calls[0] += 1
        return real(self, other)

    monkeypatch.setattr(NameMention, "__eq__", counting)
    result = Auditor().audit(article_line(20_000), [REF_SEEDS[0]])
    names = [f for f in result.findings if f.kind.value == "name"]
    assert len(names) > 20
    assert calls[0] < 20 * len(result.mt.sentences), calls[0]


def test_a_document_over_the_cap_is_audited_on_its_first_part_with_a_note():
    """The encoder's work grows with the text: past `max_document_chars` the rest is not read,
    and the result says so (cut after a sentence end; offsets still index the whole input)."""
    from auditor import Auditor

    text = article_line(12_000)
    result = Auditor(config=AuditConfig(max_document_chars=4_000)).audit(text, [REF_SEEDS[0]])
    audited = result.mt.doc.text
    assert 3_000 < len(audited) <= 4_000 and text.startswith(audited)
    assert audited.rstrip()[-1] in ".!?\"”'’"
    assert result.mt.sentences[-1].end <= len(audited)
    assert any("12,000 characters; only the first" in n for n in result.notes), result.notes
    for f in result.findings:
        if f.mt_start is not None:
            assert text[f.mt_start:f.mt_end] == f.mt_text


def test_the_cap_counts_a_chinese_character_as_its_english_length():
    """A Chinese source is cut where it covers about as much as the English cap."""
    config = AuditConfig(max_document_chars=3_800)
    assert config.document_chars("zh") == 1_000 and config.document_chars("en") == 3_800
    source = Document("韩国外长康京和与日本外相河野太郎在曼谷举行会谈。" * 100, lang="zh")
    seg = segment_document(source, max_document_chars=config.document_chars("zh"))
    assert seg.sentences[-1].end <= 1_000 and seg.doc.text.endswith("。")
    assert seg.notes and "only the first" in seg.notes[0]


def test_pieces_of_a_split_sentence_are_not_cut_into_clauses(monkeypatch):
    """A piece cut from a run-on line at a space is not a sentence, so its parse says nothing
    about clauses: each piece is one unit, and no clause of it is embedded again."""
    import auditor.detect.units as units
    from auditor import Auditor
    from auditor.result import MT_DOC

    seen: list = []
    real = units.unit_vectors

    def recording(encoder, items):
        seen.extend(items)
        return real(encoder, items)

    monkeypatch.setattr(units, "unit_vectors", recording)
    auditor = Auditor(config=AuditConfig(max_sentence_chars=300))
    result = auditor.audit(names_line(3_000), [REF_SEEDS[0]])
    assert len(result.mt.sentences) >= 10
    mt_units = [u for u in seen if u.doc == MT_DOC]
    assert sorted(u.sentence for u in mt_units) == [s.index for s in result.mt.sentences]
    assert all(u.text == result.mt.sentences[u.sentence].text for u in mt_units)


def test_pieces_are_never_grouped_in_the_alignment_second_pass(monkeypatch):
    """The second pass embeds the joined text of candidate groups; a run of pieces cut from
    one endless source line is not a unit a translation has, and embedding every run of up to
    five 1,000-character pieces cost most of a long source's audit."""
    import auditor.pipeline as pipeline
    from auditor import Auditor
    from tests.long_lines import SEED_MT, chinese_line

    spans: list = []
    real = pipeline.refine_parallel

    def recording(groups, *args, **kwargs):
        embed = args[4]
        args = (*args[:4], lambda s: spans.extend(s) or embed(s), *args[5:])
        return real(groups, *args, **kwargs)

    monkeypatch.setattr(pipeline, "refine_parallel", recording)
    auditor = Auditor(config=AuditConfig(max_sentence_chars=100))
    result = auditor.audit(SEED_MT, source=Document(chinese_line(1_500), lang="zh"))
    # every source sentence is a piece of the one unpunctuated line
    assert result.source is not None and len(result.source.sentences) >= 10
    assert not [s for s in spans if s[0] == 1], spans[:5]
