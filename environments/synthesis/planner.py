"""Goal-directed blueprints: pick what the user wants, then back-chain how an agent gets there.

A goal is a write (cancel, book, update, ...) or a question a read answers, on
a real row of the episode's state. Each id the goal needs is either a fact the
user holds (``knowledge``: their own number, a receipt's number) or is found
with the environment's read tools: a read whose result holds the id, called
with values the user knows, and, when it returns several rows, a detail the
user gives to tell theirs apart ("the one on 2024-06-03"). Reads come before
the writes they justify: the customer's own record first, then the lookups,
then a read of the target itself, then the write. A share of goals asks for
what a business rule forbids: the write would be refused, so the gold
trajectory reads, finds the rule, and explains (the state stays unchanged).

Every planned call runs on the episode, so a blueprint is true by
construction: each lookup's result holds the value the next call consumes.
"""

from __future__ import annotations

import datetime
import decimal
import random
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from envscale.environments.arguments import violating_arguments
from envscale.environments.manifest import EnvironmentManifest
from envscale.environments.programs.model import ToolProgram
from envscale.environments.runtime.contracts import EnvTool, Episode
from envscale.environments.synthesis.asks import request_from_description
from envscale.environments.synthesis.blueprints import SamplerConfig, coerce_to_param
from envscale.environments.synthesis.knowledge import (
    ACCOUNT_ENTITIES,
    RECEIPT_ENTITIES,
    action_of,
    entity,
    fact_kind,
    is_identifier,
    noun,
)
from envscale.environments.synthesis.records import Blueprint, Goal, GoldCall, UserFact
from envscale.environments.synthesis.values import scalars
from envscale.environments.values import kind_of, order_ranges, value_for
from envscale.hashing import content_hash

Tables = dict[str, list[dict[str, Any]]]
OpenScratch = Callable[[], Any]  # a context manager yielding a fresh episode (to probe a refusal)

_MAX_DEPTH = 2  # lookups chained to find one id
_DETAIL_PREFERENCE = (
    "date",
    "time",
    "start",
    "title",
    "name",
    "subject",
    "city",
    "amount",
    "total",
    "status",
)


class _PlanFailed(Exception):
    """This goal cannot be planned on this row (the reason becomes a dropped blueprint's reason)."""


@dataclass
class _Plan:
    calls: list[GoldCall] = field(default_factory=list)
    facts: list[UserFact] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    seen: dict[str, GoldCall] = field(default_factory=dict)  # call key → executed call

    def fact(self, name: str, value: Any, kind: str, about: str | None, goal: int) -> None:
        if any(f.name == name and f.value == value for f in self.facts):
            return
        self.facts.append(UserFact(name=name, value=value, kind=kind, about=about, goal=goal))  # type: ignore[arg-type]


class GoalPlanner:
    """Plans goal-directed blueprints on one environment (state read once, episodes fresh per plan)."""

    def __init__(self, manifest: EnvironmentManifest, tables: Tables, config: SamplerConfig) -> None:
        self.manifest = manifest
        self.tables = tables
        self.config = config
        self.tools = {t.name: t for t in manifest.tools}
        self.programs = {p.name: p for p in manifest.programs if p.name in self.tools}
        self.keys = {t.name: tuple(t.primary_key) for t in manifest.db_schema.tables}
        self.customers_own = _customers_own(manifest)

    # -- the goal ----------------------------------------------------------------------------
    def goal_programs(self) -> list[ToolProgram]:
        """Tools a customer's request can be about: writes, and reads that answer about one thing.

        A read without arguments ('list all customers') serves the agent's lookups, not a request.
        """
        out = []
        for p in self.programs.values():
            required = (self.tools[p.name].parameters or {}).get("required") or []
            if self._main_table(p) in self.tables and (p.kind == "write" or required):
                out.append(p)
        return out

    def plan(
        self, episode: Episode, rng: random.Random, *, seed: int = 0, open_scratch: OpenScratch | None = None
    ) -> Blueprint:
        env_id = self.manifest.env_id
        candidates = self.goal_programs()
        if not candidates:
            return _dropped(env_id, seed, "no_goal: no tool works on a table with rows", [])
        n_goals = 1 + sum(rng.random() < self.config.multi_goal_share for _ in range(2))
        plan = _Plan()
        account: dict[str, Any] = {}  # the customer of the first goal: later goals stay with them
        reason = None
        for index in range(n_goals):
            pool = [p for p in candidates if all(g.tool != p.name for g in plan.goals)]
            if account:  # later goals are the same customer's: only tools over their rows
                pool = [p for p in pool if self._owned(self._main_table(p), account)]
            if not pool:
                break
            weights = [3.0 if p.kind == "write" else 1.0 for p in pool]
            program = rng.choices(pool, weights=weights)[0]
            refuse = (
                program.kind == "write"
                and open_scratch is not None
                and rng.random() < self.config.refusal_share
            )
            try:
                self._plan_goal(episode, program, plan, index, rng, account, refuse, open_scratch)
            except _PlanFailed as exc:
                if index == 0:
                    reason = str(exc)
                break  # a second goal that does not plan leaves a one-goal task
        if reason is None and not plan.goals:
            reason = "no_goal: nothing planned"
        if (
            reason is None
            and len(plan.calls) < self.config.min_calls
            and not any(g.refused for g in plan.goals)
        ):
            reason = f"too_short: {len(plan.calls)} call(s), min {self.config.min_calls}"
        if reason is not None:
            return _dropped(env_id, seed, reason, plan.calls)
        return Blueprint.recorded(
            env_id,
            plan.calls,
            episode,
            goals=tuple(plan.goals),
            seed=seed,
            planner="goal",
            facts=tuple(plan.facts),
        )

    def _plan_goal(
        self,
        episode: Episode,
        program: ToolProgram,
        plan: _Plan,
        index: int,
        rng: random.Random,
        account: dict[str, Any],
        refuse: bool,
        open_scratch: OpenScratch | None,
    ) -> None:
        table = self._main_table(program)
        rows = self._rows_for(table, account)
        if not rows:
            raise _PlanFailed(f"no_goal: {program.name}: no row in {table}")
        tool = self.tools[program.name]
        tries = rows[:]
        rng.shuffle(tries)
        refused: str | None = None
        in_request = False  # the refusal shows in the request itself (a stay that ends before it starts)
        target, args = None, {}
        for row in tries[:8]:
            args = self._goal_arguments(tool, program, table, row, rng)
            if program.kind == "read" or open_scratch is None:
                target = row
                break
            # Probe the write on a scratch episode: a request the rules allow, or (refuse) one they forbid.
            outcome = _probe(open_scratch, program.name, args)
            if refuse and outcome == "allowed":
                mistaken = _mistaken_request(program, self.manifest, args, open_scratch)
                if mistaken is not None:
                    (args, refused), in_request, target = mistaken, True, row
                    break
            if (outcome == "allowed") != refuse and (outcome != "failed" or not refuse):
                refused = outcome if refuse else None
                target = row
                break
        if target is None:
            what = "refusal_not_found" if refuse else "no_goal"
            raise _PlanFailed(
                f"{what}: {program.name}: no row tried {'is refused' if refuse else 'is allowed'}"
            )
        mark = len(plan.calls), len(plan.facts)
        try:
            # The customer first (their number, then their record), then what the goal needs.
            accounts = [n for n in args if self._kind(program, n) == "account"]
            for name in [*accounts, *(n for n in args if n not in accounts)]:
                self._learn(episode, plan, tool, program, name, args[name], target, index, rng, depth=0)
                if name in accounts:
                    self._identify(episode, plan, program, name, args[name])
            self._check_read(episode, plan, program, args)
            about = noun(table) if table else None
            action = action_of(program.name, program.kind, program.action)
            if refused:
                if not in_request and not any(c.kind == "read" for c in plan.calls[mark[0] :]):
                    raise _PlanFailed(f"refusal_unjustified: {program.name}: no read shows the rule")
                plan.goals.append(
                    Goal(
                        tool=program.name,
                        action=action,
                        about=about,
                        arguments=args,
                        refused=refused,
                        mine=table in self.customers_own,
                    )
                )
                return
            call = (
                self._call(episode, plan, tool, args)
                if tool.kind == "read"
                else _execute(episode, tool, args)
            )
            if tool.kind == "write":
                plan.calls.append(call)
            plan.goals.append(
                Goal(
                    tool=program.name,
                    action=action,
                    about=about,
                    arguments=args,
                    asks=request_from_description(tool.description, tool.name),
                    mine=table in self.customers_own,
                )
            )
            self._remember_account(tool, args, target, account)
        except _PlanFailed:
            del plan.calls[mark[0] :]
            del plan.facts[mark[1] :]
            raise

    def _goal_arguments(
        self, tool: EnvTool, program: ToolProgram, table: str | None, row: dict[str, Any], rng: random.Random
    ) -> dict[str, Any]:
        """The goal call's arguments: ids and filters from the target row, new values generated."""
        props = (tool.parameters or {}).get("properties") or {}
        required = set((tool.parameters or {}).get("required") or [])
        bindings = {b.param: b for b in program.bindings}
        has_key = any(b.role == "key" for b in program.bindings)
        args: dict[str, Any] = {}
        for name, schema in props.items():
            schema = schema if isinstance(schema, dict) else {}
            binding = bindings.get(name)
            from_row = _row_value(row, name, binding.column if binding else None)
            if is_identifier(name) or (binding is not None and binding.role in ("key", "ref")):
                if binding is not None and binding.role == "ref" and has_key and program.kind == "write":
                    from_row = None  # a reference next to the key is the new value (assign to another agent)
                if from_row is None:
                    from_row = self._any_ref(binding.table if binding else None, name, rng)
                if from_row is None:
                    if name in required:
                        raise _PlanFailed(f"unreachable: {program.name}: no value for {name}")
                    continue
                args[name] = _coerce(from_row, schema)
            elif name in required or rng.random() < self.config.optional_probability:
                if binding is not None and binding.role == "control" and name not in required:
                    continue
                if program.kind == "read" and from_row is not None:
                    args[name] = _coerce(from_row, schema)  # a filter the row matches
                elif name in required or program.kind == "write":
                    args[name] = self._real_ids(value_for(name, schema, rng), rng)
        order_ranges(args, rng, props)  # check-out after check-in, end after start
        return args

    def _real_ids(self, value: Any, rng: random.Random) -> Any:
        """Ids inside generated objects (an order's items) taken from the rows they name, where a table has
        them: a customer orders a product that exists, not a random word."""
        if isinstance(value, list):
            return [self._real_ids(v, rng) for v in value]
        if not isinstance(value, dict):
            return value
        out = {}
        for key, item in value.items():
            known = (
                self._any_ref(None, key, rng) if is_identifier(key) and not isinstance(item, dict) else None
            )
            out[key] = known if known is not None else self._real_ids(item, rng)
        return out

    # -- how the agent learns a value ----------------------------------------------------------
    def _learn(
        self,
        episode: Episode,
        plan: _Plan,
        tool: EnvTool,
        program: ToolProgram,
        name: str,
        value: Any,
        row: dict[str, Any],
        goal: int,
        rng: random.Random,
        *,
        depth: int,
    ) -> None:
        """Make ``value`` of argument ``name`` known: already returned, stated by the user, or looked up."""
        if isinstance(value, bool):
            return  # a yes/no is worded, not stated as a value
        ref_table = self._ref_table(program, name)
        is_ref = ref_table is not None or is_identifier(name)
        if is_ref and _returned(plan, value):
            return  # an earlier result holds it: the agent has it
        kind = fact_kind(name, ref_table)
        main = self._main_table(program) or ""
        # What the fact describes: the record an id names, else the row the tool filters ('the product
        # whose keyword is ...', not 'my keyword whose keyword is ...').
        about = noun(ref_table) if ref_table else noun(main) if main and not is_ref else entity(name)
        if not is_ref and program.kind == "write":
            kind, about = "detail", noun(main)  # a new value the user wants written, whatever its name
        elif kind == "personal" and entity(main) not in ACCOUNT_ENTITIES:
            kind = "detail"  # a hotel's city describes the hotel, not the user
        if kind in ("personal", "detail"):
            column = self._system_value(program, name, value)
            if (
                column is not None
                and depth < _MAX_DEPTH
                and self._look_up(episode, plan, column, value, main, goal, rng, depth, besides=program.name)
            ):
                return  # a code the system made (a SKU, a slug): found through a read, as an id is
            plan.fact(name, value, kind, about, goal)
            return
        lookup = kind == "internal" or rng.random() < self.config.lookup_share
        if (
            lookup
            and depth < _MAX_DEPTH
            and self._look_up(episode, plan, name, value, ref_table, goal, rng, depth)
        ):
            return
        if kind == "internal":
            raise _PlanFailed(
                f"unreachable: {program.name}: no read tool finds {name} from what the user knows"
            )
        plan.fact(name, value, kind, about, goal)

    def _system_value(self, program: ToolProgram, name: str, value: Any) -> str | None:
        """The column a read filters on when its value is one the system made rather than one a person
        says (a SKU, a product code: text no field meaning covers), else None."""
        required = (self.tools[program.name].parameters or {}).get("required") or []
        if program.kind != "read" or name not in required:
            return None  # an optional filter the user did not ask for is never looked up
        if not isinstance(value, str) or kind_of(name) is not None:
            return None
        binding = next((b for b in program.bindings if b.param == name), None)
        if binding is None or binding.role != "column" or binding.table != self._main_table(program):
            return None
        return binding.column

    def _look_up(
        self,
        episode: Episode,
        plan: _Plan,
        name: str,
        value: Any,
        table: str | None,
        goal: int,
        rng: random.Random,
        depth: int,
        besides: str | None = None,
    ) -> bool:
        """Call a read whose result holds ``value``, with inputs the user knows; True when one does.
        ``besides``: a tool not to use (the goal's own, which would only ask for the value again)."""
        table = table or self._table_of(name)
        if table is None:
            return False
        target = self._row_with(table, name, value)
        if target is None:
            return False
        readers = [
            p
            for p in self.programs.values()
            if p.kind == "read" and self._main_table(p) == table and p.name != besides
        ]
        rng.shuffle(readers)
        for reader in readers:
            tool = self.tools[reader.name]
            args = self._reader_arguments(tool, reader, target, exclude=value)
            if args is None:
                continue
            mark = len(plan.calls), len(plan.facts)
            try:
                for arg, arg_value in args.items():
                    self._learn(
                        episode, plan, tool, reader, arg, arg_value, target, goal, rng, depth=depth + 1
                    )
                call = self._call(episode, plan, tool, args)
            except _PlanFailed:
                del plan.calls[mark[0] :]
                del plan.facts[mark[1] :]
                continue
            found = _rows(call.result)
            if not any(_norm(value) in {_norm(v) for v in scalars(r)} for r in found):
                del plan.calls[mark[0] :]
                del plan.facts[mark[1] :]
                continue
            if len(found) > 1:
                # Never the looked-up value itself: the user says something else about the row.
                detail = _distinguishing(target, found, (*self.keys.get(table, ()), name))
                if detail is None:
                    del plan.calls[mark[0] :]
                    del plan.facts[mark[1] :]
                    continue
                # Telling one's own record apart is a fact about oneself ('my name is Ada').
                mine = entity(table) in ACCOUNT_ENTITIES and fact_kind(detail[0]) == "personal"
                plan.fact(detail[0], detail[1], "personal" if mine else "detail", noun(table), goal)
            return True
        return False

    def _reader_arguments(
        self, tool: EnvTool, reader: ToolProgram, target: dict[str, Any], *, exclude: Any
    ) -> dict[str, Any] | None:
        """A read's required arguments from the target row, or None when it needs what we are looking for."""
        params = tool.parameters or {}
        props = params.get("properties") or {}
        bindings = {b.param: b for b in reader.bindings}
        args: dict[str, Any] = {}
        for name in params.get("required") or []:
            binding = bindings.get(name)
            value = _row_value(target, name, binding.column if binding else None)
            if value is None or _norm(value) == _norm(exclude):
                return None
            args[name] = _coerce(value, props.get(name) if isinstance(props.get(name), dict) else {})
        return args

    def _check_read(self, episode: Episode, plan: _Plan, program: ToolProgram, args: dict[str, Any]) -> None:
        """Before a write, read what it is about: a read that takes only values the write already has."""
        if program.kind != "write":
            return
        table = self._main_table(program)
        readers = []
        for reader in self.programs.values():
            required = list((self.tools[reader.name].parameters or {}).get("required") or [])
            usable = reader.kind == "read" and required and all(r in args for r in required)
            if usable and any(is_identifier(r) for r in required):
                readers.append((self._main_table(reader) == table, len(required), reader.name, required))
        for *_, name, required in sorted(readers, reverse=True):
            try:
                self._call(episode, plan, self.tools[name], {r: args[r] for r in required})
                return
            except _PlanFailed:
                continue  # this read does not answer for these values; try the next

    def _identify(self, episode: Episode, plan: _Plan, program: ToolProgram, name: str, value: Any) -> None:
        """Open the customer's own record (as an agent checks who it is talking to), when a read does it."""
        table = self._ref_table(program, name) or self._table_of(name)
        for reader in self.programs.values():
            required = list((self.tools[reader.name].parameters or {}).get("required") or [])
            same = reader.kind == "read" and self._main_table(reader) == table and required == [name]
            if same and reader.name != program.name:
                try:
                    self._call(episode, plan, self.tools[reader.name], {name: value})
                except _PlanFailed:
                    continue
                return

    def _kind(self, program: ToolProgram, name: str) -> str:
        return fact_kind(name, self._ref_table(program, name))

    def _ref_table(self, program: ToolProgram, name: str) -> str | None:
        binding = next((b for b in program.bindings if b.param == name), None)
        if binding is not None:
            return binding.table if binding.role in ("key", "ref") else None
        # Hand-written programs declare no bindings: an id names its table ('order_id' → orders).
        return self._table_of(name) if is_identifier(name) else None

    def _call(self, episode: Episode, plan: _Plan, tool: EnvTool, args: dict[str, Any]) -> GoldCall:
        key = content_hash({"tool": tool.name, "args": args})
        if key in plan.seen:
            return plan.seen[key]
        call = _execute(episode, tool, args)
        plan.calls.append(call)
        plan.seen[key] = call
        return call

    # -- rows ------------------------------------------------------------------------------------
    def _main_table(self, program: ToolProgram) -> str | None:
        """The table a tool is about: declared, its key's, the first it writes, or the one it reads."""
        if program.table:
            return program.table
        for b in program.bindings:
            if b.role == "key" and b.table:
                return b.table
        if program.writes:
            return program.writes[0].table
        found = _FROM.search(program.result or "")
        return found.group(1) if found and found.group(1) in self.tables else None

    def _owned(self, table: str | None, account: dict[str, Any]) -> bool:
        """Whether ``table`` has rows of this customer (a column holding their number)."""
        rows = self.tables.get(table or "", [])
        return any(all(r.get(k) == v for k, v in account.items()) for r in rows)

    def _rows_for(self, table: str | None, account: dict[str, Any]) -> list[dict[str, Any]]:
        rows = self.tables.get(table or "", [])
        mine = [r for r in rows if account and all(r.get(k) == v for k, v in account.items() if k in r)]
        return mine if mine and any(k in rows[0] for k in account) else rows

    def _remember_account(
        self, tool: EnvTool, args: dict[str, Any], row: dict[str, Any], account: dict[str, Any]
    ) -> None:
        if account:
            return
        for name, value in {**row, **args}.items():
            if fact_kind(name) == "account" and value is not None:
                account[name] = value
                return

    def _row_with(self, table: str, name: str, value: Any) -> dict[str, Any] | None:
        keys = self.keys.get(table, ())
        for row in self.tables.get(table, []):
            for column in (name, *keys):
                if column in row and _norm(row[column]) == _norm(value):
                    return row
        return None

    def _table_of(self, name: str) -> str | None:
        about = entity(name)
        for table in self.tables:
            if entity(table) == about:
                return table
        return None

    def _any_ref(self, table: str | None, name: str, rng: random.Random) -> Any:
        table = table or self._table_of(name)
        rows = self.tables.get(table or "", [])
        if not rows:
            return None
        row = rng.choice(rows)
        return _row_value(row, name, None) or next(
            (row[k] for k in self.keys.get(table or "", ()) if k in row), None
        )


def load_tables(episode: Episode, manifest: EnvironmentManifest, limit: int = 200) -> Tables:
    """The first rows of every table, JSON-safe (the planner picks its targets among them)."""
    return {
        t.name: [
            {k: jsonable(v) for k, v in r.items()}
            for r in episode.query(f'SELECT * FROM "{t.name}" LIMIT {int(limit)}')
        ]
        for t in manifest.db_schema.tables
    }


def jsonable(value: Any) -> Any:
    """A DuckDB value as tools return it over JSON (dates as ISO text, decimals as numbers)."""
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def _mistaken_request(
    program: ToolProgram, manifest: EnvironmentManifest, args: dict[str, Any], open_scratch: OpenScratch
) -> tuple[dict[str, Any], str] | None:
    """An allowed request turned into the customer's mistake a rule refuses, with the refusal: a range
    given back to front (check-out before check-in). None when the tool has no such rule."""
    for rule in program.rules:
        if rule.kind != "date_order":
            continue
        bad = violating_arguments(rule, program, manifest.db_schema, None, args)
        if bad is None:
            continue
        outcome = _probe(open_scratch, program.name, bad)
        if outcome not in ("allowed", "failed"):
            return bad, outcome
    return None


def _probe(open_scratch: OpenScratch, tool: str, args: dict[str, Any]) -> str:
    """'allowed', 'failed' (bad data), or the rule's message when the environment refuses this call."""
    with open_scratch() as scratch:
        before = scratch.state_hash()
        result = scratch.call(tool, args)
        changed = scratch.state_hash() != before
    if result.ok:
        return "allowed" if changed else "failed"
    if result.error_code == "precondition_failed" and not _NOT_A_RULE.search(result.error or ""):
        return result.error or "not allowed"
    return "failed"


_FROM = re.compile(r'\bFROM\s+"?(\w+)"?', re.IGNORECASE)
# Preconditions that guard data integrity (a missing row, a taken key), not a business rule a customer meets.
_NOT_A_RULE = re.compile(r"not found|already exists|no \w+ matches", re.IGNORECASE)


def _execute(episode: Episode, tool: EnvTool, args: dict[str, Any]) -> GoldCall:
    before = episode.state_hash() if tool.kind == "write" else None
    result = episode.call(tool.name, args)
    if not result.ok:
        raise _PlanFailed(f"call_failed: {tool.name}: {result.error_code or ''} {result.error}"[:300])
    changed = before is not None and episode.state_hash() != before
    if tool.kind == "write" and not changed:
        raise _PlanFailed(f"write_no_change: {tool.name} succeeded without changing state")
    return GoldCall(
        name=tool.name, arguments=args, kind=tool.kind, ok=True, result=result.content, changed_state=changed
    )


def _customers_own(manifest: EnvironmentManifest) -> frozenset[str]:
    """Tables whose rows belong to a customer: the customer's own, a receipt's (an order, a booking),
    or rows referring to a customer; the rest (products, a city's weather) are the world's."""
    people = {t.name for t in manifest.db_schema.tables if entity(noun(t.name)) in ACCOUNT_ENTITIES}
    own = set()
    for t in manifest.db_schema.tables:
        about = entity(noun(t.name))
        refers = any(fk.ref_table in people for fk in t.foreign_keys)
        if about in ACCOUNT_ENTITIES or about in RECEIPT_ENTITIES or refers:
            own.add(t.name)
    return frozenset(own)


def _dropped(env_id: str, seed: int, reason: str, calls: list[GoldCall]) -> Blueprint:
    bid = content_hash({"env": env_id, "seed": seed, "dropped": reason, "calls": [c.name for c in calls]})
    return Blueprint(
        blueprint_id=bid,
        env_id=env_id,
        calls=(),
        read_only=True,
        gold_state_hash="",
        status="dropped",
        reason=reason,
        seed=seed,
        planner="goal",
    )


def _returned(plan: _Plan, value: Any) -> bool:
    """Whether an earlier call of the plan returned this value (so the agent has it)."""
    want = _norm(value)
    return any(want in {_norm(v) for v in scalars(c.result)} for c in plan.calls)


def _rows(result: Any) -> list[dict[str, Any]]:
    if isinstance(result, dict):
        return [result]
    if isinstance(result, list):
        return [r for r in result if isinstance(r, dict)]
    return []


def _distinguishing(
    target: dict[str, Any], rows: list[dict[str, Any]], keys: tuple[str, ...]
) -> tuple[str, Any] | None:
    """A column of ``target`` whose value no other returned row shares (what the user would say)."""
    columns = [
        c
        for c in target
        if c not in keys
        and not is_identifier(c)
        and isinstance(target[c], str | int | float)
        and target[c] != ""
    ]
    columns.sort(
        key=lambda c: next((i for i, p in enumerate(_DETAIL_PREFERENCE) if p in c), len(_DETAIL_PREFERENCE))
    )
    for column in columns:
        value = _norm(target[column])
        if sum(1 for r in rows if _norm(r.get(column)) == value) == 1:
            return column, target[column]
    return None


def _row_value(row: dict[str, Any], name: str, column: str | None) -> Any:
    for key in (name, column):
        if key and row.get(key) is not None:
            return row[key]
    return None


def _coerce(value: Any, schema: dict[str, Any]) -> Any:
    """As the sampler coerces, and also a number parameter's int or numeric text as a float."""
    if schema.get("type") == "number" and isinstance(value, int | str) and not isinstance(value, bool):
        try:
            return float(value)
        except ValueError:
            return value
    return coerce_to_param(value, schema)


def _norm(value: Any) -> str:
    return str(value).strip().lower()
