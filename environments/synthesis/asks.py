"""What a user asks for, in a tool description's own words: 'Calculate the area of a triangle ...'.

Public tool sets (BFCL, RapidAPI) are mostly functions, not records a customer
owns; their generated tables are named after the tool, so the record phrasing
('the details of my prime factorize') names the tool. Their descriptions say
the same thing as a request would: the first sentence, when it is a short
imperative (or third-person) verb phrase in plain words, becomes the object of
'Could you ...' (issue 15 item 4).
"""

from __future__ import annotations

import re

# First words of a description → the verb the user says.
_VERBS = {
    **dict.fromkeys(("get", "gets", "retrieve", "retrieves", "fetch", "fetches", "return", "returns"), "get"),
    **dict.fromkeys(("obtain", "obtains", "provide", "provides", "give", "gives"), "get"),
    **dict.fromkeys(("find", "finds", "locate", "locates"), "find"),
    **dict.fromkeys(("search", "searches"), "search"),
    **dict.fromkeys(("look", "looks"), "look"),
    **{
        v: v
        for v in (
            "calculate",
            "compute",
            "convert",
            "check",
            "predict",
            "estimate",
            "generate",
            "translate",
            "determine",
            "identify",
            "analyze",
            "analyse",
            "track",
            "detect",
            "recommend",
            "suggest",
            "count",
            "solve",
            "evaluate",
            "measure",
            "summarize",
            "validate",
            "verify",
            "send",
            "list",
            "show",
            "display",
            "forecast",
            "simulate",
            "plan",
            "book",
            "order",
            "schedule",
            "create",
            "add",
            "update",
            "play",
            "lookup",
        )
    },
}
_THIRD_PERSON = {"calculates": "calculate", "computes": "compute", "converts": "convert", "checks": "check"}
_THIRD_PERSON |= {"predicts": "predict", "estimates": "estimate", "generates": "generate"}
_THIRD_PERSON |= {"translates": "translate", "determines": "determine", "identifies": "identify"}
_THIRD_PERSON |= {"sends": "send", "lists": "list", "shows": "show", "creates": "create", "adds": "add"}
_THIRD_PERSON |= {"tracks": "track", "detects": "detect", "recommends": "recommend", "solves": "solve"}
_THIRD_PERSON |= {"evaluates": "evaluate", "updates": "update", "books": "book", "schedules": "schedule"}
# Words a customer would not say: the description talks about software, not the task.
_TECHNICAL = re.compile(
    r"\b(api|apis|endpoint|tool|json|parameters?|params?|arguments?|query string|http|url|"
    r"response|request|id|ids|uuid|this|deprecated|note|e\.g|i\.e)\b",
    re.I,
)
_SENTENCE_END = re.compile(r"(?<=[a-z0-9)])[.;:!?](\s|$)|\n")


def request_from_description(description: str, tool: str) -> str | None:
    """'Calculate the area of a triangle given its base and height.' → 'calculate the area of a triangle
    given its base and height'; None when the description does not read as a request (then the record
    phrasing stays)."""
    text = _SENTENCE_END.split((description or "").strip(), maxsplit=1)[0].strip()
    words = text.split()
    if not 3 <= len(words) <= 16 or not re.fullmatch(r"[A-Za-z0-9 ,'()/%$&-]+", text):
        return None
    first = words[0].lower()
    verb = _THIRD_PERSON.get(first) or _VERBS.get(first)
    if verb is None or _TECHNICAL.search(text) or _names(text, tool):
        return None
    rest = " ".join(words[1:])
    if verb == "look" and not rest.lower().startswith("up"):
        return None
    phrase = f"{verb} {rest}"
    return phrase[0].lower() + phrase[1:]


def _names(text: str, tool: str) -> bool:
    """Whether ``text`` contains the tool's name, as written or as words."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", tool)
    spaced = re.sub(r"[_\W]+", " ", spaced).strip().lower()
    lowered = text.lower()
    return tool.lower() in lowered or (bool(spaced) and spaced in lowered)
