"""A tqdm bar on stderr when it is a terminal (the CLI); silent otherwise (Prefect workers, tests)."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO


class ProgressBar:
    """``update(done, total)`` from any callback; ``with`` closes it.

    ``in_flight`` and ``tokens`` (LLM tokens so far) show after the count as
    "4 in flight, 310 tokens/s". ``file``: draw there even when it is not a terminal.
    """

    def __init__(self, desc: str, unit: str = "it", file: TextIO | None = None) -> None:
        self.desc = desc
        self.unit = unit
        self.file = file
        self._bar: Any = None
        self._started = 0.0

    def __enter__(self) -> ProgressBar:
        return self

    def update(
        self, done: int, total: int, *, in_flight: int | None = None, tokens: int | None = None
    ) -> None:
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total,
                desc=self.desc,
                unit=self.unit,
                file=self.file or sys.stderr,
                disable=False if self.file is not None else None,  # None: off unless a terminal
                leave=True,
                dynamic_ncols=True,
            )
            self._started = time.perf_counter()
        self._bar.total = total
        self._bar.n = done
        notes = []
        if in_flight is not None:
            notes.append(f"{in_flight} in flight")
        if tokens is not None:
            elapsed = max(time.perf_counter() - self._started, 1e-9)
            notes.append(f"{tokens / elapsed:,.0f} tokens/s")
        if notes:
            self._bar.set_postfix_str(", ".join(notes), refresh=False)
        self._bar.refresh()

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()
