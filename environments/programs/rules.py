"""Business rules of rule-compiled tools: preconditions inferred from status columns, verbs and names.

- state: a verb acts only from compatible statuses (an already cancelled, completed or delivered
  order cannot be cancelled; only a delivered order can be returned; a closed record is not modified);
- no_double_booking: one booking of a resource (doctor, room, table) per date and time;
- non_negative: balances, quantities, amounts and prices cannot go below zero;
- date_order: a range ends after it starts (check-out after check-in, end after start).

Each becomes a ``Precondition`` carrying its ``BusinessRule``; a violated rule comes back from the
runtime as ``precondition_failed`` with the rule's message, before any write.
"""

from __future__ import annotations

from collections.abc import Callable

from envscale.environments.programs.model import BusinessRule, ParamBinding, Precondition
from envscale.environments.schema import naming
from envscale.environments.schema.infer import ToolPlan
from envscale.environments.schema.model import SchemaModel, Table

# Statuses a record does not leave by ordinary updates.
TERMINAL = frozenset(
    [
        "cancelled",
        "canceled",
        "completed",
        "delivered",
        "refunded",
        "returned",
        "closed",
        "rejected",
        "declined",
        "expired",
        "resolved",
        "finished",
        "deleted",
    ]
)
# Statuses seeding draws from when a status column declares no enum.
OPEN_STATUSES = ("active", "pending", "completed", "cancelled", "on_hold")
# Verbs that act on records in a final state (a return needs a delivered order).
ACTS_ON = {
    "return": frozenset({"delivered", "completed"}),
    "refund": frozenset({"completed", "delivered", "returned", "cancelled", "paid"}),
    "exchange": frozenset({"delivered", "completed"}),
    "archive": TERMINAL,
    "rate": frozenset({"completed", "delivered", "finished", "resolved"}),
    "review": frozenset({"completed", "delivered", "finished", "resolved"}),
}
# Verbs that bring a record back: they are refused only from the status they lead to.
REVIVE = frozenset(
    ["restore", "activate", "unblock", "resume", "unlock", "enable", "reopen", "reset", "mark"]
)
_BOOKING_VERBS = frozenset(["book", "reserve", "schedule", "rent", "reschedule"])
_BOOKING_NOUNS = frozenset(
    [
        "appointment",
        "booking",
        "reservation",
        "slot",
        "session",
        "meeting",
        "lesson",
        "class",
        "rental",
        "visit",
        "consultation",
    ]
)
_PEOPLE = frozenset(
    ["customer", "user", "patient", "guest", "client", "passenger", "member", "student", "owner", "person"]
)
_NON_NEGATIVE = frozenset(
    [
        "balance",
        "quantity",
        "qty",
        "stock",
        "inventory",
        "amount",
        "price",
        "cost",
        "total",
        "seats",
        "points",
        "credit",
        "fee",
        "guests",
        "nights",
        "salary",
        "budget",
        "deposit",
    ]
)
_WHEN = ("date", "date-time", "time")


def _sql_text(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _q(name: str) -> str:
    return '"' + name.replace('"', "") + '"'


def participle(verb: str | None) -> str:
    """'cancel' → 'cancelled', 'modify' → 'modified', 'reschedule' → 'rescheduled'."""
    if not verb:
        return "changed"
    if verb in naming.VERB_STATUS and verb not in ("restore", "unblock", "resume", "mark", "reset"):
        return naming.VERB_STATUS[verb]
    if verb in ("set", "reset"):
        return verb
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y") and len(verb) > 1 and verb[-2] not in "aeiou":
        return verb[:-1] + "ied"
    return verb + "ed"


def _or_list(items: list[str]) -> str:
    items = [i.replace("_", " ") for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _article(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def state_rule(plan: ToolPlan, table: Table, cond: str, key: ParamBinding | None) -> Precondition | None:
    """Refuse the update when the row's status is one the verb cannot act from."""
    if "status" not in table.column_names or plan.action != "update":
        return None
    col = table.column("status")
    known = [str(v) for v in (col.enum or OPEN_STATUSES)]
    verb = plan.verb or ""
    target = plan.status_value
    if verb in REVIVE:
        forbidden = {target} if target else set()
    elif target is not None:
        forbidden = ({target} | TERMINAL) - ACTS_ON.get(verb, frozenset())
    else:
        forbidden = set(TERMINAL) - ACTS_ON.get(verb, frozenset())
    refused = [s for s in known if s.lower() in {f.lower() for f in forbidden if f}]
    if not refused or len(refused) == len(known):
        return None  # nothing refused, or nothing left to act on
    entity = plan.entity.replace("_", " ")
    done = participle(plan.verb)
    description = f"{_article(entity).capitalize()} that is {_or_list(refused)} cannot be {done}."
    values = ", ".join(_sql_text(s) for s in refused)
    sql = f'SELECT 1 FROM {_q(table.name)} WHERE {cond} AND "status" IN ({values})'
    which = f"{entity} '{{{key.param}}}'" if key is not None else f"the {entity}"
    rule = BusinessRule(
        tool=plan.tool,
        kind="state",
        description=description,
        table=table.name,
        columns=("status",),
        params=(key.param,) if key is not None else (),
        values=tuple(refused),
    )
    error = f"cannot {verb or 'change'} {which}: {description[0].lower()}{description[1:]}"
    return Precondition(sql=sql, expect="no_row", error=error, rule=rule)


def _when_bindings(plan: ToolPlan, table: Table) -> list[ParamBinding]:
    from envscale.environments.values import kind_of

    types = {c.name: c for c in table.columns}
    out = []
    for b in plan.bindings:
        if b.role != "column" or b.column not in types:
            continue
        col = types[b.column]
        if col.type == "JSON":
            continue
        if col.format in _WHEN or kind_of(b.param) in _WHEN:
            out.append(b)
    return out


def booking_rule(
    plan: ToolPlan,
    table: Table,
    schema: SchemaModel,
    par: Callable[[str], str],
    key: ParamBinding | None,
) -> Precondition | None:
    """No second booking of the same resource at the same time (creates, and reschedules by key)."""
    nouns = set(plan.entity.split("_"))
    if not (plan.verb in _BOOKING_VERBS or nouns & _BOOKING_NOUNS):
        return None
    if plan.action not in ("create", "update") or (plan.action == "update" and key is None):
        return None
    whens = _when_bindings(plan, table)
    if plan.action == "create":
        whens = [b for b in whens if b.param in plan.required]
    refs = [b for b in plan.bindings if b.role == "ref" and b.column in table.column_names]
    if plan.action == "create":
        refs = [b for b in refs if b.param in plan.required]
    if not whens or not (refs or plan.action == "update"):
        return None
    if plan.action == "update":
        refs = [
            ParamBinding(param="", role="ref", table=fk.ref_table, column=fk.columns[0])
            for fk in table.foreign_keys
            if len(fk.columns) == 1
        ] or refs
        if not refs:
            return None
    things = [b for b in refs if not set(naming.words(b.table or "")) & {naming.plural(p) for p in _PEOPLE}]
    res = (things or refs)[0]
    t, pk = _q(table.name), _q(table.primary_key[0])
    res_noun = naming.singular((res.table or "resource").split("_")[-1])
    when_words = " and ".join(dict.fromkeys(w.column.replace("_", " ") for w in whens))  # type: ignore[union-attr]
    if plan.action == "create":
        conds = [f"o.{_q(res.column)} = ${par(res.param)}"]  # type: ignore[arg-type]
        conds += [f"o.{_q(w.column)} = ${par(w.param)}" for w in whens]  # type: ignore[arg-type]
        own = ""
    else:
        row = f"(SELECT {{col}} FROM {t} WHERE {pk} = ${par(key.param)})"  # type: ignore[union-attr]

        def current(col: str, param: str | None) -> str:
            base = row.format(col=_q(col))
            return f"coalesce(${par(param)}, {base})" if param else base

        res_param = next((b.param for b in plan.bindings if b.role == "ref" and b.column == res.column), None)
        conds = [f"o.{_q(res.column)} = {current(res.column, res_param)}"]  # type: ignore[arg-type]
        conds += [f"o.{_q(w.column)} = {current(w.column, w.param)}" for w in whens]  # type: ignore[arg-type]
        own = f" AND o.{pk} <> ${par(key.param)}"  # type: ignore[union-attr]
    if "status" in table.column_names:
        gone = [s for s in (table.column("status").enum or OPEN_STATUSES) if str(s).lower() in TERMINAL]
        if gone:
            conds.append(f"coalesce(o.\"status\", '') NOT IN ({', '.join(_sql_text(str(s)) for s in gone)})")
    sql = f"SELECT 1 FROM {t} AS o WHERE " + " AND ".join(conds) + own
    entities = naming.plural(plan.entity).replace("_", " ")
    description = (
        f"No double booking: two {entities} cannot hold the same {res_noun} at the same {when_words}."
    )
    subject = f"{res_noun} '{{{res.param}}}'" if plan.action == "create" and res.param else f"that {res_noun}"
    rule = BusinessRule(
        tool=plan.tool,
        kind="no_double_booking",
        description=description,
        table=table.name,
        columns=(res.column, *(w.column for w in whens)),  # type: ignore[misc]
        params=tuple(p for p in (res.param, *(w.param for w in whens)) if p),
    )
    error = f"{subject} is already booked at that {when_words}"
    return Precondition(sql=sql, expect="no_row", error=error, rule=rule)


def non_negative_rules(plan: ToolPlan, table: Table, par: Callable[[str], str]) -> list[Precondition]:
    """Balances, quantities and amounts the tool writes cannot be negative (unless its schema allows it)."""
    if plan.action not in ("create", "update"):
        return []
    out = []
    cols = {c.name: c for c in table.columns}
    for b in plan.bindings:
        col = cols.get(b.column or "")
        if b.role != "column" or col is None or col.type not in ("BIGINT", "DOUBLE"):
            continue
        if not set(naming.words(b.param)) & _NON_NEGATIVE:
            continue
        if col.minimum is not None:
            continue  # the schema already bounds it (or allows negatives on purpose)
        label = b.param.replace("_", " ")
        rule = BusinessRule(
            tool=plan.tool,
            kind="non_negative",
            description=f"The {label} cannot be negative.",
            table=table.name,
            columns=(b.column,),  # type: ignore[arg-type]
            params=(b.param,),
        )
        out.append(
            Precondition(
                sql=f"SELECT 1 WHERE ${par(b.param)} < 0",
                expect="no_row",
                error=f"{label} cannot be negative (got {{{b.param}}})",
                rule=rule,
            )
        )
    return out


def date_order_rules(plan: ToolPlan, table: Table, par: Callable[[str], str]) -> list[Precondition]:
    """A range the tool writes must end after it starts."""
    if plan.action not in ("create", "update"):
        return []
    from envscale.environments.values import kind_of

    types = {c.name: c for c in table.columns}

    def when(b: ParamBinding) -> bool:
        col = types.get(b.column or "")
        if col is None or col.type not in ("VARCHAR", "DATE", "TIMESTAMP"):
            return False  # numbers (a prime range 'start'/'end') are no dates
        return col.format in _WHEN or kind_of(b.param) in (*_WHEN, "birth_date")

    cols = {b.param: b for b in plan.bindings if b.role == "column" and when(b)}
    out = []
    for start, end in naming.range_pairs(list(cols)):
        s, e = f"${par(start)}", f"${par(end)}"
        ts = f"TRY_CAST(CAST({e} AS VARCHAR) AS TIMESTAMP) <= TRY_CAST(CAST({s} AS VARCHAR) AS TIMESTAMP)"
        tm = f"TRY_CAST(CAST({e} AS VARCHAR) AS TIME) <= TRY_CAST(CAST({s} AS VARCHAR) AS TIME)"
        a, b = start.replace("_", " "), end.replace("_", " ")
        rule = BusinessRule(
            tool=plan.tool,
            kind="date_order",
            description=f"The {b} must be after the {a}.",
            table=table.name,
            columns=(cols[start].column, cols[end].column),  # type: ignore[arg-type]
            params=(start, end),
        )
        out.append(
            Precondition(
                sql=f"SELECT 1 WHERE coalesce({ts}, {tm}, false)",
                expect="no_row",
                error=f"the {b} ({{{end}}}) must be after the {a} ({{{start}}})",
                rule=rule,
            )
        )
    return out


def rules_for(
    plan: ToolPlan,
    schema: SchemaModel,
    par: Callable[[str], str],
    *,
    cond: str | None = None,
    key: ParamBinding | None = None,
) -> list[Precondition]:
    """Every business-rule precondition of one rule-compiled create/update program."""
    table = schema.table(plan.table)
    out: list[Precondition] = []
    if cond is not None:
        st = state_rule(plan, table, cond, key)
        if st is not None:
            out.append(st)
    booking = booking_rule(plan, table, schema, par, key)
    if booking is not None:
        out.append(booking)
    out += non_negative_rules(plan, table, par)
    out += date_order_rules(plan, table, par)
    return out
