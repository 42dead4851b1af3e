"""The pipeline's closing tables (issue 20 item 4): headers on every column, fit the terminal, no value cut."""

from __future__ import annotations

from rich.console import Console

from envscale.cli import _rows_table

FUNNEL = [
    {
        "domain": f"appointment-patient-{i}",
        "synthesized": 10,
        "valid": 10,
        "state_aligned": 9,
        "exact_match": 8,
        "contract_clean": 10,
        "rejected": 0,
        "quarantined": 1,
        "unvalidated": 0,
        "acceptance": "90.0%",
    }
    for i in range(3)
]


def _render(rows, width: int) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(_rows_table("validation funnel", rows))
    return console.export_text()


def test_at_120_columns_every_row_is_one_line_with_its_header():
    text = _render(FUNNEL, 120)
    lines = text.splitlines()
    assert lines[0].strip() == "validation funnel" and max(map(len, lines)) <= 120
    header = next(line for line in lines if "domain" in line)
    assert [h.strip() for h in header.strip("┃ ").split("┃")][:3] == ["domain", "synth.", "valid"]
    for row in FUNNEL:
        line = next(line for line in lines if row["domain"] in line)
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        assert cells == [str(v) for v in row.values()]


def test_a_narrow_terminal_folds_values_and_cuts_none():
    text = _render(FUNNEL, 60)
    assert max(map(len, text.splitlines())) <= 60 and "…" not in text
    body = [line.rstrip()[1:-1].split("│") for line in text.splitlines() if line.startswith("│")]
    first = "".join(cells[0].strip() for cells in body)  # the folded pieces of the domain column, in order
    last = "".join(cells[-1].strip() for cells in body)
    assert first == "".join(r["domain"] for r in FUNNEL)
    assert last == "".join(r["acceptance"] for r in FUNNEL)
