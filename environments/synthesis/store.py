"""Synthesis records in the warehouse: idempotent writes, resume keys, loaders for later stages."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterable
from typing import Any

from envscale import killpoint
from envscale.environments.synthesis.records import Blueprint, Task, Trajectory
from envscale.warehouse import Warehouse, dict_rows


def save_blueprints(wh: Warehouse, blueprints: Iterable[Blueprint], run_id: str | None) -> int:
    rows = [b.warehouse_row(run_id) for b in blueprints]
    return wh.insert("blueprints", rows, on_conflict="ignore")


def save_tasks(wh: Warehouse, tasks: Iterable[Task], run_id: str | None) -> int:
    return wh.insert("tasks", [t.warehouse_row(run_id) for t in tasks], on_conflict="ignore")


def load_blueprints(wh: Warehouse, env_id: str | None = None, *, status: str = "kept") -> list[Blueprint]:
    sql = (
        "SELECT blueprint_id, env_id, calls, read_only, gold_state_hash, gold_diff, status, reason, plan"
        " FROM blueprints WHERE status = ?"
    )
    params: list[Any] = [status]
    if env_id is not None:
        sql += " AND env_id = ?"
        params.append(env_id)
    with wh.connect() as con:
        rows = dict_rows(con.execute(sql + " ORDER BY created_at, blueprint_id", params))
    return [Blueprint.from_row(r) for r in rows]


def load_tasks(wh: Warehouse, env_id: str | None = None) -> dict[str, Task]:
    """``blueprint_id → Task`` (the first task written for each blueprint)."""
    sql = "SELECT task_id, blueprint_id, env_id, instruction, writer, fallback_reason FROM tasks"
    params: list[Any] = []
    if env_id is not None:
        sql += " WHERE env_id = ?"
        params.append(env_id)
    with wh.connect() as con:
        rows = dict_rows(con.execute(sql + " ORDER BY created_at, task_id", params))
    out: dict[str, Task] = {}
    for r in rows:
        out.setdefault(r["blueprint_id"], Task(**r))
    return out


def trajectory_ids(wh: Warehouse) -> set[str]:
    with wh.connect() as con:
        return {r[0] for r in con.execute("SELECT trajectory_id FROM trajectories").fetchall()}


# Issue codes under which an unusable LLM reply (its error text in ``detail``) is recorded.
_REPLY_ISSUES = frozenset({"invalid_reply", "user_invalid_reply", "reverse_wording_fallback"})


def refused_trajectory_ids(wh: Warehouse) -> set[str]:
    """Stored trajectories that an endpoint *refusal* (401/403/404, unknown model) shaped: not done.

    Refusals now fail the run before anything is stored; earlier versions recorded
    them as unusable replies, so a misconfigured endpoint left trajectories ending
    ``repeated_failure`` (or with fallback wording / user turns) that a rerun would
    skip forever. Resume treats these as missing: they are played again and replaced.
    """
    from envscale.llm.client import mentions_refusal

    with wh.connect() as con:
        rows = con.execute(
            "SELECT trajectory_id, issues FROM trajectories WHERE CAST(issues AS VARCHAR) LIKE '%http 4%'"
        ).fetchall()
    out = set()
    for trajectory_id, issues in rows:
        for issue in json.loads(issues or "[]"):
            if issue.get("code") in _REPLY_ISSUES and mentions_refusal(str(issue.get("detail") or "")):
                out.add(trajectory_id)
                break
    return out


def failed_trajectory_ids(wh: Warehouse) -> set[str]:
    """Stored trajectories that ended ``repeated_failure``: what ``--retry-failed`` plays again."""
    with wh.connect() as con:
        rows = con.execute(
            "SELECT trajectory_id FROM trajectories WHERE termination = 'repeated_failure'"
        ).fetchall()
    return {r[0] for r in rows}


def endpoint_failure(trajectory: Trajectory) -> str | None:
    """The endpoint's last unusable reply when it ended the episode (``repeated_failure``), else None.

    Such an episode says nothing about the agent: the streak that ended it was replies the
    client could not use (a broken endpoint), not tool errors or model behaviour.
    """
    if trajectory.termination != "repeated_failure" or not trajectory.issues:
        return None
    last = trajectory.issues[-1]
    code = last.get("code") if isinstance(last, dict) else getattr(last, "code", None)
    detail = last.get("detail") if isinstance(last, dict) else getattr(last, "detail", None)
    return str(detail or code) if code == "invalid_reply" else None


_COLUMNS = "trajectory_id, task_id, env_id, blueprint_id, attempt, mode, messages, tools, termination, usage, timings, final_state_hash, issues"


def load_trajectories(
    wh: Warehouse, *, env_id: str | None = None, run_id: str | None = None
) -> list[Trajectory]:
    """Trajectories as records (validation and training read them through this)."""
    where, params = [], []
    if env_id is not None:
        where.append("env_id = ?")
        params.append(env_id)
    if run_id is not None:
        where.append("run_id = ?")
        params.append(run_id)
    sql = f"SELECT {_COLUMNS} FROM trajectories" + (" WHERE " + " AND ".join(where) if where else "")
    with wh.connect() as con:
        rows = con.execute(sql + " ORDER BY created_at, trajectory_id", params).fetchall()
    return [
        Trajectory(
            trajectory_id=r[0],
            task_id=r[1],
            env_id=r[2],
            blueprint_id=r[3],
            attempt=r[4],
            mode=r[5],
            messages=tuple(json.loads(r[6])),
            tools=tuple(json.loads(r[7])),
            termination=r[8],
            usage=json.loads(r[9] or "{}"),
            timings=json.loads(r[10] or "{}"),
            final_state_hash=r[11],
            issues=tuple(json.loads(r[12] or "[]")),
        )
        for r in rows
    ]


class TrajectoryWriter:
    """Writes each finished trajectory in its own transaction, off the event loop.

    A background thread drains a queue; it keeps one connection open while
    there is work and closes it when idle, so other processes get the file in
    between. ``close()`` waits for everything queued and re-raises a write error.
    A trajectory already stored is kept (first write wins), unless its id is in
    ``replace``: then the new one supersedes it.
    """

    def __init__(self, wh: Warehouse, run_id: str | None, *, replace: Iterable[str] = ()) -> None:
        self.wh = wh
        self.run_id = run_id
        self.replace = frozenset(replace)  # ids whose stored row is superseded (replayed after a refusal)
        self.written = 0
        self._queue: queue.Queue[Trajectory | None] = queue.Queue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name="trajectory-writer", daemon=True)
        self._thread.start()

    def put(self, trajectory: Trajectory) -> None:
        if self._error is not None:
            raise RuntimeError(f"trajectory writer failed: {self._error}") from self._error
        self._queue.put(trajectory)

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            try:
                with self.wh.connect() as con:
                    while item is not None:
                        con.execute("BEGIN TRANSACTION")
                        try:
                            self.wh.insert(
                                "trajectories",
                                [item.warehouse_row(self.run_id)],
                                on_conflict="replace" if item.trajectory_id in self.replace else "ignore",
                                con=con,
                            )
                            killpoint.reached("trajectory-commit")  # crash tests: die mid-write
                        except BaseException:
                            con.execute("ROLLBACK")
                            raise
                        con.execute("COMMIT")
                        self.written += 1
                        try:
                            item = self._queue.get_nowait()
                        except queue.Empty:
                            item = None
                        else:
                            if item is None:
                                return
            except BaseException as exc:  # reported by put()/close()
                self._error = exc
                return

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise RuntimeError(f"trajectory writer failed: {self._error}") from self._error
