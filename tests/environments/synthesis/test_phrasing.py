"""Values in instructions read as a customer would say them (issue 15 item 4), never as Python reprs."""

from __future__ import annotations

from envscale.environments.synthesis.phrasing import _value


def test_lists_of_items_and_records_read_as_words():
    items = [{"product_id": "sku-1", "quantity": 4}, {"product_id": "sku-2", "quantity": 2.0}]
    assert _value(items) == "4 of sku-1 and 2 of sku-2"
    address = {"street": "5340 Logan Unions", "city": "Springfield", "zip": None}
    assert _value(address) == "street 5340 Logan Unions, city Springfield"
    assert _value(["red", "blue", "green"]) == "red, blue and green"
    assert _value([]) == "none" and _value(3.0) == "3" and _value("ord_1") == "ord_1"
    for value in (items, address):
        assert "{" not in _value(value) and "'" not in _value(value)
