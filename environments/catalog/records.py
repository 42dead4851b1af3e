"""The normalized tool record every ingestion format produces (the catalog's unit)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ToolKind = Literal["read", "write", "unknown"]


class SourceRef(BaseModel):
    """Where in which file a tool (or a rejected entry) came from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str = Field(description="Path of the source file as given to ingest (resolved).")
    pointer: str = Field(description="RFC 6901 JSON pointer into the file, or 'line:N' for JSONL.")
    format: str = Field(description="Detected (or forced) source format, e.g. 'openai', 'openapi', 'mcp'.")


class ToolRecord(BaseModel):
    """One tool in the catalog, normalized from any source format."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tool_id: str = Field(description="Content hash of name-independent content: description, parameters, returns, kind.")
    name: str = Field(description="Canonical name, unique in the catalog ([A-Za-z0-9_.-], ≤ 64 chars).")
    original_name: str = Field(description="The name as the source spelled it.")
    description: str = Field(description="What the tool does, as the source describes it.")
    parameters: dict[str, Any] = Field(description="JSON Schema (draft 2020-12) of the arguments; always type=object.")
    returns: dict[str, Any] | None = Field(None, description="JSON Schema of the result, when the source gives one.")
    kind: ToolKind = Field(description="Whether the tool reads or writes state.")
    kind_reason: str = Field(description="Why the kind was decided (HTTP method, MCP annotation, name heuristic...).")
    source_format: str = Field(description="Format of the first source that yielded the tool.")
    sources: tuple[SourceRef, ...] = Field(description="Every source reference merged into this record.")
    categories: tuple[str, ...] = Field((), description="Category labels the source carries (e.g. RapidAPI category).")
    near_duplicate_of: str | None = Field(None, description="tool_id of a near-identical tool, when flagged.")

    def openai_schema(self) -> dict[str, Any]:
        """The tool as an OpenAI `tools=` entry."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }
