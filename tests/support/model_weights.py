"""A saved model's weights, for tests that compare models before and after training or a registry round trip."""

from __future__ import annotations

from pathlib import Path


def weights(model_dir: str | Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(Path(model_dir) / "model.safetensors"))
