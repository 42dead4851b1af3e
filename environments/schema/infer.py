"""Rule-based schema inference from a domain's tool parameters.

``order_id`` names the entity ``order`` → table ``orders(order_id PK)``; a tool
``create_order(customer_id, total)`` puts ``total`` on ``orders`` and makes
``orders.customer_id`` a foreign key to ``customers``. Every tool gets a plan:
its main table, what it does there (read/create/update/delete) and what each
argument means; the program compiler turns plans into SQL.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from envscale.environments.programs.model import ParamBinding, sql_params
from envscale.environments.schema import naming
from envscale.environments.schema.model import (
    INT64_MAX,
    Column,
    ColumnType,
    ForeignKey,
    SchemaModel,
    Table,
)

Action = Literal["read", "create", "update", "delete"]
MAX_COLUMNS = 32


class ToolLike(Protocol):
    name: str
    description: str
    parameters: dict[str, Any]
    kind: str


@dataclass
class ToolPlan:
    """How one tool maps onto the schema."""

    tool: str
    action: Action
    entity: str
    table: str
    key_param: str | None = None
    bindings: list[ParamBinding] = field(default_factory=list)
    required: set[str] = field(default_factory=set)
    status_value: str | None = None
    verb: str | None = None
    params: dict[str, str] = field(default_factory=dict)  # argument → its unique $name (sql_params)


@dataclass
class InferredSchema:
    schema: SchemaModel
    plans: dict[str, ToolPlan]
    dropped: dict[str, str]  # tool → reason


@dataclass
class _TableDraft:
    entity: str
    name: str
    pk: str
    pk_type: ColumnType = "VARCHAR"
    columns: dict[str, Column] = field(default_factory=dict)
    fks: dict[str, str] = field(default_factory=dict)  # column → referenced table
    description: str = ""
    pinned: set[str] = field(default_factory=set)  # ref/status columns plans rely on: kept when truncating
    pk_rules: dict[str, Any] = field(default_factory=dict)  # pattern/lengths the key's arguments declare
    key_specs: list[dict[str, Any]] = field(default_factory=list)  # every argument naming this table's key


def json_type(schema: dict[str, Any]) -> ColumnType:
    t = schema.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "string")
    if t is None and "enum" in schema:
        values = schema["enum"]
        t = (
            "integer"
            if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values)
            else "string"
        )
    return {
        "integer": "BIGINT",
        "number": "DOUBLE",
        "boolean": "BOOLEAN",
        "array": "JSON",
        "object": "JSON",
    }.get(t or "string", "VARCHAR")


def _column(name: str, spec: dict[str, Any]) -> Column:
    typ = json_type(spec)
    enum = spec.get("enum")
    fmt = spec.get("format") or _hint(name)
    return Column(
        name=name,
        type=typ,
        enum=fit_enum(enum if isinstance(enum, list | tuple) else None, typ),
        minimum=number_bounds(spec, typ)[0],
        maximum=number_bounds(spec, typ)[1],
        format=fmt,
        description=str(spec.get("description", ""))[:200],
        **text_rules(spec, typ),
    )


def text_rules(spec: dict[str, Any], typ: ColumnType) -> dict[str, Any]:
    """pattern / min_length / max_length of a text argument, when it declares them."""
    if typ != "VARCHAR":
        return {}
    out: dict[str, Any] = {}
    if isinstance(spec.get("pattern"), str):
        out["pattern"] = spec["pattern"]
    for key, field_name in (("minLength", "min_length"), ("maxLength", "max_length")):
        v = spec.get(key)
        if isinstance(v, int) and not isinstance(v, bool) and v >= 0:
            out[field_name] = v
    return out


def fit_enum(values: Any, typ: ColumnType) -> tuple[Any, ...] | None:
    """The enum members that are values of the column's type (coerced where exact), or None.

    Real schemas declare enums that contradict their type (an ``integer`` with
    ``["2011", ...]``, a ``boolean`` with ``["dontcare"]``); seeding from them would
    put text into typed columns. JSON, date and time columns take no enum.
    """
    if not values:
        return None
    out: list[Any] = []
    for v in values:
        if v is None:
            continue
        if typ == "VARCHAR":
            out.append(str(v))
        elif typ == "BIGINT":
            n = _as_number(v)
            if n is not None and float(n).is_integer():
                out.append(int(n))
        elif typ == "DOUBLE":
            n = _as_number(v)
            if n is not None:
                out.append(float(n))
        elif typ == "BOOLEAN":
            if isinstance(v, bool):
                out.append(v)
            elif str(v).lower() in ("true", "false"):
                out.append(str(v).lower() == "true")
    return tuple(dict.fromkeys(out)) or None


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def _raw(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, int):
        return max(min(value, 2**1000), -(2**1000))  # float()-able (10**400 would overflow)
    return value if math.isfinite(value) else None


def number_bounds(spec: dict[str, Any], typ: ColumnType) -> tuple[Any, Any]:
    """Inclusive (low, high) bounds of a JSON Schema number; None where unbounded.

    Exclusive bounds stay exclusive: moved inward by 1 for integers, to the next double for
    numbers, so values drawn between them satisfy the tool's schema. Integer bounds are ints
    clamped to BIGINT's range (a uint64 maximum would overflow the seeded column).
    """
    lows = [(_raw(spec.get("minimum")), False), (_raw(spec.get("exclusiveMinimum")), True)]
    highs = [(_raw(spec.get("maximum")), False), (_raw(spec.get("exclusiveMaximum")), True)]
    integer = typ == "BIGINT"
    lo_vals, hi_vals = [], []
    for v, exclusive in lows:
        if v is not None:
            if integer:
                lo_vals.append(math.floor(v) + 1 if exclusive else math.ceil(v))
            else:
                lo_vals.append(math.nextafter(float(v), math.inf) if exclusive else float(v))
    for v, exclusive in highs:
        if v is not None:
            if integer:
                hi_vals.append(math.ceil(v) - 1 if exclusive else math.floor(v))
            else:
                hi_vals.append(math.nextafter(float(v), -math.inf) if exclusive else float(v))
    lo = max(lo_vals) if lo_vals else None
    hi = min(hi_vals) if hi_vals else None
    if integer:
        lo = None if lo is None else min(max(lo, -INT64_MAX), INT64_MAX)
        hi = None if hi is None else min(max(hi, -INT64_MAX), INT64_MAX)
    return lo, hi


_HINTS = (
    ("email", "email"),
    ("first_name", "first_name"),
    ("last_name", "last_name"),
    ("phone", "phone"),
    ("city", "city"),
    ("country", "country"),
    ("state", "state"),
    ("zip", "zip"),
    ("postal", "zip"),
    ("address", "address"),
    ("street", "address"),
    ("url", "url"),
    ("date", "date"),
    ("time", "time"),
    ("name", "name"),
    ("title", "title"),
    ("description", "text"),
    ("comment", "text"),
    ("message", "text"),
    ("currency", "currency"),
    ("company", "company"),
    ("color", "color"),
    ("price", "money"),
    ("amount", "money"),
    ("cost", "money"),
    ("total", "money"),
    ("balance", "money"),
    ("status", "status"),
)


def _hint(name: str) -> str | None:
    for needle, hint in _HINTS:
        if needle in name:
            return hint
    return None


def _merge(a: Column, b: Column) -> Column:
    if a.type == b.type:
        typ = a.type
    elif {a.type, b.type} <= {"BIGINT", "DOUBLE"}:
        typ = "DOUBLE"
    else:
        typ = "VARCHAR"
    enum = None
    if a.enum and b.enum:
        merged = a.enum + b.enum
        # Text enums stay enums only when both sides were text (a number column merged into text is open).
        enum = fit_enum(merged, typ) if typ != "VARCHAR" or all(isinstance(v, str) for v in merged) else None
    lo = [x for x in (a.minimum, b.minimum) if x is not None]
    hi = [x for x in (a.maximum, b.maximum) if x is not None]
    return a.model_copy(
        update={
            "type": typ,
            "enum": enum,
            "minimum": max(lo) if lo else None,
            "maximum": min(hi) if hi else None,
            "description": a.description or b.description,
        }
    )


def decide_action(tool: ToolLike, has_key: bool) -> tuple[Action, str | None]:
    verb = naming.verb_of(tool.name)
    if verb in naming.CREATE_VERBS:
        return "create", verb
    if verb in naming.DELETE_VERBS:
        return "delete", verb
    if verb in naming.UPDATE_VERBS:
        return "update", verb
    if verb in naming.READ_VERBS:
        return "read", verb
    if getattr(tool, "kind", "unknown") == "write":
        return ("update" if has_key else "create"), verb
    return "read", verb


def infer_schema(tools: Iterable[ToolLike]) -> InferredSchema:
    """Tables and per-tool plans from the tools' names and parameters (no LLM)."""
    drafts: dict[str, _TableDraft] = {}
    plans: dict[str, ToolPlan] = {}
    dropped: dict[str, str] = {}

    def table_for(entity: str, pk_type: ColumnType | None = None) -> _TableDraft:
        entity = _identifier(entity or "record")
        if entity not in drafts:
            name = naming.plural(entity)[:60]
            drafts[entity] = _TableDraft(entity=entity, name=name, pk=f"{entity}_id"[:60])
        draft = drafts[entity]
        if pk_type == "BIGINT" and not draft.columns:
            draft.pk_type = "BIGINT"
        return draft

    for tool in tools:
        params = tool.parameters or {}
        props: dict[str, Any] = params.get("properties") or {}
        if not isinstance(props, dict):
            dropped[tool.name] = "schema: parameters.properties is not an object"
            continue
        required = set(params.get("required") or [])
        ids = {p: naming.id_entity(p) for p in props}
        ids = {
            p: e
            for p, e in ids.items()
            if e is not None and json_type(props[p] or {}) in ("VARCHAR", "BIGINT")
        }
        noun = naming.noun_of(tool.name)
        entity = _identifier(_main_entity(noun, ids, required))
        key_param = next(
            (p for p, e in ids.items() if e == entity or (e == "" and entity == (noun or "record"))), None
        )
        action, verb = decide_action(tool, key_param is not None)
        key_type = json_type(props[key_param]) if key_param else None
        draft = table_for(entity, key_type)
        if draft.pk_type == "BIGINT" and key_type not in (None, "BIGINT"):
            draft.pk_type = "VARCHAR"
        if not draft.description:
            draft.description = f"{entity.replace('_', ' ')} records (from {tool.name})"
        if key_param and isinstance(props[key_param], dict):
            draft.key_specs.append(props[key_param])
            if not draft.pk_rules:
                draft.pk_rules = text_rules(props[key_param], draft.pk_type)
        plan = ToolPlan(
            tool=tool.name,
            action=action,
            entity=entity,
            table=draft.name,
            key_param=key_param,
            required=required,
            verb=verb,
            params=sql_params(props),
        )
        # Column names unique within the tool: 'ship-to' and 'ship_to' both snake to 'ship_to' and one
        # value would be lost. A parameter already spelled as its column keeps it; others get a suffix.
        exact = {p for p in props if naming.snake(p) == p}
        used: set[str] = set()
        for param, spec in props.items():
            spec = spec if isinstance(spec, dict) else {}
            if param == key_param:
                plan.bindings.append(ParamBinding(param=param, role="key", table=draft.name, column=draft.pk))
                continue
            ref_entity = ids.get(param)
            if ref_entity:
                ref = table_for(ref_entity, json_type(spec))
                ref.key_specs.append(spec)
                col = naming.snake(param) if naming.snake(param).endswith(("_id", "_uuid")) else ref.pk
                if col == draft.pk:
                    col = f"ref_{col}"[:60]
                col = _unique_column(col, param, used, exact)
                draft.pinned.add(col)
                if ref.name != draft.name:
                    draft.fks[col] = ref.name
                draft.columns.setdefault(
                    col,
                    Column(name=col, type=ref.pk_type, format="ref", description=f"references {ref.name}"),
                )
                plan.bindings.append(ParamBinding(param=param, role="ref", table=ref.name, column=col))
                continue
            col = naming.snake(param)
            if col in naming.CONTROL_PARAMS or param in naming.CONTROL_PARAMS:
                plan.bindings.append(ParamBinding(param=param, role="control"))
                continue
            if col == draft.pk:
                col = f"{col}_value"
            col = _unique_column(col, param, used, exact)
            if col == "status":
                draft.pinned.add(col)
            new = _column(col, spec)
            draft.columns[col] = _merge(draft.columns[col], new) if col in draft.columns else new
            plan.bindings.append(ParamBinding(param=param, role="column", table=draft.name, column=col))
        has_values = any(b.role == "column" for b in plan.bindings)
        if action == "update" and not has_values:
            plan.status_value = naming.VERB_STATUS.get(
                verb or "", f"{verb or 'updat'}ed".replace("eed", "ed")
            )
            status = draft.columns.get("status")
            if status is None:
                draft.columns["status"] = Column(
                    name="status",
                    type="VARCHAR",
                    enum=("active", "pending", plan.status_value),
                    format="status",
                    description="lifecycle status",
                )
            else:
                # Merge, never overwrite: an open status column (free text from another tool) stays
                # open whatever the tool order; an enum one gains this verb's status.
                verb_status = Column(name="status", type="VARCHAR", enum=(plan.status_value,))
                draft.columns["status"] = _merge(status, verb_status)
            draft.pinned.add("status")
        plans[tool.name] = plan

    tables = []
    for draft in drafts.values():
        cols = [
            Column(
                name=draft.pk,
                type=draft.pk_type,
                nullable=False,
                format="key",
                description=f"identifier of a {draft.entity.replace('_', ' ')}",
                **_key_rules(draft),
            )
        ]
        if not draft.columns:
            cols.append(Column(name="name", type="VARCHAR", format="name", description="display name"))
        # Truncate, keeping the ref and status columns plans rely on (in their original order).
        names = [n for n in draft.columns if n != draft.pk]
        keep = [n for n in names if n in draft.pinned][: MAX_COLUMNS - 1]
        keep += [n for n in names if n not in draft.pinned][: MAX_COLUMNS - 1 - len(keep)]
        extra = [c for n, c in draft.columns.items() if n in set(keep)]
        cols.extend(c.model_copy(update={"type": draft.columns[c.name].type}) for c in extra)
        kept = {c.name for c in cols}
        fks = tuple(
            ForeignKey(columns=(col,), ref_table=ref, ref_columns=(drafts_by_name(drafts)[ref].pk,))
            for col, ref in draft.fks.items()
            if col in kept
        )
        tables.append(
            Table(
                name=draft.name,
                columns=tuple(cols),
                primary_key=(draft.pk,),
                foreign_keys=fks,
                description=draft.description,
            )
        )
    # FK columns must carry the referenced key's final type.
    by_name = {t.name: t for t in tables}
    fixed = []
    for t in tables:
        cols = list(t.columns)
        for fk in t.foreign_keys:
            ref_type = by_name[fk.ref_table].column(fk.ref_columns[0]).type
            cols = [c.model_copy(update={"type": ref_type}) if c.name == fk.columns[0] else c for c in cols]
        fixed.append(t.model_copy(update={"columns": tuple(cols)}))
    schema = SchemaModel(tables=tuple(fixed), origin="rules")
    schema = SchemaModel(tables=tuple(schema.parents_first()), origin="rules")
    for plan in plans.values():
        table = schema.table(plan.table)
        # Bindings to columns truncation dropped go (ref columns live on the plan's table too).
        plan.bindings = [
            b for b in plan.bindings if b.role not in ("column", "ref") or b.column in table.column_names
        ]
        if plan.status_value is not None and "status" not in table.column_names:
            plan.status_value = None
    return InferredSchema(schema=schema, plans=plans, dropped=dropped)


def _key_rules(draft: _TableDraft) -> dict[str, Any]:
    """What seeded keys must look like so every argument naming them can hold them.

    An enum on a key argument (service_id in [1, 2, 3]) makes those the keys; a text key that some
    argument declares as an integer gets digit-only keys ('482130' binds as 482130 and back).
    """
    out: dict[str, Any] = dict(draft.pk_rules) if draft.pk_type == "VARCHAR" else {}
    enums = [s["enum"] for s in draft.key_specs if isinstance(s.get("enum"), list) and s["enum"]]
    if enums:
        common = fit_enum(enums[0], draft.pk_type)
        if common:
            out["enum"] = common
            out.pop("pattern", None)
    elif (
        draft.pk_type == "VARCHAR"
        and "pattern" not in out
        and any(json_type(s) in ("BIGINT", "DOUBLE") for s in draft.key_specs)
    ):
        out["pattern"] = "^[1-9][0-9]{5}$"
    return out


def _unique_column(col: str, param: str, used: set[str], exact: set[str]) -> str:
    """``col``, or ``col_2``, ``col_3``... when another argument of the tool has (or spells) it."""
    base, i = col, 2
    while col in used or (col in exact and col != param):
        col, i = f"{base[:56]}_{i}", i + 1
    used.add(col)
    return col


def drafts_by_name(drafts: dict[str, _TableDraft]) -> dict[str, _TableDraft]:
    return {d.name: d for d in drafts.values()}


def _main_entity(noun: str | None, ids: dict[str, str], required: set[str]) -> str:
    """The tool's own entity: the noun of its name when an id argument names it (or it has a bare 'id'),
    else that noun (other ids become references), else its first id argument's entity."""
    named = [e for e in ids.values() if e]
    if noun:
        for e in named:
            if noun == e or noun.endswith("_" + e) or noun.startswith(e + "_"):
                return e
        return noun
    if named:
        req = [e for p, e in ids.items() if e and p in required]
        return (req or named)[0]
    return "record"


def _identifier(entity: str) -> str:
    """An entity name usable as (part of) a SQL identifier: lower snake case, not starting with a digit."""
    out = (
        "".join(ch if ch.isalnum() and ch.isascii() else "_" for ch in entity.lower()).strip("_") or "record"
    )
    if out[0].isdigit():
        out = "e_" + out
    return out[:50]
