"""Words of tool and parameter names: splitting, singular/plural, verbs, entities, id parameters and ranges."""

from __future__ import annotations

import pytest

from envscale.environments.schema.naming import (
    bare_tool_name,
    id_entity,
    is_credential,
    noun_of,
    plural,
    range_pairs,
    singular,
    snake,
    verb_of,
    words,
)


def test_words_and_snake():
    assert words("getOrderDetails") == ["get", "order", "details"]
    assert words("get-order_details") == ["get", "order", "details"]
    assert words("HTTPServerStatus") == ["http", "server", "status"]
    assert snake("3DModels") == "c_3_d_models"
    assert snake("!!!") == "x"
    assert len(snake("a_" * 50)) == 60


@pytest.mark.parametrize(
    ("word", "one", "many"),
    [
        ("orders", "order", "orders"),
        ("categories", "category", "categories"),
        ("boxes", "box", "boxes"),
        ("courses", "course", "courses"),  # -ses plurals drop the s ...
        ("buses", "bus", "buses"),  # ... but a word ending in -s adds -es
        ("addresses", "address", "addresses"),
    ],
)
def test_singular_and_plural(word, one, many):
    assert singular(word) == one and plural(one) == many


def test_singular_leaves_short_and_latin_words():
    assert singular("bus") == "bus" and singular("status") == "status" and singular("address") == "address"
    assert plural("day") == "days"


def test_verbs_and_nouns_of_tool_names():
    assert verb_of("get_order_details") == "get"
    assert verb_of("api_cancel_order") == "cancel"  # the verb may be the second word
    assert verb_of("weather_today_now") is None
    assert noun_of("get_order_details") == "order"
    assert noun_of("find_user_id_by_email") == "user"
    assert noun_of("list_flight_bookings") == "flight_booking"
    assert noun_of("get_info") is None


@pytest.mark.parametrize(
    ("name", "bare"),
    [
        ("Buses_3_FindBus_52f45c", "FindBus"),  # SGD service prefix, collision suffix
        ("products_search_for_Wayfair", "products_search"),  # ToolBench's API qualifier
        ("live_multiple_get_weather", "get_weather"),  # BFCL category prefix
        (
            "Extend_expiration_time_of_a_datacenter_proxy_for_Epheme_a89aca53",
            "Extend_expiration_time_of_a_datacenter_proxy",
        ),
        ("math_factorial_ff24c6_2", "math_factorial"),
        ("search_for_hotels", "search_for_hotels"),  # a lower-case 'for' is the tool's own word
        ("get_decade", "get_decade"),  # six hex letters without a digit are a word, not a hash
    ],
)
def test_bare_tool_names_drop_what_catalogs_add(name, bare):
    assert bare_tool_name(name) == bare


def test_nouns_of_decorated_names_come_from_the_tools_own_words():
    assert (verb_of("Buses_3_FindBus_52f45c"), noun_of("Buses_3_FindBus_52f45c")) == ("find", "bus")
    assert (verb_of("products_search_for_Wayfair"), noun_of("products_search_for_Wayfair")) == (
        "search",
        "product",
    )
    assert noun_of("requests_get_9dcd84") == "request"
    # A bare name that names nothing plain falls back to the catalog's qualifier.
    assert noun_of("Tier2_for_ProxyPage") == "proxy_page"
    assert noun_of("live_multiple_add") != "live_multiple"  # a category prefix is never the noun


def test_credentials_are_recognized_by_name():
    assert all(is_credential(p) for p in ("api_key", "apiKey", "X-RapidAPI-Key", "access_token", "token"))
    assert not any(is_credential(p) for p in ("password", "key_signature", "order_id", "keyword"))


def test_id_entity():
    assert id_entity("order_id") == "order" and id_entity("orderId") == "order"
    assert id_entity("id") == ""
    assert id_entity("flight_number") == "flight"
    assert id_entity("phone_number") is None and id_entity("name") is None


def test_range_pairs_need_a_date_or_time_word_for_from_to():
    names = [
        "check_in_date",
        "check_out_date",
        "start_time",
        "end_time",
        "from_city",
        "to_city",
        "date_from",
        "date_to",
    ]
    assert range_pairs(names) == [
        ("check_in_date", "check_out_date"),
        ("start_time", "end_time"),
        ("date_from", "date_to"),
    ]
