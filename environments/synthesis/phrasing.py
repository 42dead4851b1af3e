"""Natural words without an LLM: a customer's request, and the agent's closing reply, from a goal plan.

The request is in the first person, states only the facts the user holds
(their number, a receipt's number, a date, a new value), never a tool's name
or an id the system made up, and asks for every goal in turn. Several
phrasings per action and a persona (tone, greeting, sign-off) chosen from
the blueprint's id keep the wording varied and reproducible. The closing
reply reports what the tools returned, in plain words, or why a rule forbids
what was asked.
"""

from __future__ import annotations

import random
import re
from typing import Any

from envscale.environments.schema.naming import bare_tool_name
from envscale.environments.schema.naming import words as naming_words
from envscale.environments.synthesis.knowledge import entity, is_identifier
from envscale.environments.synthesis.records import Blueprint, Goal, UserFact

# Verbs a tool name starts with → (what the user says, the past tense the agent uses).
_VERBS: dict[str, tuple[str, str]] = {
    "cancel": ("cancel", "cancelled"),
    "book": ("book", "booked"),
    "reserve": ("reserve", "reserved"),
    "create": ("open", "opened"),
    "open": ("open", "opened"),
    "place": ("place", "placed"),
    "add": ("add", "added"),
    "submit": ("submit", "submitted"),
    "schedule": ("schedule", "scheduled"),
    "reschedule": ("move", "moved"),
    "update": ("change", "changed"),
    "change": ("change", "changed"),
    "modify": ("change", "changed"),
    "edit": ("change", "changed"),
    "set": ("change", "changed"),
    "rename": ("rename", "renamed"),
    "return": ("return", "returned"),
    "refund": ("get a refund for", "refunded"),
    "close": ("close", "closed"),
    "reopen": ("reopen", "reopened"),
    "assign": ("assign", "assigned"),
    "pay": ("pay", "paid"),
    "transfer": ("transfer", "transferred"),
    "freeze": ("freeze", "frozen"),
    "unfreeze": ("unfreeze", "unfrozen"),
    "block": ("block", "blocked"),
    "unblock": ("unblock", "unblocked"),
    "delete": ("remove", "removed"),
    "remove": ("remove", "removed"),
    "dispute": ("dispute", "disputed"),
    "renew": ("renew", "renewed"),
    "checkout": ("check out", "checked out"),
    "exchange": ("exchange", "exchanged"),
    "upgrade": ("upgrade", "upgraded"),
}

_PERSONAS = (
    {
        "hello": ("Hi,", "Hello!", "Hi there."),
        "bye": ("Thanks!", "Thank you.", "Thanks a lot."),
        "ask": "I'd like to",
    },
    {
        "hello": ("Good morning.", "Hello,", "Hi."),
        "bye": ("Thank you very much.", "Much appreciated.", ""),
        "ask": "Could you please",
    },
    {"hello": ("", "Hey,", "Hi!"), "bye": ("", "Cheers.", "Thanks."), "ask": "I need to"},
)

_WRITE_ASKS = (
    "{ask} {verb} {obj}{ref}.",
    "Can you {verb} {obj}{ref} for me?",
    "Please {verb} {obj}{ref}.",
)
_CHANGE_VERBS = ("update", "change", "set", "modify", "edit")
_FIELD_ASKS = (
    "{ask} change the {field} of {obj}{ref} to {value}.",
    "Can you update the {field} on {obj}{ref} to {value}?",
    "Please set the {field} of {obj}{ref} to {value}.",
)
_QUESTION_ASKS = (
    "Can you look up {obj}{ref} and tell me what you find?",
    "What can you tell me about {obj}{ref}?",
    "I'd like to know the details of {obj}{ref}.",
)
_LIST_ASKS = (
    "Which {objs} do I have{ref}?",
    "Can you tell me about my {objs}{ref}?",
    "I'd like to see my {objs}{ref}.",
)
_WORLD_LIST_ASKS = (
    "Which {objs} are there{ref}?",
    "Can you list the {objs}{ref}?",
    "I'd like to see the {objs}{ref}.",
)
_SEARCH_ASKS = (
    "I'm looking for {a_obj}{ref}.",
    "Can you find {a_obj}{ref} for me?",
    "Do you have {a_obj}{ref}?",
)
_OPENERS = (
    "My {l} is {v}.",
    "My {l}: {v}.",
    "I'm writing about my account; my {l} is {v}.",
    "This is about my account, {l} {v}.",
)
_LINKS = ("Also,", "After that,", "And one more thing:", "Then,")


def _spoken(goal: Goal) -> str:
    """The goal tool's own name in lower snake case, without what the catalog added to it."""
    return "_".join(naming_words(bare_tool_name(goal.tool))) or goal.tool.lower()


def words(name: str) -> str:
    """'check_in' → 'check-in'-free plain words: 'check in'; 'orderId' → 'order id'."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return re.sub(r"[_\W]+", " ", spaced).strip().lower()


_QUANTITY = ("quantity", "qty", "count", "amount", "number")


def _value(value: Any) -> str:
    """A value as a customer would say it: '4 of sku-1 and 2 of sku-2', not a Python repr."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return _and([_value(v) for v in value]) if value else "none"
    if isinstance(value, dict):
        return _record(value)
    return str(value)


def _record(value: dict[str, Any]) -> str:
    """One object argument in words: '{product_id: x, quantity: 4}' → '4 of x'; else 'name value' pairs."""
    present = {k: v for k, v in value.items() if v is not None}
    quantity = next((k for k in present if words(k) in _QUANTITY), None)
    others = [k for k in present if k != quantity]
    if quantity is not None and len(others) == 1:
        return f"{_value(present[quantity])} of {_value(present[others[0]])}"
    return ", ".join(f"{words(k)} {_value(v)}" for k, v in present.items())


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def goal_words(goal: Goal) -> str:
    """A goal in plain words, for a writer LLM: 'cancel an appointment', 'find out about an order'."""
    spoken = _spoken(goal)
    about = words(goal.about or entity(spoken))
    verb = spoken.split("_")[0]
    if goal.action == "read":
        return f"find out about {_a(about)}"
    field = _field(spoken, about) if verb in _CHANGE_VERBS else ""
    if field:
        return f"change the {field} of {_a(about)}"
    return f"{_VERBS.get(verb, (words(spoken).split(' ')[0], ''))[0]} {_a(about)}"


def instruction(blueprint: Blueprint) -> str:
    """The customer's request for a goal-planned blueprint (deterministic in its id)."""
    rng = random.Random(blueprint.blueprint_id)
    persona = rng.choice(_PERSONAS)
    parts = [rng.choice(persona["hello"])]
    said: set[tuple[str, str]] = set()
    parts.extend(_who(blueprint.facts, said, rng))
    for index, goal in enumerate(blueprint.goals):
        facts = [f for f in blueprint.facts if f.goal == index and (f.name, _value(f.value)) not in said]
        sentence = _ask(goal, facts, said, persona, rng)
        parts.append(sentence if index == 0 else f"{rng.choice(_LINKS)} {_lower_first(sentence)}")
    # Anything still unsaid (a fact no phrase used) is stated plainly, so the request stays complete.
    rest = [f for f in blueprint.facts if (f.name, _value(f.value)) not in said]
    if rest:
        parts.append(
            "For reference: " + "; ".join(f"the {words(f.name)} is {_value(f.value)}" for f in rest) + "."
        )
    parts.append(rng.choice(persona["bye"]))
    parts = [p for p in parts if p]
    if len(parts) > 1 and parts[0].endswith(","):
        parts[1] = _lower_first(parts[1])  # 'Hi, my order ...'
    return " ".join(parts)


def _lower_first(text: str) -> str:
    return text if text.startswith(("I ", "I'")) else text[:1].lower() + text[1:]


def _who(facts: tuple[UserFact, ...], said: set[tuple[str, str]], rng: random.Random) -> list[str]:
    """Who the user is: their own number(s) and personal facts, once, up front."""
    out = []
    for fact in facts:
        if fact.kind not in ("account", "personal") or (fact.name, _value(fact.value)) in said:
            continue
        label = words(fact.name)
        if fact.kind == "account":
            thing = entity(fact.name)
            label = f"{thing} number" if is_identifier(fact.name) else label
        out.append(
            rng.choice(
                ("My {l} is {v}.", "My {l}: {v}.", "I'm writing about my account; my {l} is {v}.")
            ).format(l=label, v=_value(fact.value))
        )
        said.add((fact.name, _value(fact.value)))
    return out


_READ_VERBS = ("get", "list", "search", "find", "check", "show", "lookup", "view")
_DESCRIBED_ASKS = ("{ask} {asks}{facts}.", "Can you {asks}{facts}?", "Please {asks}{facts}.")


def _ask(
    goal: Goal, facts: list[UserFact], said: set[tuple[str, str]], persona: dict[str, Any], rng: random.Random
) -> str:
    if goal.asks and _record_phrasing_names_tool(goal):
        return _described_ask(goal, facts, said, persona, rng)
    return _record_ask(goal, facts, said, persona, rng)


def _record_phrasing_names_tool(goal: Goal) -> bool:
    """Whether the record phrasing would say the tool's name ('my prime factorize') or guess a verb
    from it ('can you dns a view dnse'): the table is named after the tool, or the verb is unknown."""
    spoken = words(_spoken(goal))
    name = [_stem(w) for w in spoken.split()]
    about = [_stem(w) for w in words(goal.about or entity(_spoken(goal))).split()]
    verb = spoken.split(" ")[0]
    unknown_verb = goal.action != "read" and verb not in _VERBS and verb not in _READ_VERBS
    named_after = about == name or (len(about) >= 2 and _contains(name, about))
    return unknown_verb or named_after


def _stem(word: str) -> str:
    """'searches', 'searche', 'search' → 'search': table nouns and tool names inflect differently."""
    return re.sub(r"(es|s|e)$", "", word) if len(word) > 3 else word


def _contains(words_: list[str], run: list[str]) -> bool:
    return any(words_[i : i + len(run)] == run for i in range(len(words_) - len(run) + 1))


def _described_ask(
    goal: Goal, facts: list[UserFact], said: set[tuple[str, str]], persona: dict[str, Any], rng: random.Random
) -> str:
    """'Can you calculate the area of a triangle given its base and height, with the base 3 and the height 5?'"""
    text = rng.choice(_DESCRIBED_ASKS).format(ask=persona["ask"], asks=goal.asks, facts=_changes(facts, said))
    return text[0].upper() + text[1:]


def _record_ask(
    goal: Goal, facts: list[UserFact], said: set[tuple[str, str]], persona: dict[str, Any], rng: random.Random
) -> str:
    verb_word = _spoken(goal).split("_")[0]
    about = words(goal.about or entity(_spoken(goal)))
    ref_facts = [
        f for f in facts if f.kind == "receipt" or (f.kind == "detail" and f.name not in goal.arguments)
    ]
    new_facts = [f for f in facts if f not in ref_facts]
    ref = _reference(ref_facts, about, said)
    if goal.action == "read" or verb_word in _READ_VERBS:
        filters = _with(new_facts, said)
        if verb_word in ("search", "find", "lookup"):
            text = rng.choice(_SEARCH_ASKS).format(a_obj=_a(about), ref=ref + filters)
        elif verb_word == "list" or _spoken(goal).endswith("s"):
            asks = _LIST_ASKS if goal.mine else _WORLD_LIST_ASKS
            text = rng.choice(asks).format(objs=_plural(words(_listed(_spoken(goal)))), ref=ref + filters)
        else:
            text = rng.choice(_QUESTION_ASKS).format(
                obj=f"my {about}" if goal.mine and not ref else f"the {about}", ref=ref + filters
            )
        return text
    verb = _VERBS.get(verb_word, (words(_spoken(goal)).split(" ")[0], ""))[0]
    obj = f"the {about}" if ref or not goal.mine else f"my {about}"
    obj = _a(about) if goal.action == "create" and not ref else obj
    field = _field(_spoken(goal), about)
    if field and len(new_facts) == 1 and verb_word in _CHANGE_VERBS:
        fact = new_facts[0]
        said.add((fact.name, _value(fact.value)))
        text = rng.choice(_FIELD_ASKS).format(
            ask=persona["ask"], field=field, obj=obj, ref=ref, value=_value(fact.value)
        )
        return text
    text = rng.choice(_WRITE_ASKS).format(ask=persona["ask"], verb=verb, obj=obj, ref=ref)
    changes = _changes(new_facts, said)
    return text[:-1] + changes + text[-1] if changes and text.endswith((".", "?")) else text + changes


def _field(tool: str, about: str) -> str:
    """What an update changes, from its name: 'update_customer_email' → 'email'."""
    parts = tool.lower().split("_")[1:]
    rest = [p for p in parts if p not in about.split() and p + "s" not in about.split()]
    return " ".join(rest)


def _reference(facts: list[UserFact], about: str, said: set[tuple[str, str]]) -> str:
    """How the user points at their record: its number, or a detail of it ('the one on 2024-06-03')."""
    out = []
    for fact in facts:
        value = _value(fact.value)
        other = fact.about and fact.about != about  # a detail of a related record (the appointment of a note)
        lead = f" for my {fact.about}" if other else ""
        if fact.kind == "receipt":
            out.append(
                f"{lead} number {value}"
                if other or entity(fact.name) == entity(about)
                else f" ({words(fact.name)} {value})"
            )
        elif "date" in fact.name or "time" in fact.name:
            out.append(f"{lead} on {value}")
        else:
            out.append(f"{lead} whose {words(fact.name)} is {value}")
        said.add((fact.name, value))
    return "".join(out[:1]) + ("" if len(out) < 2 else " and" + " and".join(out[1:]))


def _with(facts: list[UserFact], said: set[tuple[str, str]]) -> str:
    if not facts:
        return ""
    for f in facts:
        said.add((f.name, _value(f.value)))
    return " with " + ", ".join(f"{words(f.name)} {_value(f.value)}" for f in facts)


def _changes(facts: list[UserFact], said: set[tuple[str, str]]) -> str:
    """The new values of a write, in words: ', changing the email to x and the reason to y'."""
    if not facts:
        return ""
    for f in facts:
        said.add((f.name, _value(f.value)))
    items = [f"the {words(f.name)} {_value(f.value)}" for f in facts]
    return ", with " + _and(items)


def _listed(tool: str) -> str:
    """'list_member_fines' → 'fines'; 'search_tickets' → 'tickets'."""
    return tool.split("_")[-1]


def _plural(noun: str) -> str:
    return noun if noun.endswith("s") else noun + "s"


def _a(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


# -- the agent's closing reply -----------------------------------------------------------------------------


def final_reply(blueprint: Blueprint) -> str:
    """What the agent says at the end: each goal's outcome with the values the tools returned."""
    by_tool = {c.name: c for c in blueprint.calls}
    parts = []
    for goal in blueprint.goals:
        about = words(goal.about or entity(_spoken(goal)))
        verb = _spoken(goal).split("_")[0]
        if goal.refused:
            asked = _VERBS.get(verb, (words(_spoken(goal)),))[0]
            parts.append(f"I'm sorry, I can't {asked} that {about}: {goal.refused.rstrip('.')}.")
            continue
        call = by_tool.get(goal.tool)
        result = call.result if call is not None else None
        if goal.asks and _record_phrasing_names_tool(goal):
            about = "result"  # the table is named after the tool: do not say its name back
        if goal.action == "read" or _spoken(goal).split("_")[0] in ("get", "list", "search", "find"):
            parts.append(_report(result, about))
        else:
            done = _VERBS.get(verb, ("", "updated"))[1] or "updated"
            field = _field(_spoken(goal), about) if verb in _CHANGE_VERBS else ""
            whose = "your" if goal.mine else "the"
            what = f"the {field} of {whose} {about}" if field else f"{whose} {about}"
            parts.append(f"I have {done} {what}." + _fields(result))
    parts.append("Is there anything else I can help you with?")
    return " ".join(parts)


def _report(result: Any, about: str) -> str:
    rows = result if isinstance(result, list) else [result] if isinstance(result, dict) else []
    if not rows:
        return (
            f"I found no matching {about}."
            if result in (None, [], {})
            else f"Here is what I found: {result}."
        )
    if len(rows) == 1:
        return f"Here is the {about}:" + _fields(rows[0], limit=5)
    listed = "; ".join(_summary(r) for r in rows[:5] if isinstance(r, dict))
    more = f" (and {len(rows) - 5} more)" if len(rows) > 5 else ""
    return f"I found {len(rows)} {_plural(about)}: {listed}{more}."


def _fields(row: Any, limit: int = 4) -> str:
    if not isinstance(row, dict):
        return ""
    items = [(k, v) for k, v in row.items() if v not in (None, "", [], {}) and _sayable(v)]
    items.sort(key=lambda kv: 0 if kv[0] in ("status", "id") or kv[0].endswith("_id") else 1)
    shown = ", ".join(f"{words(k)} {_value(v)}" for k, v in items[:limit])
    return f" {shown[0].upper()}{shown[1:]}." if shown else ""


def _sayable(value: Any) -> bool:
    """A scalar, or a short list of scalars ('2, 7 and 7'); nested records are left out of a reply."""
    if isinstance(value, list):
        return len(value) <= 5 and all(not isinstance(v, dict | list) for v in value)
    return not isinstance(value, dict)


def _summary(row: dict[str, Any]) -> str:
    items = [(k, v) for k, v in row.items() if v not in (None, "") and not isinstance(v, dict | list)]
    return ", ".join(f"{words(k)} {_value(v)}" for k, v in items[:3])
