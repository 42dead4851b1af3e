"""quiet_failures: console handlers drop Prefect's error records while active; other records and handlers keep them."""

from __future__ import annotations

import io
import logging
import sys

from envscale.quiet_console import quiet_failures


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class ConsoleHandler(logging.StreamHandler):
    """Counted as a console handler by its name, whatever it writes to."""


def test_console_handlers_drop_prefect_errors_only_while_active(tmp_path):
    logger = logging.getLogger("prefect.test_quiet_console")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    console = logging.StreamHandler(sys.stderr)
    kept = _Keep()
    file_handler = logging.FileHandler(tmp_path / "log.txt")
    for handler in (console, kept, file_handler):
        logger.addHandler(handler)
    seen: list[str] = []
    console.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    try:
        with quiet_failures():
            logger.error("failed")
            logger.info("progress")
            assert console.filters
        logger.error("after")
    finally:
        for handler in (console, kept, file_handler):
            logger.removeHandler(handler)
        file_handler.close()
    assert seen == ["progress", "after"]  # the error inside was dropped on the console only
    assert [r.getMessage() for r in kept.records] == ["failed", "progress", "after"]  # not a console handler
    assert "failed" in (tmp_path / "log.txt").read_text()  # file handlers get every record
    assert not console.filters  # the filter is gone afterwards


def test_other_loggers_errors_still_show_on_the_console():
    logger = logging.getLogger("envscale.test_quiet_console")
    logger.propagate = False
    stream = io.StringIO()
    console = ConsoleHandler(stream)
    logger.addHandler(console)
    try:
        with quiet_failures():
            logger.error("ours")
            assert console.filters  # filtered, yet only Prefect's records are dropped
    finally:
        logger.removeHandler(console)
    assert "ours" in stream.getvalue()
