"""Fixtures of the reliability suite."""

from __future__ import annotations

import pytest


@pytest.fixture
def prefect_api_url(prefect_harness) -> str:
    """The test harness's Prefect API, for `envscale` subprocesses (no ephemeral server per process)."""
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value())
