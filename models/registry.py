"""MLflow tracking and registry for training: parent/child runs, datasets, checkpoints, registered models.

Everything goes to the home's SQLite tracking store and artifact folder (never
./mlruns). Logging uses explicit run ids through ``MlflowClient`` so it works
from any thread or Prefect task, and an interrupted training resumes into the
same parent/child runs (found by the ``envscale.training_key`` tag).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path
from typing import Any

from envscale.home import Home

TRAINING_KEY_TAG = "envscale.training_key"
# What MLflow 3's UI reads to open an experiment as model training instead of GenAI
# (mlflow/server/js: ExperimentKind.CUSTOM_MODEL_DEVELOPMENT; the demo data uses "genai_development").
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
TRAINING_KIND = "custom_model_development"
# The UI's workflow switch defaults to GenAI; this query parameter opens pages in the ML view.
ML_VIEW = "workflowType=machine_learning"
DEFAULT_UI = "http://127.0.0.1:5000"
MODEL_DESCRIPTION = (
    "envscale agent: a chat model fine-tuned (TRL SFT, two stages: general, then vertical) on verified "
    "tool-use trajectories synthesized in envscale environments. Input: `messages` (OpenAI chat, JSON) "
    "and optional `tools` (OpenAI tool list, JSON); output: one assistant message with `tool_calls`. "
    "Aliases: `challenger` = the newest trained version awaiting promotion, `champion` = the promoted one "
    "(`envscale promote`), `previous-champion` = the one it replaced."
)
STAGE_TAG = "envscale.stage"
MODEL_ARTIFACT = "model"
MODEL_DIR_KEY = "model_dir"
# Trainer state needed to resume, but not to reproduce the weights: kept out of MLflow.
_CHECKPOINT_SKIP = ("optimizer.pt", "scheduler.pt", "rng_state")


def client(home: Home) -> Any:
    import mlflow
    from mlflow import MlflowClient

    uri = tracking_uri(home)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def tracking_uri(home: Home) -> str:
    # A tracking URI the user exported wins; otherwise activate() pointed it at the home.
    return os.environ.get("MLFLOW_TRACKING_URI") or home.mlflow_uri


def ensure_experiment(home: Home, name: str, description: str | None = None) -> str:
    """The experiment's id, created with its artifacts under ``home.mlflow_artifacts``, typed as model training."""
    mlflow_client = client(home)
    found = mlflow_client.get_experiment_by_name(name)
    tags = {EXPERIMENT_KIND_TAG: TRAINING_KIND}
    if description:
        tags["mlflow.note.content"] = description
    if found is not None:
        # Homes made before the kind tag existed: type them too (the UI would guess GenAI).
        for key, value in tags.items():
            if key not in found.tags:
                mlflow_client.set_experiment_tag(found.experiment_id, key, value)
        return found.experiment_id
    location = (home.mlflow_artifacts / name).resolve().as_uri()
    return mlflow_client.create_experiment(name, artifact_location=location, tags=tags)


def ui_base() -> str:
    """Where the MLflow UI is (``envscale ui`` serves it on 127.0.0.1:5000; ENVSCALE_MLFLOW_UI overrides)."""
    return os.environ.get("ENVSCALE_MLFLOW_UI", DEFAULT_UI).rstrip("/")


def run_url(experiment_id: str, run_id: str) -> str:
    """The run's page in the MLflow UI, in the machine-learning view."""
    return f"{ui_base()}/#/experiments/{experiment_id}/runs/{run_id}?{ML_VIEW}"


def experiment_url(experiment_id: str) -> str:
    return f"{ui_base()}/#/experiments/{experiment_id}?{ML_VIEW}"


def model_version_url(name: str, version: str) -> str:
    return f"{ui_base()}/#/models/{name}/versions/{version}"


def model_signature() -> Any:
    """What an envscale agent takes and gives (chat messages and tools as JSON text → one assistant message)."""
    from mlflow.models import ModelSignature
    from mlflow.types.schema import ColSpec, ParamSchema, ParamSpec, Schema

    return ModelSignature(
        inputs=Schema([ColSpec("string", "messages"), ColSpec("string", "tools", required=False)]),
        outputs=Schema(
            [
                ColSpec("string", "role"),
                ColSpec("string", "content", required=False),
                ColSpec("string", "tool_calls", required=False),
            ]
        ),
        params=ParamSchema([ParamSpec("max_new_tokens", "long", 256)]),
    )


def input_example() -> tuple[Any, dict[str, Any]]:
    """One chat with one tool; max_new_tokens 1 keeps MLflow's check of the example (it runs it) short."""
    import pandas as pd

    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_order",
                "description": "Look up an order by id.",
                "parameters": {
                    "type": "object",
                    "properties": {"order_id": {"type": "string"}},
                    "required": ["order_id"],
                },
            },
        }
    ]
    messages = [{"role": "user", "content": "What is the status of order o-1001?"}]
    frame = pd.DataFrame([{"messages": json.dumps(messages), "tools": json.dumps(tools)}])
    return frame, {"max_new_tokens": 1}


def code_version() -> str:
    """Git sha of the envscale checkout (``+dirty`` with local changes), or 'unknown'."""
    repo = Path(__file__).resolve().parents[1]
    try:
        sha = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{sha}+dirty" if dirty else sha


class TrainingTracker:
    """A parent run per training and a child run per stage, resumable by training key."""

    def __init__(self, home: Home, experiment: str) -> None:
        self.home = home
        self.client = client(home)
        self.experiment_id = ensure_experiment(
            home,
            experiment,
            "envscale fine-tuning: one parent run per training (summary metrics, datasets, the registered "
            "model) with a child run per stage (loss, learning rate, tokens seen, checkpoint).",
        )

    # -- runs ----------------------------------------------------------------
    def find_run(self, training_key: str, stage: str, parent_id: str | None = None) -> Any | None:
        """The newest run of this training key and stage (``parent``, ``stage1``…), or None."""
        query = f"tags.`{TRAINING_KEY_TAG}` = '{training_key}' and tags.`{STAGE_TAG}` = '{stage}'"
        if parent_id:
            query += f" and tags.`mlflow.parentRunId` = '{parent_id}'"
        runs = self.client.search_runs(
            [self.experiment_id], filter_string=query, order_by=["attributes.start_time DESC"], max_results=1
        )
        return runs[0] if runs else None

    def parent_run(self, training_key: str, name: str, tags: dict[str, str]) -> str:
        """The training's parent run: the interrupted one for this key is reopened, else a new one."""
        existing = self.find_run(training_key, "parent")
        if existing is not None and existing.info.status != "FINISHED":
            self.client.update_run(existing.info.run_id, status="RUNNING")
            return existing.info.run_id
        run = self.client.create_run(
            self.experiment_id,
            run_name=name,
            tags={TRAINING_KEY_TAG: training_key, STAGE_TAG: "parent", **source_tags(), **tags},
        )
        return run.info.run_id

    def child_run(self, parent_id: str, training_key: str, stage: str) -> tuple[str, bool]:
        """(run id, already finished) of the stage's child run under ``parent_id``."""
        existing = self.find_run(training_key, stage, parent_id)
        if existing is not None:
            if existing.info.status == "FINISHED":
                return existing.info.run_id, True
            self.client.update_run(existing.info.run_id, status="RUNNING")
            return existing.info.run_id, False
        run = self.client.create_run(
            self.experiment_id,
            run_name=stage,
            tags={
                TRAINING_KEY_TAG: training_key,
                STAGE_TAG: stage,
                "mlflow.parentRunId": parent_id,
                **source_tags(),
            },
        )
        return run.info.run_id, False

    def finish(self, run_id: str, status: str = "FINISHED") -> None:
        self.client.set_terminated(run_id, status=status)

    # -- logging ---------------------------------------------------------------
    def log_params(self, run_id: str, params: dict[str, Any]) -> None:
        from mlflow.entities import Param

        logged = self.client.get_run(run_id).data.params
        fresh = [Param(k, _short(v)) for k, v in params.items() if k not in logged]
        if fresh:  # params are immutable in MLflow: a resumed run logs only the new ones
            self.client.log_batch(run_id, params=fresh)

    def log_metrics(self, run_id: str, metrics: dict[str, float], step: int | None = None) -> None:
        import time

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        batch = [Metric(k, float(v), now, step or 0) for k, v in metrics.items() if _is_number(v)]
        if batch:
            self.client.log_batch(run_id, metrics=batch)

    def set_tags(self, run_id: str, tags: dict[str, Any]) -> None:
        for key, value in tags.items():
            self.client.set_tag(run_id, key, _short(value))

    def log_dataset(self, run_id: str, path: str | Path, *, name: str, digest: str, context: str) -> None:
        """Record an exported split as a run input (name, digest, source, schema, row count)."""
        import mlflow.data
        import pandas as pd
        from mlflow.entities import DatasetInput, InputTag

        frame = pd.read_parquet(path, columns=["trajectory_id", "env_id", "tools"])
        with warnings.catch_warnings():  # MLflow finds two equivalent local-file source classes and says so
            warnings.simplefilter("ignore", UserWarning)
            dataset = mlflow.data.from_pandas(frame, source=str(path), name=name, digest=digest)
        inputs = [DatasetInput(dataset._to_mlflow_entity(), tags=[InputTag("mlflow.data.context", context)])]
        self.client.log_inputs(run_id, datasets=inputs)

    def log_checkpoint(self, run_id: str, checkpoint_dir: str | Path) -> None:
        """The stage's last checkpoint, weights and trainer state (optimizer state stays local)."""
        checkpoint = Path(checkpoint_dir)
        for item in sorted(checkpoint.iterdir()):
            if item.is_file() and not item.name.startswith(_CHECKPOINT_SKIP):
                self.client.log_artifact(run_id, str(item), artifact_path=f"checkpoints/{checkpoint.name}")

    def callback(self, run_id: str) -> Any:
        """A Trainer callback streaming loss, learning rate, grad norm and tokens seen into ``run_id``."""
        from transformers import TrainerCallback

        tracker = self

        class _MlflowStage(TrainerCallback):
            def on_log(
                self, args: Any, state: Any, control: Any, logs: dict | None = None, **kwargs: Any
            ) -> None:
                metrics = {k: v for k, v in (logs or {}).items() if _is_number(v)}
                metrics["tokens_seen"] = state.num_input_tokens_seen or 0
                tracker.log_metrics(run_id, metrics, step=state.global_step)

        return _MlflowStage()

    # -- model -----------------------------------------------------------------
    def log_and_register(
        self, run_id: str, model_dir: str | Path, registered_name: str, tags: dict[str, str]
    ) -> str:
        """Log ``model_dir`` as a pyfunc model on ``run_id``, register a new version, tag its lineage."""
        import mlflow
        import mlflow.pyfunc

        from envscale.models.agent_pyfunc import EnvscaleAgentModel

        requirements = [f"{p}=={_version(p)}" for p in ("transformers", "torch", "mlflow", "tokenizers")]
        with mlflow.start_run(run_id=run_id, experiment_id=self.experiment_id):
            info = mlflow.pyfunc.log_model(
                name=MODEL_ARTIFACT,
                python_model=EnvscaleAgentModel(),
                artifacts={MODEL_DIR_KEY: str(model_dir)},
                registered_model_name=registered_name,
                pip_requirements=requirements,
                metadata={"envscale": tags},
                signature=model_signature(),
                input_example=input_example(),
                await_registration_for=60,
            )
        version = str(info.registered_model_version)
        self.client.update_registered_model(registered_name, description=MODEL_DESCRIPTION)
        self.client.update_model_version(
            registered_name, version, description=_version_description(tags, run_id)
        )
        for key, value in tags.items():
            self.client.set_model_version_tag(registered_name, version, key, _short(value))
        # A new version is the one to evaluate and promote next (`envscale evaluate`'s default).
        self.client.set_registered_model_alias(registered_name, "challenger", version)
        self.client.set_tag(run_id, "envscale.registered_version", f"{registered_name}/{version}")
        return version


def source_tags() -> dict[str, str]:
    """MLflow's own source tags, so the UI's Source and Git columns say where a run came from."""
    tags = {"mlflow.source.type": "LOCAL", "mlflow.source.name": "envscale"}
    sha = code_version()
    if sha != "unknown":
        tags["mlflow.source.git.commit"] = sha.removesuffix("+dirty")
    return tags


def _version_description(tags: dict[str, str], run_id: str) -> str:
    short = {k.removeprefix("envscale."): v for k, v in tags.items()}
    parts = [f"Trained by run {run_id}"]
    if "base_model" in short:
        parts.append(f"from base model {short['base_model']}")
    if "training_key" in short:
        parts.append(f"(training key {short['training_key'][:12]})")
    return " ".join(parts) + "."


def load_registered(uri: str, home: Home) -> Path:
    """A registered (``models:/name/version``, ``models:/name@alias``) or run (``runs:/…``) model as a local HF dir."""
    mlflow_client = client(home)
    if uri.startswith("models:/"):
        name, version = _resolve_model_uri(mlflow_client, uri)
        key = f"{name}-v{version}"
        source = f"models:/{name}/{version}"
    elif uri.startswith("runs:/"):
        key = "run-" + uri.removeprefix("runs:/").replace("/", "-")
        source = uri
    else:
        raise ValueError(
            f"not an MLflow model URI: {uri!r} (expected models:/name/version, models:/name@alias or runs:/…)"
        )
    target = home.cache / "models" / "registered" / key
    if (target / ".complete").is_file():
        return _model_dir(target)
    import mlflow.artifacts

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=target.parent))
    try:
        # The store client() resolved the URI in; the model lands at the returned path
        # (staging/ for models:/, staging/<artifact path>/ for runs:/).
        root = Path(
            mlflow.artifacts.download_artifacts(
                artifact_uri=source, dst_path=str(staging), tracking_uri=tracking_uri(home)
            )
        )
        _model_dir(root)  # fail now if the download is not an envscale model
        (root / ".complete").write_text(source)
        if target.exists():
            shutil.rmtree(target)
        root.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return _model_dir(target)


def newest_version(mlflow_client: Any, name: str) -> str | None:
    """The highest version number of a registered model, or None when it has none."""
    versions = mlflow_client.search_model_versions(f"name = '{name}'")
    return str(max(int(v.version) for v in versions)) if versions else None


def alias_version(mlflow_client: Any, name: str, alias: str) -> str:
    """The version an alias points at (MlflowException when the alias is not set)."""
    return str(mlflow_client.get_model_version_by_alias(name, alias).version)


def _resolve_model_uri(mlflow_client: Any, uri: str) -> tuple[str, str]:
    rest = uri.removeprefix("models:/").strip("/")
    if "@" in rest:
        name, alias = rest.split("@", 1)
        return name, alias_version(mlflow_client, name, alias)
    name, _, version = rest.partition("/")
    if not version:
        raise ValueError(f"{uri!r} names no version or alias (models:/name/3 or models:/name@champion)")
    if version.lower() == "latest":
        newest = newest_version(mlflow_client, name)
        if newest is None:
            raise ValueError(f"no versions of registered model {name!r}")
        version = newest
    return name, version


def _model_dir(downloaded: Path) -> Path:
    import yaml

    mlmodel = downloaded / "MLmodel"
    if not mlmodel.is_file():
        raise ValueError(f"{downloaded} is not an MLflow model (no MLmodel file)")
    spec = yaml.safe_load(mlmodel.read_text())
    artifacts = spec.get("flavors", {}).get("python_function", {}).get("artifacts", {})
    if MODEL_DIR_KEY not in artifacts:
        raise ValueError(f"{downloaded} is not an envscale agent model (no '{MODEL_DIR_KEY}' artifact)")
    path = downloaded / artifacts[MODEL_DIR_KEY]["path"]
    if not (path / "config.json").is_file():
        raise ValueError(f"{path} holds no Hugging Face model")
    return path


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text[:5000]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
