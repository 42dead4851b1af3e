from __future__ import annotations

import pytest

from envscale.config import ConfigError, load_settings, masked_dump


def test_defaults_are_offline_and_typed():
    settings = load_settings()
    assert settings.llm.agent.base_url is None  # embedded endpoint by default
    assert settings.llm.user_simulator.mode == "scripted"
    assert 0 < settings.build.similarity_threshold <= 1


def test_env_vars_override_nested_fields(monkeypatch):
    monkeypatch.setenv("ENVSCALE_LLM__AGENT__BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("ENVSCALE_VALIDATION__NGRAM_SIZE", "7")
    settings = load_settings()
    assert settings.llm.agent.base_url == "http://127.0.0.1:9/v1"
    assert settings.validation.ngram_size == 7


def test_toml_file_is_read_and_env_wins_over_it(tmp_path, monkeypatch):
    config = tmp_path / "c.toml"
    config.write_text('[build]\nseed = 11\nrows_per_table = 5\n[llm.agent]\nmodel = "from-file"\n')
    monkeypatch.setenv("ENVSCALE_CONFIG", str(config))
    monkeypatch.setenv("ENVSCALE_BUILD__SEED", "12")
    settings = load_settings()
    assert (settings.build.seed, settings.build.rows_per_table, settings.llm.agent.model) == (
        12,
        5,
        "from-file",
    )


def test_yaml_file_is_read(tmp_path, monkeypatch):
    config = tmp_path / "c.yaml"
    config.write_text("train:\n  lora: true\n  vertical: [retail*]\n")
    monkeypatch.setenv("ENVSCALE_CONFIG", str(config))
    settings = load_settings()
    assert settings.train.lora is True and settings.train.vertical == ["retail*"]


def test_invalid_values_give_one_readable_error(monkeypatch):
    monkeypatch.setenv("ENVSCALE_BUILD__SIMILARITY_THRESHOLD", "3")
    with pytest.raises(ConfigError, match=r"build\.similarity_threshold"):
        load_settings()


def test_unknown_keys_are_rejected(tmp_path, monkeypatch):
    config = tmp_path / "c.toml"
    config.write_text("[build]\nsimilarity_treshold = 0.5\n")  # typo
    monkeypatch.setenv("ENVSCALE_CONFIG", str(config))
    with pytest.raises(ConfigError, match="similarity_treshold"):
        load_settings()


def test_api_key_is_read_from_named_variable_and_masked(monkeypatch):
    monkeypatch.setenv("ENVSCALE_LLM__AGENT__API_KEY_ENV", "MY_PROVIDER_KEY")
    monkeypatch.setenv("MY_PROVIDER_KEY", "sk-planted-secret")
    settings = load_settings()
    assert settings.llm.agent.api_key().get_secret_value() == "sk-planted-secret"
    dumped = masked_dump(settings)
    assert "sk-planted-secret" not in str(dumped)
    assert dumped["llm"]["agent"]["api_key_env"] == "MY_PROVIDER_KEY"  # the name is safe to show
    assert dumped["llm"]["agent"]["max_tokens"] == 512  # not a secret despite "token"
