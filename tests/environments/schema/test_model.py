"""The schema model's validation of identifiers."""

from __future__ import annotations

import pytest

from envscale.environments.schema.model import SchemaModel


def _schema(table: str, column: str) -> dict:
    return {
        "tables": [{"name": table, "columns": [{"name": column, "type": "VARCHAR"}], "primary_key": [column]}]
    }


@pytest.mark.parametrize(("table", "column"), [("orders\n", "order_id"), ("orders", "order_id\n")])
def test_identifiers_with_a_trailing_newline_are_refused(table, column):
    with pytest.raises(ValueError, match="bad"):
        SchemaModel.model_validate(_schema(table, column))


def test_plain_identifiers_are_accepted():
    assert SchemaModel.model_validate(_schema("orders", "order_id")).table_names == ("orders",)
