"""One root for every error envscale raises on purpose, and a few meaningful kinds.

The CLI prints an `EnvscaleError` as one line (its message says what to do); anything
else is a bug or an outside failure and is wrapped at the boundary (the CLI's one-line
summary plus the traceback in the run's `error.txt`). Each subclass also keeps the
builtin base its callers caught before (ValueError, LookupError, RuntimeError).
"""

from __future__ import annotations


class EnvscaleError(Exception):
    """Root of envscale's own errors."""


class InputError(EnvscaleError, ValueError):
    """Bad input the user can fix: a flag, a setting, a name that matches nothing."""


class DataError(EnvscaleError, ValueError):
    """An item that cannot be used (a schema, a program, an LLM reply); kept as rejected, with this reason."""


class MissingPrerequisite(EnvscaleError, LookupError):
    """An earlier stage's output is missing (no environments, no trajectories, no registered model)."""


class ExternalFailure(EnvscaleError, RuntimeError):
    """An outside service or resource failed: an endpoint, a server, the warehouse file, a time limit."""


class StageFailed(EnvscaleError, RuntimeError):
    """A stage ran but did not reach its goal (its summary and rejected rows say why)."""
