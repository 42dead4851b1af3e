"""τ² retail and airline imported from τ²-format data (hand-written fixture), with τ²'s airline rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from envscale.environments.imports.tau2 import import_tau2
from envscale.environments.imports.tau2_data import find_domains
from envscale.environments.runtime import open_episode
from tests.support.tau2_fixture import AIRLINE_TASKS, write_domains


@pytest.fixture
def imported(tmp_path: Path):
    domains = {d.name: d for d in find_domains(write_domains(tmp_path / "domains"))}
    out = tmp_path / "envs"
    return {name: import_tau2(d, out) for name, d in domains.items()}, out


def _seats(ep, flight: str, date: str, cabin: str) -> int:
    dates = ep.query(f"SELECT dates FROM flights WHERE flight_number = '{flight}'")[0]["dates"]
    return dates[date]["available_seats"][cabin]


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


def test_booking_takes_seats_off_availability_as_tau2_does(imported) -> None:
    manifests, out = imported
    book = AIRLINE_TASKS[0]["evaluation_criteria"]["actions"][0]["arguments"]
    with open_episode(manifests["airline"], directory=out) as ep:
        assert _seats(ep, "HAT002", "2024-05-25", "economy") == 5
        result = ep.call("book_reservation", book)
        assert result.ok, result.error
        assert _seats(ep, "HAT002", "2024-05-25", "economy") == 3  # two passengers
        assert _seats(ep, "HAT002", "2024-05-25", "business") == 5  # other cabins untouched
        user = ep.query("SELECT payment_methods FROM users WHERE user_id = 'ana_li_1'")[0]["payment_methods"]
        assert user["gift_card_1"]["amount"] == 1000 - 360
        assert ep.query("SELECT reservation_id FROM reservations WHERE reservation_id = 'HATHAT'")
        too_many = dict(book, flights=[{"flight_number": "HAT001", "date": "2024-05-21"}])
        too_many["payment_methods"] = [{"payment_id": "gift_card_1", "amount": 500}]
        assert ep.call("book_reservation", too_many).error_code == "precondition_failed"  # one seat left


def test_a_flight_change_stores_the_new_cabin(imported) -> None:
    manifests, out = imported
    change = AIRLINE_TASKS[1]["evaluation_criteria"]["actions"][1]["arguments"]
    with open_episode(manifests["airline"], directory=out) as ep:
        assert ep.call("update_reservation_flights", change).ok
        res = ep.query(
            "SELECT cabin, flights, payment_history FROM reservations WHERE reservation_id = 'ABC123'"
        )[0]
        assert res["cabin"] == "business" and res["flights"][0]["price"] == 600
        assert res["payment_history"][-1] == {"payment_id": "gift_card_1", "amount": 400}


def test_certificates_get_tau2_ids(imported) -> None:
    manifests, out = imported
    with open_episode(manifests["airline"], directory=out) as ep:
        first = ep.call("send_certificate", {"user_id": "ana_li_1", "amount": 50}).content
        second = ep.call("send_certificate", {"user_id": "ana_li_1", "amount": 60}).content
        assert "certificate_3221322" in first and "certificate_3221323" in second


def test_retail_gold_actions_replay(imported) -> None:
    manifests, out = imported
    with open_episode(manifests["retail"], directory=out) as ep:
        assert ep.call("find_user_id_by_email", {"email": "bo@example.com"}).content == "bo_ng_2"
        cancelled = ep.call("cancel_pending_order", {"order_id": "#W1", "reason": "no longer needed"})
        assert cancelled.ok and cancelled.content["status"] == "cancelled"
        balance = ep.query("SELECT payment_methods FROM users")[0]["payment_methods"]["gift_card_2"][
            "balance"
        ]
        assert balance == 60.0  # refunded to the gift card at once


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
