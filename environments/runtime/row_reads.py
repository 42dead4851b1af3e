"""Reads answered from the episode's own rows in Python, without a DuckDB statement.

An episode already holds every row it can see (the environment's base rows plus
its overlay of written rows, kept for the incremental hash). A statement that
only filters one table by equalities (``SELECT cols FROM t WHERE c = $p AND
s IN ('a', 'b') [ORDER BY key] [LIMIT n]``, and the ``$p IS NULL OR ...`` and
``SELECT 1 WHERE $p IS NULL UNION ALL ...`` forms the rule compiler writes) is
planned once, when the program is compiled, and evaluated on those rows: some
microseconds, where each DuckDB statement costs at least 0.2 ms (issue 16 item 5).

Anything else runs in DuckDB as before. So does a call whose bound value does
not have the column's exact Python type: DuckDB would cast it, and matching its
casts here is not worth the risk; ``UNDECIDED`` says so and the caller falls back.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp

from envscale.environments.schema.model import SchemaModel

# Column types whose values compare with Python's == exactly as DuckDB compares them.
_PYTHON_TYPE = {
    "VARCHAR": str,
    "TEXT": str,
    "BOOLEAN": bool,
    **dict.fromkeys(("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UINTEGER", "UBIGINT"), int),
}

UNDECIDED = object()  # a bound value of another type: DuckDB decides (it would cast)


@dataclass(frozen=True)
class Term:
    """One conjunct: ``column = value`` or ``column IN (literals)``; optional when ``$unless_null`` is null."""

    column: int
    param: str | None = None  # compared with this bound parameter ...
    literals: tuple[Any, ...] = ()  # ... or with any of these constants
    unless_null: str | None = None  # ($p IS NULL OR ...): the term holds while $p is null


@dataclass(frozen=True)
class RowFilter:
    """A planned single-table filter; ``columns`` () means ``SELECT 1`` (existence only)."""

    table: str
    value_type: tuple[type, ...]  # per column: the Python type its equality needs (object: not comparable)
    terms: tuple[Term, ...]
    columns: tuple[int, ...]  # the projected columns, in output order
    names: tuple[str, ...]  # output names
    types: tuple[str, ...]  # their declared types (JSON values are parsed for the agent)
    order_by_key: bool = False
    limit: int | None = None
    true_when_null: str | None = None  # SELECT 1 WHERE $p IS NULL UNION ALL <filter>
    key_column: int | None = None  # the single-column primary key, for point lookups


class TableRows:
    """One table as an episode sees it: base rows (in DuckDB's scan order) with the overlay on top."""

    def __init__(
        self, base: dict[tuple, tuple], overlay: dict[tuple, tuple | None], index: BaseIndex
    ) -> None:
        self.base, self.overlay, self.index = base, overlay, index

    def current(self, key: tuple) -> tuple | None:
        if key in self.overlay:
            return self.overlay[key]
        return self.base.get(key)

    def scan(self, keys: list[tuple] | None = None) -> Iterator[tuple]:
        """Current rows in scan order: base positions first, then rows the episode inserted."""
        if keys is None:
            for key, row in self.base.items():
                current = self.overlay.get(key, row)  # a deleted row is stored as None
                if current is not None:
                    yield current
        else:
            # The base rows holding the value, and every base row the episode rewrote (it may hold it now).
            order = self.index.positions()
            wanted = set(keys) | {k for k in self.overlay if k in order}
            for key in sorted(wanted, key=order.__getitem__):
                current = self.current(key)
                if current is not None:
                    yield current
        for key, current in self.overlay.items():
            if current is not None and key not in self.base:
                yield current


class BaseIndex:
    """Lazily built lookups over one table's base rows (they never change within a process)."""

    def __init__(self, base: dict[tuple, tuple]) -> None:
        self._base = base
        self._by_column: dict[int, dict[Any, list[tuple]]] = {}
        self._positions: dict[tuple, int] | None = None

    def keys_with(self, column: int, value: Any) -> list[tuple]:
        table = self._by_column.get(column)
        if table is None:
            table = {}
            for key, row in self._base.items():
                table.setdefault(row[column], []).append(key)
            self._by_column[column] = table  # built whole, then published: safe across threads
        return table.get(value, [])

    def positions(self) -> dict[tuple, int]:
        if self._positions is None:
            self._positions = {key: i for i, key in enumerate(self._base)}
        return self._positions


def matching(f: RowFilter, rows: TableRows, params: dict[str, Any]) -> list[tuple] | object:
    """The current rows ``f`` selects (projected later), or UNDECIDED."""
    for term in f.terms:
        if term.param is not None:
            value = params.get(term.param)
            if value is not None and type(value) is not f.value_type[term.column]:
                return UNDECIDED
    point = _point_key(f, params)
    if point is not None:
        row = rows.current(point) if point != () else None
        candidates: Iterator[tuple] = iter(() if row is None else (row,))
    else:
        narrow = _narrowing_term(f, params)
        keys = None if narrow is None else rows.index.keys_with(narrow[0], narrow[1])
        candidates = rows.scan(keys)
    out = [row for row in candidates if all(_holds(t, row, params) for t in f.terms)]
    if f.order_by_key and f.key_column is not None:
        out.sort(key=lambda r: r[f.key_column])
    return out[: f.limit] if f.limit is not None else out


def exists(f: RowFilter, rows: TableRows, params: dict[str, Any]) -> bool | object:
    if f.true_when_null is not None and params.get(f.true_when_null) is None:
        return True
    found = matching(f, rows, params)
    return found if found is UNDECIDED else bool(found)


def _point_key(f: RowFilter, params: dict[str, Any]) -> tuple | None:
    """(value,) when a mandatory term pins the primary key; () when it pins it to NULL (no row)."""
    for t in f.terms:
        if t.column == f.key_column and t.unless_null is None and t.param is not None:
            value = params.get(t.param)
            return () if value is None else (value,)
    return None


def _narrowing_term(f: RowFilter, params: dict[str, Any]) -> tuple[int, Any] | None:
    for t in f.terms:
        if t.unless_null is None and t.param is not None and params.get(t.param) is not None:
            return t.column, params[t.param]
        if t.unless_null is None and len(t.literals) == 1:
            return t.column, t.literals[0]
    return None


def _holds(t: Term, row: tuple, params: dict[str, Any]) -> bool:
    if t.unless_null is not None and params.get(t.unless_null) is None:
        return True
    value = row[t.column]
    if value is None:
        return False  # NULL = anything is not true
    if t.param is not None:
        return value == params.get(t.param)
    return value in t.literals


# -- planning ----------------------------------------------------------------------------


# A function call or a subquery ('json_extract(', 'FROM (SELECT'): not a plain filter, and
# sqlglot would take ~10 ms to parse τ-bench's large statements only to say so.
_CALL = re.compile(r"\b(?!(?:cast|in|and|or|not|where)\b)[a-z_][a-z0-9_]*\s*\(", re.I)


def plan(sql: str, schema: SchemaModel) -> RowFilter | None:
    """A RowFilter for ``sql``, or None when it is not one (then DuckDB runs it)."""
    if len(sql) > 2000 or _CALL.search(sql):
        return None
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except (sqlglot.errors.SqlglotError, ValueError, RecursionError):
        return None  # planning is only a shortcut: what it cannot read, DuckDB runs (and judges)
    if isinstance(tree, exp.Union):
        return _plan_null_union(tree, schema)
    return _plan_select(tree, schema) if isinstance(tree, exp.Select) else None


def _plan_null_union(tree: exp.Union, schema: SchemaModel) -> RowFilter | None:
    left, right = tree.this, tree.expression
    if tree.args.get("distinct") or not isinstance(left, exp.Select) or not isinstance(right, exp.Select):
        return None
    if set(_used_args(left)) != {"expressions", "where"} or not _is_one(left.expressions):
        return None
    param = _null_test(left.args["where"].this)
    inner = _plan_select(right, schema)
    if param is None or inner is None or inner.columns != ():
        return None
    return dataclasses.replace(inner, true_when_null=param)


def _plan_select(tree: exp.Select, schema: SchemaModel) -> RowFilter | None:
    if not set(_used_args(tree)) <= {"expressions", "from_", "where", "order", "limit"}:
        return None
    source = tree.args.get("from_")
    if (
        source is None
        or not isinstance(source.this, exp.Table)
        or not isinstance(source.this.this, exp.Identifier)
    ):
        return None
    try:
        table = schema.table(source.this.name)
    except KeyError:
        return None
    names = [c.name for c in table.columns]
    aliases = {source.this.name.lower(), source.this.alias_or_name.lower()}
    resolve = _resolver(names, aliases)
    types = tuple(_PYTHON_TYPE.get(c.type.upper(), object) for c in table.columns)
    projection = _projection(tree.expressions, resolve, names)
    terms = _terms(tree.args.get("where"), resolve, types)
    if projection is None or terms is None:
        return None
    key = names.index(table.primary_key[0]) if len(table.primary_key) == 1 else None
    order = _order_by_key(tree.args.get("order"), resolve, key)
    limit = _limit(tree.args.get("limit"))
    if order is None or limit is False:
        return None
    columns, out_names = projection
    return RowFilter(
        table=table.name,
        value_type=types,
        terms=terms,
        columns=columns,
        names=out_names,
        types=tuple(table.columns[i].type for i in columns),
        order_by_key=order,
        limit=limit,  # type: ignore[arg-type]
        key_column=key,
    )


def _used_args(tree: exp.Expression) -> list[str]:
    return [k for k, v in tree.args.items() if v not in (None, [], False)]


def _is_one(expressions: list[exp.Expression]) -> bool:
    return len(expressions) == 1 and isinstance(expressions[0], exp.Literal) and expressions[0].this == "1"


def _resolver(names: list[str], aliases: set[str]):
    lowered = {n.lower(): i for i, n in enumerate(names)}

    def resolve(node: exp.Expression) -> int | None:
        if not isinstance(node, exp.Column) or not isinstance(node.this, exp.Identifier):
            return None
        if node.table and node.table.lower() not in aliases:
            return None
        ident = node.this
        if ident.quoted:
            return names.index(ident.this) if ident.this in names else None
        return lowered.get(ident.this.lower())

    return resolve


def _projection(items: list[exp.Expression], resolve, names: list[str]):
    if len(items) == 1 and isinstance(items[0], exp.Star):
        return tuple(range(len(names))), tuple(names)
    if _is_one(items):
        return (), ("1",)
    columns, out = [], []
    for item in items:
        alias = item.alias if isinstance(item, exp.Alias) else None
        col = resolve(item.this if isinstance(item, exp.Alias) else item)
        if col is None:
            return None
        columns.append(col)
        out.append(alias or names[col])
    return tuple(columns), tuple(out)


def _conjuncts(node: exp.Expression) -> list[exp.Expression]:
    node = node.unnest() if isinstance(node, exp.Paren) else node
    if isinstance(node, exp.And):
        return _conjuncts(node.this) + _conjuncts(node.expression)
    return [node]


def _terms(where: exp.Where | None, resolve, types: tuple[type, ...]) -> tuple[Term, ...] | None:
    if where is None:
        return ()
    terms = []
    for node in _conjuncts(where.this):
        term = _term(node, resolve, types)
        if term is None:
            return None
        terms.append(term)
    return tuple(terms)


def _term(node: exp.Expression, resolve, types: tuple[type, ...]) -> Term | None:
    if isinstance(node, exp.Or):
        param = _null_test(node.this)
        inner = _term(_unparen(node.expression), resolve, types)
        if param is None or inner is None or inner.unless_null is not None or inner.param != param:
            return None
        return Term(column=inner.column, param=inner.param, unless_null=param)
    if isinstance(node, exp.In) and not node.args.get("query"):
        col = resolve(node.this)
        values = [_literal(v) for v in node.expressions]
        if col is None or not values or any(v is None or type(v) is not types[col] for v in values):
            return None
        return Term(column=col, literals=tuple(values))
    if not isinstance(node, exp.EQ):
        return None
    col, other = resolve(node.this), node.expression
    if col is None:
        col, other = resolve(node.expression), node.this
    if col is None or types[col] is object:
        return None
    param = _parameter(other, types[col])
    if param is not None:
        return Term(column=col, param=param)
    value = _literal(other)
    if value is None or type(value) is not types[col]:
        return None
    return Term(column=col, literals=(value,))


def _unparen(node: exp.Expression) -> exp.Expression:
    return node.unnest() if isinstance(node, exp.Paren) else node


def _parameter(node: exp.Expression, column_type: type) -> str | None:
    """``$p``, or ``CAST($p AS VARCHAR)`` against a text column (the compiler's text comparison)."""
    if isinstance(node, exp.Cast) and column_type is str and node.to.is_type(*exp.DataType.TEXT_TYPES):
        node = node.this
    if isinstance(node, exp.Placeholder) and isinstance(node.this, str):
        return node.this
    return None


def _null_test(node: exp.Expression) -> str | None:
    node = _unparen(node)
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
        return _parameter(node.this, object)
    return None


def _literal(node: exp.Expression) -> Any:
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.this
        try:
            return int(node.this)
        except ValueError:
            return None  # a float: DuckDB compares decimals, leave it to DuckDB
    return None


def _order_by_key(order: exp.Order | None, resolve, key: int | None) -> bool | None:
    """False without ORDER BY, True for ORDER BY the single key ascending, None for anything else."""
    if order is None:
        return False
    items = order.expressions
    if len(items) != 1 or key is None or items[0].args.get("desc") or resolve(items[0].this) != key:
        return None
    return True


def _limit(limit: exp.Limit | None) -> int | None | bool:
    if limit is None:
        return None
    value = _literal(limit.expression)
    return value if type(value) is int and value >= 0 else False


__all__ = ["UNDECIDED", "BaseIndex", "RowFilter", "TableRows", "exists", "matching", "plan"]
