"""A scriptable OpenAI-compatible HTTP server on 127.0.0.1: the TEST STAND-IN for real endpoints.

Tests and benchmarks point the real client (``openai`` SDK over HTTP) at it to
script what real servers do: replies with text or tool calls, 429 with
``Retry-After``, 500s, truncated JSON, empty choices, delays. It runs in a
background thread with its own event loop, or as a process
(``python -m tests.support.standin --latency 0.2``) for benchmarks.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    """What the stand-in answers to one request."""

    status: int = 200
    body: dict[str, Any] | None = None
    raw: bytes | None = None  # sent verbatim (e.g. truncated JSON)
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


_ids = itertools.count()


def completion(
    message: dict[str, Any],
    *,
    finish_reason: str = "stop",
    prompt_tokens: int = 10,
    completion_tokens: int = 5,
) -> Reply:
    return Reply(
        body={
            "id": f"chatcmpl-{next(_ids)}",
            "object": "chat.completion",
            "created": 0,
            "model": "stand-in",
            "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
    )


def text(content: str | None, **kw: Any) -> Reply:
    return completion({"role": "assistant", "content": content}, **kw)


def tool_call(name: str, arguments: dict[str, Any] | str, *, content: str | None = None, **kw: Any) -> Reply:
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)
    call = {"id": f"call_{next(_ids)}", "type": "function", "function": {"name": name, "arguments": args}}
    return completion(
        {"role": "assistant", "content": content, "tool_calls": [call]}, finish_reason="tool_calls", **kw
    )


def error(status: int, *, retry_after: float | None = None, message: str = "stand-in error") -> Reply:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return Reply(status=status, body={"error": {"message": message, "type": "server_error"}}, headers=headers)


def truncated() -> Reply:
    return Reply(raw=b'{"id": "x", "choices": [{"index": 0, "message": {"role": "assis')


def empty_choices() -> Reply:
    return Reply(
        body={"id": "x", "object": "chat.completion", "created": 0, "model": "stand-in", "choices": []}
    )


Responder = Callable[[dict[str, Any]], "Reply | Awaitable[Reply]"]


def echo_responder(request: dict[str, Any]) -> Reply:
    """Default: answers with the last user message's text."""
    last = next((m for m in reversed(request.get("messages", [])) if m.get("role") == "user"), {})
    return text(f"echo: {last.get('content', '')}")


def tool_then_answer(request: dict[str, Any]) -> Reply:
    """Agent-like policy: call the first tool once after a user turn, then answer."""
    messages = request.get("messages", [])
    tools = request.get("tools") or []
    if messages and messages[-1].get("role") == "user" and tools:
        return tool_call(tools[0]["function"]["name"], {})
    return text("Done. FINAL ANSWER")


class StandInServer:
    """The server; ``script`` replies are used first (FIFO), then ``responder``."""

    def __init__(
        self,
        responder: Responder | None = None,
        *,
        latency_s: float = 0.0,
        record: bool = True,
        port: int = 0,
    ) -> None:
        self.responder = responder or echo_responder
        self.latency_s = latency_s
        self.record = record
        self.port = port
        self.script: deque[Reply] = deque()
        self.requests: list[dict[str, Any]] = []
        self.auth_headers: list[str | None] = []
        self.served = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: Any = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def enqueue(self, *replies: Reply) -> StandInServer:
        self.script.extend(replies)
        return self

    # -- HTTP ----------------------------------------------------------------
    async def _chat(self, request: Any) -> Any:
        from aiohttp import web

        payload = await request.json()
        if self.record:
            self.requests.append(payload)
            self.auth_headers.append(request.headers.get("Authorization"))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            reply = self.script.popleft() if self.script else self.responder(payload)
            if asyncio.iscoroutine(reply):
                reply = await reply
            delay = self.latency_s + reply.delay_s
            if delay:
                await asyncio.sleep(delay)
        finally:
            self.in_flight -= 1
        self.served += 1
        if reply.raw is not None:
            return web.Response(
                body=reply.raw, status=reply.status, headers=reply.headers, content_type="application/json"
            )
        return web.json_response(reply.body or {}, status=reply.status, headers=reply.headers)

    async def _models(self, request: Any) -> Any:
        from aiohttp import web

        return web.json_response(
            {"object": "list", "data": [{"id": "stand-in", "object": "model", "owned_by": "envscale"}]}
        )

    async def _start(self) -> None:
        from aiohttp import web

        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, backlog=4096)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    # -- lifecycle -------------------------------------------------------------
    def start(self) -> StandInServer:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._start())
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, name="llm-standin", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop = None

    def __enter__(self) -> StandInServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    """Run the stand-in as a process (benchmarks): fixed latency, agent-like policy."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()
    server = StandInServer(tool_then_answer, latency_s=args.latency, record=False, port=args.port).start()
    print(server.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
