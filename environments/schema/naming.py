"""Words: splitting tool and parameter names, verbs, singular/plural entity names."""

from __future__ import annotations

import re


def _set(text: str) -> frozenset[str]:
    return frozenset(text.split())


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")

CREATE_VERBS = _set(
    "create add new register book insert post make submit place open schedule upload send generate issue "
    "reserve enroll subscribe save store record log append publish import buy purchase order rent apply "
    "invite request start"
)
DELETE_VERBS = _set("delete remove destroy drop erase unsubscribe unregister purge discard")
UPDATE_VERBS = _set(
    "update modify set change edit patch rename move replace toggle enable disable activate deactivate approve "
    "reject close complete mark assign transfer pay refund cancel archive restore reset confirm finish accept "
    "decline verify block unblock lock unlock suspend resume pause rate review upgrade downgrade return "
    "exchange reschedule adjust increase decrease increment decrement attach detach link unlink tag"
)
READ_VERBS = _set(
    "get list find search fetch retrieve show view lookup look query check count read describe browse "
    "calculate compute convert estimate validate track locate discover filter recommend suggest download "
    "explore inspect compare"
)
# Status a verb leaves an entity in, when it carries no other value to write.
VERB_STATUS = {
    "cancel": "cancelled",
    "close": "closed",
    "complete": "completed",
    "finish": "completed",
    "approve": "approved",
    "reject": "rejected",
    "archive": "archived",
    "restore": "active",
    "activate": "active",
    "deactivate": "inactive",
    "enable": "enabled",
    "disable": "disabled",
    "confirm": "confirmed",
    "accept": "accepted",
    "decline": "declined",
    "verify": "verified",
    "block": "blocked",
    "unblock": "active",
    "lock": "locked",
    "unlock": "unlocked",
    "suspend": "suspended",
    "resume": "active",
    "pause": "paused",
    "mark": "marked",
    "return": "returned",
    "pay": "paid",
    "refund": "refunded",
    "reset": "reset",
}
# Words that never name an entity.
NOISE = _set(
    "by of for the a an to from in on at with and or all my details detail info information data list "
    "api v1 v2 v3 new current latest id ids by_id status using via into any"
)
# Arguments that shape a query rather than describe an entity.
CONTROL_PARAMS = _set(
    "limit page offset count max_results per_page page_size pagesize top_k topk n num size sort sort_by "
    "order_by sortby orderby order direction format lang language locale fields api_key apikey key token "
    "callback cursor next_token page_token include expand verbose pretty debug timeout fmt output"
)


def words(name: str) -> list[str]:
    """'getOrderDetails' / 'get-order_details' → ['get', 'order', 'details']."""
    parts = []
    for chunk in _SPLIT.split(name):
        if chunk:
            parts.extend(p.lower() for p in _CAMEL.split(chunk) if p)
    return parts


def snake(name: str) -> str:
    out = "_".join(words(name)) or "x"
    if out[0].isdigit():
        out = "c_" + out
    return out[:60]


# Words whose plural adds -es to an -s ('buses'); other -ses plurals drop only the s ('courses').
_S_STEMS = _set("bus status campus virus bonus census sms gas alias atlas canvas lens plus focus")


def singular(word: str) -> str:
    """English plural to singular, the regular cases: 'categories' → 'category', 'courses' → 'course',
    'addresses' → 'address', 'buses' → 'bus', 'recipe searches' → 'recipe search'."""
    if len(word) <= 3 or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zzes")):
        return word[:-2]
    if word.endswith("ses"):
        last = word[:-2].rsplit(" ", 1)[-1].rsplit("_", 1)[-1]
        return word[:-2] if last in _S_STEMS else word[:-1]
    if word.endswith("s"):
        return word[:-1]
    return word


def plural(word: str) -> str:
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh", "z")):
        return word + "es"
    return word + "s"


def verb_of(tool_name: str) -> str | None:
    w = words(bare_tool_name(tool_name))
    for token in w[:2]:
        if token in CREATE_VERBS or token in DELETE_VERBS or token in UPDATE_VERBS or token in READ_VERBS:
            return token
    return None


def noun_of(tool_name: str) -> str | None:
    """The entity a tool name is about: 'get_order_details' → 'order', 'find_user_id_by_email' → 'user'.

    The tool's bare name speaks first; where it names nothing plain ('Tier2_for_ProxyPage'), the
    catalog's qualifier does ('proxy_page')."""
    noun = _noun(words(bare_tool_name(tool_name)), verb_of(tool_name))
    if noun is None or any(ch.isdigit() for ch in noun):
        qualified = _SERVICE.sub("", _CATEGORY.sub("", _HASHED.sub("", tool_name)))  # keeps '_for_<API>'
        return _noun(words(qualified), verb_of(tool_name)) or noun
    return noun


def _noun(w: list[str], verb: str | None) -> str | None:
    if verb is not None and verb in w:
        at = w.index(verb)
        # 'get_order' → after the verb; 'products_search' (the noun first) → before it.
        w = w[at + 1 :] if _content(w[at + 1 :]) else w[:at]
    if "by" in w:
        w = w[: w.index("by")]
    w = _content(w)
    if not w:
        return None
    return singular(w[-1]) if len(w) == 1 else "_".join(w[-2:-1] + [singular(w[-1])])


def _content(w: list[str]) -> list[str]:
    return [t for t in w if t not in NOISE and not t.isdigit() and len(t) > 1]


_NUMBERED = _set("order account flight ticket invoice tracking confirmation booking reservation case")


def id_entity(param: str) -> str | None:
    """'order_id' / 'orderId' / 'order-id' → 'order'; plain 'id' → '' (the tool's own entity); else None."""
    w = words(param)
    if w in (["id"], ["uuid"]):
        return ""
    if len(w) >= 2 and w[-1] in ("id", "uuid"):
        return "_".join(t for t in w[:-1] if t not in NOISE)
    if len(w) >= 2 and w[-1] in ("number", "code", "no") and w[-2] in _NUMBERED:
        return "_".join(w[:-1])
    return None


# Start → end word pairs of a range ('check_in_date' → 'check_out_date', 'startTime' → 'endTime').
_RANGE_WORDS = (
    (("start",), ("end",)),
    (("begin",), ("end",)),
    (("check", "in"), ("check", "out")),
    (("checkin",), ("checkout",)),
    (("from",), ("to",)),
    (("arrival",), ("departure",)),
    (("departure",), ("return",)),
    (("pickup",), ("dropoff",)),
    (("pick", "up"), ("drop", "off")),
    (("since",), ("until",)),
    (("valid", "from"), ("valid", "until")),
)
_WHEN = frozenset(["date", "time", "day", "datetime", "timestamp", "at", "on"])


def range_pairs(names) -> list[tuple[str, str]]:
    """(start, end) name pairs among ``names`` that bound a date/time range.

    'from'/'to' pairs count only with a date or time word ('date_from'/'date_to', not 'from_city').
    """
    by_words = {tuple(words(n)): n for n in names}
    out: list[tuple[str, str]] = []
    for w, name in by_words.items():
        for a, b in _RANGE_WORDS:
            k = len(a)
            for i in range(len(w) - k + 1):
                if w[i : i + k] != a:
                    continue
                partner = by_words.get(w[:i] + b + w[i + k :])
                if partner is None or partner == name:
                    continue
                rest = set(w[:i] + w[i + k :])
                if a in (("from",), ("since",), ("valid", "from")) and not rest & _WHEN:
                    continue
                if a in (("start",), ("begin",)) and rest and not rest & _WHEN and len(rest) > 1:
                    continue
                out.append((name, partner))
    return list(dict.fromkeys(out))


# How catalogs decorate a tool's own name: ToolBench's '_for_<API>' qualifier (the API name is capitalized),
# BFCL's test-category prefixes, SGD's 'Service_N_' prefix, and the catalog's collision and length suffixes
# (a 6- or 8-character hex hash with at least one digit).
_QUALIFIER = re.compile(r"_for_[A-Z0-9].*$")
_CATEGORY = re.compile(
    r"^(?:live_)?(?:parallel_multiple|parallel|multiple|simple|irrelevance|relevance)_(?=.)"
)
_SERVICE = re.compile(r"^[A-Z][A-Za-z]+_\d+_(?=.)")
_HASHED = re.compile(r"_(?=[0-9a-f]*[0-9])(?:[0-9a-f]{6}(?:_\d+)?|[0-9a-f]{8})$")


def bare_tool_name(name: str) -> str:
    """A tool's own name without what catalogs add: 'Buses_3_FindBus_52f45c' → 'FindBus',
    'products_search_for_Wayfair' → 'products_search', 'live_multiple_get_weather' → 'get_weather'."""
    bare = _HASHED.sub("", name)
    bare = _QUALIFIER.sub("", bare) or bare
    bare = _CATEGORY.sub("", bare)
    return _SERVICE.sub("", bare) or name


# Parameters that carry the caller's credentials: a simulated environment authenticates its caller itself,
# so these are not the user's facts nor the agent's to invent.
CREDENTIAL_PARAMS = _set(
    "api_key apikey api_token access_token auth_token bearer_token token authorization auth x_api_key "
    "x_rapidapi_key x_rapidapi_host x_rapid_api_key x_rapid_api_host rapidapi_key rapid_api_key client_secret "
    "secret_key app_key"
)


def is_credential(param: str) -> bool:
    return snake(param) in CREDENTIAL_PARAMS or param.lower() in CREDENTIAL_PARAMS
