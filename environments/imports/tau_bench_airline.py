"""τ-bench v1 airline as an envscale environment: tables from its JSON, tools as hand-written programs.

Rows keep τ-bench's documents (a flight's per-date status/seats/prices, a
reservation's flights, passengers and payment history are JSON columns), so a
read is one keyed lookup and a write touches one or two rows. The semantics
follow tau_bench/envs/airline/tools/*.py (same checks, error texts and writes;
no seat bookkeeping, as in τ-bench), expressed as preconditions + writes +
results with bound parameters only. Error texts cannot name the offending
flight or payment (placeholders only take argument values). ``calculate``
evaluates an arbitrary expression: it has no SQL form and is reported.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from envscale.environments.imports.tau_bench_retail import (
    GET_USER_DETAILS,
    THINK,
    TRANSFER_TO_HUMAN_AGENTS,
    _c,
    _prog,
)
from envscale.environments.programs.model import Precondition as P
from envscale.environments.programs.model import ToolProgram
from envscale.environments.schema.model import ForeignKey, SchemaModel, Table

SCHEMA = SchemaModel(
    origin="imported",
    tables=(
        Table(
            name="users",
            primary_key=("user_id",),
            columns=(
                _c("user_id", nullable=False),
                _c("name", "JSON"),
                _c("address", "JSON"),
                _c("email"),
                _c("dob"),
                _c("payment_methods", "JSON"),
                _c("saved_passengers", "JSON"),
                _c("membership"),
                _c("reservations", "JSON"),
            ),
            description="τ-bench airline users; payment_methods maps id → method (gift cards/certificates carry an amount).",
        ),
        Table(
            name="flights",
            primary_key=("flight_number",),
            columns=(
                _c("flight_number", nullable=False),
                _c("origin"),
                _c("destination"),
                _c("scheduled_departure_time_est"),
                _c("scheduled_arrival_time_est"),
                _c("dates", "JSON"),
            ),
            description="Flights; dates maps YYYY-MM-DD → {status, available_seats, prices, ...}.",
        ),
        Table(
            name="reservations",
            primary_key=("reservation_id",),
            columns=(
                _c("reservation_id", nullable=False),
                _c("user_id"),
                _c("origin"),
                _c("destination"),
                _c("flight_type"),
                _c("cabin"),
                _c("flights", "JSON"),
                _c("passengers", "JSON"),
                _c("payment_history", "JSON"),
                _c("created_at"),
                _c("total_baggages", "BIGINT"),
                _c("nonfree_baggages", "BIGINT"),
                _c("insurance"),
                _c("status"),
            ),
            foreign_keys=(ForeignKey(columns=("user_id",), ref_table="users", ref_columns=("user_id",)),),
        ),
    ),
)

_RES_COLS = [c.name for c in SCHEMA.table("reservations").columns]
_JSON_COLS = {c.name for t in SCHEMA.tables for c in t.columns if c.type == "JSON"}


def load_rows(data_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """The airline JSON files as rows of SCHEMA's tables."""
    tables = ("users", "flights", "reservations")
    return rows_from_docs({t: json.loads((data_dir / f"{t}.json").read_text()) for t in tables})


def rows_from_docs(all_docs: dict[str, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Rows of SCHEMA's tables from the documents by table (v1's files, or τ²'s db.json)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for table, key in (
        ("users", "user_id"),
        ("flights", "flight_number"),
        ("reservations", "reservation_id"),
    ):
        docs = all_docs[table]
        cols = [c.name for c in SCHEMA.table(table).columns]
        out[table] = [
            {
                c: (json.dumps(doc[c]) if c in _JSON_COLS and doc.get(c) is not None else doc.get(c))
                for c in cols
                if c != key
            }
            | {key: doc_key}
            for doc_key, doc in docs.items()
        ]
    return out


# -- SQL fragments (all over bound parameters) -------------------------------------------
_FLIGHT_LIST = 'from_json($flights, \'[{"flight_number": "VARCHAR", "date": "VARCHAR"}]\')'
# The argument's flights as rows (pos, flight_number, date) joined with the flights table.
ARG_FLIGHTS = (
    "(SELECT a.pos, struct_extract(a.f, 'flight_number') AS flight_number, struct_extract(a.f, 'date') AS date"
    f" FROM (SELECT unnest({_FLIGHT_LIST}) AS f, generate_subscripts({_FLIGHT_LIST}, 1) AS pos) a)"
)
_DAY = "json_extract(fl.dates, '/' || af.date)"
_N_PASSENGERS = "json_array_length(CAST($passengers AS JSON))"
RES_EXISTS = P(
    sql="SELECT 1 FROM reservations WHERE reservation_id = $reservation_id",
    error="Error: reservation not found",
)
RES_USER = "(SELECT user_id FROM reservations WHERE reservation_id = $reservation_id)"
RES_PASSENGERS = (
    "(SELECT json_array_length(passengers) FROM reservations WHERE reservation_id = $reservation_id)"
)
_PM = "'/' || $payment_id"
_SOURCE = f"json_extract_string(u.payment_methods, {_PM} || '/source')"
_AMOUNT = f"CAST(json_extract_string(u.payment_methods, {_PM} || '/amount') AS DOUBLE)"


def _flight_checks(flights: str, seats_needed: str, cabin: str = "$cabin") -> list[P]:
    """τ-bench's per-flight checks over ``flights`` (rows af with flight_number, date), in its order."""
    base = f"SELECT 1 FROM {flights} af LEFT JOIN flights fl ON fl.flight_number = af.flight_number"
    return [
        P(sql=f"{base} WHERE fl.flight_number IS NULL", expect="no_row", error="Error: flight not found"),
        P(
            sql=f"{base} WHERE fl.flight_number IS NOT NULL AND {_DAY} IS NULL",
            expect="no_row",
            error="Error: flight not found on date",
        ),
        P(
            sql=f"{base} WHERE json_extract_string({_DAY}, '$.status') <> 'available'",
            expect="no_row",
            error="Error: flight not available on date",
        ),
        P(
            sql=f"{base} WHERE CAST(json_extract_string({_DAY}, '/available_seats/' || {cabin}) AS DOUBLE) < {seats_needed}",
            expect="no_row",
            error="Error: not enough seats on flight",
        ),
    ]


def _payment_checks() -> list[P]:
    """Payment checks of the update tools: the method exists, is no certificate; done by the caller: balance."""
    owner = f"FROM users u WHERE u.user_id = {RES_USER}"
    return [
        P(
            sql=f"SELECT 1 {owner} AND json_extract(u.payment_methods, {_PM}) IS NOT NULL",
            error="Error: payment method not found",
        ),
        P(
            sql=f"SELECT 1 {owner} AND {_SOURCE} = 'certificate'",
            expect="no_row",
            error="Error: certificate cannot be used to update reservation",
        ),
    ]


def _gift_card_charge(amount: str) -> str:
    """Take ``amount`` off the reservation owner's gift card ``$payment_id`` (other sources untouched)."""
    return (
        "UPDATE users SET payment_methods = json_merge_patch(payment_methods, json_object(CAST($payment_id AS VARCHAR), json_object('amount',"
        f" CAST(json_extract_string(payment_methods, {_PM} || '/amount') AS DOUBLE) - ({amount}))))"
        f" WHERE user_id = {RES_USER} AND json_extract_string(payment_methods, {_PM} || '/source') = 'gift_card'"
        f" AND ({amount}) <> 0"
    )


def _append_payment(amount: str) -> str:
    return (
        f"CASE WHEN ({amount}) <> 0 THEN to_json(list_append(from_json(payment_history, '[\"JSON\"]'),"
        f" json_object('payment_id', $payment_id, 'amount', {amount}))) ELSE payment_history END"
    )


# -- book_reservation ----------------------------------------------------------------------
_BOOK_FLIGHTS = (
    "(SELECT af.pos, af.flight_number, af.date, fl.origin, fl.destination,"
    f" json_extract({_DAY}, '/prices/' || $cabin) AS price FROM {ARG_FLIGHTS} af JOIN flights fl ON fl.flight_number = af.flight_number)"
)
BOOK_TOTAL = (
    f"((SELECT coalesce(sum(CAST(price AS DOUBLE)), 0) FROM {_BOOK_FLIGHTS}) * {_N_PASSENGERS}"
    f" + CASE WHEN $insurance = 'yes' THEN 30 * {_N_PASSENGERS} ELSE 0 END + 50 * $nonfree_baggages)"
)
_PAYMENTS = (
    "(SELECT struct_extract(p, 'payment_id') AS pid, struct_extract(p, 'amount') AS amount FROM (SELECT"
    ' unnest(from_json($payment_methods, \'[{"payment_id": "VARCHAR", "amount": "DOUBLE"}]\')) AS p))'
)
_USER_PM = "json_extract(u.payment_methods, '/' || pay.pid)"
# τ-bench picks the first free id of three (it assumes at most three bookings per task).
NEW_RESERVATION_ID = (
    "(CASE WHEN NOT EXISTS (SELECT 1 FROM reservations WHERE reservation_id = 'HATHAT') THEN 'HATHAT'"
    " WHEN NOT EXISTS (SELECT 1 FROM reservations WHERE reservation_id = 'HATHAU') THEN 'HATHAU' ELSE 'HATHAV' END)"
)
_BOOK_PAY_PATCH = (
    "(SELECT coalesce(to_json(map_from_entries(list({'k': pay.pid, 'v': CASE WHEN json_extract_string("
    f"{_USER_PM}, '$.source') = 'gift_card' THEN json_object('amount', CAST(json_extract_string({_USER_PM}, '$.amount')"
    f" AS DOUBLE) - pay.amount) ELSE NULL END}}))), '{{}}') FROM {_PAYMENTS} pay, users u WHERE u.user_id = $user_id"
    f" AND json_extract_string({_USER_PM}, '$.source') IN ('gift_card', 'certificate'))"
)

BOOK = _prog(
    "book_reservation",
    "write",
    table="reservations",
    pre=[
        P(sql="SELECT 1 FROM users WHERE user_id = $user_id", error="Error: user not found"),
        *_flight_checks(ARG_FLIGHTS, _N_PASSENGERS),
        P(
            sql=f"SELECT 1 FROM {_PAYMENTS} pay, users u WHERE u.user_id = $user_id AND {_USER_PM} IS NULL",
            expect="no_row",
            error="Error: payment method not found",
        ),
        P(
            sql=f"SELECT 1 FROM {_PAYMENTS} pay, users u WHERE u.user_id = $user_id"
            f" AND json_extract_string({_USER_PM}, '$.source') IN ('gift_card', 'certificate')"
            f" AND CAST(json_extract_string({_USER_PM}, '$.amount') AS DOUBLE) < pay.amount",
            expect="no_row",
            error="Error: not enough balance in payment method",
        ),
        P(
            sql=f"SELECT 1 WHERE (SELECT coalesce(sum(amount), 0) FROM {_PAYMENTS}) = {BOOK_TOTAL}",
            error="Error: payment amount does not add up",
        ),
    ],
    writes=[
        # Gift cards pay (amount down), certificates are used up (key removed by the merge patch's null).
        (
            "users",
            f"UPDATE users SET payment_methods = json_merge_patch(payment_methods, {_BOOK_PAY_PATCH}),"
            f" reservations = to_json(list_append(from_json(reservations, '[\"VARCHAR\"]'), {NEW_RESERVATION_ID}))"
            " WHERE user_id = $user_id",
        ),
        (
            "reservations",
            f"INSERT INTO reservations ({', '.join(_RES_COLS)}) SELECT {NEW_RESERVATION_ID}, $user_id, $origin, $destination,"
            " $flight_type, $cabin, (SELECT to_json(list(json_object('flight_number', flight_number, 'date', date, 'price', price,"
            f" 'origin', origin, 'destination', destination) ORDER BY pos)) FROM {_BOOK_FLIGHTS}), CAST($passengers AS JSON),"
            " CAST($payment_methods AS JSON), $_now, $total_baggages, $nonfree_baggages, $insurance, NULL",
        ),
    ],
)

# -- update_reservation_flights ------------------------------------------------------------
_OLD_FLIGHTS = "(SELECT unnest(from_json(r.flights, '[\"JSON\"]')) AS f, r.cabin FROM reservations r WHERE r.reservation_id = $reservation_id)"
# Each requested flight: kept at its old price when unchanged (same number, date and cabin), else new.
_UPD_FLIGHTS = (
    f"(SELECT af.pos, af.flight_number, af.date, o.f AS old FROM {ARG_FLIGHTS} af LEFT JOIN {_OLD_FLIGHTS} o"
    " ON json_extract_string(o.f, '$.flight_number') = af.flight_number AND json_extract_string(o.f, '$.date') = af.date"
    " AND o.cabin = $cabin)"
)
_NEW_ONLY = f"(SELECT * FROM {_UPD_FLIGHTS} WHERE old IS NULL)"
_NEW_FLIGHT_ROWS = (
    "(SELECT u.pos, u.flight_number, u.date, coalesce(json_extract(u.old, '$.price'), json_extract(fl.dates, '/' || u.date"
    " || '/prices/' || $cabin)) AS price, coalesce(json_extract(u.old, '$.origin'), to_json(fl.origin)) AS origin,"
    " coalesce(json_extract(u.old, '$.destination'), to_json(fl.destination)) AS destination"
    f" FROM {_UPD_FLIGHTS} u LEFT JOIN flights fl ON fl.flight_number = u.flight_number)"
)
FLIGHTS_PRICE_DIFF = (
    f"(((SELECT coalesce(sum(CAST(price AS DOUBLE)), 0) FROM {_NEW_FLIGHT_ROWS})"
    " - (SELECT coalesce(sum(CAST(json_extract_string(f, '$.price') AS DOUBLE)), 0) FROM"
    f" (SELECT unnest(from_json(flights, '[\"JSON\"]')) AS f FROM reservations WHERE reservation_id = $reservation_id)))"
    f" * {RES_PASSENGERS})"
)

UPDATE_FLIGHTS = _prog(
    "update_reservation_flights",
    "write",
    table="reservations",
    pre=[
        RES_EXISTS,
        *_flight_checks(_NEW_ONLY, RES_PASSENGERS),
        *_payment_checks(),
        P(
            sql=f"SELECT 1 FROM users u WHERE u.user_id = {RES_USER} AND {_SOURCE} = 'gift_card' AND {_AMOUNT} < {FLIGHTS_PRICE_DIFF}",
            expect="no_row",
            error="Error: gift card balance is not enough",
        ),
    ],
    writes=[
        ("users", _gift_card_charge(FLIGHTS_PRICE_DIFF)),
        (
            "reservations",
            f"UPDATE reservations SET payment_history = {_append_payment(FLIGHTS_PRICE_DIFF)},"
            " flights = (SELECT to_json(list(json_object('flight_number', flight_number, 'date', date, 'price', price, 'origin', origin,"
            f" 'destination', destination) ORDER BY pos)) FROM {_NEW_FLIGHT_ROWS}) WHERE reservation_id = $reservation_id",
        ),
    ],
)

# -- update_reservation_baggages -----------------------------------------------------------
BAG_PRICE = "(SELECT 50 * greatest(0, $nonfree_baggages - nonfree_baggages) FROM reservations WHERE reservation_id = $reservation_id)"
UPDATE_BAGGAGES = _prog(
    "update_reservation_baggages",
    "write",
    table="reservations",
    pre=[
        RES_EXISTS,
        *_payment_checks(),
        P(
            sql=f"SELECT 1 FROM users u WHERE u.user_id = {RES_USER} AND {_SOURCE} = 'gift_card' AND {_AMOUNT} < {BAG_PRICE}",
            expect="no_row",
            error="Error: gift card balance is not enough",
        ),
    ],
    writes=[
        ("users", _gift_card_charge(BAG_PRICE)),
        (
            "reservations",
            "UPDATE reservations SET payment_history ="
            f" {_append_payment('50 * greatest(0, $nonfree_baggages - nonfree_baggages)')},"
            " total_baggages = $total_baggages, nonfree_baggages = $nonfree_baggages WHERE reservation_id = $reservation_id",
        ),
    ],
)

_AIRPORTS = {
    "SFO": "San Francisco", "JFK": "New York", "LAX": "Los Angeles", "ORD": "Chicago", "DFW": "Dallas",
    "DEN": "Denver", "SEA": "Seattle", "ATL": "Atlanta", "MIA": "Miami", "BOS": "Boston", "PHX": "Phoenix",
    "IAH": "Houston", "LAS": "Las Vegas", "MCO": "Orlando", "EWR": "Newark", "CLT": "Charlotte",
    "MSP": "Minneapolis", "DTW": "Detroit", "PHL": "Philadelphia", "LGA": "LaGuardia",
}  # fmt: skip
_FLIGHT_DOC = (
    "json_object('flight_number', {a}.flight_number, 'origin', {a}.origin, 'destination', {a}.destination,"
    " 'scheduled_departure_time_est', {a}.scheduled_departure_time_est, 'scheduled_arrival_time_est', {a}.scheduled_arrival_time_est)"
)
# The connection's day: τ-bench adds one to the day number when the first leg arrives "+1".
_DATE2 = "CASE WHEN contains(f1.scheduled_arrival_time_est, '+1') THEN '2024-05-' || (CAST(right($date, 2) AS INTEGER) + 1) ELSE $date END"
_CERT_IDS = ("certificate_3221322", "certificate_9643334", "certificate_7812345")


def free_certificate(cert_ids: tuple[str, ...]) -> str:
    """SQL: the first of ``cert_ids`` the user's payment methods do not hold yet (NULL when all are)."""
    return (
        "CASE "
        + " ".join(f"WHEN json_extract(payment_methods, '/{c}') IS NULL THEN '{c}'" for c in cert_ids)
        + " END"
    )


def certificate_added(cert_ids: tuple[str, ...]) -> str:
    """The result of send_certificate, read after the write: the certificate just added is the last id present."""
    added = (
        "CASE "
        + " ".join(
            f"WHEN json_extract(payment_methods, '/{c}') IS NOT NULL THEN '{c}'" for c in reversed(cert_ids)
        )
        + " END"
    )
    return (
        f"SELECT 'Certificate ' || ({added}) || ' added to user ' || $user_id || ' with amount ' || $amount || '.'"
        " AS result FROM users WHERE user_id = $user_id"
    )


_FREE_CERT = free_certificate(_CERT_IDS)

PROGRAMS: tuple[ToolProgram, ...] = (
    GET_USER_DETAILS,
    _prog(
        "get_reservation_details",
        "read",
        table="reservations",
        empty="Error: reservation not found",
        result="SELECT * FROM reservations WHERE reservation_id = $reservation_id",
    ),
    _prog(
        "list_all_airports",
        "read",
        mode="value",
        result=f"SELECT json('{json.dumps(_AIRPORTS)}') AS airports",
    ),
    _prog(
        "search_direct_flight",
        "read",
        mode="value",
        table="flights",
        result=f"SELECT coalesce(to_json(list(json_merge_patch({_FLIGHT_DOC.format(a='f')}, json_extract(f.dates, '/' || $date))"
        " ORDER BY f.flight_number)), '[]') AS flights FROM flights f WHERE f.origin = $origin AND f.destination = $destination"
        " AND json_extract_string(f.dates, '/' || $date || '/status') = 'available'",
    ),
    _prog(
        "search_onestop_flight",
        "read",
        mode="value",
        table="flights",
        result="SELECT coalesce(to_json(list(json_array("
        f"json_merge_patch({_FLIGHT_DOC.format(a='f1')}, json_extract(f1.dates, '/' || $date), json_object('date', $date)),"
        f" json_merge_patch({_FLIGHT_DOC.format(a='f2')}, json_extract(f2.dates, '/' || ({_DATE2})), json_object('date', ({_DATE2}))))"
        " ORDER BY f1.flight_number, f2.flight_number)), '[]') AS flights"
        " FROM flights f1 JOIN flights f2 ON f2.origin = f1.destination"
        " WHERE f1.origin = $origin AND f2.destination = $destination AND f1.scheduled_arrival_time_est <= f2.scheduled_departure_time_est"
        " AND json_extract_string(f1.dates, '/' || $date || '/status') = 'available'"
        f" AND json_extract_string(f2.dates, '/' || ({_DATE2}) || '/status') = 'available'",
    ),
    _prog(
        "send_certificate",
        "write",
        table="users",
        pre=[P(sql="SELECT 1 FROM users WHERE user_id = $user_id", error="Error: user not found")],
        writes=[
            (
                "users",
                f"UPDATE users SET payment_methods = json_merge_patch(payment_methods, json_object({_FREE_CERT},"
                f" json_object('source', 'certificate', 'amount', $amount, 'id', {_FREE_CERT})))"
                f" WHERE user_id = $user_id AND ({_FREE_CERT}) IS NOT NULL",
            )
        ],
        result=certificate_added(_CERT_IDS),
        mode="value",
    ),
    _prog(
        "cancel_reservation",
        "write",
        table="reservations",
        pre=[RES_EXISTS],
        writes=[
            (
                "reservations",
                "UPDATE reservations SET status = 'cancelled', payment_history = to_json(list_concat(from_json(payment_history, '[\"JSON\"]'),"
                " (SELECT coalesce(list(json_object('payment_id', json_extract(p, '$.payment_id'), 'amount',"
                " -CAST(json_extract_string(p, '$.amount') AS DOUBLE)) ORDER BY pos), []) FROM (SELECT"
                " unnest(from_json(payment_history, '[\"JSON\"]')) AS p, generate_subscripts(from_json(payment_history, '[\"JSON\"]'), 1)"
                " AS pos FROM reservations WHERE reservation_id = $reservation_id)))) WHERE reservation_id = $reservation_id",
            )
        ],
    ),
    UPDATE_BAGGAGES,
    UPDATE_FLIGHTS,
    _prog(
        "update_reservation_passengers",
        "write",
        table="reservations",
        pre=[
            RES_EXISTS,
            P(
                sql="SELECT 1 FROM reservations WHERE reservation_id = $reservation_id"
                " AND json_array_length(passengers) = json_array_length(CAST($passengers AS JSON))",
                error="Error: number of passengers does not match",
            ),
        ],
        writes=[
            (
                "reservations",
                "UPDATE reservations SET passengers = CAST($passengers AS JSON) WHERE reservation_id = $reservation_id",
            )
        ],
    ),
    BOOK,
    THINK,
    TRANSFER_TO_HUMAN_AGENTS,
)

UNSUPPORTED = {"calculate": "no_program: evaluates an arbitrary arithmetic expression (no SQL form)"}
