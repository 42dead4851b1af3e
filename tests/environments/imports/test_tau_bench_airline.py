"""τ-bench v1 airline imported as an environment: compiled tools, gold-action replay, semantics vs τ-bench."""

from __future__ import annotations

import json

import pytest

from envscale.environments.imports.tau_bench import derived_file, import_tau_bench, replay_gold
from envscale.environments.runtime import open_episode

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]


@pytest.fixture(scope="module")
def airline(shared_data, tmp_path_factory):
    directory = tmp_path_factory.mktemp("tau_airline")
    root = shared_data / "tau-bench"
    data = {
        t: json.loads((root / "tau_bench/envs/airline/data" / f"{t}.json").read_text())
        for t in ("users", "flights", "reservations")
    }
    return import_tau_bench("airline", root, directory), directory, derived_file(root), data


def test_tables_and_tools(airline):
    manifest, directory, derived, _ = airline
    assert manifest.table_counts == {"users": 500, "flights": 300, "reservations": 2000}
    assert len(derived["tools"]["airline"]) == 14 and len(manifest.tools) == 13
    assert [d.name for d in manifest.dropped] == ["calculate"]
    kinds = {t.name: t.kind for t in manifest.tools}
    assert kinds["book_reservation"] == "write" and kinds["search_onestop_flight"] == "read"
    with open_episode("tau_bench_airline", directory=directory) as ep:
        assert ep.state_hash() == manifest.initial_state_hash


def test_gold_actions_replay(airline):
    manifest, directory, derived, _ = airline
    report = replay_gold(manifest, derived, directory=directory)
    print(report.as_dict())
    # Pinned: 50 test tasks, 158 gold actions; the only failures are the 5 `calculate` calls (no SQL form).
    assert (report.n_tasks, report.n_actions) == (50, 158)
    assert (report.n_actions_ok, report.n_tasks_ok) == (153, 46)
    assert set(report.failures) == {k for k in report.failures if k.startswith("calculate: unknown_tool")}


def _direct(data, origin, destination, date):
    """τ-bench's search_direct_flight, in Python (reference)."""
    out = []
    for f in data["flights"].values():
        if (
            f["origin"] == origin
            and f["destination"] == destination
            and f["dates"].get(date, {}).get("status") == "available"
        ):
            out.append({k: v for k, v in f.items() if k != "dates"} | f["dates"][date])
    return out


def test_semantics_follow_tau_bench(airline):
    manifest, directory, _, data = airline
    with open_episode(manifest, directory=directory) as ep:
        assert (
            ep.call("get_reservation_details", {"reservation_id": "nope"}).error
            == "Error: reservation not found"
        )
        got = ep.call("search_direct_flight", {"origin": "JFK", "destination": "SEA", "date": "2024-05-20"})
        assert got.ok and got.content == _direct(data, "JFK", "SEA", "2024-05-20") and got.content

        # Booking: price check, certificate used up, gift card charged, reservation id appended to the user.
        user_id = "mia_li_3668"
        flights = [
            {"flight_number": "HAT136", "date": "2024-05-20"},
            {"flight_number": "HAT039", "date": "2024-05-20"},
        ]
        price = sum(
            data["flights"][f["flight_number"]]["dates"][f["date"]]["prices"]["economy"] for f in flights
        )
        args = {
            "user_id": user_id, "origin": "JFK", "destination": "SEA", "flight_type": "one_way", "cabin": "economy",
            "flights": flights, "passengers": [{"first_name": "Mia", "last_name": "Li", "dob": "1990-04-05"}],
            "payment_methods": [{"payment_id": "certificate_7504069", "amount": 250}],
            "total_baggages": 1, "nonfree_baggages": 1, "insurance": "yes",
        }  # fmt: skip
        wrong = ep.call("book_reservation", args)
        assert wrong.error == "Error: payment amount does not add up"
        total = price + 30 + 50
        args["payment_methods"] = [
            {"payment_id": "certificate_7504069", "amount": 250},
            {"payment_id": "credit_card_4421486", "amount": total - 250},
        ]
        booked = ep.call("book_reservation", args)
        assert booked.ok and booked.content["reservation_id"] == "HATHAT"
        assert [f["origin"] for f in booked.content["flights"]] == ["JFK", "ATL"]
        user = ep.call("get_user_details", {"user_id": user_id}).content
        assert "certificate_7504069" not in user["payment_methods"] and user["reservations"][-1] == "HATHAT"
        assert (
            ep.call("book_reservation", args).error == "Error: payment method not found"
        )  # certificate gone

        # Flight change paid by gift card: Σ new − Σ old prices × passengers, as τ-bench computes it.
        def day_of(flight):
            return data["flights"][flight["flight_number"]]["dates"][flight["date"]]

        def gift_of(r):
            pms = data["users"][r["user_id"]]["payment_methods"]
            return next((k for k, v in sorted(pms.items()) if v["source"] == "gift_card"), None)

        def upgrade(r):
            return (day_of(r["flights"][0])["prices"]["business"] - r["flights"][0]["price"]) * len(
                r["passengers"]
            )

        res_id, res = next(
            (k, r) for k, r in sorted(data["reservations"].items())
            if r["cabin"] == "economy" and len(r["flights"]) == 1 and gift_of(r)
            and day_of(r["flights"][0]).get("status") == "available"
            and 0 < upgrade(r) <= data["users"][r["user_id"]]["payment_methods"][gift_of(r)]["amount"]
        )  # fmt: skip
        gift, diff = gift_of(res), upgrade(res)
        balance = data["users"][res["user_id"]]["payment_methods"][gift]["amount"]
        old = {k: res["flights"][0][k] for k in ("flight_number", "date")}
        args = {"reservation_id": res_id, "cabin": "business", "flights": [old], "payment_id": gift}
        changed = ep.call("update_reservation_flights", args)
        assert changed.ok and changed.content["flights"][0]["price"] == day_of(old)["prices"]["business"]
        assert changed.content["payment_history"][-1] == {"payment_id": gift, "amount": pytest.approx(diff)}
        after = ep.call("get_user_details", {"user_id": res["user_id"]}).content["payment_methods"][gift]
        assert after["amount"] == pytest.approx(balance - diff)
        # τ-bench v1 never stores the new cabin: back to "economy" matches the kept flight, so nothing is charged.
        same = ep.call("update_reservation_flights", args | {"cabin": "economy"})
        assert same.ok and same.content["cabin"] == "economy"
        assert same.content["payment_history"] == changed.content["payment_history"]
        assert ep.call("update_reservation_flights", args | {"payment_id": "certificate_1"}).error == (
            "Error: payment method not found"
        )

        # Cancel: every payment refunded as a negative entry.
        cancelled = ep.call("cancel_reservation", {"reservation_id": res_id})
        history = cancelled.content["payment_history"]
        n = len(history) // 2
        assert cancelled.content["status"] == "cancelled"
        assert [(h["payment_id"], -h["amount"]) for h in history[n:]] == [
            (h["payment_id"], h["amount"]) for h in history[:n]
        ]
        cert = ep.call("send_certificate", {"user_id": user_id, "amount": 150})
        assert cert.content == f"Certificate certificate_3221322 added to user {user_id} with amount 150."
        tables = {(c.table, c.op) for c in ep.diff()}
        assert tables == {("reservations", "insert"), ("reservations", "update"), ("users", "update")}
