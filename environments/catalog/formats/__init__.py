"""One parser per source format; each yields RawTool or Rejection for a JSON value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from envscale.environments.catalog.formats import bfcl, mcp, openai, openapi, taubench, toolbench
from envscale.environments.catalog.formats.base import ParseContext, Parsed, RawTool

PARSERS: dict[str, Callable[[Any, str, ParseContext], Parsed]] = {
    "openai": openai.parse,
    "openapi": openapi.parse,
    "mcp": mcp.parse,
    "bfcl": bfcl.parse,
    "toolbench": toolbench.parse,
    "taubench": taubench.parse,
}
FORMATS: tuple[str, ...] = tuple(PARSERS)

__all__ = ["FORMATS", "PARSERS", "ParseContext", "Parsed", "RawTool"]
