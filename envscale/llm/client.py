"""An async OpenAI-compatible chat client with admission control, retries and classified outcomes.

Every call ends in one of three outcomes:

- ``ok``: a reply with a message (content and/or tool calls);
- ``invalid``: the endpoint answered but the reply is unusable (no choices,
  malformed body, a 4xx that retrying cannot fix) — data for the caller, not a crash;
- ``dead``: the endpoint stayed unreachable/overloaded/erroring through every
  retry. Callers fail their flow on it (``ChatResult.raise_for_dead``).

A *refusal* is a ``dead`` outcome with ``refused`` set, decided on the first
answer and never retried: 401, 403, 404, or a 400 saying the model does not
exist. These say the configuration is wrong (API key, model name, base URL), not
that the model misbehaved, so ``raise_for_dead`` raises ``EndpointRefused``,
which fails the run; nothing an endpoint refused is data.

Retries cover 429 (honouring ``Retry-After``), 5xx, timeouts and connection
errors, with exponential backoff and jitter. Backoff is *shared per client*: a
429 closes the gate for every request of the endpoint until the pause is over,
so hundreds of episodes back off together instead of hammering it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from envscale.config import EndpointSettings
from envscale.errors import ExternalFailure

log = logging.getLogger(__name__)

Outcome = Literal["ok", "invalid", "dead"]

_MAX_BACKOFF_S = 30.0
_JSON_HEADERS = {"Content-Type": "application/json"}
_MAX_RETRY_AFTER_S = 120.0


class EndpointDead(ExternalFailure):
    """The endpoint failed every retry; the message says which one and why."""


class EndpointRefused(EndpointDead):
    """The endpoint refused the request (401/403/404, unknown model): a configuration error, fatal for the run.

    The message names the status, the endpoint's reason, and the settings to check.
    """


REFUSAL_STATUSES = frozenset({401, 403, 404})
# A 400 is a refusal only when its body says the model is unknown (servers differ in
# status: OpenAI and vLLM answer 404, LiteLLM and some proxies 400).
_MODEL_MISSING = re.compile(
    r"model_not_found|\b(unknown|invalid|no such) model\b"
    r"|\bmodel\b.{0,80}?\b(does not exist|doesn't exist|not found|no such)\b",
    re.IGNORECASE | re.DOTALL,
)
_HTTP_STATUS = re.compile(r"\bhttp (\d{3}): (.*)", re.DOTALL)


def is_refusal(status: int, text: str = "") -> bool:
    """Whether an HTTP error status (with its body text) says the endpoint configuration is wrong."""
    return status in REFUSAL_STATUSES or (status == 400 and bool(_MODEL_MISSING.search(text)))


def mentions_refusal(text: str) -> bool:
    """Whether an error text (``http NNN: …``, e.g. a stored issue detail) reports a refusal.

    Before refusals were fatal they were recorded as unusable replies; this finds them.
    """
    match = _HTTP_STATUS.search(text or "")
    return match is not None and is_refusal(int(match.group(1)), match.group(2))


@dataclass(slots=True)
class ChatResult:
    """One chat completion, classified."""

    outcome: Outcome
    message: dict[str, Any] | None = None  # OpenAI-format assistant message (tool-call arguments as strings)
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0  # wall time of the call, retries and queueing included
    attempts: int = 1
    error: str | None = None  # why the reply is invalid / the endpoint dead
    refused: bool = False  # dead because the endpoint refused the request (configuration error)

    @property
    def content(self) -> str:
        return (self.message or {}).get("content") or ""

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        return list((self.message or {}).get("tool_calls") or [])

    def raise_for_dead(self, role: str = "") -> ChatResult:
        if self.outcome == "dead" and self.refused:
            raise EndpointRefused(self.error or f"endpoint refused the request (role {role or '?'})")
        if self.outcome == "dead":
            raise EndpointDead(f"LLM endpoint for role {role or '?'} is dead: {self.error}")
        return self


@dataclass
class UsageMeter:
    """Usage accounting across all calls of a client."""

    requests: int = 0
    ok: int = 0
    invalid: int = 0
    dead: int = 0
    refused: int = 0  # of the dead: refused requests (401/403/404, unknown model)
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    busy_s: float = 0.0
    by_status: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _json_object_text(text: Any) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except (TypeError, ValueError):
        return False


def wire_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The history as servers accept it: every earlier tool call's arguments a JSON object text.

    A model's broken call (cut-off or empty arguments) stays on the trajectory as it was,
    answered by an ``invalid_arguments`` tool error; sent back verbatim it made servers
    that parse the history (``transformers serve``, vLLM) answer HTTP 500 to every later
    turn, which reads as a dead endpoint. The raw text travels under ``_unparsed``.
    """
    out: list[dict[str, Any]] | None = None
    for i, message in enumerate(messages):
        calls = message.get("tool_calls") if message.get("role") == "assistant" else None
        if not calls or all(_json_object_text((c.get("function") or {}).get("arguments")) for c in calls):
            continue
        if out is None:
            out = list(messages)
        fixed = []
        for call in calls:
            fn = dict(call.get("function") or {})
            if not _json_object_text(fn.get("arguments")):
                fn["arguments"] = json.dumps(
                    {"_unparsed": str(fn.get("arguments") or "")}, ensure_ascii=False
                )
            fixed.append({**call, "function": fn})
        out[i] = {**message, "tool_calls": fixed}
    return messages if out is None else out


class LLMClient:
    """One role's endpoint. Create it inside the event loop that uses it; ``aclose`` at the end."""

    def __init__(
        self,
        settings: EndpointSettings,
        *,
        role: str = "agent",
        base_url: str | None = None,
        model: str | None = None,
        backoff_base_s: float = 0.5,
        transport: Literal["openai", "aiohttp"] | None = None,
    ) -> None:
        url = base_url or settings.base_url
        if not url:
            raise ValueError(
                f"role {role}: no base_url (start the embedded server with envscale.models.serving)"
            )
        self.settings = settings
        self.role = role
        self.base_url = url.rstrip("/")
        self.model = model or settings.model
        self.backoff_base_s = backoff_base_s
        self.transport = transport or settings.transport
        self.usage = UsageMeter()
        key = settings.api_key()
        # Local servers ignore the key, but the SDK insists on one.
        self._api_key = key.get_secret_value() if key is not None else "envscale-no-key"
        # An endpoint (or a proxy) that echoes the key back must not get it into trajectories,
        # issues or logs: every reply body and error text is scrubbed of it.
        self._secret = self._api_key.encode() if key is not None and len(self._api_key) >= 8 else None
        self._sdk: Any = None
        self._session: Any = None
        self._sem = asyncio.Semaphore(settings.concurrency)
        self._gate_until = 0.0  # monotonic time before which nobody sends (shared 429 pause)

    def __repr__(self) -> str:  # never shows the key
        return f"LLMClient(role={self.role!r}, base_url={self.base_url!r}, model={self.model!r})"

    async def aclose(self) -> None:
        if self._sdk is not None:
            await self._sdk.close()
            self._sdk = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> LLMClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def chat(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]] | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
        response_format: dict[str, Any] | None = None,
    ) -> ChatResult:
        """One completion with retries; never raises for endpoint trouble (see ``outcome``)."""
        s = self.settings
        body: dict[str, Any] = {
            "model": self.model,
            "messages": wire_messages(messages),
            "temperature": s.temperature if temperature is None else temperature,
            "max_tokens": max_tokens or s.max_tokens,
        }
        chosen_seed = s.seed if seed is None else seed
        if chosen_seed is not None:
            body["seed"] = chosen_seed
        if tools:
            body["tools"] = tools
        if response_format is not None:
            body["response_format"] = response_format
        started = time.perf_counter()
        attempt = 0
        last_error = ""
        while True:
            attempt += 1
            retry_after: float | None = None
            async with self._sem:
                wait = self._gate_until - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                try:
                    payload = await self._send(body)
                except _Retryable as exc:
                    last_error, retry_after = self._scrub(exc.reason), exc.retry_after
                except _Refused as exc:
                    return self._done(
                        ChatResult("dead", error=self._refusal_message(exc.reason), refused=True),
                        started,
                        attempt,
                    )
                except _Invalid as exc:
                    return self._done(ChatResult("invalid", error=self._scrub(exc.reason)), started, attempt)
                else:
                    if self._secret is not None and self._secret in payload:
                        payload = payload.replace(self._secret, b"***")
                    return self._done(_parse(payload), started, attempt)
            # Retryable: back off (shared gate for 429s), then try again.
            self.usage.by_status[last_error.split(":")[0]] = (
                self.usage.by_status.get(last_error.split(":")[0], 0) + 1
            )
            if attempt > s.max_retries:
                return self._done(
                    ChatResult("dead", error=f"{self.base_url}: {last_error} (after {attempt} attempts)"),
                    started,
                    attempt,
                )
            self.usage.retries += 1
            delay = _backoff(self.backoff_base_s, attempt, retry_after)
            if retry_after is not None:
                self._gate_until = max(self._gate_until, time.monotonic() + delay)
            log.debug("%s: retry %d in %.2fs after %s", self.role, attempt, delay, last_error)
            await asyncio.sleep(delay)

    def _refusal_message(self, reason: str) -> str:
        """One line: what the endpoint said, and which settings decide it."""
        return self._scrub(
            f"endpoint refused: {reason} (role {self.role}, {self.base_url}, model {self.model!r})"
            f" — check llm.{self.role}.api_key_env / model / base_url"
        )

    def _scrub(self, text: str) -> str:
        return text.replace(self._secret.decode(), "***") if self._secret is not None else text

    async def _send(self, body: dict[str, Any]) -> bytes:
        """POST one chat completion; raises _Retryable / _Invalid / _Refused, returns the body bytes."""
        if self.transport == "aiohttp":
            return await self._send_aiohttp(body)
        return await self._send_openai(body)

    async def _send_openai(self, body: dict[str, Any]) -> bytes:
        if self._sdk is None:
            from openai import AsyncOpenAI, DefaultAioHttpClient

            self._sdk = AsyncOpenAI(
                base_url=self.base_url,
                api_key=self._api_key,
                max_retries=0,  # retries are ours: shared backoff and classified outcomes
                timeout=self.settings.timeout_s,
                # aiohttp transport: ~2x less CPU per call than the default httpx one.
                http_client=DefaultAioHttpClient(
                    limits=_limits(self.settings.concurrency), timeout=self.settings.timeout_s
                ),
            )
        # Everything but `model` goes through extra_body: the SDK's deep TypedDict
        # transform of messages/tools costs ~1 ms a call and changes nothing on the wire.
        extra = {k: v for k, v in body.items() if k != "model"}
        try:
            raw = await self._sdk.chat.completions.with_raw_response.create(
                model=body["model"], messages=[], extra_body=extra
            )
        except Exception as exc:
            _raise_classified(exc)
        return raw.http_response.content

    async def _send_aiohttp(self, body: dict[str, Any]) -> bytes:
        import aiohttp

        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.settings.concurrency + 8),
                timeout=aiohttp.ClientTimeout(total=self.settings.timeout_s),
                headers={"Authorization": f"Bearer {self._api_key}"},
            )
        try:
            # orjson: encoding the body (messages + tools) was the largest CPU item per call with json.
            payload = orjson.dumps(body, default=str)
            async with self._session.post(
                self.base_url + "/chat/completions", data=payload, headers=_JSON_HEADERS
            ) as resp:
                data = await resp.read()
                status = resp.status
                headers = resp.headers
        except TimeoutError:
            raise _Retryable("timeout: no answer in time") from None
        except aiohttp.ClientError as exc:
            raise _Retryable(f"connection: {type(exc).__name__}: {exc}") from None
        if status == 200:
            return data
        text = data.decode(errors="replace")
        message = _short(text)
        if status in (408, 429) or status >= 500:
            raise _Retryable(f"http {status}: {message}", _retry_after(headers))
        if is_refusal(status, text):
            raise _Refused(f"http {status}: {_short(_error_message(text))}")
        raise _Invalid(f"http {status}: {message}")

    def _done(self, result: ChatResult, started: float, attempts: int) -> ChatResult:
        result.latency_s = time.perf_counter() - started
        result.attempts = attempts
        u = self.usage
        u.requests += 1
        u.busy_s += result.latency_s
        u.prompt_tokens += result.prompt_tokens
        u.completion_tokens += result.completion_tokens
        if result.outcome == "ok":
            u.ok += 1
        elif result.outcome == "invalid":
            u.invalid += 1
        else:
            u.dead += 1
            u.refused += result.refused
        return result


def _limits(concurrency: int) -> Any:
    import httpx2

    return httpx2.Limits(max_connections=concurrency + 8, max_keepalive_connections=concurrency + 8)


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class _Invalid(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Refused(Exception):
    """401/403/404 or an unknown model: the configuration is wrong; fatal, never retried."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _raise_classified(exc: Exception) -> None:
    """Map an SDK exception onto _Retryable / _Invalid / _Refused; anything unknown is a bug and re-raised."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        raise _Retryable("timeout: no answer in time") from None
    if isinstance(exc, openai.APIConnectionError):
        raise _Retryable(f"connection: {exc}") from None
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status in (408, 429) or status >= 500:
            raise _Retryable(
                f"http {status}: {_short(exc.message)}", _retry_after(exc.response.headers)
            ) from None
        if is_refusal(status, f"{exc.message} {exc.body}"):
            reason = re.sub(r"^Error code: \d+(?: - )?", "", exc.message) or str(exc.body or "")
            raise _Refused(f"http {status}: {_short(reason)}") from None
        raise _Invalid(f"http {status}: {_short(exc.message)}") from None
    if isinstance(exc, openai.APIResponseValidationError | ValueError):
        raise _Invalid(f"malformed reply: {_short(str(exc))}") from None
    raise exc


def _retry_after(headers: Any) -> float | None:
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return min(max(float(value) / divisor, 0.0), _MAX_RETRY_AFTER_S)
        except ValueError:
            continue
    return None


def _backoff(base: float, attempt: int, retry_after: float | None) -> float:
    if retry_after is not None:
        return retry_after + random.uniform(0, base * 0.1)
    # Full jitter: spreads hundreds of retrying episodes over the window.
    return random.uniform(0.5, 1.0) * min(_MAX_BACKOFF_S, base * 2 ** (attempt - 1))


def _parse(body: bytes) -> ChatResult:
    """The reply body → a classified result, without building the SDK's pydantic models (speed)."""
    try:
        data = orjson.loads(body)
    except ValueError as exc:
        return ChatResult("invalid", error=f"malformed reply: not JSON ({exc}); body starts {body[:80]!r}")
    if not isinstance(data, dict):
        return ChatResult("invalid", error="malformed reply: not a JSON object")
    usage = data.get("usage") or {}
    prompt = int(usage.get("prompt_tokens") or 0) if isinstance(usage, dict) else 0
    completion = int(usage.get("completion_tokens") or 0) if isinstance(usage, dict) else 0
    choices = data.get("choices")
    if not choices or not isinstance(choices, list) or not isinstance(choices[0], dict):
        return ChatResult(
            "invalid", error="empty choices", prompt_tokens=prompt, completion_tokens=completion
        )
    choice = choices[0]
    msg = choice.get("message")
    if not isinstance(msg, dict):
        return ChatResult(
            "invalid", error="choice without a message", prompt_tokens=prompt, completion_tokens=completion
        )
    message: dict[str, Any] = {"role": "assistant", "content": msg.get("content")}
    calls = msg.get("tool_calls") or []
    if calls:
        clean = []
        for i, call in enumerate(calls):
            fn = (call or {}).get("function") or {}
            args = fn.get("arguments")
            if not isinstance(args, str):  # some servers send an object; OpenAI format is a string
                args = json.dumps(args if args is not None else {})
            clean.append(
                {
                    "id": call.get("id") or f"call_{i}",
                    "type": "function",
                    "function": {"name": fn.get("name") or "", "arguments": args},
                }
            )
        message["tool_calls"] = clean
    return ChatResult(
        "ok",
        message=message,
        finish_reason=choice.get("finish_reason"),
        prompt_tokens=prompt,
        completion_tokens=completion,
    )


def _error_message(text: str) -> str:
    """The ``error.message`` of an OpenAI-style error body, else the body as it came."""
    try:
        data = orjson.loads(text)
    except ValueError:
        return text
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return error["message"]
    if isinstance(error, str):
        return error
    return text


def _short(text: str, n: int = 200) -> str:
    text = str(text).replace("\n", " ")
    return text if len(text) <= n else text[:n] + "…"
