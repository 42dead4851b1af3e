"""The embedded endpoint: the real SmolLM2 model behind `transformers serve`, through envscale's client."""

from __future__ import annotations

import asyncio

import pytest

from envscale.config import EndpointSettings
from envscale.environments.synthesis.sample_env import TOOLS
from envscale.home import resolve_home
from envscale.llm import LLMClient


@pytest.mark.slow
def test_smollm2_server_answers_a_chat_with_tools(tmp_path):
    from envscale.models.serving import embedded_endpoint

    # The session home's cache keeps the converted model between runs (conversion ~40 s).
    with embedded_endpoint(resolve_home(), "smollm2", log_dir=tmp_path) as endpoint:
        assert endpoint.base_url.startswith("http://127.0.0.1:")

        async def ask():
            settings = EndpointSettings(
                base_url=endpoint.base_url, model=endpoint.model, max_tokens=12, temperature=0.0
            )
            async with LLMClient(settings) as client:
                return await client.chat(
                    [{"role": "user", "content": "Please get order O-1."}],
                    tools=[t.openai_schema() for t in TOOLS],
                )

        result = asyncio.run(ask())
        assert result.outcome == "ok", result.error
        assert result.content or result.tool_calls
        assert (
            result.completion_tokens > 0 and result.prompt_tokens > 50
        )  # the tools were rendered into the prompt
        log = endpoint.log_path
    assert log is not None and "Uvicorn running" in log.read_text()


def test_a_directory_without_a_model_is_refused(tmp_path):
    from envscale.models.serving import ServingError, serve_model

    with pytest.raises(ServingError, match="not a model directory"), serve_model(tmp_path):
        pass
