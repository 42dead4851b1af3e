"""A small shop domain built into a real environment (DuckDB file + manifest) for runtime tests."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from envscale.environments.builder import build_environment
from tests.support.tool_stubs import tool_stub


def shop_tools() -> list[SimpleNamespace]:
    def tool(name: str, kind: str, props: dict, required: list[str]) -> SimpleNamespace:
        return tool_stub(name, props, required, kind, description=f"{name.replace('_', ' ')}.")

    s = {"type": "string"}
    return [
        tool("get_customer", "read", {"customer_id": s}, ["customer_id"]),
        tool(
            "update_customer_email",
            "write",
            {"customer_id": s, "email": {"type": "string", "format": "email"}},
            ["customer_id", "email"],
        ),
        tool(
            "create_order",
            "write",
            {
                "customer_id": s,
                "total": {"type": "number", "minimum": 0, "maximum": 1000},
                "status": {"type": "string", "enum": ["pending", "shipped"]},
            },
            ["customer_id", "total"],
        ),
        tool("get_order", "read", {"order_id": s}, ["order_id"]),
        tool("list_orders", "read", {"customer_id": s, "limit": {"type": "integer"}}, ["customer_id"]),
        tool("cancel_order", "write", {"order_id": s}, ["order_id"]),
        tool("delete_order", "write", {"order_id": s}, ["order_id"]),
    ]


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> SimpleNamespace:
    directory: Path = tmp_path_factory.mktemp("envs")
    result = build_environment(
        shop_tools(), name="shop", environments_dir=directory, seed=7, rows_per_table=30
    )
    assert result.accepted, result.manifest.selftest
    return SimpleNamespace(manifest=result.manifest, directory=directory, result=result)


@pytest.fixture
def make_shop_tools():
    return shop_tools
