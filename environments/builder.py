"""Domain → environment: schema, programs, seed rows, self-test, artifact.

A build is cheap on purpose (a few statements per table, one in-memory
database, one small file), so a thousand domains build in minutes on two cores.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from envscale.environments import sandbox
from envscale.environments.arguments import generate_arguments, violating_arguments
from envscale.environments.manifest import (
    DependencyEdge,
    DroppedTool,
    EnvironmentManifest,
    SelfTestReport,
    ToolTest,
    environment_id,
    policy_text,
)
from envscale.environments.programs.checker import ProgramError, check_program
from envscale.environments.programs.compiler import compile_plan
from envscale.environments.programs.model import ToolProgram
from envscale.environments.runtime.contracts import EnvTool
from envscale.environments.runtime.loaded import LoadedEnvironment
from envscale.environments.schema.ddl import table_ddl
from envscale.environments.schema.infer import ToolLike, infer_schema
from envscale.environments.schema.model import SchemaModel
from envscale.environments.schema.naming import is_credential
from envscale.environments.seeding import seed_rows

Complete = Callable[[list[dict[str, str]]], str]
MAX_DESCRIPTION = 1024
SELFTEST_ATTEMPTS = 3


@dataclass
class BuildResult:
    manifest: EnvironmentManifest
    accepted: bool
    db_path: Path | None
    seconds: float
    reused: bool = False


def build_environment(
    tools: Sequence[ToolLike],
    *,
    name: str,
    environments_dir: Path,
    seed: int = 0,
    rows_per_table: int = 20,
    min_working_tools: int = 2,
    domain_id: str | None = None,
    edges: Iterable[tuple[str, str]] | None = None,
    schema_designer: Complete | None = None,
    repairer: Complete | None = None,
    source: dict[str, Any] | None = None,
) -> BuildResult:
    """Build (or find already built) the environment of one domain's tools."""
    started = time.perf_counter()
    dropped: list[DroppedTool] = []
    usable: list[ToolLike] = []
    for tool in tools:
        problem = _schema_problem(tool.parameters)
        if problem:
            dropped.append(
                DroppedTool(name=tool.name, stage="schema", reason=f"invalid_parameters: {problem}")
            )
        else:
            usable.append(_without_credentials(tool))

    schema, programs, origin_note = _design(usable, schema_designer, dropped)
    env_tools = {t.name: _env_tool(t, programs[t.name]) for t in usable if t.name in programs}
    rows = seed_rows(schema, rows_per_table, seed)
    con = _memory_db(schema, rows)
    loaded = LoadedEnvironment(
        env_id="selftest",
        schema=schema,
        tools=tuple(env_tools.values()),
        programs=tuple(programs.values()),
        con=con,
    )
    tests: list[ToolTest] = []
    working: list[str] = []
    for tool_name in list(env_tools):
        test = _self_test(loaded, tool_name, seed)
        if not test.ok and repairer is not None:
            test = _repair(loaded, tool_name, test, repairer, seed) or test
        tests.append(test)
        if test.ok:
            working.append(tool_name)
        else:
            dropped.append(DroppedTool(name=tool_name, stage="selftest", reason=test.reason or "failed"))
    initial_hash = loaded.open_episode().state_hash()
    final_programs = tuple(loaded.programs[n].program for n in working)
    rules = tuple(r for p in final_programs for r in p.rules)
    final_tools = tuple(env_tools[n] for n in working)
    loaded.close()

    accepted = len(working) >= min_working_tools
    reason = None if accepted else f"too_few_working_tools: {len(working)} < {min_working_tools}"
    env_id = environment_id(schema, final_programs, final_tools, seed, rows_per_table)
    manifest = EnvironmentManifest(
        env_id=env_id,
        name=name,
        origin="generated",
        domain_id=domain_id,
        tools=final_tools,
        programs=final_programs,
        edges=tuple(dependency_edges(final_programs, schema, edges)),
        db_schema=schema,
        seed=seed,
        rows_per_table=rows_per_table,
        table_counts={t: len(r) for t, r in rows.items()},
        initial_state_hash=initial_hash,
        selftest=SelfTestReport(
            tools=tuple(tests),
            n_working=len(working),
            n_dropped=len(dropped),
            accepted=accepted,
            reason=reason,
        ),
        dropped=tuple(dropped),
        source={**(source or {}), "schema_origin": origin_note, "n_input_tools": len(tools)},
        rules=rules,
        policy=policy_text(name, rules),
    )
    db_path = None
    reused = False
    if accepted:
        db_path = manifest.db_path(environments_dir)
        reused = db_path.is_file() and manifest.manifest_path(environments_dir).is_file()
        if not reused:
            write_database(db_path, schema, rows)
            manifest.write(environments_dir)
    return BuildResult(
        manifest=manifest,
        accepted=accepted,
        db_path=db_path,
        seconds=time.perf_counter() - started,
        reused=reused,
    )


# -- design: schema + programs -------------------------------------------------
def _design(
    tools: list[ToolLike], schema_designer: Complete | None, dropped: list[DroppedTool]
) -> tuple[SchemaModel, dict[str, ToolProgram], str]:
    if schema_designer is not None:
        from envscale.environments.schema.llm import propose_design

        try:
            schema, programs, rejected = propose_design(tools, schema_designer)
            for tool_name, why in rejected.items():
                dropped.append(DroppedTool(name=tool_name, stage="check", reason=why))
            return schema, programs, "llm"
        except Exception as exc:  # any broken proposal falls back to the rules
            note = f"rules (llm fallback: {type(exc).__name__}: {str(exc)[:200]})"
        else:  # pragma: no cover
            note = "llm"
    else:
        note = "rules"
    try:
        inferred = infer_schema(tools)
    except (ValueError, KeyError) as exc:  # a domain the rules cannot model is rejected, never a crash
        for tool in tools:
            dropped.append(
                DroppedTool(name=tool.name, stage="schema", reason=f"schema_failed: {str(exc)[:300]}")
            )
        empty = SchemaModel(tables=(), origin="rules")
        return empty, {}, note
    for tool_name, why in inferred.dropped.items():
        dropped.append(DroppedTool(name=tool_name, stage="schema", reason=why))
    programs: dict[str, ToolProgram] = {}
    by_name = {t.name: t for t in tools}
    for tool_name, plan in inferred.plans.items():
        try:
            program = compile_plan(plan, inferred.schema)
            check_program(program, inferred.schema.table_names, by_name[tool_name].parameters)
        except (ProgramError, ValueError, KeyError) as exc:
            stage = "check" if isinstance(exc, ProgramError) else "compile"
            dropped.append(DroppedTool(name=tool_name, stage=stage, reason=f"{stage}_failed: {exc}"))
            continue
        programs[tool_name] = program
    return inferred.schema, programs, note


@dataclass(frozen=True)
class _Tool:
    name: str
    description: str
    parameters: dict[str, Any]
    kind: str


def _without_credentials(tool: ToolLike) -> ToolLike:
    """The tool without the API keys and tokens its schema asks for: the environment authenticates the
    caller, so a customer never states one and an agent never invents one."""
    props = tool.parameters.get("properties")
    if not isinstance(props, dict) or not any(is_credential(p) for p in props):
        return tool
    params = {**tool.parameters, "properties": {p: s for p, s in props.items() if not is_credential(p)}}
    if isinstance(tool.parameters.get("required"), list):
        params["required"] = [p for p in tool.parameters["required"] if not is_credential(p)]
    return _Tool(tool.name, tool.description, params, getattr(tool, "kind", "unknown"))


def _schema_problem(parameters: Any) -> str | None:
    if not isinstance(parameters, dict) or parameters.get("type", "object") != "object":
        return "parameters must be a JSON Schema of type object"
    try:
        Draft202012Validator.check_schema(parameters)
    except SchemaError as exc:
        return exc.message[:200]
    return None


def _env_tool(tool: ToolLike, program: ToolProgram) -> EnvTool:
    params = dict(tool.parameters)
    params.setdefault("type", "object")
    params.setdefault("properties", {})
    # The rules the tool enforces are part of what the agent sees (kept whole: the text gives way).
    rules = " ".join(r.description for r in program.rules)
    rules = f" Rules: {rules}" if rules else ""
    text = (tool.description or tool.name)[: max(MAX_DESCRIPTION - len(rules), 0)].rstrip()
    return EnvTool(
        name=tool.name,
        description=(text + rules)[:MAX_DESCRIPTION],
        parameters=params,
        kind=program.kind,
        writes=program.tables_written,
    )


# -- self-test -------------------------------------------------------------------
def _self_test(loaded: LoadedEnvironment, tool_name: str, seed: int) -> ToolTest:
    cp = loaded.programs[tool_name]
    program, tool = cp.program, cp.tool
    reason = "selftest_failed"
    args: dict[str, Any] | None = None
    for attempt in range(SELFTEST_ATTEMPTS):
        rng = random.Random(f"{seed}:{tool_name}:{attempt}")
        with loaded.open_episode() as ep:
            try:
                args = generate_arguments(tool, program, loaded.schema, ep, rng)
            except Exception as exc:  # a generator bug must not kill the build
                reason = f"no_valid_arguments: {type(exc).__name__}: {exc}"
                continue
            result = ep.call(tool_name, args)
            if not result.ok:
                reason = f"{result.error_code}: {result.error}"
                continue
            try:
                json.dumps(result.content)
            except (TypeError, ValueError) as exc:
                reason = f"result_not_json: {exc}"
                continue
            changed = tuple(sorted(ep.changed_tables))
            refused, why = _refusals(ep, tool_name, program, loaded.schema, args)
        if why is not None:
            reason = why
            continue
        if program.kind == "read":
            if changed:
                reason = f"read_changed_state: {changed}"
                continue
        elif set(changed) != set(program.tables_written):
            reason = f"write_changed_wrong_tables: changed {list(changed)}, declared {list(program.tables_written)}"
            continue
        return ToolTest(
            name=tool_name,
            ok=True,
            kind=program.kind,
            arguments=args,
            changed_tables=changed,
            refused=refused,
        )
    return ToolTest(name=tool_name, ok=False, kind=program.kind, arguments=args, reason=reason[:500])


def _refusals(
    ep: Any, tool_name: str, program: ToolProgram, schema: SchemaModel, args: dict[str, Any]
) -> tuple[tuple[str, ...], str | None]:
    """After an allowed call: each rule's violating call must come back precondition_failed, state unchanged.

    Returns the rule kinds checked, and the first failure (None when every rule held).
    """
    checked: list[str] = []
    for rule in program.rules:
        bad = violating_arguments(rule, program, schema, ep, args)
        if bad is None:
            continue  # no violating situation in this state (e.g. no row in a refused status)
        before = ep.state_hash()
        result = ep.call(tool_name, bad)
        if result.error_code == "invalid_arguments":
            continue  # the tool's JSON Schema refuses the variant first (a key pattern): nothing to learn
        if result.ok or result.error_code != "precondition_failed":
            got = "succeeded" if result.ok else f"{result.error_code}: {result.error}"
            return tuple(checked), f"rule_not_enforced: {rule.kind}: {bad} {got}"[:500]
        if ep.state_hash() != before:
            return tuple(checked), f"rule_changed_state: {rule.kind}"
        checked.append(rule.kind)
    return tuple(dict.fromkeys(checked)), None


def _repair(
    loaded: LoadedEnvironment, tool_name: str, failed: ToolTest, complete: Complete, seed: int
) -> ToolTest | None:
    """Ask the LLM for a fixed program; keep it only if it passes the checker and the self-test."""
    from envscale.environments.runtime.loaded import compile_program
    from envscale.environments.schema.llm import repair_program

    cp = loaded.programs[tool_name]
    try:
        program = repair_program(cp.program, cp.tool, loaded.schema, failed.reason or "", complete)
        check_program(program, loaded.schema.table_names, cp.tool.parameters)
    except Exception:
        return None
    tool = cp.tool.model_copy(update={"kind": program.kind, "writes": program.tables_written})
    loaded.programs[tool_name] = compile_program(program, tool)
    test = _self_test(loaded, tool_name, seed)
    if test.ok:
        return test.model_copy(update={"repaired": True})
    loaded.programs[tool_name] = cp
    return None


# -- edges -------------------------------------------------------------------------
def dependency_edges(
    programs: Sequence[ToolProgram], schema: SchemaModel, given: Iterable[tuple[str, str]] | None = None
) -> list[DependencyEdge]:
    """A→B when A's rows (its table) provide a key B consumes; plus given graph edges among working tools."""
    names = {p.name for p in programs}
    out: dict[tuple[str, str], DependencyEdge] = {}
    for a in programs:
        if a.table is None or a.action == "delete":
            continue
        for b in programs:
            if a.name == b.name:
                continue
            for bind in b.bindings:
                if (
                    bind.role in ("key", "ref")
                    and bind.table == a.table
                    and not (b.action == "create" and bind.role == "key")
                ):
                    out.setdefault(
                        (a.name, b.name), DependencyEdge(source=a.name, target=b.name, via=bind.param)
                    )
    for src, dst in given or ():
        if src in names and dst in names and src != dst:
            out.setdefault((src, dst), DependencyEdge(source=src, target=dst, via=None))
    return sorted(out.values(), key=lambda e: (e.source, e.target))


# -- databases ---------------------------------------------------------------------
def _arrow(schema: SchemaModel, table: str, rows: list[dict[str, Any]]):
    import pyarrow as pa

    types = {
        "VARCHAR": pa.string(),
        "JSON": pa.string(),
        "BIGINT": pa.int64(),
        "DOUBLE": pa.float64(),
        "BOOLEAN": pa.bool_(),
        "DATE": pa.string(),
        "TIMESTAMP": pa.string(),
    }
    t = schema.table(table)
    fields = [pa.field(c.name, types[c.type]) for c in t.columns]
    return pa.Table.from_pydict(
        {c.name: [r.get(c.name) for r in rows] for c in t.columns}, schema=pa.schema(fields)
    )


def _memory_db(schema: SchemaModel, rows: dict[str, list[dict[str, Any]]]):
    con = sandbox.connect()
    _fill(con, schema, rows)
    return con


def _fill(con, schema: SchemaModel, rows: dict[str, list[dict[str, Any]]]) -> None:
    # An LLM-designed schema is untrusted: creating and seeding it is bounded too (StatementTimeout
    # then fails this domain's build with the reason, like any broken domain). An interrupt landing
    # between statements is lost, so the deadline is also checked before each one.
    limit = sandbox.LIMITS.seed_timeout_s
    deadline = time.monotonic() + limit
    try:
        for table in schema.parents_first():
            left = deadline - time.monotonic()
            if left <= 0:
                raise sandbox.StatementTimeout("out of time")
            with sandbox.time_limit(con, left):
                con.execute(table_ddl(table))
                if rows.get(table.name):
                    sandbox.load_arrow(con, table.name, _arrow(schema, table.name, rows[table.name]))
    except sandbox.StatementTimeout:
        raise sandbox.StatementTimeout(
            f"seeding the database interrupted after its {limit:g} s time limit ({len(schema.tables)} tables)"
        ) from None


def write_database(path: Path, schema: SchemaModel, rows: dict[str, list[dict[str, Any]]]) -> None:
    """Write the initial state to ``path`` atomically (a temp file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    con = sandbox.connect(tmp)
    try:
        _fill(con, schema, rows)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    tmp.replace(path)
