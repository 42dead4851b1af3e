"""The sample shop: a real DuckDB file and manifest, stable ids, tools that work, and registration as accepted."""

from __future__ import annotations

from envscale.environments.manifest import EnvironmentManifest
from envscale.environments.runtime import forget_environments, open_episode
from envscale.environments.synthesis.sample_env import build_sample_env, register_sample_env
from envscale.warehouse import open_warehouse


def test_build_writes_the_file_and_manifest_with_a_stable_id(tmp_path):
    manifest = build_sample_env(tmp_path / "envs")
    assert manifest.env_id.startswith("sample-")
    assert EnvironmentManifest.read(manifest.manifest_path(tmp_path / "envs")) == manifest
    assert build_sample_env(tmp_path / "other").env_id == manifest.env_id  # content, not place
    assert build_sample_env(tmp_path / "envs", name="shop_b").env_id != manifest.env_id
    names = sorted(p.name for p in (tmp_path / "envs").iterdir())
    assert len(names) == 4 and all(n.endswith((".duckdb", ".json")) and ".tmp" not in n for n in names)


def test_its_tools_run_on_the_seeded_rows(tmp_path):
    manifest = build_sample_env(tmp_path / "envs")
    assert manifest.table_counts == {"customers": 3, "orders": 2}
    assert {t.name for t in manifest.tools} == {p.name for p in manifest.programs}
    try:
        with open_episode(manifest, directory=tmp_path / "envs") as episode:
            customers = episode.call("list_customers", {})
            assert customers.ok and len(customers.content) == 3
            before = episode.state_hash()
            assert episode.call("cancel_order", {"order_id": "O-1"}).ok
            assert episode.state_hash() != before
            assert [c.op for c in episode.diff()] == ["update"]
            assert not episode.call("get_customer", {"customer_id": "C-999"}).ok
    finally:
        forget_environments()


def test_register_adds_it_as_accepted_once(tmp_path):
    wh = open_warehouse(tmp_path / "w.duckdb")
    manifest = register_sample_env(wh, tmp_path / "envs")
    register_sample_env(wh, tmp_path / "envs")
    assert wh.rows("SELECT env_id, status, origin FROM environments") == [
        {"env_id": manifest.env_id, "status": "accepted", "origin": "imported"}
    ]
