"""Rule compiler: a tool plan (from schema inference) → a declarative ToolProgram.

Every argument is a bound parameter ($name); the only literals in generated
SQL are the compiler's own (status words, LIMITs). Identifiers are quoted.
"""

from __future__ import annotations

from typing import Any

from envscale.environments.programs.model import Precondition, ToolProgram, WriteStatement, sql_param
from envscale.environments.programs.rules import rules_for
from envscale.environments.schema.infer import ToolPlan
from envscale.environments.schema.model import SchemaModel

LIST_LIMIT = 20


def q(name: str) -> str:
    return '"' + name.replace('"', "") + '"'


def compile_plan(plan: ToolPlan, schema: SchemaModel) -> ToolProgram:
    table = schema.table(plan.table)
    t, pk = q(table.name), q(table.primary_key[0])
    entity = plan.entity.replace("_", " ")
    key = next((b for b in plan.bindings if b.role == "key"), None)
    refs = [b for b in plan.bindings if b.role == "ref"]
    values = [b for b in plan.bindings if b.role == "column" and b.column in table.column_names]
    types = {c.name: c.type for c in table.columns}

    def par(argument: str) -> str:
        # The tool-wide unique $name (plan.params), so colliding spellings keep separate values.
        return plan.params.get(argument) or sql_param(argument)

    def eq(column_sql: str, column_type: str, argument: str) -> str:
        # A text column compared with a number argument would make DuckDB cast the column's text
        # to a number (a conversion error on 'pro_1f2e3d'): compare as text instead.
        p = f"${par(argument)}"
        return f"{column_sql} = CAST({p} AS VARCHAR)" if column_type == "VARCHAR" else f"{column_sql} = {p}"

    pre: list[Precondition] = []
    for ref in refs:
        ref_table = schema.table(ref.table)  # type: ignore[arg-type]
        optional = ref.param not in plan.required
        ref_pk = ref_table.primary_key[0]
        cond = eq(q(ref_pk), ref_table.column(ref_pk).type, ref.param)
        sql = f"SELECT 1 FROM {q(ref_table.name)} WHERE {cond}"
        if optional:
            sql = f"SELECT 1 WHERE ${par(ref.param)} IS NULL UNION ALL {sql}"
        noun = ref_table.name.rstrip("s").replace("_", " ")
        pre.append(Precondition(sql=sql, expect="row", error=f"{noun} '{{{ref.param}}}' not found"))

    common = {"name": plan.tool, "table": table.name, "bindings": tuple(plan.bindings), "origin": "rules"}

    def filters(bindings, *, skip_json: bool = True) -> list[str]:
        out = []
        for b in bindings:
            if skip_json and types.get(b.column) == "JSON":
                continue
            p = f"${par(b.param)}"
            if b.param in plan.required:
                out.append(eq(q(b.column), types.get(b.column, ""), b.param))
            else:
                out.append(f"({p} IS NULL OR {eq(q(b.column), types.get(b.column, ''), b.param)})")
        return out

    if plan.action == "read":
        where = filters(([key] if key else []) + refs + values)
        sql = f"SELECT * FROM {t}" + (f" WHERE {' AND '.join(where)}" if where else "")
        if key is not None:
            return ToolProgram(
                kind="read",
                action="read",
                preconditions=tuple(pre),
                result=sql,
                result_mode="row",
                empty_error=f"{entity} '{{{key.param}}}' not found",
                **common,
            )
        return ToolProgram(
            kind="read",
            action="read",
            preconditions=tuple(pre),
            result=f"{sql} ORDER BY {pk} LIMIT {LIST_LIMIT}",
            result_mode="rows",
            **common,
        )

    if plan.action == "create":
        if key is not None:
            pk_value = f"${par(key.param)}"
            if key.param not in plan.required:
                pk_value = (
                    f"coalesce({pk_value}, $_new_id)"
                    if types[table.primary_key[0]] != "BIGINT"
                    else (f"coalesce({pk_value}, (SELECT coalesce(max({pk}), 0) + 1 FROM {t}))")
                )
            pre.insert(
                0,
                Precondition(
                    sql=f"SELECT 1 FROM {t} WHERE {pk} = ${par(key.param)}",
                    expect="no_row",
                    error=f"{entity} '{{{key.param}}}' already exists",
                ),
            )
        elif types[table.primary_key[0]] == "BIGINT":
            pk_value = f"(SELECT coalesce(max({pk}), 0) + 1 FROM {t})"
        else:
            pk_value = "$_new_id"
        cols = [pk] + [q(b.column) for b in refs + values]
        vals = [pk_value] + [f"${par(b.param)}" for b in refs + values]
        cols, vals = _dedupe(cols, vals)
        pre += rules_for(plan, schema, par, key=key)
        sql = f"INSERT INTO {t} ({', '.join(cols)}) VALUES ({', '.join(vals)})"
        return _write_program("create", pre, sql, table.name, common)

    # update / delete need to find their row: by key, else by the other required arguments.
    if key is not None:
        where = [eq(pk, types[table.primary_key[0]], key.param)]
        missing = f"{entity} '{{{key.param}}}' not found"
    else:
        where = filters([b for b in refs + values if b.param in plan.required])
        if not where:
            raise ValueError(
                f"{plan.tool}: cannot tell which {entity} to {plan.action} (no key or required argument)"
            )
        missing = f"no {entity} matches the given arguments"
    cond = " AND ".join(where)
    pre.insert(0, Precondition(sql=f"SELECT 1 FROM {t} WHERE {cond}", expect="row", error=missing))
    if plan.action == "delete":
        # Deleting a row other rows still reference would break the foreign keys.
        for child in schema.tables:
            for fk in child.foreign_keys:
                if fk.ref_table != table.name:
                    continue
                children = child.name.replace("_", " ")
                if key is not None:
                    pre.append(
                        Precondition(
                            sql=f"SELECT 1 FROM {q(child.name)} WHERE {q(fk.columns[0])} = ${par(key.param)}",
                            expect="no_row",
                            error=f"cannot delete {entity} '{{{key.param}}}': {children} still refer to it",
                        )
                    )
                else:
                    # Key-less delete (delete_customer(email)): reach the children through the row's condition.
                    parents = f"SELECT {q(fk.ref_columns[0])} FROM {t} WHERE {cond}"
                    pre.append(
                        Precondition(
                            sql=f"SELECT 1 FROM {q(child.name)} WHERE {q(fk.columns[0])} IN ({parents})",
                            expect="no_row",
                            error=f"cannot delete the {entity}: {children} still refer to it",
                        )
                    )
        sql = f"DELETE FROM {t} WHERE {cond}"
        return _write_program("delete", pre, sql, table.name, common)
    sets = []
    setters = refs + values if key is not None else [b for b in refs + values if b.param not in plan.required]
    for b in setters:
        p = f"${par(b.param)}"
        sets.append(
            f"{q(b.column)} = {p}"
            if b.param in plan.required
            else f"{q(b.column)} = coalesce({p}, {q(b.column)})"
        )
    if plan.status_value is not None:
        sets.append(f"\"status\" = '{plan.status_value}'")
    if not sets:
        raise ValueError(f"{plan.tool}: nothing to update")
    cols = [s.split(" = ", 1)[0] for s in sets]
    sets = [s for i, s in enumerate(sets) if cols[i] not in cols[:i]]
    pre += rules_for(plan, schema, par, cond=cond, key=key)
    sql = f"UPDATE {t} SET {', '.join(sets)} WHERE {cond}"
    return _write_program("update", pre, sql, table.name, common)


def _write_program(
    action: str, pre: list[Precondition], sql: str, table: str, common: dict[str, Any]
) -> ToolProgram:
    """A rule-compiled write: ``sql``, one statement on ``table``, once the preconditions hold."""
    return ToolProgram(
        kind="write",
        action=action,
        preconditions=tuple(pre),
        writes=(WriteStatement(sql=sql, table=table),),
        result_mode="row",
        **common,
    )


def _dedupe(cols: list[str], vals: list[str]) -> tuple[list[str], list[str]]:
    seen: dict[str, str] = {}
    for c, v in zip(cols, vals, strict=True):
        seen.setdefault(c, v)
    return list(seen), list(seen.values())
