"""`--tau2` may be given without its value (issue 17): the CLI fills in the sentinel before typer parses."""

from __future__ import annotations

from envscale.cli import fill_optional_values


def test_a_bare_tau2_gets_the_commands_sentinel_and_a_given_value_is_kept() -> None:
    assert fill_optional_values(["build", "--tau2"]) == ["build", "--tau2", "installed"]
    assert fill_optional_values(["build", "--tau2", "/data/domains"]) == ["build", "--tau2", "/data/domains"]
    assert fill_optional_values(["evaluate", "--tau2", "-k", "2"]) == ["evaluate", "--tau2", "*", "-k", "2"]
    assert fill_optional_values(["evaluate", "--tau2", "retail"]) == ["evaluate", "--tau2", "retail"]
    assert fill_optional_values(["ingest", "--tau2"]) == ["ingest", "--tau2"]  # not an option there
