"""The LLM client against a real local OpenAI-compatible HTTP server (tests.support.standin, a test stand-in)."""

from __future__ import annotations

import asyncio
import json
import re
import time

import pytest

from envscale.config import EndpointSettings
from envscale.llm import EndpointDead, EndpointRefused, LLMClient
from tests.support import standin as s

TRANSPORTS = ["openai", "aiohttp"]
MSGS = [{"role": "user", "content": "hi"}]


@pytest.fixture
def server():
    with s.StandInServer() as srv:
        yield srv


def _chat(srv, *, transport="openai", messages=MSGS, backoff=0.02, **settings):
    async def go():
        async with LLMClient(
            EndpointSettings(base_url=srv.base_url, transport=transport, **settings), backoff_base_s=backoff
        ) as client:
            result = await client.chat(messages, tools=settings.pop("tools", None))
            return result, client.usage

    return asyncio.run(go())


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_tool_call_reply_is_parsed_and_seed_and_params_reach_the_server(server, transport):
    server.enqueue(s.tool_call("get_order", {"order_id": "O-1"}))
    result, usage = _chat(server, transport=transport, seed=7, temperature=0.1, max_tokens=33)
    assert result.outcome == "ok"
    assert result.tool_calls[0]["function"] == {"name": "get_order", "arguments": '{"order_id": "O-1"}'}
    sent = server.requests[-1]
    assert sent["seed"] == 7 and sent["temperature"] == 0.1 and sent["max_tokens"] == 33
    assert sent["messages"] == MSGS
    assert usage.requests == 1 and usage.prompt_tokens == 10 and usage.completion_tokens == 5


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_429_retry_after_is_honoured(server, transport):
    server.enqueue(s.error(429, retry_after=0.4), s.text("fine"))
    t0 = time.perf_counter()
    result, usage = _chat(server, transport=transport)
    assert result.outcome == "ok" and result.content == "fine"
    assert time.perf_counter() - t0 >= 0.4
    assert result.attempts == 2 and usage.retries == 1


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_5xx_then_success(server, transport):
    server.enqueue(s.error(500), s.error(503), s.text("back"))
    result, usage = _chat(server, transport=transport)
    assert result.outcome == "ok" and result.attempts == 3 and usage.retries == 2


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_dead_endpoint_after_retries_is_classified_and_raises_clearly(server, transport):
    server.responder = lambda req: s.error(500, message="boom")
    result, usage = _chat(server, transport=transport, max_retries=2)
    assert result.outcome == "dead" and result.attempts == 3
    assert "http 500" in result.error
    with pytest.raises(EndpointDead, match="role agent is dead: .*http 500"):
        result.raise_for_dead("agent")
    assert usage.dead == 1


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    ("reply", "fragment"),
    [
        (s.truncated(), "malformed"),
        (s.empty_choices(), "empty choices"),
        (s.error(400, message="bad request"), "http 400"),
        # names the model, but says nothing of it being unknown: the request's fault, not the configuration's
        (s.error(400, message="This model's maximum context length is 2048 tokens"), "http 400"),
    ],
)
def test_broken_replies_are_invalid_not_crashes_and_not_retried(server, transport, reply, fragment):
    server.enqueue(reply)
    result, usage = _chat(server, transport=transport)
    assert result.outcome == "invalid" and fragment in result.error
    assert result.attempts == 1 and usage.invalid == 1 and not result.refused


_MODEL_MISSING = s.Reply(
    status=400,
    body={"error": {"message": "The model `gpt-nope` does not exist.", "code": "model_not_found"}},
)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    ("reply", "fragment"),
    [
        (s.error(401, message="Incorrect API key provided"), "http 401: Incorrect API key provided"),
        (s.error(403, message="not allowed"), "http 403: not allowed"),
        (s.error(404, message="no such route"), "http 404: no such route"),
        (_MODEL_MISSING, "http 400: The model `gpt-nope` does not exist."),
    ],
)
def test_refusals_are_fatal_configuration_errors_not_retried(server, transport, reply, fragment):
    # 401/403/404 or an unknown model: the key, model or base_url is wrong. Not data, not retried.
    server.responder = lambda req: reply
    result, usage = _chat(server, transport=transport, max_retries=3)
    assert result.outcome == "dead" and result.refused and result.attempts == 1 and server.served == 1
    assert usage.dead == usage.refused == 1 and usage.invalid == 0 and usage.retries == 0
    with pytest.raises(EndpointRefused, match=re.escape(f"endpoint refused: {fragment}")) as info:
        result.raise_for_dead("agent")
    assert isinstance(info.value, EndpointDead)  # fails every flow an EndpointDead fails
    message = str(info.value)
    assert "\n" not in message and server.base_url in message
    assert message.endswith("— check llm.agent.api_key_env / model / base_url")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_wrong_base_url_path_is_a_refusal(server, transport):
    # The stand-in serves /v1 only: /v2/chat/completions is a real 404 from its router.
    async def go():
        settings = EndpointSettings(base_url=server.base_url.replace("/v1", "/v2"), transport=transport)
        async with LLMClient(settings, role="user_simulator", backoff_base_s=0.02) as client:
            return await client.chat(MSGS)

    result = asyncio.run(go())
    assert result.outcome == "dead" and result.refused and result.attempts == 1
    with pytest.raises(EndpointRefused, match=r"http 404.*check llm\.user_simulator\.api_key_env"):
        result.raise_for_dead("user_simulator")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_timeout_is_retried_then_dead(server, transport):
    server.responder = lambda req: s.Reply(body=s.text("late").body, delay_s=1.0)
    result, _ = _chat(server, transport=transport, timeout_s=0.2, max_retries=1)
    assert result.outcome == "dead" and "timeout" in result.error


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_connection_refused_is_dead(transport):
    from envscale.models.serving import free_port

    settings = EndpointSettings(
        base_url=f"http://127.0.0.1:{free_port()}/v1", transport=transport, max_retries=1
    )

    async def go():
        async with LLMClient(settings, backoff_base_s=0.01) as client:
            return await client.chat(MSGS)

    result = asyncio.run(go())
    assert (
        result.outcome == "dead" and result.attempts == 2
    )  # (the SDK reports a refused connection as a timeout)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_api_key_comes_from_the_named_env_var_and_is_never_shown(server, transport, monkeypatch):
    monkeypatch.setenv("ENVSCALE_TEST_KEY", "sk-secret-123")
    result, _ = _chat(server, transport=transport, api_key_env="ENVSCALE_TEST_KEY")
    assert result.outcome == "ok"
    assert server.auth_headers[-1] == "Bearer sk-secret-123"
    client_repr = repr(LLMClient(EndpointSettings(base_url=server.base_url, api_key_env="ENVSCALE_TEST_KEY")))
    assert "sk-secret" not in client_repr


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_admission_control_bounds_requests_in_flight(server, transport):
    server.latency_s = 0.05

    async def go():
        async with LLMClient(
            EndpointSettings(base_url=server.base_url, concurrency=3, transport=transport)
        ) as client:
            results = await asyncio.gather(*[client.chat(MSGS) for _ in range(12)])
        return results

    results = asyncio.run(go())
    assert all(r.outcome == "ok" for r in results)
    assert server.max_in_flight == 3


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_broken_earlier_call_goes_back_as_a_json_object_and_the_history_is_untouched(server, transport):
    # transformers serve and vLLM json.loads the history's arguments: a model's own broken
    # call sent back verbatim made every later turn an HTTP 500 (read as a dead endpoint).
    broken = {
        "id": "c1",
        "type": "function",
        "function": {"name": "get_order", "arguments": '{"order_id": "O'},
    }
    good = {
        "id": "c2",
        "type": "function",
        "function": {"name": "get_user", "arguments": '{"user_id": "u1"}'},
    }
    history = [
        *MSGS,
        {"role": "assistant", "content": None, "tool_calls": [broken, good]},
        {"role": "tool", "tool_call_id": "c1", "content": "invalid JSON arguments"},
        {"role": "assistant", "content": None, "tool_calls": [good]},
    ]
    server.enqueue(s.text("ok"))
    result, _ = _chat(server, transport=transport, messages=history)
    assert result.outcome == "ok"
    sent = server.requests[-1]["messages"]
    first = sent[1]["tool_calls"]
    assert json.loads(first[0]["function"]["arguments"]) == {"_unparsed": '{"order_id": "O'}
    assert first[1] == good and sent[3]["tool_calls"] == [good]
    assert (
        history[1]["tool_calls"][0]["function"]["arguments"] == '{"order_id": "O'
    )  # the record keeps the raw call
