"""τ-bench v1 retail as an envscale environment: tables from its JSON, tools as hand-written programs.

Rows keep τ-bench's documents (an order's items, fulfillments and payment
history are JSON columns of its ``orders`` row), so a read is one keyed
lookup and a write touches one or two rows. The semantics follow
tau_bench/envs/retail/tools/*.py (same checks, error texts and writes),
expressed as preconditions + writes + results with bound parameters only.
``calculate`` evaluates an arbitrary expression: it has no SQL form and is
reported as not compiled.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from envscale.environments.programs.model import Precondition as P
from envscale.environments.programs.model import ToolProgram, WriteStatement
from envscale.environments.schema.model import Column, ForeignKey, SchemaModel, Table


def _c(name: str, typ: str = "VARCHAR", nullable: bool = True, **kw: Any) -> Column:
    return Column(name=name, type=typ, nullable=nullable, **kw)  # type: ignore[arg-type]


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
                _c("payment_methods", "JSON"),
                _c("orders", "JSON"),
            ),
            description="τ-bench retail users; payment_methods maps id → method (gift cards carry a balance).",
        ),
        Table(
            name="products",
            primary_key=("product_id",),
            columns=(_c("product_id", nullable=False), _c("name"), _c("variants", "JSON")),
            description="Product types; variants maps item_id → {item_id, options, available, price}.",
        ),
        Table(
            name="orders",
            primary_key=("order_id",),
            columns=(
                _c("order_id", nullable=False),
                _c("user_id"),
                _c("address", "JSON"),
                _c("items", "JSON"),
                _c("fulfillments", "JSON"),
                _c("status"),
                _c("payment_history", "JSON"),
                _c("cancel_reason"),
                _c("exchange_items", "JSON"),
                _c("exchange_new_items", "JSON"),
                _c("exchange_payment_method_id"),
                _c("exchange_price_difference", "DOUBLE"),
                _c("return_items", "JSON"),
                _c("return_payment_method_id"),
            ),
            foreign_keys=(ForeignKey(columns=("user_id",), ref_table="users", ref_columns=("user_id",)),),
        ),
        Table(
            name="variants",
            primary_key=("item_id",),
            columns=(
                _c("item_id", nullable=False),
                _c("product_id"),
                _c("price", "DOUBLE"),
                _c("available", "BOOLEAN"),
                _c("variant", "JSON"),
            ),
            foreign_keys=(
                ForeignKey(columns=("product_id",), ref_table="products", ref_columns=("product_id",)),
            ),
            description="Keyed index of products.variants (item ids are unique across products); no tool writes"
            " products, so it cannot go stale. Lets item-level tools look variants up by key instead of unnesting JSON.",
        ),
    ),
)


def load_rows(data_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """The retail JSON files as rows of SCHEMA's tables."""
    return rows_from_docs(
        {t: json.loads((data_dir / f"{t}.json").read_text()) for t in ("users", "products", "orders")}
    )


def rows_from_docs(docs: dict[str, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Rows of SCHEMA's tables from the documents by table (v1's files, or τ²'s db.json)."""
    users, products, orders = docs["users"], docs["products"], docs["orders"]
    j = json.dumps
    rows: dict[str, list[dict[str, Any]]] = {"users": [], "products": [], "orders": [], "variants": []}
    for user_id, u in users.items():
        rows["users"].append(
            {
                "user_id": user_id,
                "name": j(u["name"]),
                "address": j(u["address"]),
                "email": u["email"],
                "payment_methods": j(u["payment_methods"]),
                "orders": j(u["orders"]),
            }
        )
    for product_id, p in products.items():
        rows["products"].append({"product_id": product_id, "name": p["name"], "variants": j(p["variants"])})
        for item_id, v in p["variants"].items():
            rows["variants"].append(
                {
                    "item_id": item_id,
                    "product_id": product_id,
                    "price": v["price"],
                    "available": v["available"],
                    "variant": j(v),
                }
            )
    for order_id, o in orders.items():
        rows["orders"].append(
            {
                "order_id": order_id,
                "user_id": o["user_id"],
                "address": j(o["address"]),
                "items": j(o["items"]),
                "fulfillments": j(o["fulfillments"]),
                "status": o["status"],
                "payment_history": j(o["payment_history"]),
                "cancel_reason": o.get("cancel_reason"),
                "exchange_items": _j(o.get("exchange_items")),
                "exchange_new_items": _j(o.get("exchange_new_items")),
                "exchange_payment_method_id": o.get("exchange_payment_method_id"),
                "exchange_price_difference": o.get("exchange_price_difference"),
                "return_items": _j(o.get("return_items")),
                "return_payment_method_id": o.get("return_payment_method_id"),
            }
        )
    return rows


def _j(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


# -- SQL fragments (all over bound parameters) -------------------------------------------
_IDS = "from_json($item_ids, '[\"VARCHAR\"]')"
_NEW = "from_json($new_item_ids, '[\"VARCHAR\"]')"
_PM = "'/' || $payment_method_id"
ORDER_USER = "(SELECT user_id FROM orders WHERE order_id = $order_id)"
# Item-level tools use list lambdas over the order's item ids/prices and keyed lookups in `variants`:
# unnest + GROUP BY + window subqueries cost DuckDB 4-7 ms each to plan, these ~1 ms.
_OIDS = "json_extract_string(o.items, '$[*].item_id')"
_OPRICES = "CAST(json_extract_string(o.items, '$[*].price') AS DOUBLE[])"
# Σ new variant price − Σ price paid for the (first) order item with each old id, as τ-bench computes it.
PRICE_DIFF = (
    f"((SELECT coalesce(sum(v.price), 0) FROM (SELECT unnest({_NEW}) AS id) n JOIN variants v ON v.item_id = n.id)"
    f" - (SELECT coalesce(list_sum(list_transform({_IDS}, lambda x: {_OPRICES}[list_position({_OIDS}, x)])), 0)"
    " FROM orders o WHERE o.order_id = $order_id))"
)
# What the order's last payment-history entry does to the payer's balance (payment: −amount, refund: +amount).
LAST_PAYMENT_DELTA = (
    "(SELECT CASE WHEN json_extract_string(payment_history, '$[#-1].transaction_type') = 'payment' THEN -1 ELSE 1 END"
    " * CAST(json_extract_string(payment_history, '$[#-1].amount') AS DOUBLE) FROM orders WHERE order_id = $order_id)"
)
GIFT_CARD = f"json_extract_string(u.payment_methods, {_PM} || '/source') = 'gift_card'"
BALANCE = f"CAST(json_extract_string(u.payment_methods, {_PM} || '/balance') AS DOUBLE)"

ORDER_EXISTS = P(sql="SELECT 1 FROM orders WHERE order_id = $order_id", error="Error: order not found")
# Multiset containment: no requested id occurs more often in the request than in the order.
ITEMS_IN_ORDER = P(
    sql=f"SELECT 1 FROM orders o WHERE o.order_id = $order_id AND NOT list_bool_and(list_transform({_IDS},"
    f" lambda x: len(list_filter({_IDS}, lambda y: y = x)) <= len(list_filter({_OIDS}, lambda y: y = x))))",
    expect="no_row",
    error="Error: some item of {item_ids} not found in the order",
)
SAME_LENGTH = P(
    sql=f"SELECT 1 WHERE len({_IDS}) = len({_NEW})",
    error="Error: the number of items to be exchanged should match",
)
# Each new id is an available variant of the old item's product.
NEW_ITEMS_OK = P(
    sql=f"SELECT 1 FROM (SELECT unnest({_IDS}) AS old_id, unnest({_NEW}) AS new_id) pr LEFT JOIN variants n ON n.item_id = pr.new_id"
    " LEFT JOIN variants o ON o.item_id = pr.old_id WHERE NOT coalesce(n.available AND n.product_id = o.product_id, false)",
    expect="no_row",
    error="Error: new item not found or available",
)
PM_OF_USER = P(
    sql=f"SELECT 1 FROM users u WHERE u.user_id = {ORDER_USER} AND json_extract(u.payment_methods, {_PM}) IS NOT NULL",
    error="Error: payment method not found",
)


def _status(status: str, error: str) -> P:
    return P(sql=f"SELECT 1 FROM orders WHERE order_id = $order_id AND status = '{status}'", error=error)


def _item_swap_checks(status_check: P, balance_error: str) -> list[P]:
    """τ-bench's checks, in its order, before items are swapped for new ones (modify or exchange)."""
    return [
        ORDER_EXISTS,
        status_check,
        ITEMS_IN_ORDER,
        SAME_LENGTH,
        NEW_ITEMS_OK,
        PM_OF_USER,
        P(
            sql=f"SELECT 1 FROM users u WHERE u.user_id = {ORDER_USER} AND {GIFT_CARD} AND {BALANCE} < {PRICE_DIFF}",
            expect="no_row",
            error=balance_error,
        ),
    ]


def _balance_update(delta: str, pm: str = "$payment_method_id") -> str:
    """Add ``delta`` to a gift card's balance (rounded like τ-bench); other methods are untouched."""
    path = f"'/' || {pm}"
    return (
        f"UPDATE users SET payment_methods = json_merge_patch(payment_methods, json_object(CAST({pm} AS VARCHAR), json_object('balance',"
        f" round(CAST(json_extract_string(payment_methods, {path} || '/balance') AS DOUBLE) + ({delta}), 2))))"
        f" WHERE user_id = {ORDER_USER} AND json_extract_string(payment_methods, {path} || '/source') = 'gift_card'"
    )


def _prog(
    name: str,
    kind: str,
    *,
    pre=(),
    writes=(),
    result: str | None = None,
    mode: str = "row",
    empty: str | None = None,
    table: str | None = None,
) -> ToolProgram:
    return ToolProgram(
        name=name,
        kind=kind,
        preconditions=tuple(pre),  # type: ignore[arg-type]
        writes=tuple(WriteStatement(sql=s, table=t) for t, s in writes),
        result=result,
        result_mode=mode,  # type: ignore[arg-type]
        empty_error=empty,
        origin="hand",
        table=table,
        action="read" if kind == "read" else "update",
    )


_ADDRESS = "json_object('address1', $address1, 'address2', $address2, 'city', $city, 'country', $country, 'state', $state, 'zip', $zip)"
_FIRST_PAYMENT = "json_extract_string(payment_history, '$[0].payment_method_id')"
# The order's items with the k-th occurrence of each old id swapped for the new id of its k-th pair.
_NEW_IDS_BY_POSITION = (
    f"list_transform({_OIDS}, lambda x, i: {_NEW}[list_filter(range(1, len({_IDS}) + 1), lambda j: {_IDS}[j] = x)"
    f"[len(list_filter(list_slice({_OIDS}, 1, i), lambda y: y = x))]])"
)
NEW_ITEMS = (
    "(SELECT to_json(list_transform(its, lambda it, i: CASE WHEN nids[i] IS NULL THEN it ELSE json_object('name',"
    " json_extract(it, '$.name'), 'product_id', json_extract(it, '$.product_id'), 'item_id', nids[i], 'price',"
    " json_extract(vs[nids[i]], '$.price'), 'options', json_extract(vs[nids[i]], '$.options')) END))"
    f" FROM (SELECT from_json(o.items, '[\"JSON\"]') AS its, {_NEW_IDS_BY_POSITION} AS nids,"
    f" (SELECT map_from_entries(list({{'k': item_id, 'v': variant}})) FROM variants WHERE list_contains({_NEW}, item_id)) AS vs"
    " FROM orders o WHERE o.order_id = $order_id))"
)

# Tools that both τ-bench domains define alike (the airline module uses these).
GET_USER_DETAILS = _prog(
    "get_user_details",
    "read",
    table="users",
    empty="Error: user not found",
    result="SELECT * FROM users WHERE user_id = $user_id",
)
THINK = _prog("think", "read", mode="value", result="SELECT '' AS result")
TRANSFER_TO_HUMAN_AGENTS = _prog(
    "transfer_to_human_agents", "read", mode="value", result="SELECT 'Transfer successful' AS result"
)

PROGRAMS: tuple[ToolProgram, ...] = (
    _prog(
        "find_user_id_by_email",
        "read",
        mode="value",
        table="users",
        empty="Error: user not found",
        result="SELECT user_id FROM users WHERE lower(email) = lower($email) ORDER BY user_id LIMIT 1",
    ),
    _prog(
        "find_user_id_by_name_zip",
        "read",
        mode="value",
        table="users",
        empty="Error: user not found",
        result="SELECT user_id FROM users WHERE lower(json_extract_string(name, '$.first_name')) = lower($first_name)"
        " AND lower(json_extract_string(name, '$.last_name')) = lower($last_name)"
        " AND json_extract_string(address, '$.zip') = $zip ORDER BY user_id LIMIT 1",
    ),
    _prog(
        "get_order_details",
        "read",
        table="orders",
        empty="Error: order not found",
        result="SELECT * FROM orders WHERE order_id = $order_id",
    ),
    _prog(
        "get_product_details",
        "read",
        table="products",
        empty="Error: product not found",
        result="SELECT * FROM products WHERE product_id = $product_id",
    ),
    GET_USER_DETAILS,
    _prog(
        "list_all_product_types",
        "read",
        mode="value",
        table="products",
        result="SELECT to_json(map_from_entries(list({'k': name, 'v': product_id} ORDER BY name))) AS product_types FROM products",
    ),
    THINK,
    TRANSFER_TO_HUMAN_AGENTS,
    _prog(
        "cancel_pending_order",
        "write",
        table="orders",
        pre=[
            ORDER_EXISTS,
            _status("pending", "Error: non-pending order cannot be cancelled"),
            P(
                sql="SELECT 1 WHERE $reason IN ('no longer needed', 'ordered by mistake')",
                error="Error: invalid reason",
            ),
        ],
        writes=[
            # Gift cards get their payments back (τ-bench: `"gift_card" in payment_id`).
            (
                "users",
                "UPDATE users SET payment_methods = json_merge_patch(payment_methods, (SELECT coalesce(to_json(map_from_entries(list("
                "{'k': g.pm, 'v': json_object('balance', round(CAST(json_extract_string(u.payment_methods, '/' || g.pm || '/balance') AS DOUBLE) + g.amount, 2))}))), '{}')"
                " FROM (SELECT json_extract_string(p, '$.payment_method_id') AS pm, sum(CAST(json_extract_string(p, '$.amount') AS DOUBLE)) AS amount"
                " FROM (SELECT unnest(from_json(payment_history, '[\"JSON\"]')) AS p FROM orders WHERE order_id = $order_id) GROUP BY 1) g,"
                f" users u WHERE u.user_id = {ORDER_USER} AND g.pm LIKE '%gift_card%'))"
                f" WHERE user_id = {ORDER_USER}",
            ),
            (
                "orders",
                "UPDATE orders SET status = 'cancelled', cancel_reason = $reason, payment_history = to_json(list_concat(from_json(payment_history, '[\"JSON\"]'),"
                " (SELECT coalesce(list(json_object('transaction_type', 'refund', 'amount', json_extract(p, '$.amount'), 'payment_method_id',"
                " json_extract(p, '$.payment_method_id')) ORDER BY pos), []) FROM (SELECT unnest(from_json(payment_history, '[\"JSON\"]')) AS p,"
                " generate_subscripts(from_json(payment_history, '[\"JSON\"]'), 1) AS pos FROM orders WHERE order_id = $order_id))))"
                " WHERE order_id = $order_id",
            ),
        ],
    ),
    _prog(
        "modify_pending_order_address",
        "write",
        table="orders",
        pre=[ORDER_EXISTS, _status("pending", "Error: non-pending order cannot be modified")],
        writes=[("orders", f"UPDATE orders SET address = {_ADDRESS} WHERE order_id = $order_id")],
    ),
    _prog(
        "modify_user_address",
        "write",
        table="users",
        pre=[P(sql="SELECT 1 FROM users WHERE user_id = $user_id", error="Error: user not found")],
        writes=[("users", f"UPDATE users SET address = {_ADDRESS} WHERE user_id = $user_id")],
    ),
    _prog(
        "modify_pending_order_payment",
        "write",
        table="orders",
        pre=[
            ORDER_EXISTS,
            _status("pending", "Error: non-pending order cannot be modified"),
            PM_OF_USER,
            P(
                sql="SELECT 1 FROM orders WHERE order_id = $order_id AND json_array_length(payment_history) = 1"
                " AND json_extract_string(payment_history, '$[0].transaction_type') = 'payment'",
                error="Error: there should be exactly one payment for a pending order",
            ),
            P(
                sql=f"SELECT 1 FROM orders WHERE order_id = $order_id AND {_FIRST_PAYMENT} = $payment_method_id",
                expect="no_row",
                error="Error: the new payment method should be different from the current one",
            ),
            P(
                sql=f"SELECT 1 FROM users u, orders o WHERE o.order_id = $order_id AND u.user_id = o.user_id AND {GIFT_CARD}"
                f" AND {BALANCE} < CAST(json_extract_string(o.payment_history, '$[0].amount') AS DOUBLE)",
                expect="no_row",
                error="Error: insufficient gift card balance to pay for the order",
            ),
        ],
        writes=[
            (
                "users",
                _balance_update(
                    "-(SELECT CAST(json_extract_string(payment_history, '$[0].amount') AS DOUBLE) FROM orders WHERE order_id = $order_id)"
                ),
            ),
            (
                "users",
                _balance_update(
                    "(SELECT CAST(json_extract_string(payment_history, '$[0].amount') AS DOUBLE) FROM orders WHERE order_id = $order_id)",
                    pm=f"(SELECT {_FIRST_PAYMENT} FROM orders WHERE order_id = $order_id)",
                ),
            ),
            (
                "orders",
                "UPDATE orders SET payment_history = to_json(list_concat(from_json(payment_history, '[\"JSON\"]'),"
                " [json_object('transaction_type', 'payment', 'amount', json_extract(payment_history, '$[0].amount'), 'payment_method_id', $payment_method_id),"
                " json_object('transaction_type', 'refund', 'amount', json_extract(payment_history, '$[0].amount'), 'payment_method_id',"
                " json_extract(payment_history, '$[0].payment_method_id'))])) WHERE order_id = $order_id",
            ),
        ],
    ),
    _prog(
        "modify_pending_order_items",
        "write",
        table="orders",
        pre=_item_swap_checks(
            _status("pending", "Error: non-pending order cannot be modified"),
            "Error: insufficient gift card balance to pay for the new item",
        ),
        # The order first: the gift card is then charged from the payment it just recorded, so the
        # price difference is computed once.
        writes=[
            (
                "orders",
                f"UPDATE orders SET payment_history = to_json(list_append(from_json(payment_history, '[\"JSON\"]'),"
                f" (SELECT json_object('transaction_type', CASE WHEN d > 0 THEN 'payment' ELSE 'refund' END, 'amount', round(abs(d), 2),"
                f" 'payment_method_id', $payment_method_id) FROM (SELECT {PRICE_DIFF} AS d)))),"
                f" items = {NEW_ITEMS}, status = 'pending (item modified)' WHERE order_id = $order_id",
            ),
            ("users", _balance_update(LAST_PAYMENT_DELTA)),
        ],
        result="SELECT * FROM orders WHERE order_id = $order_id",
    ),
    _prog(
        "exchange_delivered_order_items",
        "write",
        table="orders",
        pre=_item_swap_checks(
            _status("delivered", "Error: non-delivered order cannot be exchanged"),
            "Error: insufficient gift card balance to pay for the price difference",
        ),
        writes=[
            (
                "orders",
                f"UPDATE orders SET status = 'exchange requested', exchange_items = to_json(list_sort({_IDS})),"
                f" exchange_new_items = to_json(list_sort({_NEW})), exchange_payment_method_id = $payment_method_id,"
                f" exchange_price_difference = round({PRICE_DIFF}, 2) WHERE order_id = $order_id",
            )
        ],
    ),
    _prog(
        "return_delivered_order_items",
        "write",
        table="orders",
        pre=[
            ORDER_EXISTS,
            _status("delivered", "Error: non-delivered order cannot be returned"),
            PM_OF_USER,
            P(
                sql=f"SELECT 1 FROM orders WHERE order_id = $order_id AND ($payment_method_id LIKE '%gift_card%' OR {_FIRST_PAYMENT} = $payment_method_id)",
                error="Error: payment method should be either the original payment method or a gift card",
            ),
            ITEMS_IN_ORDER,
        ],
        writes=[
            (
                "orders",
                f"UPDATE orders SET status = 'return requested', return_items = to_json(list_sort({_IDS})),"
                " return_payment_method_id = $payment_method_id WHERE order_id = $order_id",
            )
        ],
    ),
)
