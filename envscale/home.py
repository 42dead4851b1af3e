"""Where envscale keeps its state, and the process environment the libraries need.

Everything a run writes lives under one folder (``ENVSCALE_HOME``, default
``./.envscale``): the DuckDB warehouse, MLflow's SQLite DB and artifacts,
Prefect's home, model caches, run logs. ``activate`` must run before Prefect,
MLflow or Hugging Face libraries are imported, because they read these
variables at import time.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from envscale.errors import ExternalFailure

HOME_ENV = "ENVSCALE_HOME"
DEFAULT_HOME = ".envscale"


class HomeError(ExternalFailure):
    """The state folder cannot be created or used (a file is in the way, no permission, ...)."""


@dataclass(frozen=True)
class Home:
    """The resolved state folder and the well-known paths inside it."""

    root: Path

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def mlflow_db(self) -> Path:
        return self.root / "mlflow" / "mlflow.db"

    @property
    def mlflow_artifacts(self) -> Path:
        return self.root / "mlflow" / "artifacts"

    @property
    def mlflow_uri(self) -> str:
        return f"sqlite:///{self.mlflow_db}"

    @property
    def prefect_home(self) -> Path:
        return self.root / "prefect"

    @property
    def environments(self) -> Path:
        """DuckDB files of built environments, one per env_id."""
        return self.root / "environments"

    @property
    def cache(self) -> Path:
        """Content-addressed caches (embeddings, converted models, LLM answers)."""
        return self.root / "cache"

    @property
    def runs(self) -> Path:
        """Per-run folders: logs, reports, Data Docs, datasets, checkpoints."""
        return self.root / "runs"

    def ensure(self) -> Home:
        """Create the folders; a path that cannot be a folder raises HomeError (no traceback in the CLI)."""
        try:
            for path in (
                self.root,
                self.mlflow_artifacts,
                self.prefect_home,
                self.environments,
                self.cache,
                self.runs,
            ):
                path.mkdir(parents=True, exist_ok=True)
            gitignore = self.root / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("*\n")
        except (FileExistsError, NotADirectoryError) as exc:
            raise HomeError(
                f"cannot use {self.root} as the envscale home: a file is in the way "
                f"({exc.filename or self.root} cannot be a folder); pass another --home (or ENVSCALE_HOME)"
            ) from None
        except OSError as exc:
            raise HomeError(
                f"cannot use {self.root} as the envscale home: {exc.strerror or exc} "
                f"({exc.filename or self.root}); pass another --home (or ENVSCALE_HOME)"
            ) from None
        return self


def resolve_home(explicit: str | os.PathLike[str] | None = None) -> Home:
    """``--home`` wins over ``ENVSCALE_HOME``, which wins over ``./.envscale``."""
    raw = explicit or os.environ.get(HOME_ENV) or DEFAULT_HOME
    return Home(Path(raw).expanduser().resolve())


# Variables set only when the user has not set them: a user's own Prefect
# server or MLflow tracking URI always wins.
def _library_defaults(home: Home) -> dict[str, str]:
    return {
        "PREFECT_HOME": str(home.prefect_home),
        # A fresh ephemeral Prefect API takes ~20 s to start on 2 cores.
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
        "DO_NOT_TRACK": "1",
        "MLFLOW_TRACKING_URI": home.mlflow_uri,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
        # Nothing may come from a hub at run time.
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HOME": str(home.cache / "huggingface"),
        "TOKENIZERS_PARALLELISM": "false",
        "GX_ANALYTICS_ENABLED": "false",
        # Two busy threads on a 2-core box were ~10x slower than one for torch.
        "OMP_NUM_THREADS": "1",
        "MPLCONFIGDIR": str(home.cache / "matplotlib"),
    }


def activate(explicit: str | os.PathLike[str] | None = None) -> Home:
    """Resolve the home, create it, and export the variables libraries read on import."""
    home = resolve_home(explicit).ensure()
    os.environ[HOME_ENV] = str(home.root)
    for key, value in _library_defaults(home).items():
        # Re-activating with another home moves the variables envscale set
        # itself, never those the user set.
        if key not in os.environ or key in _OWNED:
            os.environ[key] = value
            _OWNED.add(key)
    _repoint_loaded_libraries()
    return home


def _repoint_loaded_libraries() -> None:
    """MLflow keeps the URI it was first given; follow the home when it moves in-process."""
    mlflow = sys.modules.get("mlflow")
    if mlflow is not None and "MLFLOW_TRACKING_URI" in _OWNED:
        mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])
        mlflow.set_registry_uri(os.environ["MLFLOW_TRACKING_URI"])


_OWNED: set[str] = set()
