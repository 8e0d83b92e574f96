"""Stage 5: detectors, by id. Imported lazily so that a detector's models load only when used.

Where each finding kind comes from (each detector also declares it: `requires`, `produces`;
its thresholds are one dataclass in auditor/config.py):

| kind           | producers          | needs                          |
|----------------|--------------------|--------------------------------|
| name           | names, source      | references / source            |
| omission       | content, source,   | references / source            |
|                | coverage           |                                |
| addition       | content, source,   | references / source            |
|                | coverage           |                                |
| number         | numbers, source    | references / source            |
| mistranslation | content, coverage  | references (parallel mode) /   |
|                |                    | source (word level)            |
| repetition     | repetition         | the MT alone                   |
| fluency        | repetition         | the MT alone                   |
| untranslated   | untranslated       | the MT (English references or  |
|                |                    | a non-English source)          |

After the detectors, the quality stage (auditor/quality.py, id `quality`) also makes
`mistranslation` findings: whole sentences a Major error likely hits that no finding covers.

When both a source and references are given, `auditor.merge.merge_sides` makes one finding of a
source-side and a reference-side finding of the same error.
"""

from __future__ import annotations

from importlib import import_module

from auditor.detect.base import AuditContext, Detector, Input, Resources
from auditor.result import FindingKind

# id -> "module:Class"; the order is the order findings are produced in.
DETECTORS: dict[str, str] = {}
DETECTORS["source"] = "auditor.detect.source:SourceDetector"
DETECTORS["content"] = "auditor.detect.content:ContentDetector"
DETECTORS["numbers"] = "auditor.detect.numbers:NumberDetector"
DETECTORS["repetition"] = "auditor.detect.repetition:RepetitionDetector"
DETECTORS["names"] = "auditor.detect.names:NameDetector"
DETECTORS["coverage"] = "auditor.detect.coverage:CoverageDetector"
DETECTORS["untranslated"] = "auditor.detect.untranslated:UntranslatedDetector"

DEFAULT_DETECTORS: tuple[str, ...] = tuple(DETECTORS)
# Detectors whose thresholds read contextual MiniLM vectors of clauses and words (clause
# support weights, word-alignment similarities): fast mode's static vectors would need their
# own fits, and their spaCy parses and clause encodings alone cost more than a fast audit.
# Fast mode skips them; its signature lists them after `skip:`.
CONTEXTUAL_DETECTORS: tuple[str, ...] = ("content", "coverage")
FAST_DETECTORS: tuple[str, ...] = tuple(d for d in DETECTORS if d not in CONTEXTUAL_DETECTORS)

# kind -> ids of the detectors that make it (the table above; tests check it against `produces`).
PRODUCERS: dict[FindingKind, tuple[str, ...]] = {
    FindingKind.NAME: ("names", "source"),
    FindingKind.OMISSION: ("content", "source", "coverage"),
    FindingKind.ADDITION: ("content", "source", "coverage"),
    FindingKind.NUMBER: ("numbers", "source"),
    FindingKind.MISTRANSLATION: ("content", "coverage"),
    FindingKind.REPETITION: ("repetition",),
    FindingKind.FLUENCY: ("repetition",),
    FindingKind.UNTRANSLATED: ("untranslated",),
}


def get_detector(detector_id: str) -> Detector:
    try:
        module, cls = DETECTORS[detector_id].split(":")
    except KeyError:
        raise KeyError(f"unknown detector {detector_id!r}; known: {', '.join(DETECTORS)}") from None
    return getattr(import_module(module), cls)()


__all__ = ["AuditContext", "Detector", "Input", "Resources", "DETECTORS", "DEFAULT_DETECTORS",
           "CONTEXTUAL_DETECTORS", "FAST_DETECTORS", "PRODUCERS", "get_detector"]
