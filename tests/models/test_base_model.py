"""Resolving base-model specs to local HF directories, offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from envscale.models.base_model import BaseModelError, ensure_base_model, smollm2_gguf
from envscale.models.chat_template import chat_template


def test_local_dir_without_template_gets_a_cached_copy_with_it(
    home, tiny_model_dir: Path, tmp_path: Path
) -> None:
    from transformers import AutoTokenizer

    plain = tmp_path / "plain"
    plain.mkdir()
    for item in tiny_model_dir.iterdir():
        if item.name != "chat_template.jinja":
            (plain / item.name).write_bytes(item.read_bytes())
    config = json.loads((plain / "tokenizer_config.json").read_text())
    config.pop("response_template", None)
    (plain / "tokenizer_config.json").write_text(json.dumps(config))
    assert AutoTokenizer.from_pretrained(plain).chat_template is None

    resolved = ensure_base_model(str(plain), home)
    assert resolved.is_relative_to(home.cache / "models")
    assert AutoTokenizer.from_pretrained(resolved).chat_template == chat_template()
    assert (resolved / "model.safetensors").resolve() == (
        plain / "model.safetensors"
    ).resolve()  # linked, not copied
    assert ensure_base_model(str(plain), home) == resolved  # cached
    # a directory that already carries the template is used in place
    assert ensure_base_model(str(tiny_model_dir), home) == tiny_model_dir


def test_unusable_specs_fail_clearly(home, tmp_path: Path) -> None:
    with pytest.raises(BaseModelError, match="neither"):
        ensure_base_model(str(tmp_path / "missing"), home)
    with pytest.raises(BaseModelError, match="config.json"):
        ensure_base_model(str(tmp_path), home)


@pytest.mark.slow
def test_smollm2_gguf_converts_once_and_generates(home) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    assert smollm2_gguf().stat().st_size > 50_000_000
    path = ensure_base_model("smollm2", home)
    assert (path / "model.safetensors").is_file() and (path / "envscale_model.json").is_file()
    assert ensure_base_model("smollm2", home) == path  # second call hits the cache
    tokenizer = AutoTokenizer.from_pretrained(path)
    assert tokenizer.chat_template == chat_template() and tokenizer.response_template is not None
    model = AutoModelForCausalLM.from_pretrained(path)
    inputs = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is the capital of France?"}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    out = model.generate(**inputs, max_new_tokens=16, do_sample=False)
    answer = tokenizer.decode(out[0][inputs["input_ids"].shape[1] :])
    assert "Paris" in answer


def test_linked_weights_get_configs_that_stop_at_im_end(home, tiny_model_dir: Path, tmp_path: Path) -> None:
    # a source whose eos is <|endoftext|> and whose template is not envscale's: the vocabulary stays the same
    from transformers import AutoConfig, AutoTokenizer, GenerationConfig

    source = tmp_path / "other-eos"
    source.mkdir()
    for item in tiny_model_dir.iterdir():
        if item.name != "chat_template.jinja":
            (source / item.name).write_bytes(item.read_bytes())
    tok_config = json.loads((source / "tokenizer_config.json").read_text())
    tok_config.pop("response_template", None)
    tok_config["eos_token"] = "<|endoftext|>"
    (source / "tokenizer_config.json").write_text(json.dumps(tok_config))
    old_eos = AutoTokenizer.from_pretrained(source).eos_token_id
    for name in ("config.json", "generation_config.json"):
        data = json.loads((source / name).read_text())
        data["eos_token_id"] = old_eos
        (source / name).write_text(json.dumps(data))
    source_configs = {n: (source / n).read_text() for n in ("config.json", "generation_config.json")}

    resolved = ensure_base_model(str(source), home)
    im_end = AutoTokenizer.from_pretrained(resolved).convert_tokens_to_ids("<|im_end|>")
    assert AutoTokenizer.from_pretrained(resolved).eos_token_id == im_end != old_eos
    for eos in (
        AutoConfig.from_pretrained(resolved).eos_token_id,
        GenerationConfig.from_pretrained(resolved).eos_token_id,
    ):
        assert im_end in (eos if isinstance(eos, list) else [eos])
    assert {n: (source / n).read_text() for n in source_configs} == source_configs  # the source is untouched
    assert (resolved / "model.safetensors").is_symlink()  # weights still linked
