"""Validation records: verdict constructors, call evidence as written, and the reason codes by stage."""

from __future__ import annotations

import pydantic
import pytest

from envscale.environments.validation.records import REASON_CODES, ParsedCall, Verdict


def test_accept_and_reject():
    assert Verdict.accept("t1") == Verdict(trajectory_id="t1", verdict="accepted")
    rejected = Verdict.reject("t1", "exact_match", "wrong_read_sequence", position=2)
    assert (rejected.verdict, rejected.stage, rejected.reason_code) == (
        "rejected",
        "exact_match",
        "wrong_read_sequence",
    )
    assert rejected.evidence == {"position": 2}
    with pytest.raises(pydantic.ValidationError):
        Verdict.reject("t1", "vibes", "bad")


def test_call_evidence_keeps_the_raw_text_when_there_is_one():
    written = ParsedCall(index=0, message=3, name="t", raw_arguments='{"a": 1', arguments=None)
    assert written.evidence() == {"index": 0, "message": 3, "name": "t", "arguments": '{"a": 1'}
    parsed = ParsedCall(index=1, message=4, name="t", raw_arguments={"a": 1}, arguments={"a": 1})
    assert parsed.evidence()["arguments"] == {"a": 1}


def test_reason_codes_are_unique_across_stages():
    codes = [c for stage in REASON_CODES.values() for c in stage]
    assert len(codes) == len(set(codes))
    assert set(REASON_CODES) == {"validity", "state_alignment", "exact_match"}
