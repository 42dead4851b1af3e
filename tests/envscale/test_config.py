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


def test_overrides_are_validated_like_the_file():
    from envscale.config import apply_overrides

    settings = load_settings()
    assert apply_overrides(settings.build, {"max_environments": 3}, "build").max_environments == 3
    assert apply_overrides(settings.build, {}, "build") is settings.build
    with pytest.raises(ConfigError, match=r"build\.domains.*'foo'"):
        apply_overrides(settings.build, {"domains": "foo"}, "build")
    with pytest.raises(ConfigError, match=r"build\.max_environments"):
        apply_overrides(settings.build, {"max_environments": 0}, "build")
    with pytest.raises(ConfigError, match=r"(?s)blueprints_per_environment.*episodes_in_flight"):
        apply_overrides(
            settings.synthesize, {"blueprints_per_environment": 0, "episodes_in_flight": -1}, "synthesize"
        )


@pytest.mark.parametrize(
    ("name", "text", "kind"),
    [
        ("c.toml", "[build]\nseed = \n", "TOML"),
        ("c.toml", "[build\n", "TOML"),
        ("c.yaml", "build:\n  seed: [1,\n", "YAML"),
        ("c.yaml", "build: {seed: 1\n", "YAML"),
    ],
)
def test_syntax_errors_name_the_file_and_line(tmp_path, monkeypatch, name, text, kind):
    config = tmp_path / name
    config.write_text(text)
    monkeypatch.setenv("ENVSCALE_CONFIG", str(config))
    with pytest.raises(ConfigError, match=rf"(?s)c\.\w+: not valid {kind}.*line"):
        load_settings()


def test_a_file_that_is_not_a_table_is_refused(tmp_path, monkeypatch):
    config = tmp_path / "c.yaml"
    config.write_text("- 1\n- 2\n")
    monkeypatch.setenv("ENVSCALE_CONFIG", str(config))
    with pytest.raises(ConfigError, match="not a table of settings"):
        load_settings()


def test_home_cannot_be_set_in_a_file(tmp_path, monkeypatch):
    config = tmp_path / "c.toml"
    config.write_text('home = "/somewhere/else"\n')
    monkeypatch.setenv("ENVSCALE_CONFIG", str(config))
    with pytest.raises(
        ConfigError, match="`home` cannot be set in a config file; use --home or ENVSCALE_HOME"
    ):
        load_settings()


def test_an_explicit_zero_or_false_flow_parameter_is_kept_not_replaced_by_the_default() -> None:
    from envscale.config import ConfigError, EvaluateSettings, IngestSettings, apply_overrides, given

    with pytest.raises(ConfigError, match="evaluate.k"):
        apply_overrides(EvaluateSettings(), given(k=0, max_tasks=None), "evaluate")
    strict_setting = IngestSettings(strict=True)
    assert apply_overrides(strict_setting, given(strict=False), "ingest").strict is False
    assert apply_overrides(strict_setting, given(strict=None), "ingest").strict is True


def test_auto_synthesis_mode_is_forward_only_with_a_configured_agent_endpoint():
    from envscale.config import EndpointSettings, LLMSettings, SynthesizeSettings, with_synthesis_mode

    auto = SynthesizeSettings()
    assert auto.mode == "auto"
    assert with_synthesis_mode(auto, LLMSettings()).mode == "reverse"  # the embedded 135M model
    served = LLMSettings(agent=EndpointSettings(base_url="http://127.0.0.1:9/v1"))
    assert with_synthesis_mode(auto, served).mode == "forward"
    scripted = LLMSettings(agent=EndpointSettings(mode="scripted", base_url="http://127.0.0.1:9/v1"))
    assert with_synthesis_mode(auto, scripted).mode == "reverse"  # forward needs an LLM agent
    forced = SynthesizeSettings(mode="forward")
    assert with_synthesis_mode(forced, LLMSettings()).mode == "forward"  # an explicit mode is kept
