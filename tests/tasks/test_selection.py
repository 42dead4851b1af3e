"""select_environments: ids and names both select; duplicates collapse; a typo is a UsageError naming it."""

from __future__ import annotations

import pytest

from envscale.config import UsageError
from envscale.tasks.selection import select_environments

KNOWN = [("e1", "shop"), ("e2", "airline"), ("e3", "shop")]  # two environments share a name


def test_ids_and_names_select_sorted_unique_env_ids():
    assert select_environments(["e2"], KNOWN, "an environment") == ["e2"]
    assert select_environments(["shop"], KNOWN, "an environment") == ["e1", "e3"]
    assert select_environments(["e3", "airline", "e3", "shop"], KNOWN, "an environment") == ["e1", "e2", "e3"]
    assert select_environments([], KNOWN, "an environment") == []


def test_unknown_values_are_named_with_the_scope():
    with pytest.raises(
        UsageError, match=r"unknown environment\(s\): shp, e9 — not the env_id or name of an accepted"
    ):
        select_environments(["shp", "e1", "e9"], KNOWN, "an accepted environment")
