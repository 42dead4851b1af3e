"""Train one stage from an exported Parquet split: the entry point for ``accelerate launch``.

The train flow runs both stages in its own process (one CPU or one GPU). For
several GPUs, launch a stage here under accelerate; the Trainer picks up the
process group (DDP) that ``accelerate launch`` sets up::

    accelerate launch --config_file configs/accelerate/multi_gpu.yaml --num_processes 8 \
        -m envscale.models.train_cli --model-dir BASE --dataset stage1.parquet --out OUT

Settings come from envscale's configuration (``ENVSCALE_TRAIN__*``, TOML/YAML)
with the flags below on top. The main process prints the ``StageResult`` as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m envscale.models.train_cli",
        description="Train one envscale SFT stage (resumable) from an exported Parquet split.",
    )
    parser.add_argument("--model-dir", required=True, type=Path, help="HF model directory to start from.")
    parser.add_argument(
        "--dataset", required=True, type=Path, help="Exported split (stage1/stage2 .parquet)."
    )
    parser.add_argument("--out", required=True, type=Path, help="Stage folder: checkpoints/ and model/.")
    parser.add_argument("--stage", default="stage1", choices=["stage1", "stage2"])
    parser.add_argument("--max-steps", type=int, default=None, help="Overrides train.max_steps.")
    parser.add_argument("--learning-rate", type=float, default=None, help="Overrides train.learning_rate.")
    parser.add_argument("--batch-size", type=int, default=None, help="Per-device batch (CPU and GPU).")
    parser.add_argument("--max-length", type=int, default=None, help="Overrides train.max_length.")
    lora = parser.add_mutually_exclusive_group()
    lora.add_argument(
        "--lora",
        dest="lora",
        action="store_true",
        default=None,
        help="Train LoRA adapters (train.lora=true).",
    )
    lora.add_argument(
        "--full", dest="lora", action="store_false", help="Fine-tune all weights (train.lora=false)."
    )
    parser.add_argument(
        "--device",
        choices=["cpu", "cuda"],
        default=None,
        help="Default: cuda when available (cpu under --cpu).",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from envscale.config import ConfigError, apply_overrides, load_settings
    from envscale.home import HomeError, activate

    try:
        activate()  # offline hub, OMP threads, MLflow/Prefect homes
    except HomeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        settings = load_settings().train
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    overrides = {
        "max_steps": args.max_steps,
        "learning_rate": args.learning_rate,
        "max_length": args.max_length,
        "lora": args.lora,
    }
    if args.batch_size is not None:
        overrides |= {"batch_size": args.batch_size, "gpu_batch_size": args.batch_size}
    try:
        settings = apply_overrides(settings, {k: v for k, v in overrides.items() if v is not None}, "train")
    except ConfigError as exc:  # e.g. --batch-size 0
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    for path, what in ((args.model_dir / "config.json", "--model-dir"), (args.dataset, "--dataset")):
        if not path.is_file():
            print(f"{what}: {path} not found", file=sys.stderr)
            return 2
    # `accelerate launch --cpu` says so through the environment; CUDA may still be visible.
    device = args.device or ("cpu" if os.environ.get("ACCELERATE_USE_CPU", "").lower() == "true" else None)

    from envscale.models.training import train_stage

    try:
        result = train_stage(args.stage, args.model_dir, args.dataset, args.out, settings, device=device)
    except ValueError as exc:  # empty split, nothing left after truncation: say so, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if int(os.environ.get("RANK", "0")) == 0:
        print(json.dumps(result.model_dump(mode="json")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
