"""The shop environment (real DuckDB, real runtime) for validation tests."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


def load_shop_env() -> Any:
    """tests/environments/validation/shop_env.py as a module (tests are not a package)."""
    name = "envscale_tests_shop_env"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("shop_env.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


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
