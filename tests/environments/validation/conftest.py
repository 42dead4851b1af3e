"""The shop environment (real DuckDB, real runtime) for validation tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


def load_shop_env() -> Any:
    """The shop environment helpers (tests/support/shop_env.py)."""
    from tests.support import shop_env

    return shop_env


@dataclass
class Shop:
    env: Any  # the shop_env module (helpers)
    manifest: Any
    directory: Path

    def blueprint(self, *calls: tuple[str, dict[str, Any]]):
        return self.env.make_blueprint(self.manifest, self.directory, list(calls))

    def reverse(self, blueprint, attempt: int = 0):
        return self.env.reverse_trajectory(self.manifest, blueprint, attempt)


@pytest.fixture
def shop(tmp_path: Path) -> Shop:
    module = load_shop_env()
    directory = tmp_path / "environments"
    return Shop(module, module.build_shop(directory), directory)
