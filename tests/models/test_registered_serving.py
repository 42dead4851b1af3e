"""A registered model loads back (models:/envscale-agent/<v>) into `transformers serve` and answers with an OpenAI tool call."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from envscale.config import TrainSettings
from envscale.models.dataset_export import features, to_example
from envscale.models.registry import TrainingTracker, load_registered
from envscale.models.training import train_stage

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]
PROMPT = [
    {"role": "system", "content": "You answer with tools."},
    {"role": "user", "content": "What is the weather in Paris?"},
]
CALL = {"name": "get_weather", "arguments": {"city": "Paris"}}


def _split(path: Path) -> Path:
    from datasets import Dataset

    answer = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": CALL["name"], "arguments": json.dumps(CALL["arguments"])},
            }
        ],
    }
    rows = [to_example("t1", "env_weather", [*PROMPT, answer], TOOLS)]
    Dataset.from_list(rows, features=features()).to_parquet(str(path))
    return path


@pytest.mark.slow
def test_registered_model_serves_an_openai_tool_call(home, tiny_model_dir, tmp_path) -> None:
    from openai import OpenAI

    from envscale.models.serving import serve_model

    # A high learning rate on one trajectory: greedy decoding then reproduces the tool call.
    settings = TrainSettings(max_steps=40, learning_rate=5e-3, batch_size=1, save_steps=1000)
    stage = train_stage(
        "stage1", tiny_model_dir, _split(tmp_path / "s.parquet"), tmp_path / "stage1", settings
    )
    assert stage.global_step == 40

    tracker = TrainingTracker(home, "test-registered-serving")
    run = tracker.client.create_run(tracker.experiment_id, run_name="serving")
    tags = {"envscale.base_model": "tiny", "envscale.dataset_hash": "d1"}
    version = tracker.log_and_register(run.info.run_id, stage.model_dir, "envscale-agent", tags)
    tracker.finish(run.info.run_id)

    model_dir = load_registered(f"models:/envscale-agent/{version}", home)
    assert model_dir.is_relative_to(home.cache)  # a downloaded copy, not the training output
    with serve_model(model_dir, log_dir=tmp_path / "logs") as endpoint:
        client = OpenAI(base_url=endpoint.base_url, api_key="unused", timeout=120)
        reply = client.chat.completions.create(
            model=endpoint.model, messages=PROMPT, tools=TOOLS, temperature=0, max_tokens=48
        )
    choice = reply.choices[0]
    assert choice.message.tool_calls, choice.message
    call = choice.message.tool_calls[0]
    assert call.type == "function"
    assert call.function.name == CALL["name"]
    assert json.loads(call.function.arguments) == CALL["arguments"]
    assert choice.finish_reason == "tool_calls"
