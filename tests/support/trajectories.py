"""Warehouse rows of a few synthesized trajectories (two environments) for training and export tests."""

from __future__ import annotations

import json


def _trajectory(env: str, i: int, *, city: str) -> tuple[list[dict], list[dict]]:
    """A small but real tool-use conversation in the OpenAI format, arguments as a JSON string."""
    tools = [
        {
            "type": "function",
            "function": {
                "name": f"lookup_{env}",
                "description": f"Look up a record in {env}.",
                "parameters": {
                    "type": "object",
                    "properties": {"key": {"type": "string"}},
                    "required": ["key"],
                },
            },
        }
    ]
    messages = [
        {"role": "system", "content": f"You operate the {env} service."},
        {"role": "user", "content": f"Please look up {city} number {i}."},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": f"call_{i}",
                    "type": "function",
                    "function": {"name": f"lookup_{env}", "arguments": json.dumps({"key": f"{city}-{i}"})},
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": f"call_{i}",
            "content": json.dumps({"key": f"{city}-{i}", "ok": True}),
        },
        {"role": "assistant", "content": f"Found {city} number {i}."},
    ]
    return messages, tools


# env_id -> (name, origin, domain_id, domain name, tags)
ENVIRONMENTS = {
    "env_g1": ("weather-env", "generated", "dom_weather", "weather", ["travel"]),
    "env_g2": ("maps-env", "generated", "dom_maps", "maps", ["travel"]),
    "env_g3": ("music-env", "generated", "dom_music", "music", ["media"]),
    "env_g4": ("books-env", "generated", "dom_books", "books", ["media"]),
    "env_v1": ("shop-env", "generated", "dom_shop", "shop", ["retail"]),
    "env_v2": ("store-env", "generated", "dom_store", "store", ["retail"]),
    "env_tau": ("tau-bench-retail", "imported", None, None, []),
}


def seed_trajectories(wh, per_env: int = 3) -> dict[str, list[str]]:
    """Domains, environments, trajectories and verdicts: accepted ones, a rejected one, a malformed one."""
    domains, envs, trajs, verdicts = [], [], [], []
    accepted: dict[str, list[str]] = {}
    for env_id, (name, origin, domain_id, domain_name, tags) in ENVIRONMENTS.items():
        if domain_id:
            domains.append(
                {
                    "domain_id": domain_id,
                    "name": domain_name,
                    "tool_ids": [],
                    "n_tools": 1,
                    "tags": tags,
                    "lineage_hash": "x",
                }
            )
        envs.append(
            {
                "env_id": env_id,
                "domain_id": domain_id,
                "name": name,
                "origin": origin,
                "path": f"/nowhere/{env_id}.duckdb",
                "manifest": {},
                "status": "accepted",
                "n_tools": 1,
                "lineage_hash": "x",
            }
        )
        for i in range(per_env + 1):
            tid = f"t_{env_id}_{i}"
            messages, tools = _trajectory(name, i, city=name.split("-")[0])
            verdict = "rejected" if i == per_env else "accepted"
            if verdict == "accepted":
                accepted.setdefault(env_id, []).append(tid)
            trajs.append(_row(tid, env_id, messages, tools))
            verdicts.append({"trajectory_id": tid, "verdict": verdict, "lineage_hash": "x"})
    # accepted but malformed: arguments that are not JSON
    bad_messages, bad_tools = _trajectory("weather-env", 99, city="weather")
    bad_messages[2]["tool_calls"][0]["function"]["arguments"] = "{key: oops"
    trajs.append(_row("t_bad", "env_g1", bad_messages, bad_tools))
    verdicts.append({"trajectory_id": "t_bad", "verdict": "accepted", "lineage_hash": "x"})
    with wh.transaction() as con:
        wh.insert("domains", domains, con=con)
        wh.insert("environments", envs, con=con)
        wh.insert("trajectories", trajs, con=con)
        wh.insert("validations", verdicts, con=con)
    return accepted


def _row(tid: str, env_id: str, messages: list[dict], tools: list[dict]) -> dict:
    return {
        "trajectory_id": tid,
        "task_id": f"task_{tid}",
        "env_id": env_id,
        "blueprint_id": f"bp_{tid}",
        "attempt": 0,
        "mode": "forward",
        "messages": messages,
        "tools": tools,
        "termination": "done",
        "lineage_hash": "x",
    }
