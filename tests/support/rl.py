"""RL test tooling: teach a model a task's gold call so GRPO's samples sometimes pass (reward varies)."""

from __future__ import annotations

from envscale.models.rl import environment_factories, rl_rows


def teach_gold_call(model, tokenizer, task_set, item, steps: int = 300) -> None:
    """A few supervised steps on the task's gold call (as TRL renders the prompt) so GRPO's samples sometimes pass."""
    import json

    import torch
    from transformers.utils import get_json_schema

    manifest = next(iter(task_set.envs.values()))[0]
    env = environment_factories(task_set)[manifest.env_id]()
    tools = [get_json_schema(getattr(env, t.name)) for t in sorted(manifest.tools, key=lambda t: t.name)]
    system = rl_rows(task_set)[0]["prompt"][0]
    messages = [system, {"role": "user", "content": item.task.instruction}]
    prompt = tokenizer.apply_chat_template(messages, tools=tools, add_generation_prompt=True, tokenize=False)
    call = item.blueprint.calls[0]
    target = (
        "<tool_call>\n"
        + json.dumps({"name": call.name, "arguments": call.arguments})
        + "\n</tool_call><|im_end|>"
    )
    p_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    ids = torch.tensor([p_ids + tokenizer(target, add_special_tokens=False)["input_ids"]])
    labels = ids.clone()
    labels[0, : len(p_ids)] = -100
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(steps):
        loss = model(input_ids=ids, labels=labels).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
        if loss.item() < 0.03:
            break
