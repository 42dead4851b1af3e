"""`envscale evaluate --served URL`: the same trials through a real `envscale serve` process as in-process."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import evaluation_helpers as helpers
from tests.support import standin

ENVSCALE = str(Path(sys.executable).with_name("envscale"))
TRIAL_FIELDS = ("task_id", "attempt", "passed", "db_match", "exact_match", "tool_calls", "error_calls")


def _half_right(tasks):
    """Even seeds play every gold call; odd seeds all but the last (a wrong final state or missing reads)."""
    by_instruction = {t.task.instruction: t for t in tasks}

    def respond(request):
        messages = request.get("messages") or []
        first = next((m for m in messages if m.get("role") == "user"), {})
        item = by_instruction[first.get("content")]
        calls = item.blueprint.calls
        limit = len(calls) if request.get("seed", 0) % 2 == 0 else len(calls) - 1
        done = sum(1 for m in messages if m.get("role") == "tool")
        if done < limit:
            return standin.tool_call(calls[done].name, calls[done].arguments)
        return standin.text("All done.")

    return respond


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _trials(home, run_id: str) -> dict[tuple[str, int], tuple]:
    out = {}
    for path in (home.runs / run_id).glob("trials-*.jsonl"):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            trial = row["trial"]
            key = (trial["task_id"], trial["attempt"])
            # the stand-in numbers its tool-call ids across runs: compare them by position
            text = re.sub(r"call_\d+", "call", json.dumps(row["messages"], sort_keys=True))
            out[key] = (tuple(trial[f] for f in TRIAL_FIELDS), text)
    return out


@pytest.mark.slow
def test_evaluate_through_a_served_environment_gives_the_in_process_results(prefect_harness, home):
    from envscale.environments.rl.mcp_client import ServedEnvironmentError
    from envscale.flows.evaluate import evaluate

    tasks = helpers.seed_heldout_shop(home)
    port = _free_port()
    server = subprocess.Popen(
        [ENVSCALE, "serve", "--env", "sample_shop", "--port", str(port)],
        env=os.environ | {"ENVSCALE_HOME": str(home.root)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            assert server.poll() is None, server.communicate()
            assert time.monotonic() < deadline, "envscale serve did not start"
            time.sleep(0.2)
        url = f"http://127.0.0.1:{port}/mcp"
        with standin.StandInServer(_half_right(tasks)) as agent:
            local = evaluate(base_url=agent.base_url, model_name="stand-in", k=2)
            played_locally = agent.served
            served = evaluate(base_url=agent.base_url, model_name="stand-in", k=2, served=url)
            assert agent.served == 2 * played_locally  # both runs really played
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert local["tasks"] == served["tasks"] == len(tasks)
    # some trials pass, some fail (a final read left out can still pass): a result that could differ
    assert local["pass_1"] == served["pass_1"] and 0.0 < local["pass_1"] < 1.0
    assert local["pass_k"] == served["pass_k"]
    # trial by trial: the same verdicts and the same conversations (tool results included)
    in_process, through_mcp = _trials(home, local["run_id"]), _trials(home, served["run_id"])
    assert len(in_process) == 2 * len(tasks) and in_process == through_mcp

    # the server is gone: the served evaluation fails with one clear reason, nothing played in-process
    with standin.StandInServer(_half_right(tasks)) as agent:
        with pytest.raises(ServedEnvironmentError, match="is not served at"):
            evaluate(base_url=agent.base_url, model_name="stand-in", k=1, served=url)
        assert agent.served == 0
