"""Imported domains by name: one table instead of an if/elif (contract in docs/notes/tau2.md).

An imported-domain module provides ``SCHEMA`` (a ``SchemaModel``), ``PROGRAMS`` (checked
``ToolProgram``s, one per supported tool), ``load_rows(data_dir) -> {table: rows}`` and
optionally ``UNSUPPORTED`` (tool name -> reason it has no SQL form). Modules are imported only
when asked for.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from envscale.environments.programs.model import ToolProgram
from envscale.environments.schema.model import SchemaModel

# (dataset, domain) -> module that implements it.
IMPORTED_DOMAINS: dict[tuple[str, str], str] = {
    ("tau-bench", "retail"): "envscale.environments.imports.tau_bench_retail",
    ("tau-bench", "airline"): "envscale.environments.imports.tau_bench_airline",
    ("tau2", "retail"): "envscale.environments.imports.tau2_retail",
    ("tau2", "airline"): "envscale.environments.imports.tau2_airline",
    ("tau2", "telecom"): "envscale.environments.imports.tau2_telecom",
}


class ImportedDomain(Protocol):
    SCHEMA: SchemaModel
    PROGRAMS: tuple[ToolProgram, ...]

    def load_rows(self, data_dir: Path) -> dict[str, list[dict[str, Any]]]: ...


def domains_of(dataset: str) -> tuple[str, ...]:
    return tuple(d for ds, d in IMPORTED_DOMAINS if ds == dataset)


def imported_domain(dataset: str, domain: str) -> ModuleType:
    """The module of one imported domain; ValueError naming the known ones otherwise."""
    name = IMPORTED_DOMAINS.get((dataset, domain))
    if name is None:
        raise ValueError(f"unknown {dataset} domain {domain!r}; expected one of {domains_of(dataset)}")
    module = importlib.import_module(name)
    missing = [a for a in ("SCHEMA", "PROGRAMS", "load_rows") if not hasattr(module, a)]
    if missing:
        raise TypeError(f"{name} does not implement the imported-domain contract: missing {missing}")
    return module
