"""τ-bench v1 retail as an envscale environment: tables from its JSON, tools as hand-written programs.

The semantics follow tau_bench/envs/retail/tools/*.py (same checks, same
error texts, same writes), expressed as preconditions + writes + a result
query with bound parameters. ``calculate`` has no SQL form (it evaluates an
arbitrary expression) and is reported as not compiled.
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


_ADDRESS = [_c("address1"), _c("address2"), _c("city"), _c("country"), _c("state"), _c("zip")]

SCHEMA = SchemaModel(
    origin="imported",
    tables=(
        Table(name="users", primary_key=("user_id",), columns=(_c("user_id", nullable=False), _c("first_name"), _c("last_name"), _c("email"), *_ADDRESS)),
        Table(
            name="payment_methods",
            primary_key=("payment_method_id",),
            columns=(_c("payment_method_id", nullable=False), _c("user_id"), _c("position", "BIGINT"), _c("source", enum=("credit_card", "gift_card", "paypal")), _c("brand"), _c("last_four"), _c("balance", "DOUBLE")),
            foreign_keys=(ForeignKey(columns=("user_id",), ref_table="users", ref_columns=("user_id",)),),
        ),
        Table(name="products", primary_key=("product_id",), columns=(_c("product_id", nullable=False), _c("name"))),
        Table(
            name="variants",
            primary_key=("item_id",),
            columns=(_c("item_id", nullable=False), _c("product_id"), _c("position", "BIGINT"), _c("options", "JSON"), _c("available", "BOOLEAN"), _c("price", "DOUBLE")),
            foreign_keys=(ForeignKey(columns=("product_id",), ref_table="products", ref_columns=("product_id",)),),
        ),
        Table(
            name="orders",
            primary_key=("order_id",),
            columns=(
                _c("order_id", nullable=False), _c("user_id"), _c("position", "BIGINT"), *_ADDRESS, _c("status"),
                _c("cancel_reason"), _c("exchange_items", "JSON"), _c("exchange_new_items", "JSON"),
                _c("exchange_payment_method_id"), _c("exchange_price_difference", "DOUBLE"),
                _c("return_items", "JSON"), _c("return_payment_method_id"),
            ),
            foreign_keys=(ForeignKey(columns=("user_id",), ref_table="users", ref_columns=("user_id",)),),
        ),
        Table(
            name="order_items",
            primary_key=("order_id", "line"),
            columns=(_c("order_id", nullable=False), _c("line", "BIGINT", nullable=False), _c("item_id"), _c("product_id"), _c("name"), _c("price", "DOUBLE"), _c("options", "JSON")),
            foreign_keys=(ForeignKey(columns=("order_id",), ref_table="orders", ref_columns=("order_id",)),),
        ),
        Table(
            name="fulfillments",
            primary_key=("order_id", "line"),
            columns=(_c("order_id", nullable=False), _c("line", "BIGINT", nullable=False), _c("tracking_id", "JSON"), _c("item_ids", "JSON")),
            foreign_keys=(ForeignKey(columns=("order_id",), ref_table="orders", ref_columns=("order_id",)),),
        ),
        Table(
            name="payment_history",
            primary_key=("order_id", "line"),
            columns=(_c("order_id", nullable=False), _c("line", "BIGINT", nullable=False), _c("transaction_type"), _c("amount", "DOUBLE"), _c("payment_method_id")),
            foreign_keys=(ForeignKey(columns=("order_id",), ref_table="orders", ref_columns=("order_id",)),),
        ),
    ),
)


def load_rows(data_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """The retail JSON files as rows of SCHEMA's tables (list positions kept as `line`/`position`)."""
    users = json.loads((data_dir / "users.json").read_text())
    products = json.loads((data_dir / "products.json").read_text())
    orders = json.loads((data_dir / "orders.json").read_text())
    rows: dict[str, list[dict[str, Any]]] = {t.name: [] for t in SCHEMA.tables}
    order_position: dict[str, int] = {}
    for user_id, u in users.items():
        rows["users"].append({"user_id": user_id, "first_name": u["name"]["first_name"], "last_name": u["name"]["last_name"], "email": u["email"], **_address(u["address"])})
        for i, (pm_id, pm) in enumerate(u["payment_methods"].items()):
            rows["payment_methods"].append({"payment_method_id": pm_id, "user_id": user_id, "position": i, "source": pm["source"], "brand": pm.get("brand"), "last_four": pm.get("last_four"), "balance": pm.get("balance")})
        for i, order_id in enumerate(u["orders"]):
            order_position[order_id] = i
    for product_id, p in products.items():
        rows["products"].append({"product_id": product_id, "name": p["name"]})
        for i, (item_id, v) in enumerate(p["variants"].items()):
            rows["variants"].append({"item_id": item_id, "product_id": product_id, "position": i, "options": json.dumps(v["options"]), "available": v["available"], "price": v["price"]})
    for order_id, o in orders.items():
        rows["orders"].append({
            "order_id": order_id, "user_id": o["user_id"], "position": order_position.get(order_id, 0), **_address(o["address"]),
            "status": o["status"], "cancel_reason": o.get("cancel_reason"),
            "exchange_items": _j(o.get("exchange_items")), "exchange_new_items": _j(o.get("exchange_new_items")),
            "exchange_payment_method_id": o.get("exchange_payment_method_id"), "exchange_price_difference": o.get("exchange_price_difference"),
            "return_items": _j(o.get("return_items")), "return_payment_method_id": o.get("return_payment_method_id"),
        })
        for i, it in enumerate(o["items"]):
            rows["order_items"].append({"order_id": order_id, "line": i, "item_id": it["item_id"], "product_id": it["product_id"], "name": it["name"], "price": it["price"], "options": json.dumps(it["options"])})
        for i, f in enumerate(o["fulfillments"]):
            rows["fulfillments"].append({"order_id": order_id, "line": i, "tracking_id": json.dumps(f["tracking_id"]), "item_ids": json.dumps(f["item_ids"])})
        for i, ph in enumerate(o["payment_history"]):
            rows["payment_history"].append({"order_id": order_id, "line": i, "transaction_type": ph["transaction_type"], "amount": ph["amount"], "payment_method_id": ph["payment_method_id"]})
    return rows


def _address(a: dict[str, Any]) -> dict[str, Any]:
    return {k: a.get(k) for k in ("address1", "address2", "city", "country", "state", "zip")}


def _j(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


# -- result queries ------------------------------------------------------------------
ORDER_JSON = """SELECT to_json({'order_id': o.order_id, 'user_id': o.user_id,
 'address': {'address1': o.address1, 'address2': o.address2, 'city': o.city, 'country': o.country, 'state': o.state, 'zip': o.zip},
 'items': (SELECT coalesce(list({'name': i.name, 'product_id': i.product_id, 'item_id': i.item_id, 'price': i.price, 'options': i.options} ORDER BY i.line), []) FROM order_items i WHERE i.order_id = $order_id),
 'fulfillments': (SELECT coalesce(list({'tracking_id': f.tracking_id, 'item_ids': f.item_ids} ORDER BY f.line), []) FROM fulfillments f WHERE f.order_id = $order_id),
 'status': o.status,
 'payment_history': (SELECT coalesce(list({'transaction_type': p.transaction_type, 'amount': p.amount, 'payment_method_id': p.payment_method_id} ORDER BY p.line), []) FROM payment_history p WHERE p.order_id = $order_id),
 'cancel_reason': o.cancel_reason, 'exchange_items': o.exchange_items, 'exchange_new_items': o.exchange_new_items,
 'exchange_payment_method_id': o.exchange_payment_method_id, 'exchange_price_difference': o.exchange_price_difference,
 'return_items': o.return_items, 'return_payment_method_id': o.return_payment_method_id}) AS "order"
FROM orders o WHERE o.order_id = $order_id"""

USER_JSON = """SELECT to_json({'user_id': u.user_id, 'name': {'first_name': u.first_name, 'last_name': u.last_name},
 'address': {'address1': u.address1, 'address2': u.address2, 'city': u.city, 'country': u.country, 'state': u.state, 'zip': u.zip},
 'email': u.email,
 'payment_methods': (SELECT coalesce(to_json(map_from_entries(list({'k': pm.payment_method_id, 'v': CASE pm.source
      WHEN 'credit_card' THEN json_object('source', pm.source, 'brand', pm.brand, 'last_four', pm.last_four, 'id', pm.payment_method_id)
      WHEN 'gift_card' THEN json_object('source', pm.source, 'balance', pm.balance, 'id', pm.payment_method_id)
      ELSE json_object('source', pm.source, 'id', pm.payment_method_id) END} ORDER BY pm.position))), '{}') FROM payment_methods pm WHERE pm.user_id = $user_id),
 'orders': (SELECT coalesce(list(o.order_id ORDER BY o.position, o.order_id), []) FROM orders o WHERE o.user_id = $user_id)}) AS "user"
FROM users u WHERE u.user_id = $user_id"""

PRODUCT_JSON = """SELECT to_json({'name': p.name, 'product_id': p.product_id,
 'variants': (SELECT to_json(map_from_entries(list({'k': v.item_id, 'v': json_object('item_id', v.item_id, 'options', v.options, 'available', v.available, 'price', v.price)} ORDER BY v.position))) FROM variants v WHERE v.product_id = $product_id)}) AS product
FROM products p WHERE p.product_id = $product_id"""

# Argument lists as relations: (old, new, pos) pairs and the price difference they make.
_IDS = "from_json($item_ids, '[\"VARCHAR\"]')"
_NEW = "from_json($new_item_ids, '[\"VARCHAR\"]')"
PAIRS = f"(SELECT unnest({_IDS}) AS old_id, unnest({_NEW}) AS new_id, generate_subscripts({_IDS}, 1) AS pos)"
PRICE_DIFF = (
    f"(SELECT coalesce(sum(v.price - (SELECT max(i.price) FROM order_items i WHERE i.order_id = $order_id AND i.item_id = pr.old_id)), 0)"
    f" FROM {PAIRS} pr JOIN variants v ON v.item_id = pr.new_id)"
)

ORDER_EXISTS = P(sql="SELECT 1 FROM orders WHERE order_id = $order_id", error="Error: order not found")
ITEMS_IN_ORDER = P(
    sql=f"SELECT 1 FROM (SELECT unnest({_IDS}) AS id) a GROUP BY a.id"
    " HAVING count(*) > (SELECT count(*) FROM order_items i WHERE i.order_id = $order_id AND i.item_id = a.id)",
    expect="no_row",
    error="Error: some item in {item_ids} not found in the order",
)
SAME_LENGTH = P(sql=f"SELECT 1 WHERE len({_IDS}) = len({_NEW})", error="Error: the number of items to be exchanged should match")
NEW_ITEMS_OK = P(
    sql=f"SELECT 1 FROM {PAIRS} pr WHERE NOT EXISTS (SELECT 1 FROM order_items i JOIN variants v ON v.product_id = i.product_id"
    " WHERE i.order_id = $order_id AND i.item_id = pr.old_id AND v.item_id = pr.new_id AND v.available)",
    expect="no_row",
    error="Error: new item not found or available",
)
PM_OF_USER = P(
    sql="SELECT 1 FROM payment_methods pm JOIN orders o ON o.user_id = pm.user_id WHERE o.order_id = $order_id AND pm.payment_method_id = $payment_method_id",
    error="Error: payment method not found",
)


def _status(status: str, error: str) -> P:
    return P(sql=f"SELECT 1 FROM orders WHERE order_id = $order_id AND status = '{status}'", error=error)


def _prog(name: str, kind: str, *, pre=(), writes=(), result: str, mode: str = "value", empty: str | None = None, table: str | None = None) -> ToolProgram:
    return ToolProgram(
        name=name, kind=kind, preconditions=tuple(pre), writes=tuple(WriteStatement(sql=s, table=t) for t, s in writes),  # type: ignore[arg-type]
        result=result, result_mode=mode, empty_error=empty, origin="hand", table=table,  # type: ignore[arg-type]
        action="read" if kind == "read" else "update",
    )


_ADDR_SET = "address1 = $address1, address2 = $address2, city = $city, state = $state, country = $country, zip = $zip"

PROGRAMS: tuple[ToolProgram, ...] = (
    _prog("find_user_id_by_email", "read", result="SELECT user_id FROM users WHERE lower(email) = lower($email) ORDER BY user_id LIMIT 1", empty="Error: user not found", table="users"),
    _prog("find_user_id_by_name_zip", "read", result="SELECT user_id FROM users WHERE lower(first_name) = lower($first_name) AND lower(last_name) = lower($last_name) AND zip = $zip ORDER BY user_id LIMIT 1", empty="Error: user not found", table="users"),
    _prog("get_order_details", "read", result=ORDER_JSON, empty="Error: order not found", table="orders"),
    _prog("get_product_details", "read", result=PRODUCT_JSON, empty="Error: product not found", table="products"),
    _prog("get_user_details", "read", result=USER_JSON, empty="Error: user not found", table="users"),
    _prog("list_all_product_types", "read", result="SELECT to_json(map_from_entries(list({'k': name, 'v': product_id} ORDER BY name))) AS product_types FROM products", table="products"),
    _prog("think", "read", result="SELECT '' AS result"),
    _prog("transfer_to_human_agents", "read", result="SELECT 'Transfer successful' AS result"),
    _prog(
        "cancel_pending_order", "write",
        pre=[ORDER_EXISTS, _status("pending", "Error: non-pending order cannot be cancelled"),
             P(sql="SELECT 1 WHERE $reason IN ('no longer needed', 'ordered by mistake')", error="Error: invalid reason")],
        writes=[
            ("payment_methods", "UPDATE payment_methods SET balance = round(balance + r.amount, 2) FROM (SELECT payment_method_id AS pm_id, sum(amount) AS amount FROM payment_history WHERE order_id = $order_id GROUP BY payment_method_id) r WHERE payment_methods.payment_method_id = r.pm_id AND payment_methods.source = 'gift_card'"),
            ("payment_history", "INSERT INTO payment_history (order_id, line, transaction_type, amount, payment_method_id) SELECT order_id, line + (SELECT count(*) FROM payment_history WHERE order_id = $order_id), 'refund', amount, payment_method_id FROM payment_history WHERE order_id = $order_id"),
            ("orders", "UPDATE orders SET status = 'cancelled', cancel_reason = $reason WHERE order_id = $order_id"),
        ],
        result=ORDER_JSON, table="orders",
    ),
    _prog(
        "modify_pending_order_address", "write",
        pre=[ORDER_EXISTS, _status("pending", "Error: non-pending order cannot be modified")],
        writes=[("orders", f"UPDATE orders SET {_ADDR_SET} WHERE order_id = $order_id")],
        result=ORDER_JSON, table="orders",
    ),
    _prog(
        "modify_user_address", "write",
        pre=[P(sql="SELECT 1 FROM users WHERE user_id = $user_id", error="Error: user not found")],
        writes=[("users", f"UPDATE users SET {_ADDR_SET} WHERE user_id = $user_id")],
        result=USER_JSON, table="users",
    ),
    _prog(
        "modify_pending_order_payment", "write",
        pre=[
            ORDER_EXISTS, _status("pending", "Error: non-pending order cannot be modified"), PM_OF_USER,
            P(sql="SELECT 1 FROM payment_history WHERE order_id = $order_id GROUP BY order_id HAVING count(*) = 1 AND bool_and(transaction_type = 'payment')",
              error="Error: there should be exactly one payment for a pending order"),
            P(sql="SELECT 1 FROM payment_history WHERE order_id = $order_id AND line = 0 AND payment_method_id = $payment_method_id", expect="no_row",
              error="Error: the new payment method should be different from the current one"),
            P(sql="SELECT 1 FROM payment_methods pm, payment_history ph WHERE pm.payment_method_id = $payment_method_id AND pm.source = 'gift_card' AND ph.order_id = $order_id AND ph.line = 0 AND pm.balance < ph.amount",
              expect="no_row", error="Error: insufficient gift card balance to pay for the order"),
        ],
        writes=[
            ("payment_history", "INSERT INTO payment_history (order_id, line, transaction_type, amount, payment_method_id) SELECT order_id, 1, 'payment', amount, $payment_method_id FROM payment_history WHERE order_id = $order_id AND line = 0 UNION ALL SELECT order_id, 2, 'refund', amount, payment_method_id FROM payment_history WHERE order_id = $order_id AND line = 0"),
            ("payment_methods", "UPDATE payment_methods SET balance = round(balance - ph.amount, 2) FROM payment_history ph WHERE ph.order_id = $order_id AND ph.line = 0 AND payment_methods.payment_method_id = $payment_method_id AND payment_methods.source = 'gift_card'"),
            ("payment_methods", "UPDATE payment_methods SET balance = round(balance + ph.amount, 2) FROM payment_history ph WHERE ph.order_id = $order_id AND ph.line = 0 AND payment_methods.payment_method_id = ph.payment_method_id AND payment_methods.source = 'gift_card'"),
        ],
        result=ORDER_JSON, table="orders",
    ),
    _prog(
        "modify_pending_order_items", "write",
        pre=[
            ORDER_EXISTS, _status("pending", "Error: non-pending order cannot be modified"), ITEMS_IN_ORDER, SAME_LENGTH, NEW_ITEMS_OK, PM_OF_USER,
            P(sql=f"SELECT 1 FROM payment_methods WHERE payment_method_id = $payment_method_id AND source = 'gift_card' AND balance < {PRICE_DIFF}",
              expect="no_row", error="Error: insufficient gift card balance to pay for the new item"),
        ],
        writes=[
            ("payment_history", f"INSERT INTO payment_history (order_id, line, transaction_type, amount, payment_method_id) SELECT $order_id, (SELECT count(*) FROM payment_history WHERE order_id = $order_id), CASE WHEN d.diff > 0 THEN 'payment' ELSE 'refund' END, round(abs(d.diff), 2), $payment_method_id FROM (SELECT {PRICE_DIFF} AS diff) d"),
            ("payment_methods", f"UPDATE payment_methods SET balance = round(balance - {PRICE_DIFF}, 2) WHERE payment_method_id = $payment_method_id AND source = 'gift_card'"),
            ("order_items", f"UPDATE order_items SET item_id = m.new_id, price = v.price, options = v.options FROM (SELECT pr.old_id, pr.new_id, row_number() OVER (PARTITION BY pr.old_id ORDER BY pr.pos) AS k FROM {PAIRS} pr) m, (SELECT line, item_id, row_number() OVER (PARTITION BY item_id ORDER BY line) AS k FROM order_items WHERE order_id = $order_id) cur, variants v WHERE order_items.order_id = $order_id AND order_items.line = cur.line AND cur.item_id = m.old_id AND cur.k = m.k AND v.item_id = m.new_id"),
            ("orders", "UPDATE orders SET status = 'pending (item modified)' WHERE order_id = $order_id"),
        ],
        result=ORDER_JSON, table="orders",
    ),
    _prog(
        "exchange_delivered_order_items", "write",
        pre=[
            ORDER_EXISTS, _status("delivered", "Error: non-delivered order cannot be exchanged"), ITEMS_IN_ORDER, SAME_LENGTH, NEW_ITEMS_OK, PM_OF_USER,
            P(sql=f"SELECT 1 FROM payment_methods WHERE payment_method_id = $payment_method_id AND source = 'gift_card' AND balance < {PRICE_DIFF}",
              expect="no_row", error="Error: insufficient gift card balance to pay for the price difference"),
        ],
        writes=[("orders", f"UPDATE orders SET status = 'exchange requested', exchange_items = to_json(list_sort({_IDS})), exchange_new_items = to_json(list_sort({_NEW})), exchange_payment_method_id = $payment_method_id, exchange_price_difference = round({PRICE_DIFF}, 2) WHERE order_id = $order_id")],
        result=ORDER_JSON, table="orders",
    ),
    _prog(
        "return_delivered_order_items", "write",
        pre=[
            ORDER_EXISTS, _status("delivered", "Error: non-delivered order cannot be returned"), PM_OF_USER,
            P(sql="SELECT 1 WHERE $payment_method_id LIKE '%gift_card%' OR $payment_method_id = (SELECT payment_method_id FROM payment_history WHERE order_id = $order_id AND line = 0)",
              error="Error: payment method should be either the original payment method or a gift card"),
            ITEMS_IN_ORDER,
        ],
        writes=[("orders", f"UPDATE orders SET status = 'return requested', return_items = to_json(list_sort({_IDS})), return_payment_method_id = $payment_method_id WHERE order_id = $order_id")],
        result=ORDER_JSON, table="orders",
    ),
)
