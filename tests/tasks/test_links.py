"""Markdown links and flow-run tags: brackets and spaces cannot break a link; tags are short and one meaning each."""

from __future__ import annotations

from envscale.tasks.links import file_link, md_link, mlflow_run_link, stage_tags, tag_flow_run


def test_md_link_escapes_brackets_and_url_breakers():
    assert md_link("plot", "http://x/a b") == "[plot](http://x/a%20b)"
    assert md_link("a [b]", "http://x/(y)") == "[a \\[b\\]](http://x/(y%29)"


def test_file_link_points_at_the_resolved_file(tmp_path):
    plot = tmp_path / "my plot.png"
    plot.write_bytes(b"")
    assert file_link(plot) == f"[my plot.png]({plot.resolve().as_uri()})"
    assert file_link(plot, "pass^k").startswith("[pass^k](file://")


def test_mlflow_run_link_with_a_known_experiment():
    link = mlflow_run_link("0123456789abcdef", "7")
    assert link.startswith("[MLflow run 01234567](")
    assert "/#/experiments/7/runs/0123456789abcdef" in link


def test_stage_tags():
    assert stage_tags("train") == ["stage:train"]
    assert stage_tags("train", env_ids_hash="a" * 40, model_version="envscale-agent/3") == [
        "stage:train",
        f"envs:{'a' * 12}",
        "model:envscale-agent/3",
    ]


def test_tag_flow_run_outside_a_flow_run_is_none():
    assert tag_flow_run(["stage:train"]) is None
