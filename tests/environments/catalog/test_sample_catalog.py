"""The shipped sample catalog: six domains, mixed formats, reads and writes sharing entity keys."""

from __future__ import annotations

from collections import Counter

from envscale.environments.catalog.ingest import ingest_paths
from envscale.samples import sample_catalog_path

DOMAINS = {
    "retail_orders.json": ("openai", "customer_id", "order_id"),
    "library_loans.yaml": ("openapi", "member_id", "book_id"),
    "clinic_appointments.json": ("mcp", "patient_id", "appointment_id"),
    "bank_accounts.yaml": ("openapi", "account_id", "transaction_id"),
    "travel_bookings.jsonl": ("openai", "traveler_id", "booking_id"),
    "support_tickets.json": ("mcp", "ticket_id", "agent_id"),
}


def test_sample_catalog_is_clean_and_built_for_environments() -> None:
    result = ingest_paths([sample_catalog_path()])
    assert not result.rejections and result.n_merged == 0 and result.n_near_duplicates == 0
    assert len(result.tools) == 62
    per_file: dict[str, list] = {}
    for t in result.tools:
        per_file.setdefault(t.sources[0].file.rsplit("/", 1)[-1], []).append(t)
    assert set(per_file) == set(DOMAINS)
    for file, (fmt, *keys) in DOMAINS.items():
        tools = per_file[file]
        assert 8 <= len(tools) <= 12, file
        assert {t.source_format for t in tools} == {fmt}
        kinds = Counter(t.kind for t in tools)
        assert kinds["read"] >= 4 and kinds["write"] >= 4 and kinds["unknown"] == 0, (file, kinds)
        for key in keys:  # entity keys are shared by several tools of the domain
            users = [t for t in tools if key in t.parameters["properties"]]
            assert len(users) >= 2, (file, key)
        # typed parameters: every property has a type, and the domain uses enums or bounds somewhere
        props = [p for t in tools for p in t.parameters["properties"].values()]
        assert all("type" in p for p in props), file
        assert any("enum" in p or "minimum" in p or "maximum" in p for p in props), file
    # names are unique across domains without any collision suffix
    assert all(t.name == t.original_name for t in result.tools)
