"""The pipeline's stages in order, and which of them are built.

The CLI and the ``pipeline`` flow read this table, so a stage that is not built
yet is reported as such instead of being faked. Building a stage means writing
its flow module and pointing ``entry`` at the flow function.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from envscale.errors import InputError


@dataclass(frozen=True)
class Stage:
    name: str
    issue: int
    summary: str
    entry: str | None  # "module:function" of the Prefect flow, None while not built
    command: str | None = None  # the CLI command that runs it, when not its name (rl: `train --stage rl`)
    in_pipeline: bool = True  # run by `envscale pipeline` by default

    @property
    def built(self) -> bool:
        return self.entry is not None

    def load(self) -> Callable[..., Any]:
        """The stage's flow, with the task runner chosen in `settings.scale`."""
        if self.entry is None:
            raise StageNotBuilt(self)
        module, func = self.entry.split(":")
        fn = getattr(importlib.import_module(module), func)
        if hasattr(fn, "with_options"):
            from envscale.config import load_settings
            from envscale.tasks.runners import task_runner

            fn = fn.with_options(task_runner=task_runner(load_settings().scale))
        return fn


class StageNotBuilt(InputError, RuntimeError):
    def __init__(self, stage: Stage) -> None:
        super().__init__(f"stage '{stage.name}' is not built yet (issue #{stage.issue}: {stage.summary})")
        self.stage = stage


STAGES: tuple[Stage, ...] = (
    Stage("ingest", 3, "tool-schema ingestion into the catalog", "envscale.flows.ingest:ingest_tools"),
    Stage(
        "build", 4, "tool graph, domains and DuckDB environments", "envscale.flows.build:build_environments"
    ),
    Stage(
        "synthesize", 5, "blueprints, intents and simulated interplay", "envscale.flows.synthesize:synthesize"
    ),
    Stage("validate", 6, "three-stage filter and data contracts", "envscale.flows.validate:validate"),
    Stage("train", 7, "two-stage TRL fine-tuning tracked in MLflow", "envscale.flows.train:train"),
    Stage(
        "rl",
        16,
        "GRPO in the simulated environments from a registered version",
        "envscale.flows.rl:rl",
        command="train",
        in_pipeline=False,
    ),
    Stage("evaluate", 8, "pass^k on held-out and imported environments", "envscale.flows.evaluate:evaluate"),
    Stage(
        "promote", 8, "champion/challenger promotion in the MLflow registry", "envscale.flows.promote:promote"
    ),
)


def stage(name: str) -> Stage:
    for s in STAGES:
        if s.name == name:
            return s
    raise KeyError(name)
