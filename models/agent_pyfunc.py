"""The pyfunc flavour of a registered envscale agent (imports MLflow, so loaded only when logging or serving)."""

from __future__ import annotations

import json
from typing import Any

from mlflow.pyfunc import PythonModel

MODEL_DIR_KEY = "model_dir"


class EnvscaleAgentModel(PythonModel):
    """pyfunc wrapper: the artifact is a plain HF directory; ``predict`` answers chats with tool calls.

    Input: a DataFrame (or list of dicts) with ``messages`` (OpenAI format) and
    optional ``tools`` (list or JSON string); output: one OpenAI assistant
    message per row. Serving proper goes through ``load_registered`` and an
    OpenAI-compatible server; this keeps ``mlflow.pyfunc.load_model`` useful too.
    """

    def load_context(self, context: Any) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        path = context.artifacts[MODEL_DIR_KEY]
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModelForCausalLM.from_pretrained(path)
        self.model.eval()

    # No type hints: MLflow would derive (and reject) an input schema from them.
    def predict(self, context, model_input, params=None):
        import torch

        from envscale.models.chat_template import parse_assistant_output

        rows = model_input.to_dict("records") if hasattr(model_input, "to_dict") else list(model_input)
        max_new_tokens = int((params or {}).get("max_new_tokens", 256))
        answers = []
        for row in rows:
            tools = row.get("tools")
            tools = json.loads(tools) if isinstance(tools, str) else tools
            # A DataFrame holds a missing cell as NaN, which is truthy: only a list is a tool list.
            tools = tools if isinstance(tools, list) else None
            inputs = self.tokenizer.apply_chat_template(
                _messages(row["messages"]),
                tools=tools or None,
                add_generation_prompt=True,
                return_tensors="pt",
                return_dict=True,
            )
            with torch.no_grad():
                out = self.model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
            text = self.tokenizer.decode(out[0][inputs["input_ids"].shape[1] :], skip_special_tokens=False)
            answers.append(parse_assistant_output(text))
        return answers


def _messages(value: Any) -> list[dict[str, Any]]:
    """Messages as logged in the signature (JSON text) or as a list of dicts."""
    return json.loads(value) if isinstance(value, str) else list(value)
