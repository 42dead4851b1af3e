"""Quarantine touches only accepted tasks and keeps the first reason."""

from __future__ import annotations

from envscale.environments.validation.quarantine import quarantine
from envscale.environments.validation.records import Verdict


def test_quarantine_only_touches_accepted_and_keeps_the_first_reason():
    verdicts = {
        "a": Verdict.accept("a"),
        "b": Verdict.reject("b", "validity", "unknown_tool"),
        "c": Verdict.accept("c"),
    }
    first = quarantine(
        verdicts, "s1", [("a", ["e1"], {"row": 1}), ("b", ["e1"], {"row": 2}), ("a", ["e2"], {"row": 3})]
    )
    assert set(first) == {"a"}
    assert (first["a"].verdict, first["a"].reason_code) == ("quarantined", "e1")
    assert first["a"].evidence["contracts"]["s1"]["expectations"] == ["e1", "e2"]
    verdicts.update(first)
    second = quarantine(verdicts, "s2", [("a", ["e9"], {})])
    assert second["a"].reason_code == "e1" and set(second["a"].evidence["contracts"]) == {"s1", "s2"}
