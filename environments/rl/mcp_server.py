"""Environments as Model Context Protocol servers: one MCP session = one ``TaskEnv`` episode.

Every catalog tool is listed with its JSON Schema and read/write annotations
(``readOnlyHint``/``destructiveHint`` from the tool's declared kind). Control
tools carry the reserved ``envscale.`` prefix (a dot never occurs in a catalog
tool name: OpenAI function names cannot hold one, and building refuses a clash):

- ``envscale.tasks``  — the task ids and instructions this environment can be reset to
- ``envscale.reset``  — reset the session's episode to a task; returns its instruction and the policy
- ``envscale.diff``   — the episode's row-level changes since reset
- ``envscale.reward`` — the evaluation judge's verdict on the current state (reward 1.0 / 0.0)

Agent mistakes (unknown tool, bad arguments, a failed precondition, a call
before reset) come back as tool errors (``isError``), never as a dropped
session; an unexpected failure inside a call is a tool error too. Catalog calls
carry the full ``ToolResult`` as structured content, so a client rebuilds
exactly what an in-process episode returned.

Episodes live in an ``EpisodeRegistry`` keyed by the ``Mcp-Session-Id`` header
(``stdio`` for the stdio transport): closed when the client ends the session
(HTTP DELETE), reaped after ``idle_timeout_s`` without a call (a client that
disconnected without ending it), and all closed at shutdown. The SDK answers a
request for an unknown session itself (HTTP 404), before any episode exists.
Sessions need the initialize handshake: ``server/discover`` advertises only
handshake-era versions, so an ``auto`` client falls back to it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from envscale.environments.rl.episode_env import EpisodeError, TaskEnv
from envscale.environments.runtime.contracts import ToolResult

if TYPE_CHECKING:
    from envscale.environments.rl.served import ServedEnvironment

log = logging.getLogger(__name__)

CONTROL_PREFIX = "envscale."
TASKS_TOOL = CONTROL_PREFIX + "tasks"
RESET_TOOL = CONTROL_PREFIX + "reset"
DIFF_TOOL = CONTROL_PREFIX + "diff"
REWARD_TOOL = CONTROL_PREFIX + "reward"
STDIO_SESSION = "stdio"
DEFAULT_IDLE_TIMEOUT_S = 600.0


@dataclass
class _Session:
    env: TaskEnv
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_used: float = field(default_factory=time.monotonic)


class EpisodeRegistry:
    """Open episodes by session key; thread-safe (calls run in worker threads)."""

    def __init__(self, make_env: Callable[[], TaskEnv], *, idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S):
        self._make_env = make_env
        self.idle_timeout_s = idle_timeout_s
        self._sessions: dict[str, _Session] = {}
        self._lock = threading.Lock()
        self.opened = 0
        self.closed = 0

    def get(self, key: str) -> _Session:
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                session = self._sessions[key] = _Session(self._make_env())
                self.opened += 1
            session.last_used = time.monotonic()
            return session

    def close(self, key: str) -> bool:
        with self._lock:
            session = self._sessions.pop(key, None)
        if session is None:
            return False
        with session.lock:  # never under a call in flight
            session.env.close()
        self.closed += 1
        return True

    def reap(self, now: float | None = None) -> int:
        """Close episodes idle longer than the timeout (their client went away without ending the session)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            stale = [k for k, s in self._sessions.items() if now - s.last_used > self.idle_timeout_s]
        return sum(self.close(k) for k in stale)

    def close_all(self) -> None:
        for key in list(self._sessions):
            self.close(key)

    @property
    def open_count(self) -> int:
        return len(self._sessions)


def _control_tools() -> list[dict[str, Any]]:
    return [
        {
            "name": TASKS_TOOL,
            "description": "List the tasks this environment can be reset to (task_id, instruction).",
            "input_schema": {"type": "object", "properties": {}},
            "read_only": True,
        },
        {
            "name": RESET_TOOL,
            "description": "Start this session's episode on a task: a fresh copy of the base state. "
            "Returns the task's instruction and the policy (system prompt) to follow.",
            "input_schema": {
                "type": "object",
                "properties": {
                    "task_id": {"type": "string", "description": "A task id from envscale.tasks."}
                },
                "required": ["task_id"],
            },
            "read_only": False,
        },
        {
            "name": DIFF_TOOL,
            "description": "Row-level changes this episode made since reset.",
            "input_schema": {"type": "object", "properties": {}},
            "read_only": True,
        },
        {
            "name": REWARD_TOOL,
            "description": "The evaluation judge's verdict on the current state: reward 1.0 when it "
            "equals the task's gold state (and, for read-only tasks, the calls match the gold calls).",
            "input_schema": {"type": "object", "properties": {}},
            "read_only": True,
        },
    ]


class EnvironmentServer:
    """One environment behind an MCP ``Server`` (lowlevel API: schemas come from the manifest)."""

    def __init__(
        self,
        served: ServedEnvironment,
        *,
        idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
        record_timings: bool = False,
    ):
        clash = [t.name for t in served.manifest.tools if t.name.startswith(CONTROL_PREFIX)]
        if clash:
            raise ValueError(f"tool names {clash} use the reserved prefix {CONTROL_PREFIX!r}")
        self.served = served
        self.registry = EpisodeRegistry(served.make_env, idle_timeout_s=idle_timeout_s)
        # (tool seconds, handler seconds) per catalog call, when a benchmark asks for them.
        self.timings: list[tuple[float, float]] | None = [] if record_timings else None
        self.server = self._build()

    # -- the MCP server ----------------------------------------------------------
    def _build(self) -> Any:
        import anyio
        import mcp_types as types
        from mcp.server.lowlevel import Server
        from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS

        tools = [
            types.Tool(
                name=t.name,
                description=t.description,
                input_schema=t.parameters,
                annotations=types.ToolAnnotations(
                    read_only_hint=t.kind == "read",
                    destructive_hint=t.kind == "write",
                    idempotent_hint=t.kind == "read",
                    open_world_hint=False,
                ),
            )
            for t in self.served.manifest.tools
        ] + [
            types.Tool(
                name=c["name"],
                description=c["description"],
                input_schema=c["input_schema"],
                annotations=types.ToolAnnotations(
                    read_only_hint=c["read_only"], destructive_hint=False, open_world_hint=False
                ),
            )
            for c in _control_tools()
        ]
        # Tool calls are CPU work in DuckDB: more threads than cores only stretch each statement's wall
        # time (32 on 2 cores made 256 sessions trip the 2 s statement limit); callers wait here instead.
        limiter = anyio.CapacityLimiter(max(2, os.cpu_count() or 2))

        async def list_tools(ctx: Any, params: Any) -> Any:
            return types.ListToolsResult(tools=tools)

        async def call_tool(ctx: Any, params: Any) -> Any:
            key = _session_key(ctx)
            if key is None:
                return _error_result(
                    "this server keeps one episode per MCP session: connect with the initialize "
                    "handshake (a stateful session), not a sessionless request"
                )
            arguments = params.arguments or {}
            if self.timings is None:
                return await anyio.to_thread.run_sync(
                    self.dispatch, key, params.name, arguments, limiter=limiter
                )
            t0 = time.perf_counter()
            result, tool_s = await anyio.to_thread.run_sync(
                self._timed, key, params.name, arguments, limiter=limiter
            )
            if tool_s is not None:
                self.timings.append((tool_s, time.perf_counter() - t0))
            return result

        async def discover(ctx: Any, params: Any) -> Any:
            # Episodes need sessions: advertise only handshake-era versions, so clients fall back to it.
            return types.DiscoverResult(
                supported_versions=list(HANDSHAKE_PROTOCOL_VERSIONS),
                capabilities=server.get_capabilities(protocol_version=ctx.protocol_version),
                instructions=server.instructions,
            )

        server = Server(
            f"envscale-{self.served.name}",
            version="1",
            instructions=self.served.describe(),
            on_list_tools=list_tools,
            on_call_tool=call_tool,
        )
        server.add_request_handler("server/discover", types.RequestParams, discover)
        return server

    # -- one call (in a worker thread) ---------------------------------------------
    def dispatch(self, key: str, name: str, arguments: Any) -> Any:
        session = self.registry.get(key)
        with session.lock:
            session.last_used = time.monotonic()
            try:
                return self._dispatch(session.env, name, arguments)
            except EpisodeError as exc:
                return _error_result(str(exc))
            except Exception as exc:  # a bug must not drop the session: the agent sees a tool error
                log.exception("tool call %s failed", name)
                return _error_result(f"internal error: {type(exc).__name__}: {exc}")
            finally:
                session.last_used = time.monotonic()

    def _timed(self, key: str, name: str, arguments: Any) -> tuple[Any, float | None]:
        """``dispatch`` plus the tool's own time (catalog calls only) for the overhead benchmark."""
        if name.startswith(CONTROL_PREFIX):
            return self.dispatch(key, name, arguments), None
        session = self.registry.get(key)
        with session.lock:
            t0 = time.perf_counter()
            try:
                result = session.env.step(name, arguments if isinstance(arguments, dict) else {}).observation
            except EpisodeError as exc:
                return _error_result(str(exc)), None
            tool_s = time.perf_counter() - t0
            return _tool_result(result), tool_s

    def _dispatch(self, env: TaskEnv, name: str, arguments: Any) -> Any:
        if name == TASKS_TOOL:
            rows = [{"task_id": t, "instruction": e.task.instruction} for t, e in env.tasks.items()]
            return _ok_result({"tasks": rows})
        if name == RESET_TOOL:
            task_id = arguments.get("task_id") if isinstance(arguments, dict) else None
            if not isinstance(task_id, str):
                return _error_result("invalid arguments: task_id (a string) is required")
            start = env.reset(task_id)
            return _ok_result(start.model_dump(mode="json", exclude={"tools"}))
        if name == DIFF_TOOL:
            return _ok_result({"changes": [c.model_dump(mode="json") for c in env.diff()]})
        if name == REWARD_TOOL:
            verdict = env.verdict()
            return _ok_result(verdict.model_dump(mode="json") | {"reward": verdict.reward})
        if not isinstance(arguments, dict):
            result = ToolResult(
                ok=False, error="invalid arguments: must be an object", error_code="invalid_arguments"
            )
        else:
            result = env.step(name, arguments).observation
        return _tool_result(result)

    # -- transports ------------------------------------------------------------------
    async def reaper(self) -> None:
        import anyio

        while True:
            await anyio.sleep(max(0.05, self.registry.idle_timeout_s / 4))
            self.registry.reap()

    def route(self, path: str, *, host: str = "127.0.0.1") -> tuple[Any, Any]:
        """The streamable-HTTP route at ``path`` and its session manager (to run in the app's lifespan)."""
        from starlette.routing import Route

        inner = self.server.streamable_http_app(
            streamable_http_path=path,
            host=host,
            session_idle_timeout=self.registry.idle_timeout_s,
            max_sessions=None,
        )
        endpoint = _EndSessionOnDelete(inner.routes[0].endpoint, self.registry)
        return Route(path, endpoint=endpoint), self.server.session_manager

    async def run_stdio(self) -> None:
        from mcp.server.stdio import stdio_server

        try:
            async with stdio_server() as (read, write):
                await self.server.run(read, write, self.server.create_initialization_options())
        finally:
            self.registry.close_all()


def http_app(servers: list[EnvironmentServer], *, host: str = "127.0.0.1", by_env_id: bool = False) -> Any:
    """A Starlette app: one environment at ``/mcp``; several at ``/mcp/<name>`` (or ``/mcp/<env_id>``) each."""
    from starlette.applications import Starlette

    if by_env_id:
        paths = [f"/mcp/{s.served.env_id}" for s in servers]
    elif len(servers) == 1:
        paths = ["/mcp"]
    else:
        paths = [f"/mcp/{s.served.name}" for s in servers]
    if len(set(paths)) != len(paths):
        raise ValueError(f"two environments share a name: {sorted(paths)}")
    mounted = [s.route(p, host=host) for s, p in zip(servers, paths, strict=True)]

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        import anyio

        async with contextlib.AsyncExitStack() as stack:
            for _, manager in mounted:
                await stack.enter_async_context(manager.run())
            try:
                async with anyio.create_task_group() as tg:
                    for s in servers:
                        tg.start_soon(s.reaper)
                    yield
                    tg.cancel_scope.cancel()
            finally:
                for s in servers:
                    s.registry.close_all()

    app = Starlette(routes=[r for r, _ in mounted], lifespan=lifespan)
    app.state.paths = paths
    return app


class _EndSessionOnDelete:
    """ASGI wrapper: a DELETE that ends an MCP session also closes its episode."""

    def __init__(self, app: Any, registry: EpisodeRegistry) -> None:
        self.app = app
        self.registry = registry

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)
        if scope.get("type") == "http" and scope.get("method") == "DELETE":
            key = _header(scope, b"mcp-session-id")
            if key:
                self.registry.close(key)


def _header(scope: Any, name: bytes) -> str | None:
    for k, v in scope.get("headers") or ():
        if k.lower() == name:
            return v.decode("latin-1")
    return None


def _session_key(ctx: Any) -> str | None:
    request = getattr(ctx, "request", None)
    if request is None:
        return STDIO_SESSION  # stdio: the process is the session
    return request.headers.get("mcp-session-id")


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def _ok_result(payload: dict[str, Any]) -> Any:
    import mcp_types as types

    payload = _json_safe(payload)
    return types.CallToolResult(
        content=[types.TextContent(text=json.dumps(payload, ensure_ascii=False))], structured_content=payload
    )


def _error_result(message: str) -> Any:
    import mcp_types as types

    return types.CallToolResult(content=[types.TextContent(text=message)], is_error=True)


def _tool_result(result: ToolResult) -> Any:
    """A catalog call: the agent-facing text as in-process play writes it, and the full ToolResult."""
    import mcp_types as types

    dump = _json_safe(result.model_dump(mode="json"))
    if result.ok:
        text = json.dumps(dump["content"], ensure_ascii=False)
    else:
        text = json.dumps({"error": result.error, "code": result.error_code}, ensure_ascii=False)
    return types.CallToolResult(
        content=[types.TextContent(text=text)], structured_content=dump, is_error=not result.ok
    )


__all__ = [
    "CONTROL_PREFIX",
    "DIFF_TOOL",
    "RESET_TOOL",
    "REWARD_TOOL",
    "TASKS_TOOL",
    "EnvironmentServer",
    "EpisodeRegistry",
    "http_app",
]


class BackgroundHTTP:
    """Serve an ASGI app with uvicorn in a daemon thread (tests, benchmarks, evaluate-through-MCP)."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0) -> None:
        import socket

        import uvicorn

        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.host, self.port = self._sock.getsockname()[:2]
        config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="envscale-mcp-http", daemon=True)

    def _run(self) -> None:
        self._server.run(sockets=[self._sock])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/mcp"

    def __enter__(self) -> BackgroundHTTP:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the MCP HTTP server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()
