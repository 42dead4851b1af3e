"""RL rollouts over MCP: N concurrent sessions on one `envscale serve`-style server process.

A scripted policy plays each task's gold calls through the mcp SDK's client over
streamable HTTP. Every session is opened and reset before any plays (so all N
episodes are open at once when memory is read), then all play concurrently.

Reported per N:
  steps/s          catalog tool calls per second, all sessions together (client-observed)
  ovh p50/p99      per step, server-side: MCP handler time minus the tool's own time
                   (thread hop, dispatch, result building), in ms
  rtt p50/p99      per step, client-observed round trip (includes HTTP, SSE framing and
                   queueing behind the other N-1 sessions on a 2-core box), in ms
  MB/session       server RSS with all N episodes open, minus RSS after one warm-up session, / N
  hashes           sessions whose final state hash equals the serial replay's (must be all)

    python bench/rl_rollouts.py                  # N = 256 and 1024 on the sample environment
    python bench/rl_rollouts.py --sessions 64
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def prepare(workdir: Path, n_tasks: int) -> Path:
    """The sample environment with sampled gold tasks, written to ``workdir/tasks.json``."""
    from envscale.config import SynthesizeSettings
    from envscale.environments.evaluation.records import EvalTask
    from envscale.environments.synthesis.intents import template_task
    from envscale.environments.synthesis.run import sample_environment
    from envscale.environments.synthesis.sample_env import build_sample_env

    directory = workdir / "environments"
    manifest = build_sample_env(directory)
    kept, _ = sample_environment(
        manifest, directory, SynthesizeSettings(blueprints_per_environment=n_tasks, max_calls=4)
    )
    tasks = [EvalTask(task=template_task(bp), blueprint=bp, domain="shop", source="heldout") for bp in kept]
    spec = {
        "manifest": manifest.model_dump(mode="json"),
        "db_path": str(manifest.db_path(directory)),
        "tasks": [t.model_dump(mode="json") for t in tasks],
    }
    path = workdir / "tasks.json"
    path.write_text(json.dumps(spec))
    return path


def _load(spec_path: Path) -> tuple[Any, list[Any]]:
    from envscale.environments.evaluation.records import EvalTask
    from envscale.environments.manifest import EnvironmentManifest
    from envscale.environments.rl.served import ServedEnvironment

    spec = json.loads(spec_path.read_text())
    manifest = EnvironmentManifest.model_validate(spec["manifest"])
    tasks = [EvalTask.model_validate(t) for t in spec["tasks"]]
    served = ServedEnvironment(
        name=manifest.name,
        manifest=manifest,
        db_path=Path(spec["db_path"]),
        tasks={t.task_id: t for t in tasks},
    )
    return served, tasks


def serve_main(spec_path: Path, port: int, timings_path: Path) -> None:
    """The server process: one environment at /mcp, catalog-call timings written at shutdown."""
    import uvicorn

    from envscale.environments.rl.mcp_server import EnvironmentServer, http_app
    from envscale.environments.rl.serve import die_with_parent

    served, _ = _load(spec_path)
    server = EnvironmentServer(served, record_timings=True)
    config = uvicorn.Config(
        http_app([server]),
        host="127.0.0.1",
        port=port,
        log_level="error",
        backlog=4096,
        limit_concurrency=None,
    )
    uv = uvicorn.Server(config)
    die_with_parent(lambda: setattr(uv, "should_exit", True))
    with contextlib.suppress(KeyboardInterrupt):  # the driver's SIGINT, re-raised by uvicorn after shutdown
        uv.run()
    timings_path.write_text(json.dumps({"timings": server.timings, "opened": server.registry.opened}))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _session(url: str, item: Any, opened: asyncio.Barrier, rtts: list[float]) -> str:
    from mcp import Client

    async with Client(url, cache=None) as client:
        await client.call_tool("envscale.reset", {"task_id": item.task_id})
        await opened.wait()  # every session's episode is open here: the driver reads memory
        await opened.wait()  # ... and lets them play
        for call in item.blueprint.calls:
            t0 = time.perf_counter()
            result = await client.call_tool(call.name, call.arguments)
            rtts.append(time.perf_counter() - t0)
            if result.is_error:
                raise RuntimeError(f"gold call failed: {result.content}")
        verdict = await client.call_tool("envscale.reward", {})
        return verdict.structured_content["state_hash"]


async def _drive(url: str, tasks: list[Any], n: int, pid: int) -> dict[str, Any]:
    from mcp import Client

    async with Client(url, cache=None) as warm:  # loads the environment in the server
        await warm.call_tool("envscale.reset", {"task_id": tasks[0].task_id})
    await asyncio.sleep(0.5)
    base_rss = _rss_mb(pid)
    barrier = asyncio.Barrier(n + 1)
    rtts: list[float] = []
    items = [tasks[i % len(tasks)] for i in range(n)]
    t_open = time.perf_counter()
    runs = [asyncio.create_task(_session(url, item, barrier, rtts)) for item in items]
    await barrier.wait()
    open_s = time.perf_counter() - t_open
    open_rss = _rss_mb(pid)
    t0 = time.perf_counter()
    await barrier.wait()
    hashes = await asyncio.gather(*runs)
    play_s = time.perf_counter() - t0
    return {
        "hashes": hashes,
        "items": items,
        "rtts": rtts,
        "play_s": play_s,
        "open_s": open_s,
        "mb_per_session": (open_rss - base_rss) / n,
        "base_rss": base_rss,
        "open_rss": open_rss,
    }


def serial_hashes(tasks: list[Any], served: Any) -> dict[str, str]:
    from envscale.environments.runtime import open_episode

    out = {}
    for item in tasks:
        with open_episode(served.manifest, db_path=served.db_path) as ep:
            for call in item.blueprint.calls:
                ep.call(call.name, call.arguments)
            out[item.task_id] = ep.state_hash()
    return out


def run_one(spec_path: Path, n: int, workdir: Path) -> dict[str, Any]:
    served, tasks = _load(spec_path)
    serial = serial_hashes(tasks, served)
    port = _free_port()
    timings_path = workdir / f"timings-{n}.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            str(spec_path),
            "--port",
            str(port),
            "--timings",
            str(timings_path),
        ],
        start_new_session=False,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.1)
        out = asyncio.run(_drive(f"http://127.0.0.1:{port}/mcp", tasks, n, proc.pid))
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    timings = json.loads(timings_path.read_text())["timings"]
    overhead = [(total - tool) * 1000 for tool, total in timings]
    tool_ms = [tool * 1000 for tool, _ in timings]
    equal = sum(h == serial[item.task_id] for h, item in zip(out["hashes"], out["items"], strict=True))
    steps = len(out["rtts"])
    return {
        "sessions": n,
        "steps": steps,
        "steps_s": steps / out["play_s"],
        "open_s": out["open_s"],
        "tool_p50": _percentile(tool_ms, 0.5),
        "ovh_p50": _percentile(overhead, 0.5),
        "ovh_p99": _percentile(overhead, 0.99),
        "rtt_p50": _percentile([r * 1000 for r in out["rtts"]], 0.5),
        "rtt_p99": _percentile([r * 1000 for r in out["rtts"]], 0.99),
        "mb_per_session": out["mb_per_session"],
        "rss_open_mb": out["open_rss"],
        "hashes_equal": equal,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, nargs="+", default=[256, 1024])
    parser.add_argument(
        "--tasks", type=int, default=16, help="Distinct gold tasks (sessions cycle through them)."
    )
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--timings", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # N sessions = N sockets (x2 with SSE)
    if args.serve:
        serve_main(args.serve, args.port, args.timings)
        return
    os.environ.setdefault("ENVSCALE_HOME", tempfile.mkdtemp(prefix="envscale-bench-"))
    with tempfile.TemporaryDirectory(prefix="rl-rollouts-") as tmp:
        workdir = Path(tmp)
        spec = prepare(workdir, args.tasks)
        rows = [run_one(spec, n, workdir) for n in args.sessions]
    header = (
        f"{'sessions':>8} {'steps':>6} {'steps/s':>8} {'tool p50':>9} {'ovh p50':>8} {'ovh p99':>8} "
        f"{'rtt p50':>8} {'rtt p99':>8} {'MB/sess':>8} {'RSS MB':>7} {'hashes':>9}"
    )
    print(header)
    for r in rows:
        print(
            f"{r['sessions']:>8} {r['steps']:>6} {r['steps_s']:>8.0f} {r['tool_p50']:>8.2f}m "
            f"{r['ovh_p50']:>7.2f}m {r['ovh_p99']:>7.2f}m {r['rtt_p50']:>7.1f}m {r['rtt_p99']:>7.1f}m "
            f"{r['mb_per_session']:>8.3f} {r['rss_open_mb']:>7.0f} {r['hashes_equal']:>4}/{r['sessions']:<4}"
        )
    print("targets: 1,024 sessions in one process, ovh p99 <= 5 ms/step, <= 2 MB/session, every hash equal")


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
