"""A tqdm bar on stderr when it is a terminal (the CLI); silent otherwise (Prefect workers, tests)."""

from __future__ import annotations

import sys
from typing import Any


class ProgressBar:
    """``update(done, total)`` from any callback; ``with`` closes it."""

    def __init__(self, desc: str, unit: str = "it") -> None:
        self.desc = desc
        self.unit = unit
        self._bar: Any = None

    def __enter__(self) -> ProgressBar:
        return self

    def update(self, done: int, total: int) -> None:
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total, desc=self.desc, unit=self.unit, file=sys.stderr, disable=None, leave=True
            )
        self._bar.total = total
        self._bar.n = done
        self._bar.refresh()

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()
