"""The τ² fixture domains (hand-written, tests/support/tau2_fixture.py) imported as environments."""

from __future__ import annotations

from pathlib import Path

import pytest

from envscale.environments.imports.tau2 import import_tau2
from envscale.environments.imports.tau2_data import find_domains
from tests.support.tau2_fixture import write_domains


@pytest.fixture
def imported(tmp_path: Path):
    domains = {d.name: d for d in find_domains(write_domains(tmp_path / "domains"))}
    out = tmp_path / "envs"
    return {name: import_tau2(d, out) for name, d in domains.items()}, out
