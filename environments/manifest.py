"""The environment manifest: everything needed to open episodes on a built environment.

Stored as ``<env_id>.json`` next to ``<env_id>.duckdb`` under
``home.environments`` and in the warehouse ``environments.manifest`` column.
Later stages read ``tools`` (OpenAI schemas, read/write nature) and ``edges``
(the directed dependency graph task sampling walks).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from envscale.environments.programs.model import BusinessRule, ToolProgram
from envscale.environments.runtime.contracts import EnvTool
from envscale.environments.schema.model import SchemaModel
from envscale.hashing import content_hash


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DependencyEdge(_Model):
    """Output of ``source`` can feed an input of ``target`` (task sampling walks these)."""

    source: str = Field(description="Tool whose result provides a value.")
    target: str = Field(description="Tool that consumes it.")
    via: str | None = Field(None, description="The parameter or key that links them, when known.")


class ToolTest(_Model):
    """One tool's self-test on the seeded database."""

    name: str = Field(description="Tool name.")
    ok: bool = Field(description="Whether the tool passed.")
    kind: Literal["read", "write"] = Field(description="Program kind.")
    arguments: dict[str, Any] | None = Field(None, description="Arguments it was called with.")
    changed_tables: tuple[str, ...] = Field((), description="Tables the call changed.")
    reason: str | None = Field(None, description="Why it failed (reason code: detail).")
    refused: tuple[str, ...] = Field(
        (),
        description="Rule kinds whose refusal was checked: a violating call came back precondition_failed.",
    )
    repaired: bool = Field(False, description="Whether an LLM repair made it pass.")


class SelfTestReport(_Model):
    tools: tuple[ToolTest, ...] = Field(description="Every tool tested, passed or not.")
    n_working: int = Field(description="Tools that passed (and are in the manifest).")
    n_dropped: int = Field(description="Tools dropped (failed compile or self-test).")
    accepted: bool = Field(description="Whether the environment has enough working tools.")
    reason: str | None = Field(None, description="Why the environment was rejected, when it was.")


class DroppedTool(_Model):
    name: str = Field(description="Tool name.")
    stage: Literal["schema", "compile", "check", "selftest"] = Field(description="Where it was dropped.")
    reason: str = Field(description="reason code: detail.")


class EnvironmentManifest(_Model):
    """A built (or imported) environment."""

    env_id: str = Field(description="Content hash of schema + programs + seed (or imported data).")
    name: str = Field(description="Readable name (domain name, or e.g. 'tau_bench_retail').")
    origin: Literal["generated", "imported"] = Field(description="Built from a domain, or imported.")
    domain_id: str | None = Field(None, description="Domain it was built from (None for imports).")
    tools: tuple[EnvTool, ...] = Field(description="Working tools, as agents see them.")
    programs: tuple[ToolProgram, ...] = Field(description="One program per working tool (same order).")
    edges: tuple[DependencyEdge, ...] = Field(
        (), description="Directed dependency edges between working tools."
    )
    db_schema: SchemaModel = Field(description="Tables, columns, keys.")
    seed: int = Field(0, description="Seed of the initial rows.")
    rows_per_table: int = Field(0, description="Seeded rows per table (0 for imports).")
    clock: str = Field(
        "2024-05-15T15:00:00", description="The environment's fixed 'now' (the _now parameter)."
    )
    table_counts: dict[str, int] = Field(
        default_factory=dict, description="Rows per table in the initial state."
    )
    initial_state_hash: str = Field("", description="state_hash() of a fresh episode.")
    selftest: SelfTestReport | None = Field(
        None, description="Self-test report (None for imports with no self-test)."
    )
    dropped: tuple[DroppedTool, ...] = Field((), description="Tools not in the environment, with reasons.")
    source: dict[str, Any] = Field(
        default_factory=dict, description="Lineage: tool_ids, data file digests, ..."
    )
    rules: tuple[BusinessRule, ...] = Field(
        (), description="Business rules the working tools enforce (generated environments)."
    )
    policy: str = Field(
        "",
        description="The domain's policy (markdown, τ-bench's wiki role): appended to the agent's system prompt.",
    )

    def system_prompt(self, base: str) -> str:
        """The agent's system prompt on this environment: ``base`` and the environment's policy."""
        return f"{base}\n\n{self.policy}" if self.policy else base

    def tool(self, name: str) -> EnvTool:
        for t in self.tools:
            if t.name == name:
                return t
        raise KeyError(name)

    def program(self, name: str) -> ToolProgram:
        for p in self.programs:
            if p.name == name:
                return p
        raise KeyError(name)

    def openai_tools(self) -> list[dict[str, Any]]:
        return [t.openai_schema() for t in self.tools]

    def db_path(self, environments_dir: Path) -> Path:
        return Path(environments_dir) / f"{self.env_id}.duckdb"

    def manifest_path(self, environments_dir: Path) -> Path:
        return Path(environments_dir) / f"{self.env_id}.json"

    def write(self, environments_dir: Path) -> Path:
        path = self.manifest_path(environments_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(self.model_dump_json(indent=1))
        tmp.replace(path)
        return path

    @classmethod
    def read(cls, path: Path) -> EnvironmentManifest:
        return cls.model_validate(json.loads(Path(path).read_text()))


def environment_id(
    schema: SchemaModel,
    programs: tuple[ToolProgram, ...] | list[ToolProgram],
    tools: Any,
    seed: Any,
    rows_per_table: int,
) -> str:
    """Content hash of what determines the environment's behaviour and initial state."""
    return content_hash(
        {
            "schema": schema.model_dump(mode="json"),
            "programs": [p.model_dump(mode="json") for p in programs],
            "tools": [t.model_dump(mode="json") if hasattr(t, "model_dump") else t for t in tools],
            "seed": seed,
            "rows": rows_per_table,
        }
    )


def policy_text(name: str, rules: tuple[BusinessRule, ...] | list[BusinessRule]) -> str:
    """The environment's policy: short markdown an agent reads as part of its system prompt."""
    title = name.replace("_", " ").strip() or "this service"
    lines = [
        f"# {title} policy",
        "",
        f"You act for {title} through its tools only. Look records up before you change them, "
        "use the ids the tools return, and confirm what you will change before a write.",
    ]
    if rules:
        lines += [
            "",
            "## Rules",
            "",
            "The tools enforce these rules. When a request breaks one, do not call the tool: "
            "tell the user which rule stops it and what is possible instead.",
            "",
        ]
        seen: set[str] = set()
        for rule in rules:
            line = f"- {rule.description} (`{rule.tool}`)"
            if line not in seen:
                seen.add(line)
                lines.append(line)
    return "\n".join(lines) + "\n"
