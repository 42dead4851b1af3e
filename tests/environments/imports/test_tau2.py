"""τ² retail and airline imported from τ²-format data (hand-written fixture): both domains, reimports, unknown domains."""

from __future__ import annotations

import json

import pytest

from envscale.environments.imports.tau2 import import_tau2
from envscale.environments.imports.tau2_data import find_domains
from envscale.environments.runtime import open_episode


def test_both_domains_import_with_their_tables_tools_and_initial_hash(imported) -> None:
    manifests, out = imported
    airline, retail = manifests["airline"], manifests["retail"]
    assert airline.name == "tau2_airline" and airline.source["dataset"] == "tau2"
    assert airline.table_counts == {"users": 1, "flights": 2, "reservations": 1}
    assert retail.table_counts["variants"] == 2 and retail.table_counts["orders"] == 1
    names = {t.name for t in airline.tools}
    assert "get_flight_status" in names and "think" not in names and "book_reservation" in names
    assert [d.name for d in airline.dropped] == ["calculate"]  # reported, not faked
    assert (out / "tau2_airline.alias").read_text() == airline.env_id
    with open_episode(airline, directory=out) as ep:
        assert ep.state_hash() == airline.initial_state_hash
        assert (
            ep.call("get_flight_status", {"flight_number": "HAT001", "date": "2024-05-01"}).content
            == "landed"
        )
        assert not ep.call("get_flight_status", {"flight_number": "HAT001", "date": "2030-01-01"}).ok


def test_reimport_reuses_the_files_and_a_changed_db_is_a_new_environment(imported, tmp_path) -> None:
    manifests, out = imported
    (airline,) = find_domains(tmp_path / "domains" / "airline")
    assert import_tau2(airline, out).env_id == manifests["airline"].env_id
    db = json.loads(airline.db_file.read_text())
    db["users"]["ana_li_1"]["membership"] = "silver"
    airline.db_file.write_text(json.dumps(db))
    assert import_tau2(airline, out).env_id != manifests["airline"].env_id


def test_an_unknown_domain_is_refused_naming_the_known_ones(tmp_path) -> None:
    folder = tmp_path / "banking"
    folder.mkdir()
    (folder / "db.json").write_text("{}")
    (folder / "tasks.json").write_text("[]")
    (domain,) = find_domains(folder)
    with pytest.raises(ValueError, match="airline"):
        import_tau2(domain, tmp_path / "envs")
