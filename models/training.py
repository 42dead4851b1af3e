"""One SFT stage with TRL: assistant-only loss on envscale's template, full FT or LoRA, resumable.

``train_stage`` is called twice by the train flow: stage 1 (general) from the
base model, stage 2 (vertical) from stage 1's output directory. Each stage
checkpoints into a folder keyed by its inputs, so rerunning after an
interruption resumes from the last checkpoint, and rerunning after success
returns the finished stage without training again.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel, ConfigDict, Field

from envscale.config import TrainSettings
from envscale.models.chat_template import apply_template, has_template

DONE_MARKER = "envscale_stage.json"


class DevicePlan(BaseModel):
    """Where and how a stage trains, resolved from the settings and the hardware."""

    model_config = ConfigDict(frozen=True)

    device: str = Field(description="cuda | mps | cpu.")
    gpu_name: str | None = Field(None, description="GPU model, when training on one.")
    bf16: bool = Field(description="bf16 mixed precision.")
    packing: bool = Field(
        description="BFD packing, padding-free (block-diagonal attention from position ids)."
    )
    cpu_threads: int | None = Field(None, description="torch threads when on CPU.")
    attn_implementation: str = Field(
        "sdpa", description="flex_attention with packing on a GPU: block-sparse masks for the packed rows."
    )
    batch_size: int = Field(description="Per-device batch.")


class StageResult(BaseModel):
    """What a finished stage produced; also written next to its model as ``envscale_stage.json``."""

    model_config = ConfigDict(frozen=True)

    stage: str = Field(description="stage1 | stage2.")
    model_dir: str = Field(
        description="Plain HF directory of the trained model (LoRA merged), with tokenizer."
    )
    checkpoint_dir: str | None = Field(
        None,
        description="Last Trainer checkpoint (for resuming and lineage); deleted once the stage is finished "
        "unless train.keep_checkpoints (its weights stay in MLflow when train.log_checkpoints).",
    )
    global_step: int = Field(description="Optimizer steps taken in total.")
    train_loss: float | None = Field(None, description="Mean training loss reported by the Trainer.")
    tokens_seen: int = Field(0, description="Non-padding input tokens processed.")
    n_examples: int = Field(description="Training rows.")
    resumed_from: str | None = Field(None, description="Checkpoint this run resumed from, if any.")
    runtime_s: float = Field(description="Wall time of this (last) training call.")
    plan: DevicePlan = Field(description="Device settings used.")
    lora: bool = Field(description="Whether LoRA adapters were trained (then merged).")


def device_plan(settings: TrainSettings, device: str | None = None) -> DevicePlan:
    import torch

    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    on_gpu = device == "cuda"
    bf16_ok = on_gpu and torch.cuda.is_bf16_supported()
    bf16 = {"auto": bf16_ok, "on": True, "off": False}[settings.bf16]
    packing = {"auto": on_gpu, "on": True, "off": False}[settings.packing]
    # Padding-free packing concatenates a batch into one row; with sdpa that row gets a dense
    # block-diagonal mask (quadratic in the whole batch), flex_attention skips the empty blocks.
    # Measured on an H200 (bench/train_throughput.py, 135M packed): ~12k tokens/s with sdpa, ~105k with flex.
    attn = "flex_attention" if packing and on_gpu else "sdpa"
    return DevicePlan(
        device=device,
        gpu_name=torch.cuda.get_device_name(0) if on_gpu else None,
        bf16=bf16,
        packing=packing,
        cpu_threads=None if on_gpu else settings.cpu_threads,
        attn_implementation=attn,
        batch_size=(settings.gpu_batch_size or settings.batch_size) if on_gpu else settings.batch_size,
    )


def sft_config(settings: TrainSettings, output_dir: Path, plan: DevicePlan, *, learning_rate: float) -> Any:
    """TRL SFTConfig with envscale's choices (TRL's defaults differ: no packing, gradient checkpointing on)."""
    from trl import SFTConfig

    return SFTConfig(
        output_dir=str(output_dir),
        max_steps=settings.max_steps,
        num_train_epochs=settings.epochs,
        learning_rate=learning_rate,
        per_device_train_batch_size=plan.batch_size,
        gradient_accumulation_steps=settings.gradient_accumulation_steps,
        max_length=settings.max_length,
        assistant_only_loss=True,
        packing=plan.packing,
        bf16=plan.bf16,
        use_cpu=plan.device == "cpu",
        gradient_checkpointing=settings.gradient_checkpointing,
        include_num_input_tokens_seen="non_padding",
        logging_steps=1,
        save_strategy="steps",
        save_steps=settings.save_steps,
        save_total_limit=1,  # resuming needs only the newest; each holds weights + optimizer state
        seed=settings.seed,
        report_to="none",  # envscale logs to MLflow itself (parent/child runs)
        dataloader_num_workers=0,
        dataset_num_proc=None,
        optim="adamw_torch_fused" if plan.device == "cuda" else "adamw_torch",
        disable_tqdm=True,
    )


def progress_callback(stage: str, file: TextIO | None = None) -> Any:
    """A Trainer callback drawing one bar per stage: steps, loss, tokens/s (instead of the log dicts
    the Trainer prints with ``disable_tqdm``). On stderr only when it is a terminal, unless ``file``."""
    from tqdm import tqdm
    from transformers import TrainerCallback

    class _StageBar(TrainerCallback):
        def __init__(self) -> None:
            self.bar: Any = None
            self.started = 0.0
            self.tokens_at_start = 0

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.bar = tqdm(
                total=state.max_steps,
                initial=state.global_step,  # a resumed stage starts at its checkpoint
                desc=f"train {stage}",
                unit="step",
                file=file or sys.stderr,
                disable=False if file is not None else None,  # None: off unless a terminal
                dynamic_ncols=True,
            )
            self.started = time.perf_counter()
            self.tokens_at_start = int(state.num_input_tokens_seen or 0)

        def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None, **kw: Any) -> None:
            if self.bar is None or not logs or "loss" not in logs:
                return
            elapsed = max(time.perf_counter() - self.started, 1e-9)
            tokens = int(state.num_input_tokens_seen or 0) - self.tokens_at_start
            self.bar.set_postfix_str(f"loss={float(logs['loss']):.4g}, {tokens / elapsed:,.0f} tokens/s")

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if self.bar is not None:
                self.bar.update(state.global_step - self.bar.n)

        def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if self.bar is not None:
                self.bar.close()

    return _StageBar()


def prune_finished_checkpoints(out_dir: Path) -> int:
    """Delete a *finished* stage's Trainer checkpoints; returns the bytes freed.

    They hold the weights again plus optimizer state (~3x the model per stage) and only
    an unfinished stage resumes from them: ``model/`` has the final weights. A stage
    without its done marker keeps them.
    """
    checkpoints = Path(out_dir) / "checkpoints"
    if not (Path(out_dir) / "model" / DONE_MARKER).is_file() or not checkpoints.is_dir():
        return 0
    freed = sum(f.stat().st_size for f in checkpoints.rglob("*") if f.is_file())
    shutil.rmtree(checkpoints)
    return freed


def train_stage(
    stage: str,
    model_dir: Path,
    dataset_path: Path,
    out_dir: Path,
    settings: TrainSettings,
    *,
    learning_rate: float | None = None,
    callbacks: Sequence[Any] = (),
    device: str | None = None,
    progress_file: TextIO | None = None,
) -> StageResult:
    """Train one stage from ``model_dir`` on the Parquet split; output under ``out_dir``.

    Resumes from the newest checkpoint in ``out_dir/checkpoints``; returns the
    recorded result untouched when the stage already finished. Progress is a bar on the
    terminal (``progress_file``: draw it there instead).
    """
    final_dir = out_dir / "model"
    done = final_dir / DONE_MARKER
    if done.is_file():
        return StageResult.model_validate_json(done.read_text())

    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.trainer_utils import get_last_checkpoint
    from trl import SFTTrainer

    plan = device_plan(settings, device)
    if plan.cpu_threads:
        torch.set_num_threads(plan.cpu_threads)
    import pyarrow.parquet as pq

    if pq.ParquetFile(dataset_path).metadata.num_rows == 0:
        raise ValueError(f"{stage}: dataset {dataset_path} is empty")
    dataset = Dataset.from_parquet(str(dataset_path))
    dataset = dataset.select_columns(["messages", "tools"])

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(
        model_dir, dtype=torch.float32, attn_implementation=plan.attn_implementation
    )
    if not has_template(tokenizer):
        before = len(tokenizer)
        apply_template(tokenizer)
        if len(tokenizer) != before:
            model.resize_token_embeddings(len(tokenizer))

    ckpt_dir = out_dir / "checkpoints"
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    resume = last_complete_checkpoint(ckpt_dir)
    args = sft_config(settings, ckpt_dir, plan, learning_rate=learning_rate or settings.learning_rate)
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=_lora_config(settings) if settings.lora else None,
        callbacks=[*callbacks, progress_callback(stage, progress_file)],
    )
    from transformers import PrinterCallback

    trainer.remove_callback(PrinterCallback)  # the bar shows loss and speed; MLflow keeps every log
    if len(trainer.train_dataset) == 0:
        # TRL drops examples whose assistant turns were all truncated away.
        raise ValueError(
            f"{stage}: none of the {len(dataset)} examples keeps an assistant turn within "
            f"train.max_length={settings.max_length} tokens; raise train.max_length"
        )
    started = time.perf_counter()
    output = trainer.train(resume_from_checkpoint=resume)
    runtime = time.perf_counter() - started
    last = get_last_checkpoint(str(ckpt_dir))  # the Trainer saves the final step too

    trained = trainer.model
    if settings.lora:
        trained = trained.merge_and_unload()  # stage 2 and serving get plain weights
    result = StageResult(
        stage=stage,
        model_dir=str(final_dir),
        checkpoint_dir=last,
        global_step=trainer.state.global_step,
        train_loss=output.training_loss,
        tokens_seen=int(trainer.state.num_input_tokens_seen or 0),
        n_examples=len(dataset),
        resumed_from=resume,
        runtime_s=round(runtime, 3),
        plan=plan,
        lora=settings.lora,
    )
    # Under `accelerate launch` (DDP) every rank holds the same weights: one writes them.
    if trainer.is_world_process_zero():
        final_dir.mkdir(parents=True, exist_ok=True)
        trained.save_pretrained(final_dir)
        tokenizer.save_pretrained(final_dir)
        done.write_text(json.dumps(result.model_dump(mode="json"), indent=2))
    trainer.accelerator.wait_for_everyone()
    return result


def last_complete_checkpoint(ckpt_dir: Path) -> str | None:
    """The newest checkpoint a process finished writing; half-written ones are deleted.

    The Trainer writes ``trainer_state.json`` last, so a process killed while saving leaves a
    checkpoint folder without it (or with a cut one). ``get_last_checkpoint`` would pick that
    folder by its number and every resume would fail; it is removed instead.
    """
    import shutil

    from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR

    found = []
    for path in ckpt_dir.glob(f"{PREFIX_CHECKPOINT_DIR}-*"):
        step = path.name.rsplit("-", 1)[-1]
        if path.is_dir() and step.isdigit():
            found.append((int(step), path))
    for _, path in sorted(found, reverse=True):
        try:
            json.loads((path / "trainer_state.json").read_text())
        except (OSError, ValueError):
            shutil.rmtree(path, ignore_errors=True)  # killed mid-save: unusable
            continue
        return str(path)
    return None


def _lora_config(settings: TrainSettings) -> Any:
    from peft import LoraConfig

    return LoraConfig(
        r=settings.lora_r,
        lora_alpha=settings.lora_alpha,
        lora_dropout=settings.lora_dropout,
        target_modules="all-linear",
        task_type="CAUSAL_LM",
    )
