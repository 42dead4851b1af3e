"""The pyfunc flavour of an agent: loads a plain HF directory and answers each row with one assistant message."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pandas as pd

from envscale.models.agent_pyfunc import MODEL_DIR_KEY, EnvscaleAgentModel
from envscale.models.tiny import CORPUS_MESSAGES, CORPUS_TOOLS


def test_predict_answers_each_row_from_json_text_or_lists(tiny_model_dir):
    model = EnvscaleAgentModel()
    model.load_context(SimpleNamespace(artifacts={MODEL_DIR_KEY: str(tiny_model_dir)}))
    chat = CORPUS_MESSAGES[:2]
    rows = pd.DataFrame(
        [
            {"messages": json.dumps(chat), "tools": json.dumps(CORPUS_TOOLS)},  # as the signature logs them
            {"messages": chat, "tools": CORPUS_TOOLS},
        ]
    )
    answers = model.predict(None, rows, params={"max_new_tokens": 3})
    assert len(answers) == 2
    assert all(a["role"] == "assistant" for a in answers)
    again = model.predict(None, [{"messages": chat, "tools": CORPUS_TOOLS}], params={"max_new_tokens": 3})
    assert again[0] == answers[0]  # greedy: the same chat gets the same answer


def test_a_row_without_tools_is_answered_without_a_tool_list(tiny_model_dir):
    model = EnvscaleAgentModel()
    model.load_context(SimpleNamespace(artifacts={MODEL_DIR_KEY: str(tiny_model_dir)}))
    chat = CORPUS_MESSAGES[:2]
    # pandas stores the missing cell of the second row as NaN (truthy, not a list).
    rows = pd.DataFrame([{"messages": chat, "tools": CORPUS_TOOLS}, {"messages": chat}])
    assert pd.isna(rows.iloc[1]["tools"])
    answers = model.predict(None, rows, params={"max_new_tokens": 3})
    assert [a["role"] for a in answers] == ["assistant", "assistant"]
