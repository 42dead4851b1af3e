"""The normalized tool record every ingestion format produces (the catalog's unit), and its rejections."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ToolKind = Literal["read", "write", "unknown"]
TOOL_KINDS: tuple[str, ...] = ("read", "write", "unknown")


class SourceRef(BaseModel):
    """Where in which file a tool (or a rejected entry) came from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str = Field(description="Path of the source file as given to ingest (resolved).")
    pointer: str = Field(
        description="RFC 6901 JSON pointer into the file; JSONL entries are 'line:N' plus '#/pointer' inside the line."
    )
    format: str = Field(description="Detected (or forced) source format, e.g. 'openai', 'openapi', 'mcp'.")


class ToolRecord(BaseModel):
    """One tool in the catalog, normalized from any source format."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tool_id: str = Field(
        description="Content hash of the tool's identity: qualified source name, description, parameters, returns "
        "(not the canonical name, which depends on collisions, nor the kind, which depends on evidence)."
    )
    name: str = Field(
        description="Canonical name, unique in the catalog ([A-Za-z0-9_-], ≤ 64 chars, OpenAI-safe)."
    )
    original_name: str = Field(description="The name as the source spelled it.")
    description: str = Field(description="What the tool does, as the source describes it.")
    parameters: dict[str, Any] = Field(
        description="JSON Schema (draft 2020-12) of the arguments; always type=object."
    )
    returns: dict[str, Any] | None = Field(
        None, description="JSON Schema of the result, when the source gives one."
    )
    kind: ToolKind = Field(description="Whether the tool reads or writes state.")
    kind_reason: str = Field(
        description="Why the kind was decided (HTTP method, MCP annotation, name heuristic...)."
    )
    source_format: str = Field(description="Format of the first source that yielded the tool.")
    sources: tuple[SourceRef, ...] = Field(description="Every source reference merged into this record.")
    categories: tuple[str, ...] = Field(
        (), description="Category labels the source carries (e.g. RapidAPI category)."
    )
    near_duplicate_of: str | None = Field(None, description="tool_id of a near-identical tool, when flagged.")
    namespace: str | None = Field(
        None,
        description="The source's grouping of the tool, when it has one (RapidAPI tool, τ-bench domain, API title).",
    )
    notes: tuple[str, ...] = Field(
        (),
        description="What normalization changed or filled in (type mappings, generated description, $defs...).",
    )

    def openai_schema(self) -> dict[str, Any]:
        """The tool as an OpenAI `tools=` entry."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }


class Rejection(BaseModel):
    """An input that did not become a tool, with where it was and why (nothing is dropped silently)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rejection_id: str = Field(
        description="Content hash of (file, pointer, reason_code): stable across re-ingests."
    )
    source: SourceRef = Field(
        description="The file and pointer of the rejected entry ('' pointer = whole file)."
    )
    reason_code: str = Field(description="Machine-readable reason, one of catalog.reasons.REASONS.")
    reason: str = Field(description="Human-readable explanation.")
    excerpt: str | None = Field(
        None, description="The start of the offending input (≤ 300 chars), when useful."
    )
