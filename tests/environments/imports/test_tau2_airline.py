"""τ² airline imported from τ²-format data (hand-written fixture): τ²'s seat, cabin and certificate rules."""

from __future__ import annotations

from envscale.environments.runtime import open_episode
from tests.support.tau2_fixture import AIRLINE_TASKS


def _seats(ep, flight: str, date: str, cabin: str) -> int:
    dates = ep.query(f"SELECT dates FROM flights WHERE flight_number = '{flight}'")[0]["dates"]
    return dates[date]["available_seats"][cabin]


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
