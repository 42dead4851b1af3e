"""State hashes depend on content only: key order inside JSON values does not change them (issue 17 item 5)."""

from __future__ import annotations

from envscale.environments import sandbox
from envscale.environments.runtime.loaded import LoadedEnvironment, full_state_hash
from envscale.environments.schema.ddl import table_ddl
from envscale.environments.schema.model import Column, SchemaModel, Table

SCHEMA = SchemaModel(
    tables=(
        Table(
            name="orders",
            columns=(
                Column(name="order_id", type="VARCHAR", nullable=False),
                Column(name="items", type="JSON"),
                Column(name="note", type="VARCHAR"),
            ),
            primary_key=("order_id",),
        ),
    ),
    origin="imported",
)


def _env(rows: list[tuple[str, str, str]]) -> LoadedEnvironment:
    con = sandbox.connect()
    con.execute(table_ddl(SCHEMA.tables[0]))
    con.executemany('INSERT INTO "orders" VALUES (?, ?, ?)', rows)
    return LoadedEnvironment(env_id="e", schema=SCHEMA, tools=(), programs=(), con=con)


def _hashes(rows):
    env = _env(rows)
    try:
        with env.open_episode() as ep:
            return ep.state_hash(), full_state_hash(env.con, SCHEMA)
    finally:
        env.close()


def test_json_key_order_does_not_change_the_hash():
    a = _hashes([("o1", '{"a": 1, "b": {"x": [1, 2], "y": null}}', "n")])
    b = _hashes([("o1", '{"b": {"y": null, "x": [1, 2]}, "a": 1}', "n")])
    assert a[0] == a[1]  # incremental and from-scratch agree
    assert a == b


def test_json_content_and_text_columns_still_count():
    base = _hashes([("o1", '{"a": 1, "b": 2}', "n")])
    assert _hashes([("o1", '{"a": 1, "b": 3}', "n")]) != base  # a value changed
    assert _hashes([("o1", "[1, 2]", "n")]) != _hashes([("o1", "[2, 1]", "n")])  # list order is content
    # Only JSON columns are read as JSON: text that differs in a VARCHAR column still differs.
    assert _hashes([("o1", "{}", '{"a":1,"b":2}')]) != _hashes([("o1", "{}", '{"b":2,"a":1}')])
