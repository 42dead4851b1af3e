"""How many trials play at once (issue 20 item 10): a model served here on a CPU gets 2, not 8."""

from __future__ import annotations

from types import SimpleNamespace

import torch

from envscale.config import Settings
from envscale.tasks.evaluate import AgentSpec, trials_in_flight


def _ctx(**evaluate):
    settings = Settings()
    return SimpleNamespace(
        settings=settings.model_copy(update={"evaluate": settings.evaluate.model_copy(update=evaluate)})
    )


def test_the_default_follows_where_the_model_is_served():
    served_here = AgentSpec(label="models:/envscale-agent/1", model_uri="models:/envscale-agent/1")
    elsewhere = AgentSpec(label="remote", base_url="http://127.0.0.1:9/v1", model_name="m")
    expected_here = 8 if torch.cuda.is_available() else 2
    assert trials_in_flight(served_here, _ctx()) == expected_here
    assert trials_in_flight(elsewhere, _ctx()) == 8  # an endpoint the user runs: its own capacity
    assert trials_in_flight(served_here, _ctx(serving_url="http://127.0.0.1:9/v1")) == 8
    assert trials_in_flight(served_here, _ctx(episodes_in_flight=5)) == 5  # a chosen value is kept
