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


def _blueprint(goal_tool: str, about: str, asks: str | None, action: str = "read", mine: bool = True):
    from envscale.environments.synthesis.records import Blueprint, Goal, GoldCall, UserFact

    return Blueprint(
        blueprint_id=f"bp-{goal_tool}",
        env_id="env",
        calls=(
            GoldCall(
                name=goal_tool,
                kind=action if action == "read" else "write",
                arguments={"number": 98},
                result={"factors": [2, 7, 7]},
                ok=True,
            ),
        ),
        read_only=action == "read",
        gold_state_hash="h",
        planner="goal",
        goals=(
            Goal(tool=goal_tool, action=action, about=about, arguments={"number": 98}, asks=asks, mine=mine),
        ),
        facts=(UserFact(name="number", value=98, kind="detail", about=about, goal=0),),
    )


def test_a_function_named_table_is_asked_for_in_the_descriptions_words():
    from envscale.environments.synthesis.phrasing import instruction

    asks = "calculate the prime factorization of a given integer"
    text = instruction(_blueprint("prime_factorize", "prime factorize", asks))
    assert asks in text and "98" in text
    assert "prime factorize" not in text.lower() and "prime_factorize" not in text
    # Without a usable description the record phrasing stays (and would name the tool).
    assert "prime factorize" in instruction(_blueprint("prime_factorize", "prime factorize", None))


def test_a_record_the_customer_owns_keeps_the_record_phrasing():
    from envscale.environments.synthesis.phrasing import instruction

    text = instruction(
        _blueprint("cancel_appointment", "appointment", "cancel an appointment slot", "update")
    )
    assert "appointment slot" not in text and "appointment" in text


def test_the_closing_reply_does_not_say_a_function_named_tables_name_back():
    from envscale.environments.synthesis.phrasing import final_reply

    asks = "calculate the prime factorization of a given integer"
    reply = final_reply(_blueprint("prime_factorize", "prime factorize", asks))
    assert "prime factorize" not in reply.lower() and "2, 7 and 7" in reply


def test_the_worlds_records_are_not_the_customers_own():
    """A drug or a city's weather is 'the' drug, not 'my' drug; an order of theirs stays 'my order'."""
    from envscale.environments.synthesis.phrasing import final_reply, instruction

    for seed in range(6):
        bp = _blueprint("get_drug_info", "drug", None, mine=False).model_copy(
            update={"blueprint_id": f"d{seed}"}
        )
        assert "my drug" not in instruction(bp) and "drug" in instruction(bp)
        listed = _blueprint("list_drugs", "drug", None, mine=False).model_copy(
            update={"blueprint_id": f"l{seed}"}
        )
        assert "do I have" not in instruction(listed) and "my drugs" not in instruction(listed)
        cancel = _blueprint("cancel_order", "order", None, "update", mine=False).model_copy(
            update={"blueprint_id": f"c{seed}"}
        )
        assert "your order" not in final_reply(cancel) and "the order" in final_reply(cancel)
    own = [
        instruction(_blueprint("get_order", "order", None).model_copy(update={"blueprint_id": f"o{s}"}))
        for s in range(6)
    ]
    assert any("my order" in text for text in own)


def test_catalog_decorations_of_a_tool_name_are_never_said():
    """'Buses_3_FindBus_52f45c' is about buses, asked for as finding a bus: no service prefix, no hash."""
    from envscale.environments.schema.infer import infer_schema
    from envscale.environments.synthesis.knowledge import noun
    from envscale.environments.synthesis.phrasing import final_reply, instruction
    from tests.support.tool_stubs import tool_stub

    name = "Buses_3_FindBus_52f45c"
    plan = infer_schema([tool_stub(name, {"from_city": {"type": "string"}}, ["from_city"])]).plans[name]
    assert plan.table == "buses" and plan.action == "read"
    for seed in range(6):
        bp = _blueprint(name, noun(plan.table), None).model_copy(update={"blueprint_id": f"b{seed}"})
        text = instruction(bp) + final_reply(bp)
        assert "52f45c" not in text and "buses 3" not in text.lower() and "bus" in text
