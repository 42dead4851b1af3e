"""Failed stages print one line, not Prefect's traceback: console log handlers drop error records.

Prefect logs a failing flow or task run at ERROR with the traceback ("Encountered exception during
execution: ..."); the CLI then prints the failure in one line and points at the run's ``error.txt``,
which keeps the full traceback. Only handlers writing to a terminal stream are filtered: Prefect's API
handler (the UI's logs) and file handlers still get every record.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager


class _DropErrors(logging.Filter):
    """Refuses records at ERROR and above from Prefect's loggers (the CLI reports the failure)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno >= logging.ERROR and record.name.startswith("prefect"))


def _console_handlers() -> list[logging.Handler]:
    loggers = [
        logging.getLogger(),
        *(
            logger
            for logger in logging.Logger.manager.loggerDict.values()
            if isinstance(logger, logging.Logger)
        ),
    ]
    streams = {id(sys.stderr), id(sys.stdout), id(sys.__stderr__), id(sys.__stdout__)}
    return [
        handler
        for logger in loggers
        for handler in logger.handlers
        if isinstance(handler, logging.StreamHandler)
        and not isinstance(handler, logging.FileHandler)
        and (id(getattr(handler, "stream", None)) in streams or "Console" in type(handler).__name__)
    ]


@contextmanager
def quiet_failures() -> Iterator[None]:
    """While active, console handlers (present now or added by Prefect's logging setup) drop error records."""
    flt = _DropErrors()
    attached: list[logging.Handler] = []

    def attach() -> None:
        for handler in _console_handlers():
            if flt not in handler.filters:
                handler.addFilter(flt)
                attached.append(handler)

    attach()
    import prefect.logging.configuration as configuration

    original = configuration.setup_logging

    def setup_logging(*args, **kwargs):  # Prefect may (re)configure its handlers when a flow starts
        result = original(*args, **kwargs)
        attach()
        return result

    configuration.setup_logging = setup_logging
    try:
        attach()
        yield
    finally:
        configuration.setup_logging = original
        for handler in attached:
            handler.removeFilter(flt)
