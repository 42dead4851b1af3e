"""The embedded OpenAI-compatible endpoint: ``transformers serve`` on 127.0.0.1 over a local model directory.

Used when an LLM role has no ``base_url``: the flow starts the server itself (a
free port, health-checked, stopped at the end, its log kept in the run folder).
The same server serves any local checkpoint (envscale's fine-tuned models too:
their tokenizer carries envscale's tool-aware template and ``response_template``,
so ``transformers serve`` returns parsed ``tool_calls``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from envscale.errors import ExternalFailure
from envscale.home import Home


class ServingError(ExternalFailure):
    """The embedded server did not start (the message carries its log's tail)."""


@dataclass(frozen=True)
class Endpoint:
    """Where a started server answers: an OpenAI-compatible ``/v1`` base URL and the model name to send."""

    base_url: str
    model: str
    log_path: Path | None = None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _transformers_cli() -> list[str]:
    """`transformers serve` through envscale's entry, which keeps broken tool calls from becoming HTTP 500s."""
    try:
        import transformers.cli.serving.utils  # noqa: F401  (transformers>=5 with serving extras)
    except ImportError as exc:
        raise ServingError(f"`transformers serve` is not available in this Python: {exc}") from None
    return [sys.executable, "-m", "envscale.models.serve_entry"]


@contextmanager
def serve_model(
    model_dir: str | Path,
    *,
    log_dir: Path | None = None,
    continuous_batching: bool = True,
    startup_timeout_s: float = 300.0,
    port: int | None = None,
    device: str = "auto",  # transformers serve: the GPU when there is one
    cb_num_blocks: int = 128,
    threads: int = 1,
) -> Iterator[Endpoint]:
    """Start ``transformers serve`` on ``model_dir``; yields the endpoint; stops the server on exit."""
    import httpx

    model_dir = Path(model_dir).resolve()
    if not (model_dir / "config.json").is_file():
        raise ServingError(f"{model_dir} is not a model directory (no config.json)")
    port = port or free_port()
    log_dir = Path(log_dir).resolve() if log_dir is not None else model_dir.parent
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"embedded-server-{port}.log"
    cmd = [
        *_transformers_cli(),
        "serve",
        str(model_dir),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--device",
        device,
    ]
    if continuous_batching:
        # Bound the paged KV cache: unbounded on CPU it sized itself to ~15 GB
        # for a 135M model. 128 blocks x 128 tokens is ~0.75 GB for SmolLM2 in fp32.
        cmd += ["--continuous-batching", "--cb-block-size", "128", "--cb-num-blocks", str(cb_num_blocks)]
        cmd += ["--cb-max-batch-tokens", "2048"]
    from envscale.lifeline import child_env

    env = dict(
        child_env(),  # the server watches this pid and dies with it
        # One thread unless told: beside training or tests on 2 cores, more threads thrash.
        OMP_NUM_THREADS=str(threads),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
    )
    log = log_path.open("ab")
    # Own session: stopping the server stops whatever it spawned, and nothing else.
    # cwd: not the caller's. `python -m` puts the cwd first on sys.path, and in a source checkout
    # its envscale/ folder would shadow an installed (non-editable) envscale.
    proc = subprocess.Popen(
        cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True, cwd=log_dir
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout_s
        while True:
            if proc.poll() is not None:
                raise ServingError(
                    f"embedded server exited with {proc.returncode}; log {log_path}:\n{_tail(log_path)}"
                )
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise ServingError(
                    f"embedded server not healthy after {startup_timeout_s:.0f}s; log {log_path}:\n{_tail(log_path)}"
                )
            time.sleep(0.5)
        yield Endpoint(base_url=base + "/v1", model=str(model_dir), log_path=log_path)
    finally:
        _stop(proc)
        log.close()


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def _tail(path: Path, n: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return ""


@contextmanager
def embedded_endpoint(
    home: Home, spec: str = "smollm2", *, log_dir: Path | None = None
) -> Iterator[Endpoint]:
    """The embedded endpoint for a base-model spec ('smollm2', a directory, a .gguf, models:/…)."""
    from envscale.models.base_model import ensure_base_model

    with serve_model(ensure_base_model(spec, home), log_dir=log_dir) as endpoint:
        yield endpoint


def serves_on_cpu() -> bool:
    """Whether a model served here (``serve_model``, ``embedded_endpoint``) runs on the CPU: no CUDA device."""
    import torch

    return not torch.cuda.is_available()
