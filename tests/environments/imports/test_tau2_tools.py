"""τ² tool schemas read from Python source with ast: names, docstring summaries, argument docs and types."""

from __future__ import annotations

import textwrap

from envscale.environments.imports.tau2_tools import schemas_from_source, tool_schemas

DATA_MODEL = """
from typing import Literal
from pydantic import BaseModel

CabinClass = Literal["economy", "business"]


class Passenger(BaseModel):
    first_name: str
    age: int
"""

TOOLS = '''
class AirlineTools:
    @is_tool(ToolType.WRITE)
    def book(self, user_id: str, cabin: CabinClass, passengers: List[Passenger | dict], insurance: bool = False):
        """Book a reservation.

        Args:
            user_id: The user's id, such as 'sara_doe_496'.
            cabin: The cabin class.
        """

    def helper(self, x: int):
        """Not a tool."""

    @is_tool(ToolType.READ)
    def get_status(self, amount: Optional[float], extra: dict):
        """The status."""
'''


def test_schemas_from_source(tmp_path):
    (tmp_path / "tools.py").write_text(textwrap.dedent(TOOLS))
    (tmp_path / "data_model.py").write_text(textwrap.dedent(DATA_MODEL))
    book, status = schemas_from_source(tmp_path / "tools.py", tmp_path / "data_model.py")
    fn = book["function"]
    assert (book["type"], fn["name"], fn["description"]) == ("function", "book", "Book a reservation.")
    props = fn["parameters"]["properties"]
    assert props["user_id"] == {"type": "string", "description": "The user's id, such as 'sara_doe_496'."}
    assert props["cabin"] == {
        "type": "string",
        "enum": ["economy", "business"],
        "description": "The cabin class.",
    }
    assert props["passengers"]["items"] == {
        "type": "object",
        "properties": {"first_name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["first_name", "age"],
    }
    assert props["insurance"] == {"type": "boolean"}
    assert fn["parameters"]["required"] == ["user_id", "cabin", "passengers"]  # defaults are optional
    assert status["function"]["parameters"]["properties"] == {
        "amount": {"type": "number"},
        "extra": {"type": "object"},
    }


def test_without_a_data_model_unknown_types_are_open(tmp_path):
    (tmp_path / "tools.py").write_text(textwrap.dedent(TOOLS))
    (book, _) = schemas_from_source(tmp_path / "tools.py")
    assert book["function"]["parameters"]["properties"]["cabin"] == {"description": "The cabin class."}


def test_the_committed_schemas_cover_the_imported_domains():
    for domain in ("retail", "airline", "telecom"):
        names = [s["function"]["name"] for s in tool_schemas(domain)]
        assert names and len(names) == len(set(names))
    assert "book_reservation" in {s["function"]["name"] for s in tool_schemas("airline")}
    assert tool_schemas("no_such_domain") == []
