"""A tiny causal LM with a locally built tokenizer and envscale's template, for tests and CPU smoke runs.

Built from a config (2 layers, hidden 64) with a byte-level BPE trained on a few
rendered chats: any text encodes, training steps take milliseconds, and nothing
comes from a hub. Other layers' tests (serving, evaluation) use it too.
"""

from __future__ import annotations

from pathlib import Path

from envscale.models.chat_template import apply_template, render

CORPUS_MESSAGES = [
    {"role": "system", "content": "You are a helpful shop assistant."},
    {"role": "user", "content": "Please find order 42 and cancel it."},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "get_order", "arguments": '{"order_id": 42}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "c1", "content": '{"order_id": 42, "status": "pending"}'},
    {"role": "assistant", "content": "Order 42 is pending; cancelling it now."},
]
CORPUS_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_order",
            "description": "Look up an order.",
            "parameters": {"type": "object", "properties": {"order_id": {"type": "integer"}}},
        },
    }
]


def build_tiny_model(out: Path) -> Path:
    """Train a byte-level BPE on a few rendered chats, wrap it, and save a 2-layer Llama next to it."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    special = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=600, special_tokens=special, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    corpus = [render(CORPUS_MESSAGES, CORPUS_TOOLS)] * 4 + [
        "order status cancel refund user tool weather city"
    ]
    tok.train_from_iterator(corpus, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        unk_token="<|endoftext|>",
        pad_token="<|im_end|>",
    )
    apply_template(tokenizer)
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = LlamaForCausalLM(config)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
