"""The one reader of the `environments` table: typed records, filters by status and env id."""

from __future__ import annotations

from envscale.environments.store.environments import accepted_env_ids, environment_names, stored_environments
from envscale.environments.synthesis.sample_env import build_sample_env
from envscale.warehouse import open_warehouse


def _register(wh, manifest, path, *, env_id: str, name: str, status: str, domain: str | None) -> None:
    if domain:
        wh.insert(
            "domains",
            [
                {
                    "domain_id": f"d-{env_id}",
                    "name": domain,
                    "tool_ids": [],
                    "n_tools": 0,
                    "lineage_hash": "x",
                    "run_id": None,
                }
            ],
        )
    wh.insert(
        "environments",
        [
            {
                "env_id": env_id,
                "domain_id": f"d-{env_id}" if domain else None,
                "name": name,
                "origin": "generated",
                "n_tools": len(manifest.tools),
                "path": str(path),
                "manifest": manifest.model_dump(mode="json"),
                "status": status,
                "lineage_hash": "x",
                "run_id": None,
            }
        ],
    )


def test_stored_environments_are_typed_and_filtered(home, tmp_path) -> None:
    manifest = build_sample_env(tmp_path / "envs")
    db = next((tmp_path / "envs").rglob("*.duckdb"))
    wh = open_warehouse(home.warehouse)
    _register(wh, manifest, db, env_id="e1", name="shop", status="accepted", domain="retail-orders")
    _register(wh, manifest, db, env_id="e2", name="old-shop", status="superseded", domain=None)

    accepted = stored_environments(wh)
    assert [e.env_id for e in accepted] == ["e1"]
    assert accepted[0].domain == "retail-orders" and accepted[0].folder == db.parent
    assert accepted[0].manifest.env_id == manifest.env_id
    both = stored_environments(wh, env_ids=["e2", "e1"], status=None)
    assert [(e.env_id, e.status, e.domain) for e in both] == [
        ("e1", "accepted", "retail-orders"),
        ("e2", "superseded", "old-shop"),  # no domain: its own name
    ]
    assert stored_environments(wh, env_ids=[]) == []
    assert accepted_env_ids(wh) == ["e1"]
    assert environment_names(wh) == [("e1", "shop"), ("e2", "old-shop")]
