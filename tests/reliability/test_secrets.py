"""Secrets: an API key comes only from the variable ``api_key_env`` names, and no output of a run holds it.

A key is planted, synthesis (agent and LLM task writer) and evaluation run against a
stand-in that checks the key arrived in the Authorization header — and that misbehaves
by echoing it back in a reply, an error and a broken body. Then every output is
searched: stdout/stderr (debug logging on), every file of the home (warehouse, MLflow
DB and artifacts, run folders, Prefect home), every text column of the warehouse,
Prefect logs, artifacts and flow-run parameters through the API, MLflow params and tags.
"""

from __future__ import annotations

import asyncio
import secrets as pysecrets
import subprocess
import sys

import pytest

from envscale.environments.synthesis.sample_env import register_sample_env
from envscale.warehouse import open_warehouse
from tests.support import standin as s
from tests.support.reliability.crash import cli_env

KEY_VAR = "ENVSCALE_TEST_PLANTED_KEY"


def _leaky(holder, key_seen):
    """An agent endpoint that works, but echoes the Authorization header back three ways."""
    served = {"n": 0}

    def respond(request):
        served["n"] += 1
        auth = holder["server"].auth_headers[-1] or ""
        key_seen.add(auth)
        if served["n"] == 2:
            return s.text(f"Your credentials: {auth}")  # in a reply's content
        if served["n"] == 4:
            return s.Reply(raw=f"{auth} is not a valid body".encode())  # in a broken body (error text)
        if served["n"] == 6:
            return s.error(500, message=f"upstream rejected {auth}")  # in a retried error
        return s.tool_then_answer(request)

    return respond


def _all_text_columns(wh) -> list[str]:
    with wh.connect(read_only=True) as con:
        cols = con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'main'"
            " AND data_type IN ('VARCHAR', 'JSON')"
        ).fetchall()
        return [
            f"{t}.{c}"
            for t, c in cols
            if con.execute(
                f'SELECT count(*) FROM "{t}" WHERE "{c}"::VARCHAR LIKE ?', [f"%{KEY}%"]
            ).fetchone()[0]
        ]


KEY = "sk-planted-" + pysecrets.token_hex(16)


def _prefect_outputs() -> str:
    from prefect.client.orchestration import get_client

    async def every(read_page):
        out, offset = [], 0
        while True:  # the API serves at most 200 a page
            page = await read_page(limit=200, offset=offset)
            out += page
            if len(page) < 200:
                return out
            offset += 200

    async def read():
        async with get_client() as client:
            return (
                await every(client.read_logs),
                await every(client.read_artifacts),
                await every(client.read_flow_runs),
            )

    logs, artifacts, runs = asyncio.run(read())
    assert logs and artifacts and runs  # there is something to search
    parts = [log.message for log in logs]
    parts += [f"{a.key} {a.description} {a.data}" for a in artifacts]
    parts += [f"{r.name} {r.parameters} {r.state}" for r in runs]
    return "\n".join(parts)


@pytest.mark.slow
def test_a_planted_key_is_used_but_never_written_anywhere(home, prefect_api_url, monkeypatch):
    wh = open_warehouse(home.warehouse)
    register_sample_env(wh, home.environments)
    holder: dict = {}
    seen: set[str] = set()
    writer_seen: set[str] = set()

    def writer(request):
        writer_seen.add(holder["writer"].auth_headers[-1] or "")
        return s.text(f"Please help me. (key {holder['writer'].auth_headers[-1]})")

    with s.StandInServer(_leaky(holder, seen)) as agent, s.StandInServer(writer) as task_writer:
        holder["server"], holder["writer"] = agent, task_writer
        env = cli_env(
            home.root,
            **{
                KEY_VAR: KEY,
                "PREFECT_API_URL": prefect_api_url,
                "ENVSCALE_LLM__AGENT__BASE_URL": agent.base_url,
                "ENVSCALE_LLM__AGENT__API_KEY_ENV": KEY_VAR,
                "ENVSCALE_LLM__TASK_WRITER__MODE": "llm",
                "ENVSCALE_LLM__TASK_WRITER__BASE_URL": task_writer.base_url,
                "ENVSCALE_LLM__TASK_WRITER__API_KEY_ENV": KEY_VAR,
                # as loud as it gets: SDK and HTTP debug logs into Prefect's handlers and stderr
                "OPENAI_LOG": "debug",
                "PREFECT_LOGGING_LEVEL": "DEBUG",
                "PREFECT_LOGGING_EXTRA_LOGGERS": "openai,httpx,aiohttp,envscale",
            },
        )
        proc = subprocess.run(
            [sys.executable, "-m", "envscale.cli", "synthesize", "--blueprints", "3"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        config = subprocess.run(
            [sys.executable, "-m", "envscale.cli", "config", "show"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        # evaluation too (MLflow params and tags), in this process
        monkeypatch.setenv(KEY_VAR, KEY)
        monkeypatch.setenv("ENVSCALE_LLM__AGENT__API_KEY_ENV", KEY_VAR)
        from envscale.flows.evaluate import evaluate

        evaluation = evaluate(base_url=agent.base_url, model_name="stand-in", k=1)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert seen == {f"Bearer {KEY}"} and writer_seen == {
        f"Bearer {KEY}"
    }  # the key was used, on every request
    assert evaluation["tasks"] > 0

    assert KEY not in proc.stdout and KEY not in proc.stderr
    assert (
        KEY not in config.stdout and KEY_VAR in config.stdout
    )  # the variable's name is shown, not its value
    leaks = [str(p) for p in home.root.rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()]
    assert leaks == []
    assert _all_text_columns(wh) == []
    assert KEY not in _prefect_outputs()

    from envscale.models.registry import client

    mlflow = client(home)
    runs = [r for e in mlflow.search_experiments() for r in mlflow.search_runs([e.experiment_id])]
    assert runs
    for run in runs:
        assert KEY not in str(run.data.params) and KEY not in str(run.data.tags)
    # the echoes were scrubbed where they landed, not silently dropped
    with wh.connect(read_only=True) as con:
        assert con.execute(
            "SELECT count(*) FROM trajectories WHERE messages::VARCHAR LIKE '%Bearer ***%'"
        ).fetchone()[0]
