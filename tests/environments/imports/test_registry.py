"""Imported domains by name: every registered module implements the contract; unknown names are refused by name."""

from __future__ import annotations

import pytest

from envscale.environments.imports.registry import IMPORTED_DOMAINS, domains_of, imported_domain


def test_domains_of_each_dataset():
    assert domains_of("tau-bench") == ("retail", "airline")
    assert domains_of("tau2") == ("retail", "airline", "telecom")
    assert domains_of("nope") == ()


@pytest.mark.parametrize(("dataset", "domain"), sorted(IMPORTED_DOMAINS))
def test_every_registered_domain_implements_the_contract(dataset, domain):
    module = imported_domain(dataset, domain)
    tables = set(module.SCHEMA.table_names)
    assert module.PROGRAMS and callable(module.load_rows)
    names = [p.name for p in module.PROGRAMS]
    assert len(names) == len(set(names))
    assert all(set(p.tables_written) <= tables for p in module.PROGRAMS)
    assert set(getattr(module, "UNSUPPORTED", {})).isdisjoint(names)


def test_an_unknown_domain_names_the_known_ones():
    with pytest.raises(
        ValueError, match=r"unknown tau2 domain 'mail'; expected one of \('retail', 'airline', 'telecom'\)"
    ):
        imported_domain("tau2", "mail")
