"""The sample shop environment (real runtime, real DuckDB) for synthesis tests."""

from __future__ import annotations

import pytest

from envscale.environments.synthesis.sample_env import build_sample_env


@pytest.fixture
def shop(tmp_path):
    """(manifest, environments folder)."""
    from envscale.environments.runtime import forget_environments

    directory = tmp_path / "environments"
    manifest = build_sample_env(directory)
    yield manifest, directory
    forget_environments()
