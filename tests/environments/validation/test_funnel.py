"""The validation funnel counts per domain and overall."""

from __future__ import annotations

from envscale.environments.validation.funnel import funnel


def test_funnel_counts_per_domain_and_overall():
    rows = [
        {
            "domain": "shop",
            "verdict": "accepted",
            "passed_validity": True,
            "passed_alignment": True,
            "passed_exact_match": True,
        },
        {
            "domain": "shop",
            "verdict": "rejected",
            "passed_validity": True,
            "passed_alignment": False,
            "passed_exact_match": False,
        },
        {
            "domain": "air",
            "verdict": "quarantined",
            "passed_validity": True,
            "passed_alignment": True,
            "passed_exact_match": True,
        },
        {
            "domain": "air",
            "verdict": None,
            "passed_validity": None,
            "passed_alignment": None,
            "passed_exact_match": None,
        },
    ]
    got = {r.domain: r for r in funnel(rows)}
    assert list(got) == ["air", "shop", "overall"]
    assert (
        got["shop"].synthesized,
        got["shop"].valid,
        got["shop"].state_aligned,
        got["shop"].contract_clean,
    ) == (2, 2, 1, 1)
    assert (got["air"].quarantined, got["air"].unvalidated, got["air"].contract_clean) == (1, 1, 0)
    assert got["overall"].synthesized == 4 and got["overall"].acceptance == 0.25
