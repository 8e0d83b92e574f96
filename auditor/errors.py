"""Errors the library raises; the CLI maps them to exit code 2 with a one-line message."""


class AuditorError(Exception):
    """Base class: every error auditor raises on purpose."""


class InputError(AuditorError):
    """An input document cannot be audited (missing, empty, binary, too large, ...)."""


class ModelError(AuditorError):
    """An embedding or NLP model cannot be loaded offline."""
