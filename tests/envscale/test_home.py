from __future__ import annotations

import os

from envscale.home import activate, resolve_home


def test_explicit_home_wins_and_relocates_library_state(tmp_path, monkeypatch):
    monkeypatch.setenv("ENVSCALE_HOME", str(tmp_path / "from-env"))
    assert resolve_home().root == tmp_path / "from-env"
    home = activate(tmp_path / "explicit")
    try:
        assert (
            os.environ["MLFLOW_TRACKING_URI"] == f"sqlite:///{tmp_path / 'explicit' / 'mlflow' / 'mlflow.db'}"
        )
        assert os.environ["PREFECT_HOME"] == str(tmp_path / "explicit" / "prefect")
        assert os.environ["HF_HUB_OFFLINE"] == "1"
        assert home.warehouse.parent == tmp_path / "explicit"
        assert (tmp_path / "explicit" / ".gitignore").read_text() == "*\n"
    finally:
        activate(os.environ.get("ENVSCALE_TEST_HOME") or None)


def test_user_set_variables_are_never_overridden(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://my-mlflow:5000")
    import envscale.home as home_mod

    monkeypatch.setattr(home_mod, "_OWNED", set(home_mod._OWNED) - {"MLFLOW_TRACKING_URI"})
    activate(tmp_path / "h")
    assert os.environ["MLFLOW_TRACKING_URI"] == "http://my-mlflow:5000"


def test_a_home_that_is_a_file_raises_home_error(tmp_path):
    import pytest

    from envscale.home import HomeError

    file = tmp_path / "state"
    file.write_text("x")
    for path in (file, file / "nested"):
        with pytest.raises(HomeError, match="a file is in the way"):
            resolve_home(path).ensure()
