"""Contract on the row-level state changes of replayed trajectories.

The frame is ``environments.validation.contract_frames.state_change_frame``:
one row per changed cell. A failing row quarantines its trajectory.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from envscale.data_contracts.runner import ContractResult, ExpectationOutcome, SuiteFn

SUITE = "state_changes"
OPS = ("insert", "update", "delete")


def state_changes_suite(allowed_enum_cells: Iterable[str]) -> SuiteFn:
    """The expectations, given every enum cell the environments' schemas allow."""
    allowed = sorted(set(allowed_enum_cells))

    def expectations(gx: Any) -> list[Any]:
        e = gx.expectations
        return [
            # Only tables the called tools declare they write.
            e.ExpectColumnValuesToBeInSet(column="table_declared", value_set=[True]),
            e.ExpectColumnValuesToBeInSet(column="op", value_set=list(OPS)),
            e.ExpectColumnValuesToNotBeNull(column="key"),
            e.ExpectColumnValuesToBeInSet(column="column_known", value_set=[True]),
            # Numeric bounds of the schema still hold (rows without a bound are skipped).
            e.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="value_num",
                column_B="minimum",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
            e.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="maximum",
                column_B="value_num",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
            # Enumerated columns keep an allowed value (null = not an enum cell).
            e.ExpectColumnValuesToBeInSet(column="enum_value", value_set=allowed),
        ]

    return expectations


def expectation_name(outcome: ExpectationOutcome) -> str:
    """A readable, distinct name for the quarantine reason (pair expectations name both columns)."""
    if outcome.column:
        return outcome.name
    a, b = outcome.kwargs.get("column_A"), outcome.kwargs.get("column_B")
    return f"{outcome.expectation}:{a},{b}" if a and b else outcome.expectation


def failing_rows(result: ContractResult) -> dict[int, list[str]]:
    """Row position → readable names of the expectations it broke."""
    rows: dict[int, list[str]] = {}
    for outcome in result.failed:
        for row in outcome.unexpected_rows:
            rows.setdefault(row, []).append(expectation_name(outcome))
    return rows
