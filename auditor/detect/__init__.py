"""Stage 5: detectors, by id. Imported lazily so that a detector's models load only when used."""

from __future__ import annotations

from importlib import import_module

from auditor.detect.base import AuditContext, Detector, Resources

# id -> "module:Class"; the order is the order findings are produced in.
DETECTORS: dict[str, str] = {}
DETECTORS["source"] = "auditor.detect.source:SourceDetector"
DETECTORS["content"] = "auditor.detect.content:ContentDetector"
DETECTORS["numbers"] = "auditor.detect.numbers:NumberDetector"
DETECTORS["repetition"] = "auditor.detect.repetition:RepetitionDetector"
DETECTORS["names"] = "auditor.detect.names:NameDetector"

DEFAULT_DETECTORS: tuple[str, ...] = tuple(DETECTORS)


def get_detector(detector_id: str) -> Detector:
    try:
        module, cls = DETECTORS[detector_id].split(":")
    except KeyError:
        raise KeyError(f"unknown detector {detector_id!r}; known: {', '.join(DETECTORS)}") from None
    return getattr(import_module(module), cls)()


__all__ = ["AuditContext", "Detector", "Resources", "DETECTORS", "DEFAULT_DETECTORS",
           "get_detector"]
