"""Prefect tasks of the evaluate and promote stages, and the MLflow bookkeeping around them.

The core (``envscale.environments.evaluation``) plays and judges; here the
agent under test is resolved (registered version, run URI, endpoint, base
model), served on 127.0.0.1 when needed, the trials are mapped over the flow's
task runner in chunks (workers return trials; the flow writes), and reports
go to MLflow (an ``evaluate`` run, tags on the model version) and the warehouse.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from envscale.config import EndpointSettings, Settings
from envscale.environments.evaluation.metrics import build_report
from envscale.environments.evaluation.records import EvalReport, TrialResult
from envscale.environments.evaluation.tasks import (
    TaskSet,
    heldout_env_ids,
    heldout_tasks,
    import_tau_bench_tasks,
)
from envscale.errors import MissingPrerequisite
from envscale.home import Home
from envscale.models import registry
from envscale.models.registry import client as mlflow_client
from envscale.tasks.fanout import deal, fan_out
from envscale.tasks.progress import ProgressBar
from envscale.tasks.run_context import RunContext

CHAMPION = "champion"
PREVIOUS_CHAMPION = "previous-champion"
CHALLENGER = "challenger"


class NoModel(MissingPrerequisite):
    """No registered model to evaluate or promote."""


@dataclass(frozen=True)
class AgentSpec:
    """One agent under test and how to reach it."""

    label: str
    model_uri: str | None = None  # registered or run model to serve
    name: str | None = None  # registered model name …
    version: str | None = None  # … and version (cacheable: versions are immutable)
    base_url: str | None = None  # an endpoint already serving it
    model_name: str | None = None  # model name to send to base_url
    base_model: str | None = None  # a base-model spec to serve ('smollm2', a dir, a .gguf)

    @property
    def model_version(self) -> str | None:
        return f"{self.name}/{self.version}" if self.name and self.version else None

    @classmethod
    def registered(cls, name: str, version: str) -> AgentSpec:
        """A version of a registered model, served from ``models:/name/version``."""
        uri = f"models:/{name}/{version}"
        return cls(label=uri, model_uri=uri, name=name, version=version)


# -- resolving models ----------------------------------------------------------
def newest_version(home: Home, name: str) -> str | None:
    from mlflow.exceptions import MlflowException

    try:
        return registry.newest_version(mlflow_client(home), name)
    except MlflowException:
        return None


def alias_version(home: Home, name: str, alias: str) -> str | None:
    from mlflow.exceptions import MlflowException

    try:
        return registry.alias_version(mlflow_client(home), name, alias)
    except MlflowException:
        return None


def resolve_model(home: Home, uri: str | None, registered_model: str) -> AgentSpec:
    """A model URI (None = the challenger: alias 'challenger', else the newest version) as an AgentSpec."""
    if uri and uri.startswith("runs:/"):
        return AgentSpec(label=uri, model_uri=uri)
    if uri and not uri.startswith("models:/"):
        raise ValueError(f"not a model URI: {uri!r} (models:/name@alias, models:/name/3 or runs:/…)")
    rest = uri.removeprefix("models:/").strip("/") if uri else f"{registered_model}@{CHALLENGER}"
    if "@" in rest:
        name, alias = rest.split("@", 1)
        version = alias_version(home, name, alias)
        if version is None and alias == CHALLENGER:
            version = newest_version(home, name)  # no explicit challenger: the newest version is one
        if version is None:
            raise NoModel(
                f"registered model {name!r} has no alias {alias!r} (and no versions): run `envscale train`"
            )
    else:
        name, _, version = rest.partition("/")
        if not version or version.lower() == "latest":
            version = newest_version(home, name)
            if version is None:
                raise NoModel(f"no versions of registered model {name!r}: run `envscale train`")
    return AgentSpec.registered(name, version)


# -- task set ------------------------------------------------------------------
@task(name="evaluation-task-set", cache_policy=NO_CACHE)
def task_set_task(ctx: RunContext, max_tasks: int, include_tau_bench: bool) -> TaskSet:
    """Held-out generated tasks, plus τ-bench ones when asked; deterministic in settings.evaluate.seed."""
    s = ctx.settings.evaluate
    out = heldout_tasks(ctx.warehouse, heldout_env_ids(ctx.warehouse), max_tasks=max_tasks, seed=s.seed)
    if include_tau_bench:
        out.extend(
            import_tau_bench_tasks(
                Path(ctx.settings.shared_data),
                ctx.home.environments,
                list(s.tau_bench_domains),
                split=s.tau_bench_split,
                limit=s.max_tau_bench_tasks,
                seed=s.seed,
            )
        )
    return out


@task(name="evaluation-task-set-tau2", cache_policy=NO_CACHE)
def tau2_task_set_task(
    ctx: RunContext, domains: list[str], data: str | None, split: str | None, per_domain: int
) -> TaskSet:
    """τ² tasks of ``split`` for each domain (all importable ones when none is named), drawn by seed."""
    from envscale.environments.evaluation.tau2_tasks import import_tau2_tasks

    return import_tau2_tasks(
        Path(data) if data else None,
        ctx.home.environments,
        domains,
        split=split,
        limit=per_domain,
        seed=ctx.settings.evaluate.seed,
    )


def user_simulator_label(user: EndpointSettings) -> str:
    """How the simulated user was played, for the report: an LLM at an endpoint, or the scripted user."""
    if user.mode == "llm" and user.base_url:
        return f"llm: {user.model}@{user.base_url}"
    return "scripted (no user endpoint: deterministic replies from the gold arguments)"


def eval_settings(settings: Settings, k: int) -> dict[str, Any]:
    """What, besides the model and the tasks, decides a report (the cache key's settings part)."""
    e, agent, user = settings.evaluate, settings.llm.agent, settings.llm.user_simulator
    return {
        "k": k,
        "seed": e.seed,
        "max_turns": e.max_turns,
        "max_failures": e.max_failures,
        "agent": {"temperature": agent.temperature, "max_tokens": agent.max_tokens},
        "user": user.model_dump(mode="json", include={"mode", "base_url", "model", "temperature", "seed"}),
    }


# -- serving -------------------------------------------------------------------
@contextmanager
def agent_endpoint(spec: AgentSpec, ctx: RunContext) -> Iterator[tuple[str, str]]:
    """(base_url, model name) of the agent, serving it on 127.0.0.1 for the duration when needed."""
    serving_url = ctx.settings.evaluate.serving_url
    if spec.base_url:
        yield spec.base_url, spec.model_name or ctx.settings.llm.agent.model
    elif spec.model_version and serving_url:
        yield serving_url, spec.model_version
    elif spec.base_model and serving_url:  # the server hosts the base model too, as 'base:<spec>'
        yield serving_url, f"base:{spec.base_model}"
    elif spec.model_uri:
        from envscale.models.registry import load_registered
        from envscale.models.serving import serve_model

        with serve_model(load_registered(spec.model_uri, ctx.home), log_dir=ctx.run_dir) as endpoint:
            yield endpoint.base_url, endpoint.model
    elif spec.base_model:
        from envscale.models.serving import embedded_endpoint

        with embedded_endpoint(ctx.home, spec.base_model, log_dir=ctx.run_dir) as endpoint:
            yield endpoint.base_url, endpoint.model
    else:
        raise ValueError(f"agent {spec.label!r} names no endpoint, model URI or base model")


@contextmanager
def user_endpoint(ctx: RunContext) -> Iterator[EndpointSettings]:
    """The user simulator's settings; an LLM simulator without base_url gets the embedded base model."""
    user = ctx.settings.llm.user_simulator
    if user.mode != "llm" or user.base_url:
        yield user
        return
    from envscale.models.serving import embedded_endpoint

    with embedded_endpoint(ctx.home, ctx.settings.train.base_model, log_dir=ctx.run_dir) as endpoint:
        yield user.model_copy(update={"base_url": endpoint.base_url, "model": endpoint.model})


# -- playing -------------------------------------------------------------------
@task(name="play-trials", task_run_name="play-{label}", cache_policy=NO_CACHE)
def play_chunk_task(
    task_set: TaskSet,
    agent: EndpointSettings,
    user: EndpointSettings,
    k: int,
    seed: int,
    max_turns: int,
    max_failures: int,
    in_flight: int,
    trajectories_path: Path | None,
    label: str = "chunk",
    served: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[TrialResult]:
    from envscale.environments.evaluation.run import play_trials

    return play_trials(
        task_set,
        agent=agent,
        user=user,
        k=k,
        seed=seed,
        max_turns=max_turns,
        max_failures=max_failures,
        in_flight=in_flight,
        trajectories_path=trajectories_path,
        served=served,
        progress=progress,
    )


def _chunk_bars(bar: ProgressBar, total: int) -> Callable[[int], Callable[[int, int], None]]:
    """Per-chunk progress callbacks that add up on one bar (trials done of all chunks)."""
    done: dict[int, int] = {}

    def for_chunk(i: int) -> Callable[[int, int], None]:
        def update(n: int, _chunk_total: int) -> None:
            done[i] = n
            bar.update(sum(done.values()), total)

        return update

    return for_chunk


def trials_slug(label: str) -> str:
    """The agent's part of its trials file names (``trials-<slug>-<chunk>.jsonl`` in the run folder)."""
    return "".join(c if c.isalnum() else "-" for c in label)[-60:]


# A model served here on a CPU answers a few requests at a time, each token costing ~0.1 s on 2 cores:
# unless chosen, it plays 2 trials at once and may write 160 tokens a turn (a tool call takes < 100).
CPU_TRIALS_IN_FLIGHT = 2
CPU_MAX_TOKENS = 160


def served_here_on_cpu(spec: AgentSpec, ctx: RunContext) -> bool:
    """Whether this run serves the agent itself (no endpoint, no serving_url) on a machine without a GPU."""
    if spec.base_url or ctx.settings.evaluate.serving_url:
        return False
    from envscale.models.serving import serves_on_cpu

    return serves_on_cpu()


def trials_in_flight(spec: AgentSpec, ctx: RunContext) -> int:
    """evaluate.episodes_in_flight, or its default: 2 for a model served here on a CPU, else 8."""
    chosen = ctx.settings.evaluate.episodes_in_flight
    if chosen is not None:
        return chosen
    return CPU_TRIALS_IN_FLIGHT if served_here_on_cpu(spec, ctx) else 8


def agent_max_tokens(spec: AgentSpec, ctx: RunContext) -> int:
    """llm.agent.max_tokens, capped at 160 for a model served here on a CPU unless the user set it."""
    agent = ctx.settings.llm.agent
    if "max_tokens" in agent.model_fields_set or not served_here_on_cpu(spec, ctx):
        return agent.max_tokens
    return min(agent.max_tokens, CPU_MAX_TOKENS)


def play_agent(
    ctx: RunContext, spec: AgentSpec, task_set: TaskSet, k: int, user: EndpointSettings
) -> EvalReport:
    """Serve the agent, map its trials over the task runner in chunks, and build its report."""
    import time

    s = ctx.settings.evaluate
    workers = ctx.settings.scale.workers
    chunks = [task_set.subset(part) for part in deal(task_set.tasks, workers)]
    slug = trials_slug(spec.label)
    t0 = time.perf_counter()
    # A bar of trials done (threads only: a Dask/Ray worker cannot call back into this process).
    in_process = ctx.settings.scale.runner == "threads"
    with (
        agent_endpoint(spec, ctx) as (base_url, model),
        ProgressBar(f"evaluate {spec.label}", unit="trial") as bar,
    ):
        agent = ctx.settings.llm.agent.model_copy(
            update={
                "mode": "llm",
                "base_url": base_url,
                "model": model,
                "max_tokens": agent_max_tokens(spec, ctx),
            }
        )
        in_flight = max(1, trials_in_flight(spec, ctx) // max(1, len(chunks)))
        bars = _chunk_bars(bar, len(task_set.tasks) * k)
        bar.update(0, len(task_set.tasks) * k)  # drawn while the first trials play

        def args(i: int, chunk: TaskSet) -> tuple[tuple, dict]:
            trials_file = ctx.run_dir / f"trials-{slug}-{i}.jsonl"
            positional = (chunk, agent, user, k, s.seed, s.max_turns, s.max_failures, in_flight, trials_file)
            extra = {"progress": bars(i)} if in_process else {}
            return positional, {"label": f"{slug}-{i}", "served": s.served, **extra}

        trials = [t for part in fan_out(play_chunk_task, chunks, args) for t in part]
    return build_report(
        trials,
        label=spec.label,
        k=k,
        seed=s.seed,
        task_ids=task_set.task_ids,
        skipped=task_set.skipped,
        model_uri=spec.model_uri,
        model_version=spec.model_version,
        wall_s=time.perf_counter() - t0,
    )


def evaluate_agent(
    ctx: RunContext, spec: AgentSpec, task_set: TaskSet, k: int, user: EndpointSettings
) -> tuple[EvalReport, str, bool]:
    """(report, MLflow run id, reused): a registered version's report is reused when nothing it depends on changed."""
    from envscale.environments.evaluation import store

    key = None
    # Registered versions are immutable, and so is a named base model: their reports are reusable.
    ident = spec.model_version or (f"base:{spec.base_model}" if spec.base_model else None)
    if ident:
        key = store.eval_key(ident, _task_set_hash(task_set, k, ctx), eval_settings(ctx.settings, k))
        found = store.load_report(ctx.warehouse, key)
        if found is not None and found[1]:
            return found[0], found[1], True
    report = play_agent(ctx, spec, task_set, k, user)
    mlflow_run_id = log_evaluation(ctx, report, k)
    if spec.name and spec.version:
        tag_version(ctx.home, spec.name, spec.version, report, mlflow_run_id)
    store.save_report(
        ctx.warehouse,
        key or f"{ctx.run_id}:{spec.label}",
        report,
        run_id=ctx.run_id,
        mlflow_run_id=mlflow_run_id,
    )
    return report, mlflow_run_id, False


def _task_set_hash(task_set: TaskSet, k: int, ctx: RunContext) -> str:
    from envscale.environments.evaluation.metrics import task_set_hash

    return task_set_hash(task_set.task_ids, k, ctx.settings.evaluate.seed)


# -- MLflow --------------------------------------------------------------------
def log_evaluation(ctx: RunContext, report: EvalReport, k: int) -> str:
    """An MLflow run in the evaluation experiment: params, metrics (overall and per domain), plots, the report."""
    import time

    from mlflow.entities import Metric, Param

    from envscale.environments.evaluation.plots import plot_accuracy_by_calls, plot_pass_k
    from envscale.models.registry import ensure_experiment

    client = mlflow_client(ctx.home)
    experiment_id = ensure_experiment(
        ctx.home,
        ctx.settings.evaluate.experiment,
        "envscale evaluation: one run per agent evaluated (pass^k overall and per domain, plots, report).",
    )
    tags = {"envscale.warehouse_run_id": ctx.run_id, "envscale.task_set_hash": report.task_set_hash}
    if report.model_version:
        tags["envscale.model_version"] = report.model_version
    run = client.create_run(experiment_id, run_name=f"evaluate {report.label}"[:250], tags=tags)
    run_id = run.info.run_id
    try:
        params = {
            "agent": report.label,
            "model_uri": report.model_uri or "",
            "n_tasks": report.overall.n_tasks,
            "skipped_tasks": len(report.skipped),
            **{f"settings.{k2}": json.dumps(v) for k2, v in eval_settings(ctx.settings, k).items()},
        }
        now = int(time.time() * 1000)
        metrics = [Metric(name, float(v), now, 0) for name, v in report.flat_metrics().items()]
        # pass^j as a series over j too, so MLflow draws the pass^k curve.
        metrics += [Metric("pass_hat_curve", v, now, j) for j, v in sorted(report.overall.pass_hat.items())]
        client.log_batch(run_id, params=[Param(n, str(v)[:5000]) for n, v in params.items()], metrics=metrics)
        folder = ctx.run_dir / f"eval-{run_id[:8]}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "report.json").write_text(report.model_dump_json(indent=2))
        plot_pass_k([report], folder / "pass_k.png")
        plot_accuracy_by_calls([report], folder / "accuracy_by_calls.png")
        for path in sorted(folder.iterdir()):
            client.log_artifact(run_id, str(path))
    except BaseException:
        client.set_terminated(run_id, status="FAILED")
        raise
    client.set_terminated(run_id)
    return run_id


def tag_version(home: Home, name: str, version: str, report: EvalReport, mlflow_run_id: str) -> None:
    """The evaluation's headline numbers as tags on the model version (per domain pass^1 too)."""
    client = mlflow_client(home)
    tags = {
        "eval.pass_1": f"{report.overall.pass_1:.4f}",
        "eval.pass_k": f"{report.overall.pass_k:.4f}",
        "eval.k": str(report.k),
        "eval.db_match_rate": f"{report.overall.db_match_rate:.4f}",
        "eval.error_call_rate": f"{report.overall.error_call_rate:.4f}",
        "eval.n_tasks": str(report.overall.n_tasks),
        "eval.task_set_hash": report.task_set_hash,
        "eval.mlflow_run_id": mlflow_run_id,
    }
    if report.overall.exact_match_rate is not None:
        tags["eval.exact_match_rate"] = f"{report.overall.exact_match_rate:.4f}"
    for domain, m in report.per_domain.items():
        tags[f"eval.domain.{domain}.pass_1"[:250]] = f"{m.pass_1:.4f}"
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, value)


# -- presentation --------------------------------------------------------------
def report_rows(reports: list[EvalReport]) -> list[dict[str, Any]]:
    """One row per agent and domain (overall first): the evaluation table."""
    rows = []
    for r in reports:
        for domain, m in [("overall", r.overall), *r.per_domain.items()]:
            rows.append(
                {
                    "agent": r.label,
                    "domain": domain,
                    "tasks": m.n_tasks,
                    "k": r.k,
                    "pass^1": round(m.pass_1, 4),
                    "pass^k": round(m.pass_k, 4),
                    "db_match": round(m.db_match_rate, 4),
                    "exact_match": None if m.exact_match_rate is None else round(m.exact_match_rate, 4),
                    "avg_turns": round(m.avg_turns, 2),
                    "avg_calls": round(m.avg_tool_calls, 2),
                    "error_calls": round(m.error_call_rate, 4),
                }
            )
    return rows


def format_rows(rows: list[dict[str, Any]]) -> str:
    """Rows as a fixed-width text table."""
    if not rows:
        return "(no evaluation)"
    headers = list(rows[0])
    body = [["" if r.get(h) is None else str(r.get(h)) for h in headers] for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(b, widths, strict=True)) for b in body]
    return "\n".join(lines)


def outcome_tables(warehouse: Any) -> list[tuple[str, list[dict[str, Any]]]]:
    """(title, rows) of the funnel and of the newest completed evaluation (what `envscale pipeline` ends with)."""
    from envscale.environments.store.runs import latest_summary
    from envscale.environments.validation.funnel import funnel
    from envscale.environments.validation.store import funnel_records

    steps = funnel(funnel_records(warehouse))
    funnel_rows = [{**r.model_dump(), "acceptance": f"{r.acceptance:.1%}"} for r in steps]
    table = (latest_summary(warehouse, "evaluate") or {}).get("table", [])
    return [("validation funnel", funnel_rows), ("evaluation (held-out environments)", table)]
