"""Play episodes through a served environment (``envscale serve``) with the mcp SDK's client.

``ServedEpisodes(url)`` holds one background event loop; ``open(task)`` starts one
MCP session there (one session = one episode on the server), resets it to the
task and returns a ``ServedEpisode``: the synchronous ``Episode`` interface the
evaluation engine plays (``call``, ``state_hash``, ``diff``, ``close``). Each
session lives in its own task on that loop, so the SDK's cancel scopes open and
close in one task while callers stay synchronous. Catalog calls come back as the
server's full ``ToolResult`` (structured content), so play is the same as on an
in-process episode; the state hash is the server's (``envscale.reward``).

Several environments on one server sit at ``URL/<name>`` (or ``URL/<env_id>``);
a task's environment is found by the env id in the server's instructions.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from typing import Any

from envscale.environments.evaluation.records import EvalTask
from envscale.environments.rl.mcp_server import CONTROL_PREFIX, DIFF_TOOL, RESET_TOOL, REWARD_TOOL
from envscale.environments.runtime.contracts import EnvTool, RowChange, ToolResult
from envscale.errors import ExternalFailure

CALL_TIMEOUT_S = 120.0


class ServedEnvironmentError(ExternalFailure):
    """The served environment is unreachable, is not the task's environment, or refused a control call."""


class _Session:
    """One MCP session, driven from its own task on the loop: requests in a queue, answers in futures."""

    def __init__(self, url: str, loop: asyncio.AbstractEventLoop) -> None:
        self.url = url
        self._loop = loop
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self.ready: concurrent.futures.Future[tuple[Any, str]] = concurrent.futures.Future()
        self.done: concurrent.futures.Future[None] = concurrent.futures.Future()

    async def run(self) -> None:
        from mcp import Client

        try:
            async with Client(self.url) as client:
                tools = (await client.list_tools()).tools
                self.ready.set_result((tools, client.instructions or ""))
                while (item := await self._queue.get()) is not None:
                    name, arguments, answer = item
                    try:
                        answer.set_result(await client.call_tool(name, arguments))
                    except Exception as exc:  # a transport failure: the caller raises it
                        answer.set_exception(exc)
        except BaseException as exc:
            if not self.ready.done():
                self.ready.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
        finally:
            self.done.set_result(None)

    def call(self, name: str, arguments: dict[str, Any]) -> Any:
        answer: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self._loop.call_soon_threadsafe(self._queue.put_nowait, (name, arguments, answer))
        try:
            return answer.result(timeout=CALL_TIMEOUT_S)
        except Exception as exc:
            raise ServedEnvironmentError(f"{self.url}: {name} failed: {_reason(exc)}") from None

    def end(self) -> None:
        self._loop.call_soon_threadsafe(self._queue.put_nowait, None)
        self.done.result(timeout=30)


class ServedEpisode:
    """An episode played on the server, with the ``Episode`` interface of the runtime."""

    def __init__(self, session: _Session, env_id: str, tools: tuple[EnvTool, ...]) -> None:
        self._session = session
        self.env_id = env_id
        self.tools = tools

    def reset(self, task_id: str) -> dict[str, Any]:
        return self._control(RESET_TOOL, {"task_id": task_id})

    def call(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        result = self._session.call(name, arguments)
        if result.structured_content is not None:
            return ToolResult.model_validate(result.structured_content)
        # no ToolResult: a refusal of the call itself (e.g. not a stateful session)
        return ToolResult(ok=False, error=_text(result), error_code="execution_error")

    def state_hash(self) -> str:
        return str(self._control(REWARD_TOOL, {})["state_hash"])

    def verdict(self) -> dict[str, Any]:
        return self._control(REWARD_TOOL, {})

    def diff(self) -> list[RowChange]:
        return [RowChange.model_validate(c) for c in self._control(DIFF_TOOL, {})["changes"]]

    def query(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        raise ServedEnvironmentError("a served episode answers tool calls only, not SQL")

    def close(self) -> None:
        self._session.end()  # leaving the client ends the MCP session: the server closes the episode

    def _control(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        result = self._session.call(name, arguments)
        if result.is_error or result.structured_content is None:
            raise ServedEnvironmentError(f"{self._session.url}: {name} refused: {_text(result)}")
        return dict(result.structured_content)


class ServedEpisodes:
    """Episodes on the server at ``url``, opened from any thread; ``close()`` ends the loop."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="envscale-mcp-client", daemon=True
        )
        self._thread.start()
        self._urls: dict[str, str] = {}
        self._lock = threading.Lock()

    def open(self, item: EvalTask, name: str | None = None) -> ServedEpisode:
        """A fresh session on the task's environment, reset to the task."""
        env_id = item.blueprint.env_id
        session, tools = self._connect(env_id, name)
        episode = ServedEpisode(session, env_id, tools)
        try:
            episode.reset(item.task_id)
        except BaseException:
            episode.close()
            raise
        return episode

    def _connect(self, env_id: str, name: str | None) -> tuple[_Session, tuple[EnvTool, ...]]:
        with self._lock:
            known = self._urls.get(env_id)
        candidates = [known] if known else [self.url, *(f"{self.url}/{n}" for n in (name, env_id) if n)]
        reasons = []
        for url in candidates:
            session = _Session(url, self._loop)
            asyncio.run_coroutine_threadsafe(session.run(), self._loop)
            try:
                listed, instructions = session.ready.result(timeout=CALL_TIMEOUT_S)
            except Exception as exc:
                reasons.append(f"{url}: {_reason(exc)}")
                continue
            if f"({env_id})" in instructions:  # ServedEnvironment.describe()
                with self._lock:
                    self._urls[env_id] = url
                return session, _tools(listed)
            session.end()
            reasons.append(f"{url}: serves another environment")
        raise ServedEnvironmentError(
            f"environment {env_id} is not served at {self.url} ({'; '.join(reasons)}); "
            f"start it with `envscale serve --env {name or env_id}`"
        )

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def __enter__(self) -> ServedEpisodes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _tools(listed: list[Any]) -> tuple[EnvTool, ...]:
    """The catalog tools as the server lists them (its manifest's order), control tools left out."""
    return tuple(
        EnvTool(
            name=t.name,
            description=t.description or "",
            parameters=t.input_schema,
            kind="read" if t.annotations is not None and t.annotations.read_only_hint else "write",
        )
        for t in listed
        if not t.name.startswith(CONTROL_PREFIX)
    )


def _text(result: Any) -> str:
    return " ".join(getattr(c, "text", "") for c in result.content or ()).strip() or "no message"


def _reason(exc: BaseException) -> str:
    """The innermost readable cause (the SDK wraps transport errors in exception groups)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}"[:300]


__all__ = ["ServedEnvironmentError", "ServedEpisode", "ServedEpisodes"]
