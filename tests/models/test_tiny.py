"""The tiny model: a 2-layer Llama and a local tokenizer that encodes any text and carries envscale's template."""

from __future__ import annotations

from envscale.models.tiny import CORPUS_MESSAGES, CORPUS_TOOLS


def test_the_tiny_model_loads_encodes_any_text_and_renders_tool_chats(tiny_model_dir):
    from transformers import AutoConfig, AutoTokenizer

    config = AutoConfig.from_pretrained(tiny_model_dir)
    assert (config.model_type, config.num_hidden_layers, config.hidden_size) == ("llama", 2, 64)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    assert config.vocab_size == len(tokenizer) and tokenizer.eos_token == "<|im_end|>"
    text = "Ünïcode, emoji 🙂 and numbers 12345"
    assert tokenizer.decode(tokenizer(text)["input_ids"]) == text  # byte-level: nothing is unknown
    chat = tokenizer.apply_chat_template(CORPUS_MESSAGES, tools=CORPUS_TOOLS, tokenize=False)
    assert "get_order" in chat and "<|im_start|>" in chat


def test_the_tiny_model_generates(tiny_model_dir):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    inputs = tokenizer("order status", return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=4, do_sample=False)
    n = inputs["input_ids"].shape[1]
    assert n < out.shape[1] <= n + 4  # new tokens, at most the ones asked for
