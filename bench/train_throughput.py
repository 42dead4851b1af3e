#!/usr/bin/env python
"""SFT throughput: envscale's training settings vs TRL's defaults, side by side (tokens/s and MFU).

    python bench/train_throughput.py --device cuda --steps 30
    python bench/train_throughput.py --device cpu --steps 4 --models smollm2-135m --max-length 512

Models are random-init configs (throughput does not depend on the weights):
SmolLM2-135M's architecture and a ~1B Llama. Data are synthetic tool-use chats
rendered with envscale's template (models/chat_template.jinja) and trained with
assistant-only loss in every configuration, so only the speed settings differ:

- ``trl-defaults``: TRL SFTConfig defaults (batch 8, no packing, gradient checkpointing on, bf16 when available).
- ``envscale-padded``: the same as ``envscale`` without packing.
- ``envscale``: what ``envscale.models.training.sft_config`` sets on a GPU — BFD packing (padding-free),
  bf16, no gradient checkpointing, fused AdamW, a larger batch.
- candidates not (yet) in envscale's settings, to measure on a GPU: ``envscale-liger`` (Liger's fused
  kernels through TRL's ``use_liger_kernel``: RMSNorm, RoPE, SwiGLU, and a linear + cross-entropy that
  never materialises the logits; needs the ``liger-kernel`` package and triton) and a ``-2x`` suffix on
  any envscale setting (twice the per-device batch).

Needs only torch, transformers, trl and datasets (no envscale install), so it runs on a bare GPU box.
tokens/s counts non-padding tokens per second of optimizer steps after warm-up; MFU uses
6·N + 12·L·d·T FLOPs per token (N: non-embedding params + lm_head, T: mean example length).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "models" / "chat_template.jinja"
VOCAB = 49152  # SmolLM2's vocabulary, used for both models

MODELS = {
    "smollm2-135m": dict(
        hidden_size=576,
        intermediate_size=1536,
        num_hidden_layers=30,
        num_attention_heads=9,
        num_key_value_heads=3,
    ),
    "llama-1b": dict(
        hidden_size=2048,
        intermediate_size=8192,
        num_hidden_layers=16,
        num_attention_heads=32,
        num_key_value_heads=8,
    ),
}
# Dense bf16 peak FLOP/s (no sparsity) by GPU name fragment.
PEAK_BF16 = {
    "H200": 989e12,
    "H100": 989e12,
    "A100": 312e12,
    "L40S": 362e12,
    "A10G": 125e12,
    "L4": 121e12,
    "4090": 165e12,
    "3090": 71e12,
}
WORDS = [
    "order",
    "customer",
    "product",
    "refund",
    "shipping",
    "address",
    "payment",
    "status",
    "account",
    "user",
    "city",
    "weather",
    "flight",
    "booking",
    "seat",
    "hotel",
    "room",
    "date",
    "price",
    "total",
    "item",
    "quantity",
    "invoice",
    "email",
    "phone",
    "review",
    "rating",
]


def tokenizer_for(path: str | None):
    """A ChatML tokenizer with envscale's template: --tokenizer, the converted SmolLM2 cache, or a local BPE."""
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    candidates = [Path(path)] if path else sorted((REPO / ".envscale").glob("**/cache/models/smollm2-*"))
    for candidate in candidates:
        if (candidate / "tokenizer.json").is_file():
            tok = AutoTokenizer.from_pretrained(candidate)
            break
    else:
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

        bpe = Tokenizer(models.BPE())
        bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        bpe.decoder = decoders.ByteLevel()
        corpus = [" ".join(random.Random(i).choices(WORDS, k=200)) for i in range(200)]
        bpe.train_from_iterator(
            corpus,
            trainers.BpeTrainer(
                vocab_size=4000,
                special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            ),
        )
        tok = PreTrainedTokenizerFast(tokenizer_object=bpe, unk_token="<|endoftext|>")
    tok.chat_template = TEMPLATE.read_text()
    tok.eos_token = tok.pad_token = "<|im_end|>"
    return tok


def conversations(n: int, seed: int = 0) -> list[dict]:
    """Synthetic tool-use chats: 1-6 calls each, lengths from a few hundred to ~2k tokens."""
    rng = random.Random(seed)

    def text(lo: int, hi: int) -> str:
        return " ".join(rng.choices(WORDS, k=rng.randint(lo, hi)))

    rows = []
    for _ in range(n):
        tools = [
            {
                "type": "function",
                "function": {
                    "name": f"tool_{j}",
                    "description": text(5, 30),
                    "parameters": {
                        "type": "object",
                        "properties": {
                            w: {"type": "string", "description": text(3, 10)} for w in rng.sample(WORDS, 3)
                        },
                    },
                },
            }
            for j in range(rng.randint(2, 6))
        ]
        messages = [{"role": "system", "content": text(10, 40)}, {"role": "user", "content": text(10, 80)}]
        for k in range(rng.randint(1, 6)):
            args = json.dumps({w: text(1, 4) for w in rng.sample(WORDS, 2)})
            messages.append(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": f"c{k}",
                            "type": "function",
                            "function": {"name": f"tool_{k % len(tools)}", "arguments": args},
                        }
                    ],
                }
            )
            messages.append({"role": "tool", "tool_call_id": f"c{k}", "content": text(20, 200)})
        messages.append({"role": "assistant", "content": text(10, 80)})
        rows.append({"messages": messages, "tools": json.dumps(tools)})
    return rows


def flops_per_token(config, mean_len: float) -> float:
    d, layers, ffn = config.hidden_size, config.num_hidden_layers, config.intermediate_size
    kv = d * config.num_key_value_heads // config.num_attention_heads
    per_layer = 2 * d * d + 2 * d * kv + 3 * d * ffn
    n = layers * per_layer + d * config.vocab_size  # lm_head matmul counts; the embedding lookup does not
    return 6 * n + 12 * layers * d * mean_len


def run_one(name: str, model_name: str, setting: str, args, tokenizer, dataset, mean_len: float) -> dict:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, TrainerCallback
    from trl import SFTConfig, SFTTrainer

    on_gpu = args.device == "cuda"
    config = LlamaConfig(
        vocab_size=VOCAB,
        max_position_embeddings=8192,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.convert_tokens_to_ids("<|im_start|>"),
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **MODELS[model_name],
    )
    envscale = setting.startswith("envscale")
    packing = envscale and on_gpu and not setting.startswith("envscale-padded")  # device_plan: GPU only
    attn = args.attn
    if attn == "auto":  # as envscale.models.training.device_plan: flex for packed rows on a GPU
        attn = "flex_attention" if packing else "sdpa"
    config._attn_implementation = attn
    torch.manual_seed(0)
    model = LlamaForCausalLM(config)
    common = dict(
        output_dir=tempfile.mkdtemp(),
        max_steps=args.warmup + args.steps,
        assistant_only_loss=True,
        max_length=args.max_length,
        report_to="none",
        save_strategy="no",
        logging_steps=1,
        include_num_input_tokens_seen="non_padding",
        use_cpu=not on_gpu,
        disable_tqdm=True,
        dataset_num_proc=args.num_proc,
        seed=0,
    )
    if setting == "trl-defaults":
        cfg = SFTConfig(**common)
        if not on_gpu:
            cfg.bf16 = False  # TRL's bf16 default only applies where the hardware has it
    else:  # envscale (mirrors envscale.models.training.sft_config on a GPU); -padded: the same without packing
        cfg = SFTConfig(
            **common,
            packing=packing,
            bf16=on_gpu,
            gradient_checkpointing=False,
            per_device_train_batch_size=args.batch[model_name] * (2 if setting.endswith("-2x") else 1),
            optim="adamw_torch_fused" if on_gpu else "adamw_torch",
            use_liger_kernel="liger" in setting,
        )

    marks: list[tuple[float, int]] = []

    class Clock(TrainerCallback):
        def on_step_end(self, a, state, control, **kw):
            if on_gpu:
                torch.cuda.synchronize()
            marks.append((time.perf_counter(), int(state.num_input_tokens_seen or 0)))

    row = {
        "model": model_name,
        "setting": setting,
        "batch": cfg.per_device_train_batch_size,
        "packing": cfg.packing,
        "bf16": bool(cfg.bf16),
        "grad_ckpt": cfg.gradient_checkpointing,
        "attn": attn,
        "liger": bool(cfg.use_liger_kernel),
    }
    try:
        if on_gpu:
            torch.cuda.reset_peak_memory_stats()
        trainer = SFTTrainer(
            model=model, args=cfg, train_dataset=dataset, processing_class=tokenizer, callbacks=[Clock()]
        )
        trainer.train()
    except torch.OutOfMemoryError:
        row.update(tokens_per_s=None, mfu=None, note="OOM")
        return row
    except (ImportError, RuntimeError, ValueError) as exc:  # e.g. liger-kernel missing: report, go on
        row.update(tokens_per_s=None, mfu=None, note=f"{type(exc).__name__}: {exc}"[:200])
        return row
    finally:
        del model
        gc.collect()
        if on_gpu:
            torch.cuda.empty_cache()
    (t0, k0), (t1, k1) = marks[args.warmup - 1], marks[-1]
    tps = (k1 - k0) / (t1 - t0)
    row["tokens_per_s"] = round(tps)
    row["step_s"] = round((t1 - t0) / (len(marks) - args.warmup), 3)
    peak = args.peak_flops
    row["mfu"] = round(tps * flops_per_token(config, mean_len) / peak, 4) if peak else None
    row["peak_mem_gb"] = round(torch.cuda.max_memory_allocated() / 2**30, 1) if on_gpu else None
    return row


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--device", choices=["cuda", "cpu"], default=None, help="default: cuda when available"
    )
    parser.add_argument("--steps", type=int, default=20, help="timed optimizer steps per configuration")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    parser.add_argument("--models", default="smollm2-135m,llama-1b")
    parser.add_argument("--settings", default="trl-defaults,envscale-padded,envscale")
    parser.add_argument("--max-length", type=int, default=2048, help="same for every setting")
    parser.add_argument(
        "--batch-135m", type=int, default=16, help="envscale's packed batch for the 135M model"
    )
    parser.add_argument("--batch-1b", type=int, default=8, help="envscale's packed batch for the 1B model")
    parser.add_argument(
        "--attn",
        default="auto",
        help="auto (flex for envscale packing on GPU, else sdpa), sdpa, flex_attention, eager",
    )
    parser.add_argument(
        "--tokenizer", default=None, help="a tokenizer dir (default: converted SmolLM2, else a local BPE)"
    )
    parser.add_argument("--num-proc", type=int, default=None, help="dataset.map processes for tokenization")
    parser.add_argument("--json", default=None, help="also write the rows to this file")
    args = parser.parse_args()

    import torch

    args.device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if args.device == "cpu":
        torch.set_num_threads(max(1, torch.get_num_threads()))
    args.batch = {"smollm2-135m": args.batch_135m, "llama-1b": args.batch_1b}
    gpu = torch.cuda.get_device_name(0) if args.device == "cuda" else None
    args.peak_flops = next((v for k, v in PEAK_BF16.items() if gpu and k in gpu), None)
    from datasets import Dataset

    tokenizer = tokenizer_for(args.tokenizer)
    biggest = max(args.batch.values()) * 4
    rows = conversations(max(64, (args.warmup + args.steps) * biggest))
    lengths = [
        len(
            tokenizer.apply_chat_template(r["messages"], tools=json.loads(r["tools"]), return_dict=True)[
                "input_ids"
            ]
        )
        for r in rows[:200]
    ]
    mean_len = min(sum(lengths) / len(lengths), args.max_length)
    dataset = Dataset.from_list(rows)
    print(
        f"device: {args.device}"
        + (
            f" — GPU: {gpu} (peak bf16 {args.peak_flops / 1e12:.0f} TFLOP/s)"
            if gpu
            else f" — CPU threads: {torch.get_num_threads()}"
        )
    )
    print(
        f"torch {torch.__version__}; data: {len(rows)} chats, mean {mean_len:.0f} tokens "
        f"(min {min(lengths)}, max {max(lengths)}); max_length {args.max_length}; {args.steps} timed steps"
    )
    results = []
    for model_name in args.models.split(","):
        for setting in args.settings.split(","):
            row = run_one(setting, model_name, setting, args, tokenizer, dataset, mean_len)
            results.append(row)
            print(json.dumps(row), flush=True)
    print()
    header = (
        f"{'model':<14}{'setting':<19}{'attn':<16}{'batch':>6}{'pack':>6}{'bf16':>6}{'ckpt':>6}"
        f"{'tok/s':>10}{'MFU':>8}{'mem GB':>8}{'vs TRL':>8}"
    )
    print(header)
    print("-" * len(header))
    base = {r["model"]: r.get("tokens_per_s") for r in results if r["setting"] == "trl-defaults"}
    for r in results:
        tps = r.get("tokens_per_s")
        speedup = f"{tps / base[r['model']]:.2f}x" if tps and base.get(r["model"]) else "-"
        mfu = f"{r['mfu']:.1%}" if r.get("mfu") is not None else "-"
        print(
            f"{r['model']:<14}{r['setting']:<19}{r['attn']:<16}{r['batch']:>6}{r['packing']!s:>6}{r['bf16']!s:>6}"
            f"{r['grad_ckpt']!s:>6}{str(tps or r.get('note', '-'))[:10]:>10}{mfu:>8}{r.get('peak_mem_gb') or '-':>8}{speedup:>8}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps({"gpu": gpu, "device": args.device, "rows": results}, indent=2))


if __name__ == "__main__":
    main()
