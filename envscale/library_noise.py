"""The one place the CLI quiets what libraries print that a user cannot act on (issue 20).

Installed by the CLI's global callback, before any command imports them. Each filter names the
exact message it drops, so anything new still shows. Run folders keep everything that matters
(``error.txt``, Prefect's API logs); only the terminal is spared.
"""

from __future__ import annotations

import logging
import os
import warnings

# Python warnings: (category, regex matched at the start of the message).
_WARNINGS: tuple[tuple[type[Warning], str], ...] = (
    # TRL's SFTConfig sets `gradient_checkpointing`, which transformers 5 renamed; envscale sets its own.
    (FutureWarning, r"`(is_)?gradient_checkpointing` is deprecated"),
    # The agent's pyfunc takes chat messages, typed by its explicit signature, not by type hints.
    (UserWarning, r".*Add type hints to the `predict` method"),
    # MLflow's own pandas and SQLAlchemy deprecations.
    (Warning, r"Operation with range is deprecated"),
    (Warning, r"The ``noload`` loader strategy is deprecated"),
)

# Log records: logger name → message prefixes dropped from it.
_RECORDS: dict[str, tuple[str, ...]] = {
    # The pyfunc is envscale's own class, pickled on purpose (models/agent_pyfunc.py).
    "mlflow.pyfunc": ("Passing a Python object as `python_model`", "Validating input example"),
    "mlflow.store.db.utils": ("Creating initial MLflow database tables", "Updating database tables"),
    # GE builds Data Docs in a temporary site and copies it into the run folder.
    "great_expectations.data_context.types.base": ("Created temporary directory",),
}

# Library progress bars (dataset map/tokenize steps, weight loading, shard writing): envscale draws
# its own bars for the work that takes time (training steps, episodes, trajectories).
_QUIET_ENV = {"HF_DATASETS_DISABLE_PROGRESS_BARS": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}


class _DropMessages(logging.Filter):
    def __init__(self, prefixes: tuple[str, ...]) -> None:
        super().__init__()
        self.prefixes = prefixes

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.prefixes)


def install() -> None:
    """Install the filters (idempotent); a variable the user set is left as set."""
    for category, message in _WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=category)
    for name, prefixes in _RECORDS.items():
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropMessages) for f in logger.filters):
            logger.addFilter(_DropMessages(prefixes))
    for key, value in _QUIET_ENV.items():
        os.environ.setdefault(key, value)
