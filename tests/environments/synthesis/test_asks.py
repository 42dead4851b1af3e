"""Public tools are asked for in their description's words when that reads as a request (issue 15 item 4)."""

from __future__ import annotations

import pytest

from envscale.environments.synthesis.asks import request_from_description


@pytest.mark.parametrize(
    ("description", "tool", "wanted"),
    [
        (
            "Calculate the area of a triangle given its base and height.",
            "triangle_area",
            "calculate the area of a triangle given its base and height",
        ),
        (
            "Calculates the prime factorization of a given integer.",
            "prime_factorize",
            "calculate the prime factorization of a given integer",
        ),
        (
            "Retrieves the current weather for a city. Uses the free tier.",
            "weather_now",
            "get the current weather for a city",
        ),
        ("Find the zero points of a function.", "functions_zero", "find the zero points of a function"),
    ],
)
def test_a_short_verb_phrase_becomes_the_request(description, tool, wanted):
    assert request_from_description(description, tool) == wanted


@pytest.mark.parametrize(
    ("description", "tool"),
    [
        ("Calculate compound interest for a certain time period.", "compound_interest"),  # names the tool
        ("This API returns the weather.", "weather"),  # not a verb phrase
        ("Get the user by its id.", "get_user"),  # an internal id
        ("Returns JSON with the endpoint's response.", "status"),  # software talk
        ("Convert_Number_To_Speech", "speech"),  # the name again, as a description
        ("Get " + "very " * 20 + "long things.", "long"),  # too long to say
        ("", "anything"),
    ],
)
def test_anything_else_keeps_the_record_phrasing(description, tool):
    assert request_from_description(description, tool) is None
