"""Synthesis throughput: the interplay engine vs a local OpenAI-compatible server with fixed latency.

    python bench/synthesis.py                     # 8 and 256 episodes in flight, 200 ms latency, both transports
    python bench/synthesis.py --in-flight 512 --smollm2   # + tokens/s of the embedded SmolLM2 endpoint

The stand-in server runs in its own process (as a real endpoint would). Each
configuration runs an endless stream of episodes and is measured over a
steady-state window after the ramp-up: achieved requests/s against the ideal
(episodes in flight / latency), the engine's own CPU per LLM call, the latency
seen by the episode beyond the server's fixed latency (engine, stand-in and
loopback together; the 8-in-flight row is that path unloaded), and the
stand-in's CPU per call (it shares the two cores). Episodes run either on an
in-memory episode (the engine alone) or on a real environment (the sample
shop on the real DuckDB runtime).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

os.environ.setdefault("OMP_NUM_THREADS", "1")


def _start_standin(latency: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.standin", "--latency", str(latency)],
        cwd=Path(__file__).resolve().parents[1],  # tests.support is importable from the repository root
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    url = proc.stdout.readline().strip()  # the server prints its base URL once listening
    return proc, url


class MemoryEpisode:
    """A protocol-complete episode with no database: isolates the engine's own cost."""

    def __init__(self, env_id: str, tools: tuple) -> None:
        self.env_id = env_id
        self.tools = tools
        self.calls = 0

    def call(self, name, arguments):
        from envscale.environments.runtime.contracts import ToolResult

        self.calls += 1
        return ToolResult(ok=True, content={"tool": name, "n": self.calls})

    def state_hash(self) -> str:
        return f"calls-{self.calls}"

    def diff(self) -> list:
        return []

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _process_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_engine(
    url: str,
    *,
    in_flight: int,
    latency: float,
    transport: str,
    env: str = "memory",
    seconds: float = 10.0,
    server_pid: int | None = None,
) -> dict:
    """Steady state: an endless job stream, measured over a ``seconds`` window after the ramp-up."""
    import itertools

    from envscale.config import EndpointSettings, SynthesizeSettings
    from envscale.environments.runtime import open_episode
    from envscale.environments.synthesis.intents import template_task
    from envscale.environments.synthesis.interplay import EngineConfig, Job, play_forward, run_jobs
    from envscale.environments.synthesis.run import sample_environment
    from envscale.environments.synthesis.sample_env import build_sample_env
    from envscale.environments.synthesis.users import ScriptedUser
    from envscale.llm import LLMClient

    directory = Path(tempfile.mkdtemp()) / "environments"
    manifest = build_sample_env(directory)
    kept, _ = sample_environment(manifest, directory, SynthesizeSettings(blueprints_per_environment=8))
    tasks = [(template_task(bp), bp) for bp in kept]
    config = EngineConfig()
    settings = EndpointSettings(base_url=url, concurrency=in_flight, transport=transport, timeout_s=60)
    stop = False

    def jobs():
        for attempt in itertools.count():
            if stop:
                return
            task, bp = tasks[attempt % len(tasks)]
            yield Job(task, bp, attempt=attempt)

    async def main() -> dict:
        nonlocal stop
        async with LLMClient(settings) as agent:
            done = 0

            async def play(job):
                nonlocal done
                opened = (
                    MemoryEpisode(manifest.env_id, manifest.tools)
                    if env == "memory"
                    else open_episode(manifest, directory=directory)
                )
                with opened as ep:
                    trajectory = await play_forward(
                        job, ep, agent, ScriptedUser(job.task, job.blueprint), config
                    )
                done += 1
                return trajectory

            def snapshot() -> tuple:
                server = _process_cpu_s(server_pid) if server_pid else 0.0
                u = agent.usage
                return time.perf_counter(), time.process_time(), server, u.requests, u.busy_s, done

            async def window() -> tuple:
                nonlocal stop
                await asyncio.sleep(min(0.002 * in_flight, 1.0) + 3 * latency + 1.0)  # ramp-up + warm-up
                first = snapshot()
                await asyncio.sleep(seconds)
                last = snapshot()
                stop = True
                return first, last

            measure = asyncio.create_task(window())
            stats = await run_jobs(jobs(), play, in_flight=in_flight)
            (t0, c0, s0, r0, b0, d0), (t1, c1, s1, r1, b1, d1) = await measure
        requests, wall = r1 - r0, t1 - t0
        ideal = in_flight / latency
        return {
            "env": env,
            "transport": transport,
            "in_flight": stats["peak_in_flight"],
            "episodes": d1 - d0,
            "requests": requests,
            "req_s": requests / wall,
            "ideal_req_s": ideal,
            "utilisation": requests / wall / ideal,
            "overhead_ms": ((b1 - b0) / requests - latency) * 1000,
            "cpu_ms_per_call": (c1 - c0) / requests * 1000,
            "server_cpu_ms_per_call": (s1 - s0) / requests * 1000,
        }

    return asyncio.run(main())


def smollm2_tokens_per_s(requests: int, max_tokens: int) -> dict:
    from envscale.config import EndpointSettings
    from envscale.home import activate
    from envscale.llm import LLMClient
    from envscale.models.serving import embedded_endpoint

    home = activate()
    with embedded_endpoint(home, "smollm2", log_dir=home.runs / "bench") as endpoint:
        settings = EndpointSettings(
            base_url=endpoint.base_url,
            model=endpoint.model,
            max_tokens=max_tokens,
            concurrency=requests,
            timeout_s=600,
        )

        async def main() -> dict:
            async with LLMClient(settings) as client:
                await client.chat([{"role": "user", "content": "Hello"}], max_tokens=4)  # warm-up
                t0 = time.perf_counter()
                results = await asyncio.gather(
                    *[
                        client.chat([{"role": "user", "content": f"Write a short note about order O-{i}."}])
                        for i in range(requests)
                    ]
                )
                wall = time.perf_counter() - t0
            tokens = sum(r.completion_tokens for r in results)
            return {
                "requests": requests,
                "completion_tokens": tokens,
                "wall_s": wall,
                "tokens_s": tokens / wall,
            }

        return asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--in-flight",
        type=int,
        nargs="+",
        default=[8, 256],
        help="episodes in flight; the small figure shows the stand-in's own latency excess",
    )
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured steady-state window")
    parser.add_argument("--transport", choices=["openai", "aiohttp", "both"], default="both")
    parser.add_argument(
        "--env",
        choices=["memory", "sample", "both"],
        default="both",
        help="memory: engine only; sample: real runtime episodes",
    )
    parser.add_argument(
        "--smollm2", action="store_true", help="also measure the embedded SmolLM2 endpoint (slow)"
    )
    parser.add_argument("--smollm2-requests", type=int, default=4)
    args = parser.parse_args()
    console = Console(width=160)
    proc, url = _start_standin(args.latency)
    try:
        transports = ["openai", "aiohttp"] if args.transport == "both" else [args.transport]
        envs = ["memory", "sample"] if args.env == "both" else [args.env]
        rows = [
            run_engine(
                url,
                in_flight=n,
                latency=args.latency,
                transport=t,
                env=e,
                seconds=args.seconds,
                server_pid=proc.pid,
            )
            for e in envs
            for t in transports
            for n in args.in_flight
        ]
    finally:
        proc.terminate()
        proc.wait(10)
    table = Table(
        title=f"interplay engine vs stand-in endpoint ({args.latency * 1000:.0f} ms latency, {os.cpu_count()} cores)"
    )
    for col in (
        "env",
        "transport",
        "in flight",
        "episodes",
        "requests",
        "req/s",
        "ideal req/s",
        "utilisation",
        "latency excess ms",
        "engine CPU ms/call",
        "stand-in CPU ms/call",
    ):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(
            r["env"],
            r["transport"],
            str(r["in_flight"]),
            str(r["episodes"]),
            str(r["requests"]),
            f"{r['req_s']:.0f}",
            f"{r['ideal_req_s']:.0f}",
            f"{r['utilisation']:.1%}",
            f"{r['overhead_ms']:.2f}",
            f"{r['cpu_ms_per_call']:.2f}",
            f"{r['server_cpu_ms_per_call']:.2f}",
        )
    console.print(table)
    if args.smollm2:
        s = smollm2_tokens_per_s(args.smollm2_requests, 32)
        t2 = Table(title="embedded SmolLM2-135M endpoint (transformers serve --continuous-batching, CPU)")
        for col in ("concurrent requests", "completion tokens", "wall s", "tokens/s"):
            t2.add_column(col, justify="right")
        t2.add_row(
            str(s["requests"]), str(s["completion_tokens"]), f"{s['wall_s']:.1f}", f"{s['tokens_s']:.1f}"
        )
        console.print(t2)


if __name__ == "__main__":
    main()
