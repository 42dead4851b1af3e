"""The n-gram repetition ratio tells a looping reply from prose."""

from __future__ import annotations

from envscale.environments.validation.repetition import ngram_repetition_ratio


def test_repetition_ratio_tells_loops_from_prose():
    assert ngram_repetition_ratio("The order o1 was cancelled and the refund is on its way.", 4) == 0.0
    assert ngram_repetition_ratio("ok " * 50, 4) > 0.9
    assert ngram_repetition_ratio("short", 4) == 0.0
