"""Lists the package modules that have no test file at the mirrored path (a report, not a gate).

Tests mirror the package: ``environments/catalog/dedupe.py`` is tested in
``tests/environments/catalog/test_dedupe.py``. Cross-module scenarios (a flow end to end,
tests/reliability/) may live elsewhere too; this only reports modules without a mirror.

Usage: python scripts/check_test_mirror.py [ROOT]   (always exits 0)
"""

from __future__ import annotations

import sys
from pathlib import Path

PACKAGES = ("envscale", "environments", "tasks", "flows", "models")


def modules(root: Path) -> list[Path]:
    """The package modules (relative to ``root``), ``__init__.py`` left out."""
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if path.name != "__init__.py" and "__pycache__" not in path.parts:
                found.append(path.relative_to(root))
    return found


def mirror(module: Path) -> Path:
    """The test file named after ``module``: tests/<its folder>/test_<its name>."""
    return Path("tests", *module.parent.parts, f"test_{module.name}")


def missing(root: Path) -> list[Path]:
    return [m for m in modules(root) if not (root / mirror(m)).is_file()]


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[1]
    all_modules = modules(root)
    without = missing(root)
    for module in without:
        print(f"{module}  (no {mirror(module)})")
    print(f"{len(without)} of {len(all_modules)} modules have no mirrored test file")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
