"""The pace warning (issue 20 item 10): said once the measured pace puts the rest beyond half an hour."""

from __future__ import annotations

from envscale.environments.synthesis.pace import pace_warning


def test_a_slow_endpoint_is_named_with_its_pace_and_what_to_change():
    # 6 episodes in 4 minutes, 1,000 to go: ~11 hours
    text = pace_warning(6, 1006, 240.0)
    assert text is not None and "1.5 episodes/min over the first 6" in text and "the other 1000" in text
    assert "about 667 min" in text and "synthesize.mode = 'reverse'" in text


def test_no_warning_too_early_when_the_rest_fits_or_when_done():
    assert pace_warning(3, 1000, 60.0) is None  # too few finished to trust the pace
    assert pace_warning(10, 100, 60.0) is None  # 90 left at 10/min: 9 min
    assert pace_warning(100, 100, 6000.0) is None  # finished
