"""`envscale status` (issue 20): the champion with its score, evaluations, promotions; UTC timestamps."""

from __future__ import annotations

import json
from datetime import datetime

from tests.envscale.test_cli import run

LONG_REASON = (
    "beats_base_and_champion: pass^1 0.6250 vs base 0.1250 (+0.5000 >= margin 0.0000) and no champion yet; "
    "per-domain drops within tolerance 0.05 on retail, airline, library, clinic and support"
)


def _seed(home) -> None:
    from envscale.models.registry import client
    from envscale.warehouse import open_warehouse

    wh = open_warehouse(home.warehouse)
    report = {"overall": {}}
    for i, (version, pass_1) in enumerate([("envscale-agent/1", 0.625), (None, 0.125)]):
        wh.insert(
            "evaluations",
            [
                {
                    "eval_id": f"e{i}",
                    "label": version or "base:smollm2",
                    "model_version": version,
                    "task_set_hash": "t",
                    "k": 2,
                    "seed": 0,
                    "n_tasks": 8,
                    "pass_1": pass_1,
                    "pass_k": pass_1 / 2,
                    "report": report,
                }
            ],
        )
    wh.insert(
        "promotions",
        [
            {
                "decision_id": "d1",
                "registered_model": "envscale-agent",
                "challenger": "1",
                "champion": None,
                "promoted": True,
                "reason": LONG_REASON,
                "decision": {},
            }
        ],
    )
    mlflow = client(home)
    mlflow.create_registered_model("envscale-agent")
    mlflow.create_model_version("envscale-agent", source=str(home.root), run_id=None)
    mlflow.set_registered_model_alias("envscale-agent", "champion", "1")


def test_status_shows_champion_score_evaluations_and_promotions(home, tmp_path):
    _seed(home)
    args = ["--home", str(home.root), "status"]
    payload = json.loads(run([*args, "--json"], home.root, tmp_path).stdout)
    champion = payload["champion"]
    assert champion["model_version"] == "envscale-agent/1"
    assert champion["evaluation"]["pass_1"] == 0.625 and champion["evaluation"]["n_tasks"] == 8
    assert sorted(e["pass_1"] for e in payload["evaluations"]) == [0.125, 0.625]
    assert payload["promotions"][0]["promoted"] is True
    assert payload["counts"]["evaluations"] == 2 and payload["counts"]["promotions"] == 1
    for stamp in (payload["promotions"][0]["created_at"], payload["evaluations"][0]["created_at"]):
        assert datetime.fromisoformat(stamp).utcoffset().total_seconds() == 0  # timezone given: UTC

    table = run(args, home.root, tmp_path, COLUMNS="100")
    assert table.returncode == 0, table.stderr
    assert "champion  envscale-agent/1: pass^1 0.625, pass^2 0.312 on 8 tasks" in table.stdout
    assert "last evaluations" in table.stdout and "last promotion decisions" in table.stdout
    assert max(len(line) for line in table.stdout.splitlines()) <= 100
    # the reason wraps inside its column, every word kept
    cells = " ".join(line.split("│")[4].strip() for line in table.stdout.splitlines() if line.count("│") >= 6)
    assert " ".join(LONG_REASON.split()) in " ".join(cells.split())


def test_status_without_a_champion_says_so(tmp_path):
    result = run(["--home", str(tmp_path / "h"), "status"], tmp_path / "h", tmp_path)
    assert "champion  none yet" in result.stdout
    assert (
        json.loads(run(["--home", str(tmp_path / "h"), "status", "--json"], tmp_path / "h", tmp_path).stdout)[
            "champion"
        ]
        is None
    )
