"""Progress bars (issue 20): what the bar shows, and evaluate's chunks adding up on one bar."""

from __future__ import annotations

import io

from envscale.tasks.evaluate import _chunk_bars
from envscale.tasks.progress import ProgressBar


def test_bar_shows_done_of_total_in_flight_and_token_speed():
    out = io.StringIO()
    with ProgressBar("trajectories", unit="ep", file=out) as bar:
        bar.update(0, 6)
        bar.update(3, 6, in_flight=2, tokens=900)
    drawn = out.getvalue()
    assert "trajectories" in drawn and "3/6" in drawn
    assert "2 in flight" in drawn and "tokens/s" in drawn


def test_a_bar_on_a_pipe_draws_nothing(capsys):
    with ProgressBar("quiet") as bar:  # stderr is captured (not a terminal): Prefect workers, CI
        bar.update(1, 2)
    assert "quiet" not in capsys.readouterr().err


def test_evaluate_chunks_add_up_on_one_bar():
    out = io.StringIO()
    with ProgressBar("evaluate base", unit="trial", file=out) as bar:
        bars = _chunk_bars(bar, 10)
        first, second = bars(0), bars(1)
        first(2, 5)
        second(3, 5)
        first(4, 5)  # a chunk's count replaces its earlier one
    assert "7/10" in out.getvalue() and "9/10" not in out.getvalue()
