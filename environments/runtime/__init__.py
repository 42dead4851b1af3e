"""The environment runtime: isolated episodes over an environment's DuckDB state.

from envscale.environments.runtime import open_episode
with open_episode(env_id) as ep:            # or a manifest, or "tau_bench_retail"
    result = ep.call("get_order_details", {"order_id": "#W2378156"})
    ep.state_hash(); ep.diff()
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from envscale.environments.runtime.contracts import EnvTool, Episode, RowChange, ToolCall, ToolResult

if TYPE_CHECKING:
    from envscale.environments.manifest import EnvironmentManifest
    from envscale.environments.runtime.episode import EnvEpisode
    from envscale.environments.runtime.loaded import LoadedEnvironment

__all__ = [
    "EnvTool",
    "Episode",
    "RowChange",
    "ToolCall",
    "ToolResult",
    "environments_dir",
    "forget_environments",
    "load_environment",
    "open_episode",
    "read_manifest",
]

_CACHE: dict[tuple[str, str], LoadedEnvironment] = {}
_CACHE_LOCK = threading.Lock()


def environments_dir() -> Path:
    """``home.environments`` of the active envscale home."""
    from envscale.home import resolve_home

    return resolve_home().environments


def read_manifest(env: str, directory: Path | None = None) -> EnvironmentManifest:
    """The manifest of an env_id, or of an alias such as 'tau_bench_retail'."""
    from envscale.environments.manifest import EnvironmentManifest

    directory = Path(directory or environments_dir())
    path = directory / f"{env}.json"
    if not path.is_file():
        alias = directory / f"{env}.alias"
        if alias.is_file():
            path = directory / f"{alias.read_text().strip()}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no environment {env!r} in {directory} (build or import it first)")
    return EnvironmentManifest.read(path)


def load_environment(
    env: str | EnvironmentManifest, *, directory: Path | None = None, db_path: Path | None = None
) -> LoadedEnvironment:
    """The process-wide loaded copy of an environment (loaded on first use)."""
    from envscale.environments.manifest import EnvironmentManifest
    from envscale.environments.runtime.loaded import LoadedEnvironment

    directory = Path(directory or environments_dir())
    manifest = env if isinstance(env, EnvironmentManifest) else read_manifest(env, directory)
    path = Path(db_path) if db_path is not None else manifest.db_path(directory)
    key = (manifest.env_id, str(path))
    with _CACHE_LOCK:
        loaded = _CACHE.get(key)
        if loaded is None:
            _apply_settings_limits()
            loaded = LoadedEnvironment.from_file(
                path,
                env_id=manifest.env_id,
                schema=manifest.db_schema,
                tools=manifest.tools,
                programs=manifest.programs,
                clock=manifest.clock,
            )
            _CACHE[key] = loaded
    return loaded


def _apply_settings_limits() -> None:
    """Statement time and memory limits from the settings tree (build.statement_*)."""
    from envscale.config import load_settings
    from envscale.environments import sandbox

    build = load_settings().build
    sandbox.set_limits(
        sandbox.Limits(timeout_s=build.statement_timeout_s, memory_limit=build.statement_memory_limit)
    )


def open_episode(
    env: str | EnvironmentManifest, *, directory: Path | None = None, db_path: Path | None = None
) -> EnvEpisode:
    """An isolated episode on ``env`` (env_id, alias, or manifest). Close it (or use ``with``) to discard it.

    Episodes may be used from different threads, one thread per episode at a time.
    """
    return load_environment(env, directory=directory, db_path=db_path).open_episode()


def forget_environments() -> None:
    """Drop every loaded environment (tests; freeing memory)."""
    with _CACHE_LOCK:
        for loaded in _CACHE.values():
            loaded.close()
        _CACHE.clear()
