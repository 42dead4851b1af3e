"""The CLI's library filters drop the named noise and nothing else (issue 20)."""

from __future__ import annotations

import logging
import warnings

from envscale import library_noise


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_trl_config_warning_is_dropped_and_other_warnings_still_show(tmp_path):
    from envscale.config import TrainSettings
    from envscale.models.training import device_plan, sft_config

    settings = TrainSettings()
    library_noise.install()
    with warnings.catch_warnings(record=True) as seen:
        # the SFTConfig envscale trains with: TRL passes transformers' renamed option
        sft_config(settings, tmp_path, device_plan(settings, "cpu"), learning_rate=1e-4)
        warnings.warn("something new", FutureWarning, stacklevel=1)
    texts = [str(w.message) for w in seen]
    assert not any("gradient_checkpointing" in t for t in texts), texts
    assert "something new" in texts


def test_named_log_records_are_dropped_others_kept():
    library_noise.install()
    keep = _Keep()
    names = ("mlflow.pyfunc", "great_expectations.data_context.types.base")
    for name in names:
        logging.getLogger(name).addHandler(keep)
    try:
        pyfunc = logging.getLogger("mlflow.pyfunc")
        pyfunc.warning(
            "Passing a Python object as `python_model` causes it to be serialized using CloudPickle"
        )
        pyfunc.warning("a real problem with the model")
        ge = logging.getLogger("great_expectations.data_context.types.base")
        ge.setLevel(logging.INFO)
        ge.info("Created temporary directory '%s' for ephemeral docs site", "/tmp/x")
    finally:
        for name in names:
            logging.getLogger(name).removeHandler(keep)
    assert keep.messages == ["a real problem with the model"]


def test_install_twice_adds_one_filter_and_keeps_a_users_variable(monkeypatch):
    monkeypatch.setenv("HF_DATASETS_DISABLE_PROGRESS_BARS", "0")
    library_noise.install()
    library_noise.install()
    import os

    assert os.environ["HF_DATASETS_DISABLE_PROGRESS_BARS"] == "0"
    assert len(logging.getLogger("mlflow.pyfunc").filters) == 1
