"""The ``tool_catalog`` suite: what every catalog must satisfy after an ingest.

Names unique ignoring case (as catalog naming promises) and non-empty (and OpenAI-safe length), descriptions present, parameters parse as JSON
objects of type ``object``, kind in its set, content hashes unique. Run over the catalog frame built by
:func:`catalog_frame` (one row per tool), through ``data_contracts.runner.run_contract``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from envscale.environments.catalog.records import TOOL_KINDS, ToolRecord

if TYPE_CHECKING:
    import pandas as pd

SUITE = "tool_catalog"
PARAMETERS_SCHEMA = {"type": "object", "required": ["type"], "properties": {"type": {"const": "object"}}}


def catalog_frame(tools: Iterable[ToolRecord]) -> pd.DataFrame:
    """One row per tool with the columns the suite checks (parameters as JSON text, as stored)."""
    import pandas as pd

    rows = [
        {
            "tool_id": t.tool_id,
            "name": t.name,
            "name_folded": t.name.lower(),  # names must not collide case-insensitively either
            "description": t.description,
            "parameters": json.dumps(t.parameters, sort_keys=True),
            "kind": t.kind,
        }
        for t in tools
    ]
    return pd.DataFrame(rows, columns=["tool_id", "name", "name_folded", "description", "parameters", "kind"])


def expectations(gx: Any) -> list[Any]:
    e = gx.expectations
    return [
        e.ExpectColumnValuesToNotBeNull(column="name"),
        e.ExpectColumnValueLengthsToBeBetween(column="name", min_value=1, max_value=64),
        e.ExpectColumnValuesToBeUnique(column="name"),
        e.ExpectColumnValuesToBeUnique(column="name_folded"),
        e.ExpectColumnValuesToNotBeNull(column="description"),
        e.ExpectColumnValueLengthsToBeBetween(column="description", min_value=1),
        e.ExpectColumnValuesToBeJsonParseable(column="parameters"),
        e.ExpectColumnValuesToMatchJsonSchema(column="parameters", json_schema=PARAMETERS_SCHEMA),
        e.ExpectColumnValuesToBeInSet(column="kind", value_set=list(TOOL_KINDS)),
        e.ExpectColumnValuesToNotBeNull(column="tool_id"),
        e.ExpectColumnValuesToBeUnique(column="tool_id"),
    ]
