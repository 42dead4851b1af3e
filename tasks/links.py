"""What a Prefect user clicks: flow-run tags and markdown links in artifacts.

Artifacts render markdown, so an MLflow run, a plot or a Data Docs page is a link
there, not an id or a path to copy. Tags make flow runs filterable in the UI by
stage, by the environments trained on and by model version.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def md_link(text: str, url: str) -> str:
    """A markdown link; brackets in the text would end it early, so they are escaped."""
    safe = text.replace("[", "\\[").replace("]", "\\]")
    return f"[{safe}]({url.replace(' ', '%20').replace(')', '%29')})"


def file_link(path: str | Path, text: str | None = None) -> str:
    """A link to a local file (plots, Data Docs), opened by the browser that shows the Prefect UI."""
    resolved = Path(path).resolve()
    return md_link(text or resolved.name, resolved.as_uri())


def mlflow_run_link(run_id: str, experiment_id: str | None = None, text: str | None = None) -> str:
    """A link to the run's MLflow page (the experiment is looked up when not given); the id alone if MLflow fails."""
    from envscale.models.registry import run_url

    label = text or f"MLflow run {run_id[:8]}"
    if experiment_id is None:
        try:
            from envscale.home import activate
            from envscale.models.registry import client

            experiment_id = client(activate()).get_run(run_id).info.experiment_id
        except Exception:
            return f"{label} (`{run_id}`)"
    return md_link(label, run_url(experiment_id, run_id))


def model_version_link(name: str, version: str) -> str:
    from envscale.models.registry import model_version_url

    return md_link(f"{name} v{version}", model_version_url(name, version))


def stage_tags(stage: str, *, env_ids_hash: str | None = None, model_version: str | None = None) -> list[str]:
    """``stage:train``, ``envs:<12 hex>``, ``model:envscale-agent/3``: short, one meaning each."""
    tags = [f"stage:{stage}"]
    if env_ids_hash:
        tags.append(f"envs:{env_ids_hash[:12]}")
    if model_version:
        tags.append(f"model:{model_version}")
    return tags


def tag_flow_run(tags: list[str]) -> list[str] | None:
    """Add ``tags`` to the running flow run (kept: the ones it had); None outside a flow run.

    Tags set at deployment or by ``prefect.tags`` stay; a failure to reach the API
    costs the tags, never the stage.
    """
    try:
        from prefect.runtime import flow_run

        flow_run_id = flow_run.id
    except Exception:
        return None
    if not flow_run_id:
        return None
    try:
        from prefect.client.orchestration import get_client

        with get_client(sync_client=True) as client:
            current = client.read_flow_run(flow_run_id)
            merged = sorted({*current.tags, *tags})
            client.update_flow_run(flow_run_id, tags=merged)
            return merged
    except Exception as exc:  # the API is ours and local; losing tags must not fail a stage
        _warn(f"could not tag flow run {flow_run_id}: {exc}")
        return None


def _warn(message: Any) -> None:
    try:
        from prefect import get_run_logger

        get_run_logger().warning(message)
    except Exception:
        pass
