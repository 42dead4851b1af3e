"""Tools as declarative programs: preconditions, writes, a result query.

Every statement refers to the call's arguments as bound parameters
(``$name``), never as formatted values. Besides the tool's own arguments a
statement may use the runtime's implicit parameters (see ``IMPLICIT_PARAMS``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# Supplied by the runtime, never by the agent.
IMPLICIT_PARAMS: dict[str, str] = {
    "_new_id": "A fresh id, deterministic in (episode call number, tool, arguments).",
    "_now": "The environment's fixed clock (ISO timestamp), so replays hash equally.",
}


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


RuleKind = Literal["state", "no_double_booking", "non_negative", "date_order"]


class BusinessRule(_Model):
    """A domain rule a tool enforces (a precondition inferred from status columns, verbs and names)."""

    tool: str = Field(description="The tool that enforces it.")
    kind: RuleKind = Field(
        description="state: only from compatible statuses; no_double_booking: one booking per resource "
        "and time; non_negative: amounts/quantities ≥ 0; date_order: a range ends after it starts."
    )
    description: str = Field(description="The rule in plain words (tool descriptions and the policy).")
    table: str | None = Field(None, description="The table whose rows it guards.")
    columns: tuple[str, ...] = Field((), description="Columns it looks at (status; resource and time...).")
    params: tuple[str, ...] = Field((), description="Tool arguments it looks at.")
    values: tuple[str, ...] = Field((), description="state: the statuses the tool refuses to act from.")


class Precondition(_Model):
    """A SELECT that must return a row (``expect='row'``) or must not (``'no_row'``)."""

    sql: str = Field(description="One SELECT with bound parameters.")
    expect: Literal["row", "no_row"] = Field("row", description="Whether the query must return a row.")
    error: str = Field(
        description="Shown to the agent when the condition fails; {name} placeholders take argument values."
    )
    rule: BusinessRule | None = Field(None, description="The business rule it enforces, if it is one.")


class WriteStatement(_Model):
    sql: str = Field(
        description="One INSERT, UPDATE or DELETE with bound parameters (no RETURNING: the runtime adds it)."
    )
    table: str = Field(description="The table it writes (must be among the program's declared writes).")


class ParamBinding(_Model):
    """What a tool argument means in the schema (rule-compiled programs; samplers ground arguments with it)."""

    param: str = Field(description="Argument name as the tool spells it.")
    role: Literal["key", "ref", "column", "control"] = Field(
        description="key: the main table's primary key; ref: a foreign key; column: a value; control: limit/page/..."
    )
    table: str | None = Field(
        None, description="Table the argument refers to (key/ref: the referenced table)."
    )
    column: str | None = Field(None, description="Column it is stored in or compared with.")


class ToolProgram(_Model):
    """One tool, as statements over the environment's tables."""

    name: str = Field(description="Tool name.")
    kind: Literal["read", "write"] = Field(description="Read programs have no writes.")
    preconditions: tuple[Precondition, ...] = Field((), description="Checked in order before any write.")
    writes: tuple[WriteStatement, ...] = Field((), description="Executed in order, in one atomic call.")
    result: str | None = Field(
        None, description="SELECT run last; None for writes returns the last write's rows."
    )
    result_mode: Literal["rows", "row", "value"] = Field(
        "rows", description="rows: list of objects; row: first object; value: first column of the first row."
    )
    empty_error: str | None = Field(
        None, description="Error when the result has no row (e.g. 'order not found')."
    )
    origin: Literal["rules", "llm", "hand"] = Field("rules", description="Who wrote the program.")
    action: Literal["read", "create", "update", "delete", "other"] = Field(
        "other", description="What the tool does to its main table."
    )
    table: str | None = Field(None, description="The main table the tool is about.")
    bindings: tuple[ParamBinding, ...] = Field(
        (), description="Meaning of each argument (empty for hand-written programs)."
    )

    @property
    def rules(self) -> tuple[BusinessRule, ...]:
        return tuple(p.rule for p in self.preconditions if p.rule is not None)

    @property
    def tables_written(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(w.table for w in self.writes))

    def statements(self) -> list[str]:
        out = [p.sql for p in self.preconditions] + [w.sql for w in self.writes]
        if self.result:
            out.append(self.result)
        return out


def sql_param(argument: str) -> str:
    """The bound-parameter name of a tool argument ($name needs an identifier)."""
    # ASCII only: the checker's $name pattern (and DuckDB) stop at a non-ASCII letter ('prénom').
    out = "".join(ch if ch.isascii() and (ch.isalnum() or ch == "_") else "_" for ch in argument)
    if not out.strip("_"):
        out = "arg"  # nothing ASCII left ('名前'); sql_params() makes it unique within the tool
    if out[0].isdigit():
        out = "p_" + out
    return out


def sql_params(arguments: Iterable[str]) -> dict[str, str]:
    """Bound-parameter names of one tool's arguments (argument → name), unique within the tool.

    Arguments that normalise alike ('ship-to' and 'ship_to'; DuckDB's $names also ignore case) would
    share one $name and one value would silently replace the other. An argument spelled as its own
    parameter name keeps it; the others take a numeric suffix on collision. Implicit names are reserved.
    """
    names = list(dict.fromkeys(arguments))
    out: dict[str, str] = {}
    taken = {k.lower() for k in IMPLICIT_PARAMS}
    for name in names:
        if sql_param(name) == name and name.lower() not in taken:
            out[name] = name
            taken.add(name.lower())
    for name in names:
        if name in out:
            continue
        base = candidate = sql_param(name)
        i = 2
        while candidate.lower() in taken:
            candidate = f"{base}_{i}"
            i += 1
        out[name] = candidate
        taken.add(candidate.lower())
    return {name: out[name] for name in names}
