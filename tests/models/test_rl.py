"""GRPO on the tiny model over a real environment: TRL sees the tools, the judge's reward reaches the trainer."""

from __future__ import annotations

import inspect

import pytest

from envscale.models.rl import RLToolError, environment_class, environment_factories, rl_rows


def test_tools_become_methods_with_the_schema_trl_reads(shop_tasks):
    from transformers.utils import get_json_schema

    env_id, (manifest, _db) = next(iter(shop_tasks.envs.items()))
    cls = environment_factories(shop_tasks)[env_id]
    env = cls()
    for tool in manifest.tools:
        schema = get_json_schema(getattr(env, tool.name))["function"]
        assert schema["name"] == tool.name
        assert set(schema["parameters"]["properties"]) == set(tool.parameters.get("properties", {}))
        assert set(schema["parameters"].get("required", [])) == set(tool.parameters.get("required", []))
    item = shop_tasks.tasks[0]
    assert env.reset(task_id=item.task_id) == item.task.instruction
    for call in item.blueprint.calls:  # gold play through the methods earns the judge's 1.0
        getattr(env, call.name)(**call.arguments)
    assert env.get_reward() == 1.0
    env.reset(task_id=item.task_id)
    needs_args = next(t for t in manifest.tools if t.parameters.get("required"))
    assert '"error"' in getattr(env, needs_args.name)()  # an agent mistake is a tool message, not a raise
    bad = manifest.tools[0].model_copy(update={"name": "reset"})
    with pytest.raises(RLToolError, match="reserved"):
        environment_class(lambda: None, (bad,), "x")
    assert "self" in inspect.signature(cls.__dict__[manifest.tools[0].name]).parameters


@pytest.mark.slow
def test_grpo_reads_the_environment_reward(shop_tasks, tiny_model_dir, tmp_path):
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    from envscale.models.rl import set_response_template

    tokenizer = set_response_template(AutoTokenizer.from_pretrained(tiny_model_dir))
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    args = GRPOConfig(
        output_dir=str(tmp_path / "out"),
        per_device_train_batch_size=2,
        num_generations=2,
        max_completion_length=8,
        max_steps=2,
        learning_rate=1e-2,
        logging_steps=1,
        report_to=[],
        use_cpu=True,
        save_strategy="no",
    )
    factories = environment_factories(shop_tasks)
    trainer = GRPOTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(rl_rows(shop_tasks)),
        processing_class=tokenizer,
        environment_factory=factories,
    )
    trainer.train()
    name = next(iter(factories.values())).__name__
    logged = [h for h in trainer.state.log_history if f"rewards/{name}/mean" in h]
    assert logged, trainer.state.log_history
    assert all(0.0 <= h[f"rewards/{name}/mean"] <= 1.0 for h in logged)
    changed = any(not torch.equal(before[k], v) for k, v in model.named_parameters())
    print("weights changed:", changed, logged)
