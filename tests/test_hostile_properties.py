"""Issue 18, property-based: random Unicode documents through `audit()`.

Only `InputError` may be raised; every offset points at its text; every score is in its
documented range; the result encodes to JSON; the same input gives the same output, also from
several threads. One Auditor (the session fixture) and a fixed short reference keep it fast.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.errors import InputError

REFERENCE = (
    "South Korean Foreign Minister Kang Kyung-wha spoke with US Secretary of State Mike Pompeo "
    "on Thursday.\nShe raised concerns about Japan's export curbs on chip materials, the "
    "ministry said.\nThe two agreed to meet in Bangkok later this month.\n"
)
WORDS = ["the", "minister", "said", "Kang", "Kyung-wha", "Pompeo", "Seoul", "talks", "on",
         "Thursday", "10", "3.5%", "$1,200", "June", "29", "Credit", ":", "-", "=SUM(A1)"]
ODD = [
    "\u0301", "\u0308", "\u20dd",                      # combining marks
    "\u202e", "\u202d", "\u2066", "\u200f", "\u061c",  # bidi controls
    "\x00", "\x07", "\x1b", "\x7f", "\x85",            # C0/C1 controls
    "\u00a0", "\u2005", "\u2029", "\u3000", "\t", "\r", "\n", "\n\n", "  ",  # spaces, breaks
    "\ufeff", "\u200b", "\ufffd",                      # BOM, zero width, replacement
    "\ud800", "\udfff", "\\ud800", "\\udc00",          # lone surrogates, and escaped as text
    "。", "！", "？", "…", ".", "!", "?", "“", "”",
]
CJK = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF), min_size=1,
              max_size=6)
RTL = st.text(alphabet=st.characters(min_codepoint=0x05D0, max_codepoint=0x05EA) | st.characters(
    min_codepoint=0x0627, max_codepoint=0x064A), min_size=1, max_size=6)
ANY = st.text(max_size=6)  # any code point, surrogates included
PIECE = st.one_of(st.sampled_from(WORDS), st.sampled_from(ODD), CJK, RTL, ANY)
DOCUMENT = st.lists(PIECE, min_size=1, max_size=30).map(" ".join)

# 500 in the normal run; AUDITOR_PROPERTY_EXAMPLES=N for a quicker or a longer look.
EXAMPLES = int(os.environ.get("AUDITOR_PROPERTY_EXAMPLES", "500"))
PROPERTY_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                             suppress_health_check=[HealthCheck.too_slow,
                                                    HealthCheck.data_too_large])


def _checked(auditor, text: str) -> str | None:
    """The JSON of the audit, after every invariant holds; None for an InputError."""
    try:
        result = auditor.audit(text, [REFERENCE])
    except InputError as exc:
        assert "\n" not in str(exc)
        return None
    doc = result.mt.doc.text
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in doc)
    previous_end = 0
    for s in result.mt.sentences:
        assert previous_end <= s.start < s.end <= len(doc)
        assert " ".join(doc[s.start:s.end].split()) == s.text
        previous_end = s.end
    n = len(result.mt.sentences)
    for f in result.findings:
        if f.mt_start is None:
            assert f.mt_end is None
        else:
            assert 0 <= f.mt_start <= f.mt_end <= len(doc)
            assert doc[f.mt_start:f.mt_end] == f.mt_text
        assert f.mt_sentence is None or 0 <= f.mt_sentence < n
        assert 0.0 <= f.confidence <= 1.0
        if f.reference is not None:
            ref = result.references[f.reference.doc or 0].doc.text
            assert ref[f.reference.start:f.reference.end] == f.reference.text
    for sc in result.sentence_scores:
        assert 0.0 <= sc.support <= 1.0
        assert 0.0 <= sc.chrf <= 100.0 and 0.0 <= sc.bleu <= 100.0
    for a in result.alignments:
        assert 0.0 <= a.similarity <= 1.0
    scores = result.scores
    assert 0.0 <= scores.fidelity <= 1.0 and 0.0 <= scores.overall <= 100.0
    assert scores.mqm >= 0.0 and scores.words >= 1
    assert all(0.0 <= c <= 1.0 for c in scores.coverage_per_reference)
    out = result.to_json()
    assert json.loads(out)["scores"]["overall"] == scores.overall
    return out


@PROPERTY_SETTINGS
@given(text=DOCUMENT)
def test_random_documents_keep_every_invariant_and_are_deterministic(auditor, text):
    first = _checked(auditor, text)
    assert _checked(auditor, text) == first


@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(texts=st.lists(DOCUMENT, min_size=4, max_size=4))
def test_random_documents_give_the_same_results_from_threads(auditor, texts):
    sequential = [_checked(auditor, t) for t in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(lambda t: _checked(auditor, t), texts * 2))
    assert threaded == sequential * 2
