"""Cheap prechecks of a stage's prerequisites, run by the CLI before any Prefect or MLflow server starts.

A stage on an empty home used to fail only after a temporary Prefect server, an MLflow store and
the stage's imports were up (14–77 s, with Prefect's traceback on the terminal). These checks read
the warehouse (``store.peek``) and the MLflow registry file directly (no Prefect, no MLflow import) and try a TCP
connect to configured endpoints, so a missing input is reported in well under a second.

Each check answers only what it can know for sure: a locked or unreadable file is "unknown" and
the stage runs (its own errors stay authoritative). A failure raises ``PreflightFailed`` (exit 1)
or ``UsageError`` (an unknown ``--env``: exit 2); ``write_error_file`` leaves its ``error.txt``.
"""

from __future__ import annotations

import socket
import sqlite3
import time
from collections.abc import Callable, Iterable
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from envscale.config import Settings, UsageError, with_synthesis_mode
from envscale.environments.store import peek
from envscale.errors import MissingPrerequisite
from envscale.home import Home
from envscale.tasks.selection import select_environments

CONNECT_TIMEOUT_S = 1.5  # a closed local port answers at once; a dropped packet costs at most this
CHALLENGER = "challenger"  # the alias tasks.evaluate uses (not imported: it pulls in Prefect)


class PreflightFailed(MissingPrerequisite):
    """A stage's input is missing or its endpoint unreachable: found before the stage started."""


# -- what the files say (None = cannot tell) ----------------------------------------
def _registry_versions(home: Home, name: str) -> tuple[set[str], dict[str, str]] | None:
    """(versions, alias → version) of a registered model, read from MLflow's SQLite file."""
    if not home.mlflow_db.exists():
        return set(), {}
    try:
        with closing(sqlite3.connect(f"file:{home.mlflow_db}?mode=ro", uri=True, timeout=1)) as con:
            versions = {
                str(v)
                for (v,) in con.execute(
                    "SELECT version FROM model_versions WHERE name = ? AND current_stage != 'Deleted_Internal'",
                    (name,),
                )
            }
            aliases = dict(
                con.execute("SELECT alias, version FROM registered_model_aliases WHERE name = ?", (name,))
            )
    except sqlite3.Error:  # not migrated yet, locked, another schema: the stage decides
        return None
    return versions, {a: str(v) for a, v in aliases.items()}


def registered_aliases(home: Home, name: str) -> dict[str, str] | None:
    """alias → version of a registered model from MLflow's SQLite file (no MLflow import); None if unreadable."""
    found = _registry_versions(home, name)
    return None if found is None else found[1]


def unreachable(base_url: str, timeout_s: float = CONNECT_TIMEOUT_S) -> str | None:
    """Why nothing listens at ``base_url``'s host and port, or None when a TCP connect succeeds."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"not an http(s) URL: {base_url!r}"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        return f"bad port in {base_url!r}: {exc}"
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout_s):
            return None
    except OSError as exc:
        return f"cannot connect to {parts.hostname}:{port}: {exc.strerror or exc}"


# -- the checks of each stage ----------------------------------------------------------
def _check_ingest(home: Home, settings: Settings, params: dict[str, Any]) -> None:
    from envscale.environments.catalog.loading import SUFFIXES

    for raw in params.get("paths") or []:
        path = Path(raw)
        if not path.exists():
            raise UsageError(f"{path} does not exist")
        if path.is_file():
            if path.stat().st_size > 0:
                return
            continue
        if any(
            p.is_file() and p.suffix.lower() in SUFFIXES and p.stat().st_size > 0 for p in path.rglob("*")
        ):
            return
    given = ", ".join(str(p) for p in params.get("paths") or []) or "(none)"
    raise PreflightFailed(
        f"nothing to ingest in {given}: no non-empty file (folders are searched for {', '.join(SUFFIXES)})"
    )


def _check_build(home: Home, settings: Settings, params: dict[str, Any]) -> None:
    tau = params.get("import_tau_bench")
    if params.get("import_tau2") or (tau if tau is not None else settings.build.import_tau_bench):
        return  # an import needs no catalog
    if peek.tool_count(home.warehouse) == 0:
        raise PreflightFailed("the catalog is empty: run `envscale ingest` first")


def _check_environments(home: Home, selected: list[str] | None, next_step: str) -> None:
    envs = peek.accepted_environments(home.warehouse)
    if envs is None:
        return
    if selected:
        select_environments(selected, envs, "an accepted environment")  # UsageError naming the typo
    if not envs:
        raise PreflightFailed(
            f"no accepted environments in the warehouse: run `envscale build` first{next_step}"
        )


def _check_endpoints(urls: Iterable[tuple[str, str]]) -> None:
    for role, url in urls:
        why = unreachable(url)
        if why:
            raise PreflightFailed(
                f"LLM endpoint for role {role} is unreachable: {url}: {why} — start it or fix its base_url"
            )


def _check_synthesize(home: Home, settings: Settings, params: dict[str, Any]) -> None:
    from envscale.environments.synthesis.run import roles_used

    selected = params.get("environments") or list(settings.synthesize.environments)
    _check_environments(home, selected, "")
    overrides = {k: v for k, v in params.items() if k in ("mode", "reverse_wording") and v is not None}
    synth = with_synthesis_mode(settings.synthesize.model_copy(update=overrides), settings.llm)
    roles = [r for r in roles_used(synth) if getattr(settings.llm, r).mode == "llm"]
    _check_endpoints((r, u) for r in roles if (u := getattr(settings.llm, r).base_url))


def _check_validate(home: Home, settings: Settings, params: dict[str, Any]) -> None:
    selected = params.get("environments")
    if selected:
        _check_environments(home, selected, "")
    if peek.trajectory_count(home.warehouse) == 0:
        raise PreflightFailed("no trajectories to validate: run `envscale synthesize` first")


def _check_train(home: Home, settings: Settings, params: dict[str, Any]) -> None:
    # The rows models.dataset_export reads: trajectories with an accepted validation.
    n = peek.accepted_trajectory_count(home.warehouse)
    if n == 0:
        raise PreflightFailed("no accepted trajectories to train on: run synthesize and validate first")


def _check_model(home: Home, uri: str | None, registered_model: str) -> None:
    """The model URI (None = the challenger) names a registered version."""
    if uri and not uri.startswith("models:/"):
        return  # runs:/… lives in the tracking store: the stage resolves it
    rest = uri.removeprefix("models:/").strip("/") if uri else f"{registered_model}@{CHALLENGER}"
    name, alias = rest.split("@", 1) if "@" in rest else (rest.partition("/")[0], None)
    found = _registry_versions(home, name)
    if found is None:
        return
    versions, aliases = found
    if alias is not None:
        ok = alias in aliases or (alias == CHALLENGER and bool(versions))
        missing = f"registered model {name!r} has no alias {alias!r} (and no versions)"
    else:
        version = rest.partition("/")[2]
        ok = bool(versions) if not version or version.lower() == "latest" else version in versions
        missing = f"registered model {name!r} has no version {version or 'at all'}"
    if not ok:
        raise PreflightFailed(f"{missing}: run `envscale train`")


def _check_evaluate(home: Home, settings: Settings, params: dict[str, Any]) -> None:
    if params.get("base_url"):
        _check_endpoints([("agent (--base-url)", params["base_url"])])
    else:
        _check_model(home, params.get("model") or settings.evaluate.model, settings.train.registered_model)
        if settings.evaluate.serving_url:
            _check_endpoints([("evaluate.serving_url", settings.evaluate.serving_url)])
    tau = params.get("include_tau_bench")
    if not (tau if tau is not None else settings.evaluate.include_tau_bench):
        _check_environments(home, None, " and `envscale synthesize`")


def _check_promote(home: Home, settings: Settings, params: dict[str, Any]) -> None:
    uri = params.get("challenger") or settings.promote.challenger
    _check_model(home, uri, settings.train.registered_model)
    if not settings.evaluate.include_tau_bench:
        _check_environments(home, None, " and `envscale synthesize`")


def _check_pipeline(home: Home, settings: Settings, params: dict[str, Any]) -> None:
    if params.get("sources"):
        _check_ingest(home, settings, {"paths": params["sources"]})
    llm = settings.llm
    roles = ("agent", "user_simulator", "task_writer", "graph_refiner", "schema_designer")
    _check_endpoints(
        (r, getattr(llm, r).base_url)
        for r in roles
        if getattr(llm, r).mode == "llm" and getattr(llm, r).base_url
    )


CHECKS: dict[str, Callable[[Home, Settings, dict[str, Any]], None]] = {
    "ingest": _check_ingest,
    "build": _check_build,
    "synthesize": _check_synthesize,
    "validate": _check_validate,
    "train": _check_train,
    "evaluate": _check_evaluate,
    "promote": _check_promote,
    "pipeline": _check_pipeline,
}


def check(stage: str, home: Home, settings: Settings, params: dict[str, Any]) -> None:
    """Raise PreflightFailed / UsageError when ``stage`` cannot start; stages without checks pass."""
    checker = CHECKS.get(stage)
    if checker is not None:
        checker(home, settings, params)


def write_error_file(home: Home, stage: str, exc: BaseException, params: dict[str, Any]) -> Path:
    """The failure's ``error.txt`` under a run folder of its own (no run row: nothing ran)."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    folder = home.runs / f"{stamp}-{stage}-preflight"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "error.txt"
    shown = {k: v for k, v in params.items() if v is not None}
    path.write_text(
        f"{stage}: preflight check failed before the stage started (no Prefect run was created)\n"
        f"{type(exc).__name__}: {exc}\nparameters: {shown}\nhome: {home.root}\n"
    )
    return path


__all__ = ["CHECKS", "PreflightFailed", "check", "unreachable", "write_error_file"]
