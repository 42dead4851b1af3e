"""The `datasets` family: exports recorded as typed rows, and the split history read back."""

from __future__ import annotations

from envscale.environments.store.datasets import (
    DatasetRecord,
    latest_heldout,
    record_exports,
    split_history,
    trained_env_ids,
)
from envscale.warehouse import open_warehouse


def _record(dataset_id: str, split: str, env_ids: tuple[str, ...], key: str | None) -> DatasetRecord:
    return DatasetRecord(
        dataset_id=dataset_id,
        name=f"envscale-{split}",
        split=split,
        path=f"/x/{dataset_id}.parquet",
        n_rows=0,
        env_ids=env_ids,
        lineage_hash="lh",
        run_id=None,
        split_key=key,
    )


def test_exports_read_back_by_split_family(home) -> None:
    wh = open_warehouse(home.warehouse)
    assert latest_heldout(wh) is None and trained_env_ids(wh) == frozenset()
    record_exports(
        wh,
        [_record("a1", "stage1", ("e1",), "k1"), _record("a2", "heldout", ("e2", "e3"), "k1")],
        "run-1",
    )
    record_exports(
        wh, [_record("b1", "stage2", ("e4",), "k2"), _record("b2", "heldout", ("e1",), "k2")], "run-2"
    )
    assert latest_heldout(wh).env_ids == ("e1",) and latest_heldout(wh).split_key == "k2"
    assert split_history(wh, "k1").heldout == {"e2", "e3"} and split_history(wh, "k1").trained == {"e1"}
    assert split_history(wh, None).heldout == frozenset()
    assert trained_env_ids(wh) == {"e1", "e4"}
    # Re-exporting the first family's held-out split makes it the latest again, under the new run.
    record_exports(wh, [_record("a2", "heldout", ("e2", "e3"), "k1")], "run-3")
    assert latest_heldout(wh).split_key == "k1"
    with wh.connect(read_only=True) as con:
        rows = con.execute("SELECT dataset_id, run_id FROM datasets ORDER BY dataset_id").fetchall()
    assert rows == [("a1", "run-1"), ("a2", "run-3"), ("b1", "run-2"), ("b2", "run-2")]
