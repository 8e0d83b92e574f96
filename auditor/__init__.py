"""auditor: machine-translation quality auditing against references and/or the source.

    >>> from auditor import audit
    >>> result = audit("mt.txt", references=["ref1.txt", "ref2.txt"])
    >>> result.findings_df()

Nothing heavy is imported here: models load when an `Auditor` is created.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditor.lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    "audit": "auditor.pipeline",
    "audit_batch": "auditor.pipeline",
    "Auditor": "auditor.pipeline",
    "AuditConfig": "auditor.config",
    "AlignMode": "auditor.config",
    "AuditResult": "auditor.result",
    "Finding": "auditor.result",
    "FindingKind": "auditor.result",
    "Severity": "auditor.result",
    "Document": "auditor.result",
    "AuditorError": "auditor.errors",
    "InputError": "auditor.errors",
    "load_encoder": "auditor.embed",
}

if TYPE_CHECKING:
    from auditor.config import AlignMode, AuditConfig
    from auditor.embed import load_encoder
    from auditor.errors import AuditorError, InputError
    from auditor.pipeline import Auditor, audit, audit_batch
    from auditor.result import AuditResult, Document, Finding, FindingKind, Severity


__getattr__ = lazy_exports(__name__, _EXPORTS)


__all__ = [
    "AlignMode", "AuditConfig", "AuditResult", "Auditor", "AuditorError", "Document", "Finding",
    "FindingKind", "InputError", "Severity", "audit", "audit_batch", "load_encoder",
]
