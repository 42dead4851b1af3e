"""What every importer (τ-bench v1, τ²) does alike: check the domain's programs against the
dataset's tool schemas, derive dependency edges from the gold action order, and write the
database with the manifest's initial state hash."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from envscale.environments.builder import write_database
from envscale.environments.manifest import DependencyEdge, DroppedTool, EnvironmentManifest
from envscale.environments.programs.checker import ProgramError, check_program
from envscale.environments.programs.model import ToolProgram
from envscale.environments.runtime.contracts import EnvTool


def checked_tools(
    mod: ModuleType, specs: Iterable[dict[str, Any]]
) -> tuple[list[EnvTool], list[ToolProgram], list[DroppedTool]]:
    """The specs' tools whose program (in ``mod.PROGRAMS``) passes the checker; the rest as dropped, with why."""
    programs = {p.name: p for p in mod.PROGRAMS}
    unsupported = getattr(mod, "UNSUPPORTED", {})
    tools: list[EnvTool] = []
    kept: list[ToolProgram] = []
    dropped: list[DroppedTool] = []
    for spec in specs:
        fn = spec["function"]
        program = programs.get(fn["name"])
        if program is None:
            reason = unsupported.get(fn["name"], "no_program: no SQL form for this tool")
            dropped.append(DroppedTool(name=fn["name"], stage="compile", reason=reason))
            continue
        try:
            check_program(program, mod.SCHEMA.table_names, fn["parameters"])
        except ProgramError as exc:
            dropped.append(DroppedTool(name=fn["name"], stage="check", reason=f"check_failed: {exc}"))
            continue
        tools.append(
            EnvTool(
                name=fn["name"],
                description=fn["description"],
                parameters=fn["parameters"],
                kind=program.kind,
                writes=program.tables_written,
            )
        )
        kept.append(program)
    return tools, kept, dropped


def gold_order_edges(action_names: Iterable[Sequence[str]]) -> list[DependencyEdge]:
    """Consecutive gold actions (A then B) of each task as dependency edges, counted over the tasks."""
    pairs: Counter[tuple[str, str]] = Counter()
    for names in action_names:
        pairs.update(zip(names, names[1:], strict=False))
    return [
        DependencyEdge(source=a, target=b, via=f"gold order x{n}")
        for (a, b), n in sorted(pairs.items())
        if a != b
    ]


def write_with_initial_state(
    manifest: EnvironmentManifest, rows: dict[str, list[dict[str, Any]]], environments_dir: Path
) -> EnvironmentManifest:
    """Write the manifest's database and then the manifest, with the hash of the state a fresh episode opens on."""
    write_database(manifest.db_path(environments_dir), manifest.db_schema, rows)
    from envscale.environments.runtime import load_environment

    initial = load_environment(manifest, directory=environments_dir).open_episode()
    manifest = manifest.model_copy(update={"initial_state_hash": initial.state_hash()})
    initial.close()
    manifest.write(environments_dir)
    return manifest
