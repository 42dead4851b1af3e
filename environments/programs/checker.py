"""Static check of tool programs before they ever run.

Each statement is parsed with sqlglot (DuckDB dialect) and must be exactly one
SELECT/INSERT/UPDATE/DELETE over the environment's own tables, with no table
functions (read_csv, glob, ...), no file paths, no literals standing in for
argument values it should bind, and only known parameters. This is the first
wall; the sandboxed connection (``environments.sandbox``) is the second.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import sqlglot
from sqlglot import exp

from envscale.environments.programs.model import IMPLICIT_PARAMS, ToolProgram, sql_params
from envscale.errors import DataError

_ALLOWED_ROOTS = (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Insert, exp.Update, exp.Delete)
_WRITE_ROOTS = (exp.Insert, exp.Update, exp.Delete)
# Functions that reach outside the database or its own session state.
_FORBIDDEN_FUNCS = re.compile(
    r"^(read_|scan_|glob|parquet_|sniff_|iceberg_|delta_|sqlite_|postgres_|mysql_|query|query_table|getenv|"
    r"current_setting|duckdb_|pragma_|load|install|httpfs|ducklake_|which_secret|json_execute)",
    re.I,
)
# Functions that build one huge value inside a single call, where DuckDB's interrupt is not
# checked (list_sum(generate_series(1, 2e8)) runs ~90 s past an interrupt): refused outright.
_UNBOUNDED_FUNCS = re.compile(r"^(repeat|lpad|rpad|list_resize|array_resize|list_repeat|array_repeat)$", re.I)
# Series over a list's own length (range(1, len(ids) + 1)) are bounded by data already held;
# with a large literal or a caller-supplied bound they are refused like the functions above.
_SERIES_FUNCS = re.compile(r"^(generate_series|range)$", re.I)
_SERIES_LITERAL_MAX = 100_000


_LENGTH_FUNCS = {"LENGTH", "ARRAY_SIZE", "ARRAY_LENGTH", "LEN", "CARDINALITY"}


def _unbounded_call(node: exp.Expression, name: str) -> bool:
    if _UNBOUNDED_FUNCS.match(name):
        return True
    return bool(_SERIES_FUNCS.match(name)) and _unbounded_bound(node)


def _unbounded_bound(node: exp.Expression) -> bool:
    """A large numeric literal or a caller-supplied value outside a length() decides the series' size."""
    for child in node.iter_expressions():
        if isinstance(child, exp.Func) and child.sql_name() in _LENGTH_FUNCS:
            continue  # as long as a list already held
        if isinstance(child, exp.Parameter | exp.Placeholder):
            return True
        if isinstance(child, exp.Literal) and not child.is_string:
            try:
                if abs(float(child.this)) > _SERIES_LITERAL_MAX:
                    return True
            except ValueError:
                return True
        if _unbounded_bound(child):
            return True
    return False


_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


class ProgramError(DataError):
    """A program statement is not allowed; the message names the statement and the reason."""


def statement_params(sql: str) -> list[str]:
    """Named parameters ($name) a statement uses, in order of first use."""
    return list(dict.fromkeys(_PARAM.findall(sql)))


def check_statement(sql: str, tables: Iterable[str], *, write: bool) -> exp.Expression:
    """Parse one statement and enforce the rules; returns the parsed tree."""
    allowed = {t.lower() for t in tables}
    try:
        parsed = sqlglot.parse(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise ProgramError(f"does not parse: {str(exc).splitlines()[0]}: {sql!r}") from None
    parsed = [p for p in parsed if p is not None]
    if len(parsed) != 1:
        raise ProgramError(f"exactly one statement per string, got {len(parsed)}: {sql!r}")
    tree = parsed[0]
    roots = _WRITE_ROOTS if write else (exp.Select, exp.Union, exp.Intersect, exp.Except)
    if not isinstance(tree, roots):
        kinds = "INSERT/UPDATE/DELETE" if write else "SELECT"
        raise ProgramError(f"only {kinds} allowed here, got {tree.key.upper()}: {sql!r}")
    for node in tree.walk():
        if isinstance(
            node, exp.Command | exp.Pragma | exp.Attach | exp.Detach | exp.Copy | exp.Set | exp.Use
        ):
            raise ProgramError(f"{node.key.upper()} is not allowed: {sql!r}")
        if isinstance(node, exp.Returning):
            raise ProgramError(f"RETURNING is added by the runtime, do not write it: {sql!r}")
        if isinstance(node, exp.Anonymous | exp.Func) and not isinstance(node, exp.Column):
            name = node.name if isinstance(node, exp.Anonymous) else node.sql_name()
            if name and _FORBIDDEN_FUNCS.match(name):
                raise ProgramError(f"function {name} is not allowed: {sql!r}")
            if name and _unbounded_call(node, name):
                raise ProgramError(f"function {name} is not allowed (unbounded size in one call): {sql!r}")
        if isinstance(node, exp.Table):
            if node.args.get("db") or node.args.get("catalog"):
                raise ProgramError(f"qualified table names are not allowed ({node.sql()}): {sql!r}")
            inner = node.this
            if not isinstance(inner, exp.Identifier):
                # A table function (read_csv(...)) or a string path ('/etc/passwd').
                raise ProgramError(f"only the environment's tables may be read, not {node.sql()}: {sql!r}")
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        name = table.name.lower()
        if name not in allowed and name not in ctes:
            raise ProgramError(f"table {table.name!r} is not one of the environment's tables: {sql!r}")
    return tree


def runtime_refusal(sql: str) -> str | None:
    """Why the runtime must not run ``sql`` (forbidden or unbounded functions), or None.

    The runtime applies this when a program is loaded, whether or not ``check_program`` ran.
    """
    try:
        parsed = [p for p in sqlglot.parse(sql, read="duckdb") if p is not None]
    except sqlglot.errors.ParseError:
        return None  # DuckDB's own parser (sandbox.statement_refusal) reports it
    for tree in parsed:
        for node in tree.walk():
            if isinstance(node, exp.Anonymous | exp.Func) and not isinstance(node, exp.Column):
                name = node.name if isinstance(node, exp.Anonymous) else node.sql_name()
                if name and (_FORBIDDEN_FUNCS.match(name) or _unbounded_call(node, name)):
                    return f"function {name} is not allowed"
            if isinstance(node, exp.Table) and not isinstance(node.this, exp.Identifier):
                return f"only the environment's tables may be read, not {node.sql()}"
    return None


def written_table(tree: exp.Expression) -> str:
    target = tree.this if not isinstance(tree, exp.Insert) else tree.this
    if isinstance(target, exp.Schema):
        target = target.this
    return target.name.lower()


def check_program(program: ToolProgram, tables: Iterable[str], parameters: dict) -> None:
    """Raise ProgramError unless every statement of the program is allowed."""
    tables = list(tables)
    props = set(sql_params((parameters or {}).get("properties", {})).values())
    known = props | set(IMPLICIT_PARAMS)
    if program.kind == "read" and program.writes:
        raise ProgramError(f"{program.name}: a read program must not write")
    if program.kind == "write" and not program.writes:
        raise ProgramError(f"{program.name}: a write program needs at least one write statement")
    if program.kind == "read" and not program.result:
        raise ProgramError(f"{program.name}: a read program needs a result query")
    for pre in program.preconditions:
        check_statement(pre.sql, tables, write=False)
    for stmt in program.writes:
        tree = check_statement(stmt.sql, tables, write=True)
        target = written_table(tree)
        if target != stmt.table.lower():
            raise ProgramError(f"{program.name}: statement writes {target}, declared {stmt.table}")
    if program.result:
        check_statement(program.result, tables, write=False)
    for sql in program.statements():
        unknown = [p for p in statement_params(sql) if p not in known]
        if unknown:
            raise ProgramError(f"{program.name}: unknown parameters {unknown} in {sql!r}")
