"""Fails when a module imports a layer above its own (docs/ARCHITECTURE.md, "Who owns what").

The layer folders sit at the repository root but install as `envscale.<layer>`
(setup.py), which import-linter's module discovery cannot follow; this checker reads
the source files instead, so lazy imports inside functions count too.

Usage: python scripts/check_layers.py [ROOT]   (exit 1 and one line per violation)
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

# Lowest first. A module may import its own layer and any layer below it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("kernel",),
    ("environments", "data_contracts"),
    ("models",),
    ("tasks",),
    ("flows",),
    ("cli",),
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
# The CLI sits on top of the flows although its files live in the kernel folder.
CLI_MODULES = {("cli",), ("quiet_console",), ("library_noise",)}
SUBPACKAGES = ("environments", "data_contracts", "models", "tasks", "flows")
# Third-party libraries a layer must not know (the domain core is free of Prefect; the
# thin layers speak to the warehouse through the store, never through duckdb).
FORBIDDEN_LIBS = {
    "kernel": ("prefect", "mlflow", "transformers", "trl", "torch"),
    "environments": ("prefect", "mlflow", "trl"),
    "data_contracts": ("prefect", "mlflow", "trl"),
    # The warehouse's SQL lives in the store (environments/store and the stage stores).
    "tasks": ("duckdb",),
    "flows": ("duckdb",),
}


def layer_of_file(rel: Path) -> str | None:
    top = rel.parts[0]
    if top in SUBPACKAGES:
        return top
    if top == "envscale":
        return "cli" if rel.with_suffix("").parts[1:] in CLI_MODULES else "kernel"
    return None


def layer_of_module(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "envscale":
        return None
    if len(parts) == 1:
        return "kernel"
    if parts[1] in SUBPACKAGES:
        return parts[1]
    return "cli" if tuple(parts[1:2]) in CLI_MODULES else "kernel"


def imported_modules(tree: ast.AST, package: str) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # `from envscale import flows` names a layer as an attribute.
            found.extend((node.lineno, f"{module}.{alias.name}") for alias in node.names)
    return found


def package_of(rel: Path) -> str:
    parts = list(rel.with_suffix("").parts)
    if parts[0] in SUBPACKAGES:
        parts = ["envscale", *parts]
    if parts[-1] == "__init__":
        parts = parts[:-1]
        return ".".join(parts)
    return ".".join(parts[:-1])


def violations(root: Path) -> list[str]:
    out: list[str] = []
    for top in ("envscale", *SUBPACKAGES):
        for path in sorted((root / top).rglob("*.py")):
            rel = path.relative_to(root)
            own = layer_of_file(rel)
            if own is None:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(rel))
            seen: set[tuple[int, str]] = set()
            for lineno, module in imported_modules(tree, package_of(rel)):
                target = layer_of_module(module)
                if target is not None and RANK[target] > RANK[own]:
                    key = (lineno, target)
                    if key not in seen:
                        seen.add(key)
                        out.append(f"{rel}:{lineno}: {own} imports {module} ({target} is above {own})")
                lib = module.split(".")[0]
                if lib in FORBIDDEN_LIBS.get(own, ()):
                    out.append(f"{rel}:{lineno}: {own} imports {lib} (not allowed in {own})")
    return out


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[1]
    found = violations(root)
    for line in found:
        print(line)
    print(f"layers: {len(found)} violation(s)" if found else "layers: ok (imports go one way)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
