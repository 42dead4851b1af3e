"""The RL stage's core: tasks of training-split environments, the start version, one GRPO run.

Tasks come only from environments the training split family trains on: the split
``models.dataset_export`` computes (same ``split_key``), less anything evaluation
holds out (``heldout_env_ids``), so RL never learns on an environment evaluation
plays. The policy plays the environment through TRL 1.16's ``environment_factory``
(``models.rl``): tools are methods, ``reset`` returns the task, ``get_reward`` is the
evaluation judge's verdict.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from envscale.config import RLSettings, TrainSettings
from envscale.environments.evaluation.metrics import task_set_hash
from envscale.environments.evaluation.tasks import TaskSet, heldout_env_ids, heldout_tasks
from envscale.environments.store.datasets import export_environments, split_history
from envscale.environments.store.environments import accepted_env_ids
from envscale.errors import InputError, MissingPrerequisite
from envscale.hashing import content_hash
from envscale.models.dataset_export import split_environments, split_key
from envscale.warehouse import Warehouse

CHAMPION = "champion"


class NoRLTasks(MissingPrerequisite, ValueError):
    """No training-split environment has tasks to play."""


class NoStartVersion(InputError, LookupError):
    """The version RL should start from is not registered (or no champion is set)."""


class RLLineage(BaseModel):
    """What the RL version carries as tags (``envscale.rl.*``)."""

    model_config = ConfigDict(frozen=True)

    start_version: str = Field(description="Registered version GRPO started from.")
    start_model_uri: str = Field(description="models:/name/version of the start model.")
    task_set_hash: str = Field(description="Hash of the task ids trained on (and the group size, seed).")
    env_ids_hash: str = Field(description="Hash of the environment ids trained on.")
    n_tasks: int
    n_envs: int
    rl_key: str = Field(description="Identity of this RL run: start version, tasks, settings.")
    code_version: str
    warehouse_run_id: str | None = None

    def tags(self) -> dict[str, str]:
        return {f"envscale.rl.{k}": str(v) for k, v in self.model_dump().items() if v is not None}


class RLResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    model_dir: str
    global_step: int
    rewards: tuple[float, ...] = Field(description="Mean reward of each logged step (the reward curve).")
    train_loss: float | None = None


def rl_env_ids(wh: Warehouse, train: TrainSettings) -> list[str]:
    """Accepted environments the split family trains on, none of which evaluation plays."""
    family = split_environments(export_environments(wh), train, split_history(wh, split_key(train)))
    trained = set(family.general) | set(family.vertical_envs)
    played = set(heldout_env_ids(wh))
    return sorted(e for e in accepted_env_ids(wh) if e in trained and e not in played)


def rl_task_set(wh: Warehouse, train: TrainSettings, settings: RLSettings) -> TaskSet:
    """Up to ``max_tasks`` stored tasks of the training-split environments (deterministic in the seed)."""
    env_ids = rl_env_ids(wh, train)
    if not env_ids:
        raise NoRLTasks(
            "no training-split environment to play: run `envscale train` first (before an export, "
            "evaluation holds out every environment)"
        )
    tasks = heldout_tasks(wh, env_ids, max_tasks=settings.max_tasks, seed=settings.seed)
    if not tasks.tasks:
        raise NoRLTasks(
            f"the {len(env_ids)} training-split environment(s) have no tasks: run synthesize first"
        )
    return tasks


def start_version(mlflow_client: Any, name: str, from_version: str | None) -> str:
    """``from_version`` when registered, else the champion's version."""
    from mlflow.exceptions import MlflowException

    try:
        if from_version is None:
            return str(mlflow_client.get_model_version_by_alias(name, CHAMPION).version)
        return str(mlflow_client.get_model_version(name, str(from_version)).version)
    except MlflowException:
        what = f"version {from_version}" if from_version else f"a '{CHAMPION}' alias"
        raise NoStartVersion(
            f"registered model {name!r} has no {what}: promote a version or give --from-version N"
        ) from None


def lineage(
    version: str, name: str, tasks: TaskSet, settings: RLSettings, code: str, run_id: str | None
) -> RLLineage:
    ids = tasks.task_ids
    env_ids = sorted({t.blueprint.env_id for t in tasks.tasks})
    t_hash = task_set_hash(ids, settings.num_generations, settings.seed)
    # from_version is in "start" already (None and "1" may name the same version); threads change no weights
    knobs = settings.model_dump(exclude={"from_version", "cpu_threads", "experiment"})
    key = content_hash({"start": f"{name}/{version}", "tasks": t_hash, "settings": knobs})
    return RLLineage(
        start_version=version,
        start_model_uri=f"models:/{name}/{version}",
        task_set_hash=t_hash,
        env_ids_hash=content_hash(env_ids),
        n_tasks=len(ids),
        n_envs=len(env_ids),
        rl_key=key,
        code_version=code,
        warehouse_run_id=run_id,
    )


def grpo_config(settings: RLSettings, out_dir: Path) -> Any:
    import torch
    from trl import GRPOConfig

    on_gpu = torch.cuda.is_available()
    bf16 = {"auto": on_gpu and torch.cuda.is_bf16_supported(), "on": True, "off": False}[settings.bf16]
    return GRPOConfig(
        output_dir=str(out_dir),
        per_device_train_batch_size=settings.batch_size or settings.num_generations,
        num_generations=settings.num_generations,
        max_completion_length=settings.max_completion_length,
        max_tool_calling_iterations=settings.max_tool_calls,
        temperature=settings.temperature,
        beta=settings.beta,
        max_steps=settings.max_steps,
        learning_rate=settings.learning_rate,
        logging_steps=1,
        report_to=[],
        use_cpu=not on_gpu,
        bf16=bf16,
        save_strategy="no",
        seed=settings.seed,
    )


def run_grpo(
    start_dir: Path, tasks: TaskSet, settings: RLSettings, out_dir: Path, callbacks: list[Any]
) -> RLResult:
    """GRPO from ``start_dir`` over ``tasks``' environments; the final model is saved to ``out_dir/model``."""
    import os

    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")  # environment_factory is marked experimental
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOTrainer

    from envscale.models.rl import environment_factories, rl_rows, set_response_template

    if not torch.cuda.is_available():
        torch.set_num_threads(settings.cpu_threads)
    torch.manual_seed(settings.seed)
    tokenizer = set_response_template(AutoTokenizer.from_pretrained(start_dir))
    model = AutoModelForCausalLM.from_pretrained(start_dir)
    trainer = GRPOTrainer(
        model=model,
        args=grpo_config(settings, out_dir / "trainer"),
        train_dataset=Dataset.from_list(rl_rows(tasks)),
        processing_class=tokenizer,
        environment_factory=environment_factories(tasks),
        callbacks=callbacks,
    )
    output = trainer.train()
    final = out_dir / "model"
    trainer.save_model(str(final))
    tokenizer.save_pretrained(str(final))
    rewards = tuple(float(log["reward"]) for log in trainer.state.log_history if "reward" in log)
    return RLResult(
        model_dir=str(final),
        global_step=trainer.state.global_step,
        rewards=rewards,
        train_loss=getattr(output, "training_loss", None),
    )


__all__ = [
    "NoRLTasks",
    "NoStartVersion",
    "RLLineage",
    "RLResult",
    "lineage",
    "rl_env_ids",
    "rl_task_set",
    "run_grpo",
    "start_version",
]
