"""GRPO on the tiny model over a real environment: TRL sees the tools, the judge's reward reaches the trainer."""

from __future__ import annotations

import inspect

import pytest

from envscale.models.rl import RLToolError, environment_class, environment_factories, rl_rows
from tests.support.rl import teach_gold_call


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
def test_the_environment_reward_reaches_grpo_and_changes_the_weights(
    one_call_tasks, tiny_model_dir, tmp_path
):
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    from envscale.environments.evaluation.tasks import TaskSet
    from envscale.models.rl import set_response_template

    torch.manual_seed(0)
    item = next(t for t in one_call_tasks.tasks if len(t.blueprint.calls) == 1)
    task_set = TaskSet(tasks=[item], envs=one_call_tasks.envs)
    tokenizer = set_response_template(AutoTokenizer.from_pretrained(tiny_model_dir))
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    teach_gold_call(model, tokenizer, task_set, item)
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    args = GRPOConfig(
        output_dir=str(tmp_path / "out"),
        per_device_train_batch_size=8,
        num_generations=8,
        max_completion_length=48,
        max_steps=1,
        learning_rate=1e-3,
        logging_steps=1,
        report_to=[],
        use_cpu=True,
        save_strategy="no",
        seed=0,
    )
    factories = environment_factories(task_set)
    trainer = GRPOTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(rl_rows(task_set) * 8),
        processing_class=tokenizer,
        environment_factory=factories,
    )
    trainer.train()
    name = next(iter(factories.values())).__name__
    step = trainer.state.log_history[0]
    # the only reward source is the environment's judge: some rollouts passed, some did not
    assert step["reward"] == step[f"rewards/{name}/mean"] and 0.0 < step["reward"] < 1.0, step
    assert step["tools/call_frequency"] > 0 and step["grad_norm"] > 0, step
    assert any(not torch.equal(before[k], v) for k, v in model.named_parameters())
