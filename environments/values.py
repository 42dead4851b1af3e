"""Realistic values that honour a JSON Schema: one generator for seeding and for arguments.

``value_for(name, schema, rng)`` draws a value for a field called ``name`` that is valid
under every rule ``schema`` declares (type, enum, const, pattern, min/maxLength, format,
bounds, multipleOf, arrays' items and sizes, objects' required properties, anyOf/oneOf/allOf)
and, where the schema leaves room, looks like what the field means: people's names,
addresses, phones, notes as sentences, times in business hours, dates near the
environment's clock. ``semantic_text(name, rng)`` is the by-meaning part alone (seeding uses
it for text columns); ``order_ranges`` puts start/end pairs in order (check-out 1–14 days
after check-in). Everything is drawn from ``rng``, never from today or global state.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
import string
import threading
from typing import Any

from envscale.environments.schema.infer import number_bounds
from envscale.environments.schema.naming import range_pairs, singular, words

# The runtime's default clock: dates are drawn around it, never around today.
CLOCK = dt.datetime(2024, 5, 15, 15, 0, 0)
OPEN_HOUR, CLOSE_HOUR = 8, 18  # business hours: times are drawn in [08:00, 18:00)
MAX_DEPTH = 6

_LOCAL = threading.local()


def faker_for(rng: random.Random):
    """A thread-local Faker, reseeded from ``rng`` (so a value depends on the seed only)."""
    fake = getattr(_LOCAL, "faker", None)
    if fake is None:
        from faker import Faker

        fake = Faker("en_US")
        _LOCAL.faker = fake
    fake.seed_instance(rng.getrandbits(32))
    return fake


# -- meaning from the field name ---------------------------------------------------------
_TEXT = {"note", "notes", "description", "comment", "comments", "message", "reason", "summary", "text"}
_TEXT |= {"body", "content", "feedback", "review", "remark", "remarks", "details", "instructions", "bio"}
_TEXT |= {"memo", "explanation", "request", "question", "answer", "caption"}
_PERSON = {"customer", "user", "patient", "guest", "client", "passenger", "contact", "owner", "author"}
_PERSON |= {"employee", "member", "student", "traveler", "traveller", "recipient", "sender", "person"}
_PERSON |= {"full", "doctor", "host", "driver", "agent", "manager", "holder", "buyer", "seller"}
_PERSON |= {"player", "artist", "actor", "director", "singer", "athlete", "coach", "composer", "musician"}
# Public tool sets (BFCL, RapidAPI) ask for things rather than records: a few lists a person would say.
_WORDS = {
    "topic": ("climate change", "electric cars", "the stock market", "renewable energy", "space travel")
    + ("healthy eating", "the olympics", "artificial intelligence", "local elections", "housing prices"),
    "cuisine": ("Italian", "Mexican", "Japanese", "Indian", "Thai", "French", "Chinese", "Greek", "vegan"),
    "diet": ("vegetarian", "vegan", "gluten-free", "low-carb", "dairy-free", "keto"),
    "language": ("English", "Spanish", "French", "German", "Italian", "Portuguese", "Japanese", "Chinese"),
    "genre": ("comedy", "drama", "thriller", "science fiction", "jazz", "rock", "classical", "pop"),
    "ticker": ("AAPL", "MSFT", "GOOGL", "AMZN", "TSLA", "NVDA", "META", "IBM", "KO", "DIS"),
    "league": ("Premier League", "La Liga", "Serie A", "Bundesliga", "NBA", "NFL", "MLB", "Ligue 1"),
    "team": ("Manchester United", "Real Madrid", "Los Angeles Lakers", "Boston Celtics", "Chicago Bulls")
    + ("FC Barcelona", "Bayern Munich", "New York Yankees", "Golden State Warriors", "Juventus"),
    "sport": ("football", "basketball", "tennis", "baseball", "golf", "cricket", "hockey", "swimming"),
}
_PLACE = {"location", "place", "destination", "origin", "venue", "near", "area", "locality"}
_TOPIC = {"topic", "query", "keyword", "keywords", "term", "q", "search"}
# People named by their role in a work: an artist, a film's cast, who directed it.
_CREATORS = {"artist", "actor", "director", "singer", "author", "composer", "musician", "cast", "directed"}
_CREATORS |= {"player", "athlete", "coach", "writer", "creator", "performer", "starring"}
# Works with a title: a title-cased phrase reads like one ('Whose House').
_WORKS = {"album", "song", "movie", "film", "book", "game", "track", "show", "series", "episode", "novel"}
_WORKS |= {"podcast", "playlist", "painting", "sculpture", "play", "poem", "recipe", "dish"}
_MONEY = {"principal", "investment", "invested", "income", "assets", "equity", "revenue", "loan", "deposit"}
_MONEY |= {"capital", "sales", "profit", "debt", "sum", "savings"}
_FUTURE = {"check", "checkin", "start", "begin", "departure", "arrival", "appointment", "due", "pickup"}
_FUTURE |= {"from", "travel", "event", "booking", "reservation", "delivery", "deadline", "scheduled"}


def _field_words(name: str) -> list[str]:
    """A field name's words with trailing digits dropped: 'team1' reads like 'team', 'page2' like 'page'."""
    return [x.rstrip("0123456789") or x for x in words(name)]


def kind_of(name: str) -> str | None:
    """What a field name means, as a generator key ('email', 'first_name', 'text', 'date'...), or None."""
    w = _field_words(name)
    s = set(w) | {singular(x) for x in w}  # 'special_requests' reads like 'request'
    last = w[-1] if w else ""
    if "email" in s or "mail" in s:
        return "email"
    if {"phone", "mobile", "tel", "telephone", "fax"} & s:
        return "phone"
    if {"first", "given", "firstname"} & s and ("name" in s or "firstname" in s):
        return "first_name"
    if {"last", "family", "surname", "lastname"} & s and ("name" in s or s & {"surname", "lastname"}):
        return "last_name"
    if last in ("username", "login", "handle") or w[-2:] == ["user", "name"]:
        return "username"
    if "password" in s or "passcode" in s:
        return "password"
    if last in ("zip", "zipcode", "postcode", "postal") or w[-2:] in (["postal", "code"], ["zip", "code"]):
        return "zip"
    if last in ("city", "town"):
        return "city"
    if last in ("country",):
        return "country"
    if last in ("state", "province", "region") and "status" not in s:
        return "state"
    if {"address", "street"} & s and not s & {"ip", "mac", "email"}:
        return "address"
    if {"url", "uri", "website", "link", "homepage"} & s:
        return "url"
    if {"company", "organization", "organisation", "employer", "business"} & s:
        return "company"
    if "currency" in s:
        return "currency"
    if "color" in s or "colour" in s:
        return "color"
    if "ip" in s or "ipv4" in s:
        return "ipv4"
    if last in ("uuid", "guid"):
        return "uuid"
    if {"birthday", "dob", "birthdate"} & s or w[-2:] == ["birth", "date"]:
        return "birth_date"
    if last in ("datetime", "timestamp") or (last == "at" and len(w) > 1):
        return "date-time"
    stay = {"checkin", "checkout", "arrival", "departure"} & s or ("check" in s and {"in", "out"} & s)
    if "date" in s or last in ("day", "checkin", "checkout") or (stay and not {"time", "hour"} & s):
        return "date"
    if last == "time" or "hour" in s:
        return "time"
    if last == "title" or last == "subject" or last == "headline":
        return "work" if s & _WORKS else "title"
    if s & _PLACE and not s & {"id", "code", "type"}:
        return "city"
    if s & _TOPIC and not s & {"id", "type"}:
        return "topic"
    listed = _listed_kind(s)
    if listed is not None:
        return listed
    technical = _technical_kind(s, last)
    if technical is not None:
        return technical
    if s & _CREATORS and not s & {"id", "type", "count"}:
        return "name"
    if last in _WORKS or (s & _WORKS and last in ("name", "title")):
        return "work"
    if s & _TEXT:
        return "text"
    if last == "name" and len(w) >= 2 and kind_of(w[-2]) in _NAMED_KINDS:
        return kind_of(w[-2])  # 'country_name' is a country, 'team_name' a team
    if last == "name" or last == "fullname":
        return "name" if (s & _PERSON or len(w) == 1 or "full" in s) else "label"
    return None


_NAMED_KINDS = {"country", "city", "state", "company", "team", "league", "cuisine", "language", "genre"}
_NAMED_KINDS |= {"sport", "currency", "color", "work"}


def _technical_kind(s: set[str], last: str) -> str | None:
    """Fields of public APIs with a technical shape: a host, a version, a time zone, a file path ..."""
    if last in ("host", "hostname", "domain") and not s & {"id", "count"}:
        return "hostname"
    if last == "version":
        return "version"
    if last in ("lat", "latitude"):
        return "latitude"
    if last in ("lon", "lng", "long", "longitude"):
        return "longitude"
    if last in ("timezone", "tz") or {"time", "zone"} <= s:
        return "timezone"
    if last in ("path", "folder", "directory", "filepath", "filename", "file"):
        return "path"
    if last == "month":
        return "month"
    if last == "locale":
        return "locale"
    if {"country", "code"} <= s:
        return "country_code"
    if last in ("nickname", "screen"):
        return "username"
    if last in ("unit", "units", "system") and "id" not in s:
        return "units"
    return None


def _listed_kind(s: set[str]) -> str | None:
    """Fields that take one of a few everyday words: a cuisine, a league, a stock symbol ..."""
    if {"cuisine", "food"} & s:
        return "cuisine"
    if {"diet", "dietary"} & s:
        return "diet"
    if {"language", "lang"} & s and "code" not in s:
        return "language"
    if "genre" in s:
        return "genre"
    if {"ticker", "stock", "symbol"} & s and not s & {"id", "name", "quantity", "price"}:
        return "ticker"
    if {"league", "competition", "tournament"} & s:
        return "league"
    if "team" in s and not s & {"id", "size"}:
        return "team"
    if "sport" in s:
        return "sport"
    return None


def semantic_text(name: str, rng: random.Random) -> str | None:
    """A realistic string for a field called ``name``, or None when the name says nothing."""
    kind = kind_of(name)
    if kind is None:
        return None
    return _by_kind(kind, name, rng)


def _by_kind(kind: str, name: str, rng: random.Random) -> str:
    fake = faker_for(rng)
    if kind == "email":
        return f"{fake.first_name().lower()}.{fake.last_name().lower()}{rng.randint(1, 99)}@example.com"
    if kind == "phone":
        return f"+1-{rng.randint(201, 989)}-{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"
    if kind == "date":
        return draw_date(name, rng).isoformat()
    if kind == "birth_date":
        return (dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 55 * 365))).isoformat()
    if kind == "date-time":
        return draw_datetime(name, rng).isoformat(timespec="seconds")
    if kind == "time":
        return business_time(rng)
    if kind == "text":
        return fake.sentence(nb_words=rng.randint(6, 12))
    if kind == "title":
        return fake.sentence(nb_words=rng.randint(3, 5)).rstrip(".")
    if kind == "label":
        return fake.catch_phrase()
    if kind == "work":
        return " ".join(fake.words(nb=rng.randint(2, 3))).title()
    if kind == "version":
        return f"{rng.randint(1, 5)}.{rng.randint(0, 12)}.{rng.randint(0, 9)}"
    if kind in ("latitude", "longitude"):  # a coordinate a text field holds ('48.8566')
        return f"{rng.uniform(-60, 70) if kind == 'latitude' else rng.uniform(-150, 150):.4f}"
    if kind == "units":
        return rng.choice(("metric", "imperial"))
    if kind in _WORDS:
        return rng.choice(_WORDS[kind])
    generators = {
        "first_name": fake.first_name,
        "last_name": fake.last_name,
        "name": fake.name,
        "username": fake.user_name,
        "password": lambda: fake.password(length=12),
        "zip": fake.postcode,
        "city": fake.city,
        "country": fake.country,
        "state": fake.state_abbr,
        "address": fake.street_address,
        "url": fake.url,
        "company": fake.company,
        "currency": fake.currency_code,
        "color": fake.color_name,
        "ipv4": fake.ipv4,
        "uuid": lambda: str(fake.uuid4()),
        "hostname": fake.domain_name,
        "timezone": fake.timezone,
        "path": lambda: fake.file_path(depth=2),
        "month": fake.month_name,
        "locale": fake.locale,
        "country_code": fake.country_code,
    }
    return str(generators[kind]())


def business_time(rng: random.Random, *, seconds: bool = False) -> str:
    """HH:MM on the half hour, between 08:00 and 17:30."""
    minutes = OPEN_HOUR * 60 + 30 * rng.randrange((CLOSE_HOUR - OPEN_HOUR) * 2)
    out = f"{minutes // 60:02d}:{minutes % 60:02d}"
    return out + ":00" if seconds else out


def draw_date(name: str, rng: random.Random) -> dt.date:
    """Bookings and starts lie ahead of the clock (1–90 days); other dates within a year around it."""
    base = CLOCK.date()
    if set(words(name)) & _FUTURE:
        return base + dt.timedelta(days=rng.randint(1, 90))
    return base + dt.timedelta(days=rng.randint(-365, 365))


def draw_datetime(name: str, rng: random.Random) -> dt.datetime:
    day = draw_date(name, rng)
    hh, mm = business_time(rng).split(":")
    return dt.datetime(day.year, day.month, day.day, int(hh), int(mm))


# -- numbers ---------------------------------------------------------------------------------
# Numbers that count things: whole even where the schema says "number" (page 3, not page 46.37).
_COUNTS = {"page", "pages", "limit", "offset", "count", "size", "num", "top", "max", "quantity", "qty"}
_COUNTS |= {"guests", "nights", "seats", "adults", "children", "people", "passengers", "players", "beds"}
_COUNTS |= {"baths", "bedrooms", "bathrooms", "rooms", "days", "weeks", "months", "years", "year"}
_COUNTS |= {"century", "season", "episode", "floor", "level", "round", "results", "items", "persons"}
_COUNTS |= {"tickets", "copies", "units", "stops", "attempts", "samples", "members", "number"}


def _number_range(name: str) -> tuple[float, float]:
    w = set(_field_words(name))
    if w & {"page", "pages"}:
        return 1, 5
    if w & {"limit", "size", "results", "max", "top", "per"} and not w & {"price", "amount", "cost"}:
        return 5, 50
    if "offset" in w:
        return 0, 50
    if "century" in w:
        return 15, 21
    if w & {"players", "beds", "baths", "bedrooms", "bathrooms", "rooms", "tickets", "stops"}:
        return 1, 6
    if w & {"price", "amount", "cost", "total", "balance", "fee", "salary", "payment", "budget", "fare"}:
        return 5, 500
    if w & {"quantity", "qty", "guests", "nights", "seats", "adults", "children", "people", "passengers"}:
        return 1, 5
    if w & {"rating", "stars", "score"}:
        return 1, 5
    if w & _MONEY:
        return 100, 10000
    if w & {"rate", "interest", "apr", "yield", "inflation"}:
        return 1, 12
    if w & {"years", "months", "weeks", "duration", "period", "term", "periods"}:
        return 1, 30
    if "year" in w:
        return 2015, 2026
    if "age" in w:
        return 18, 85
    if w & {"lat", "latitude"}:
        return -60, 70
    if w & {"lon", "lng", "longitude"}:
        return -150, 150
    if w & {"percent", "percentage", "discount"}:
        return 5, 50
    return 1, 100


def number_for(name: str, schema: dict[str, Any], rng: random.Random, integer: bool) -> int | float:
    lo, hi = number_bounds(schema, "BIGINT" if integer else "DOUBLE")
    d_lo, d_hi = _number_range(name)
    # Inside the declared bounds, near the field's usual range.
    if lo is None and hi is None:
        lo, hi = d_lo, d_hi
    elif lo is None:
        lo = min(d_lo, hi) if hi >= d_lo else hi - (d_hi - d_lo)
    elif hi is None:
        hi = max(d_hi, lo) if lo <= d_hi else lo + (d_hi - d_lo)
    else:
        a, b = max(lo, d_lo), min(hi, d_hi)
        if a <= b:
            lo, hi = a, b
    step = schema.get("multipleOf")
    if isinstance(step, int | float) and not isinstance(step, bool) and step > 0:
        return _multiple(step, lo, hi, rng, integer, schema)
    if integer or _counts(name) and math.ceil(lo) <= math.floor(hi):
        lo_i, hi_i = math.ceil(lo), math.floor(hi)
        whole = rng.randint(lo_i, max(lo_i, hi_i))
        return whole if integer else float(whole)
    value = rng.uniform(lo, hi)
    return round(value, 2) if lo <= round(value, 2) <= hi else value


def _counts(name: str) -> bool:
    return bool(set(_field_words(name)) & _COUNTS)


def _multiple(step: float, lo: float, hi: float, rng: random.Random, integer: bool, schema) -> int | float:
    k_lo, k_hi = math.ceil(lo / step), math.floor(hi / step)
    if k_lo > k_hi:  # no multiple in the near range: widen to the declared bounds
        b_lo, b_hi = number_bounds(schema, "BIGINT" if integer else "DOUBLE")
        k_lo = math.ceil(b_lo / step) if b_lo is not None else k_hi
        k_hi = math.floor(b_hi / step) if b_hi is not None else k_lo + 10
    for _ in range(20):
        k = rng.randint(k_lo, max(k_lo, k_hi))
        value = k * step
        if integer or float(step).is_integer():
            value = int(round(value))
            if not integer:
                value = float(value)
        else:
            value = round(value, 10)
        if (value / step) == int(value / step):
            return value
    return int(k_lo * step) if integer else float(k_lo * step)


# -- strings -----------------------------------------------------------------------------------
_FORMATS = {"date", "date-time", "time", "email", "idn-email", "uri", "url", "iri", "uri-reference"}
_FORMATS |= {"iri-reference", "hostname", "idn-hostname", "ipv4", "ipv6", "uuid", "phone", "duration"}


def format_value(fmt: str, name: str, rng: random.Random) -> str | None:
    fake = None
    if fmt == "date":
        return draw_date(name, rng).isoformat()
    if fmt == "date-time":
        return draw_datetime(name, rng).isoformat(timespec="seconds") + "Z"
    if fmt == "time":
        return business_time(rng, seconds=True)
    if fmt in ("email", "idn-email"):
        return _by_kind("email", name, rng)
    if fmt in ("uri", "url", "iri", "uri-reference", "iri-reference"):
        return _by_kind("url", name, rng)
    if fmt in ("hostname", "idn-hostname"):
        fake = faker_for(rng)
        return fake.domain_name()
    if fmt == "ipv4":
        return _by_kind("ipv4", name, rng)
    if fmt == "ipv6":
        return faker_for(rng).ipv6()
    if fmt == "uuid":
        return _by_kind("uuid", name, rng)
    if fmt in ("phone", "tel", "phone-number"):
        return _by_kind("phone", name, rng)
    if fmt == "duration":
        return f"P{rng.randint(1, 14)}D"
    return None


def string_for(name: str, schema: dict[str, Any], rng: random.Random) -> str:
    lo = int(schema.get("minLength", 0) or 0)
    hi = schema.get("maxLength")
    hi = int(hi) if isinstance(hi, int | float) and not isinstance(hi, bool) else None
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        made = pattern_string(pattern, rng, lo, hi)
        if made is not None:
            return made
    fmt = schema.get("format")
    text = format_value(fmt, name, rng) if isinstance(fmt, str) else None
    if text is None:
        text = semantic_text(name, rng)
    if text is None:
        text = described_example(schema.get("description"), rng)
    if text is None:
        fake = faker_for(rng)
        text = fake.word() if rng.random() < 0.6 else f"{fake.word()} {fake.word()}"
    return fit_length(text, lo, hi, rng)


_EXAMPLE = re.compile(r"(?:\be\.?g\.?|\bfor example|\bsuch as|\bexamples?:|\bex:)[,:]?\s*(.+)", re.I)
_QUOTED = re.compile(r"'([^']{1,40})'|\"([^\"]{1,40})\"")
_END = re.compile(r"\)|\.(?:\s|$)|;|\bDefault\b", re.I)


def described_example(description: Any, rng: random.Random) -> str | None:
    """One of the examples a field's description gives ("The gaming platform (e.g. 'PC', 'Xbox')"), or None.

    Public tool sets say what a free-text field holds this way; a value from it reads like a real request
    where a random word would not."""
    found = _EXAMPLE.search(description) if isinstance(description, str) else None
    if found is None:
        return None
    segment = _END.split(found.group(1), maxsplit=1)[0]
    quoted = [a or b for a, b in _QUOTED.findall(segment)]
    items = quoted or re.split(r",|\bor\b|\band\b", segment)
    balanced = [i for i in items if i.count("'") % 2 == 0 and i.count('"') % 2 == 0]  # not cut off
    items = [i.strip(" *`'\"") for i in balanced]
    items = [i for i in items if 0 < len(i) <= 40 and "etc" not in i.lower() and not re.search(r"['\"]", i)]
    return rng.choice(items) if items else None


def fit_length(text: str, lo: int, hi: int | None, rng: random.Random) -> str:
    if hi is not None and len(text) > hi:
        text = text[:hi].rstrip() if hi > 0 else ""
        text = text if len(text) >= lo else text.ljust(lo, "x")
    while len(text) < lo:
        text += ("" if not text else " ") + faker_for(rng).word()
    if hi is not None and len(text) > hi:
        text = text[:hi]
    return text


# -- pattern → string ------------------------------------------------------------------------
try:  # Python 3.11+
    import re._parser as _sre  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    import sre_parse as _sre  # type: ignore[no-redef]

_C = _sre  # constants live on the parser module in every supported version
_PRINTABLE = string.ascii_letters + string.digits + " -_.,:;/@#+*!?()[]{}=&%$'\"<>|^~`\\"


def pattern_string(pattern: str, rng: random.Random, lo: int = 0, hi: int | None = None) -> str | None:
    """A string ``re.search(pattern, s)`` accepts (JSON Schema's rule), length in [lo, hi]; None if none."""
    try:
        compiled = re.compile(pattern)
        tree = _sre.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return None
    best = None
    for attempt in range(40):
        # Repeats stretch on later attempts, so a minLength above the pattern's usual size is reached.
        stretch = 3 if attempt < 10 else max(lo, 8)
        try:
            s = _emit(tree, rng, {}, stretch)
        except (RecursionError, ValueError, IndexError):
            continue
        if not compiled.search(s):
            continue
        if lo <= len(s) and (hi is None or len(s) <= hi):
            return s
        best = best or s
    # Anchored patterns cannot be padded; unanchored ones can take extra text around a match.
    if best is not None and not pattern.startswith("^") and len(best) < lo:
        padded = best + "x" * (lo - len(best))
        if compiled.search(padded) and (hi is None or len(padded) <= hi):
            return padded
    return None


def _emit(tree, rng: random.Random, groups: dict[int, str], stretch: int = 3) -> str:
    out = []
    for op, av in tree:
        out.append(_emit_one(op, av, rng, groups, stretch))
    return "".join(out)


def _emit_one(op, av, rng: random.Random, groups: dict[int, str], stretch: int) -> str:
    if op is _C.LITERAL:
        return chr(av)
    if op is _C.NOT_LITERAL:
        return rng.choice([c for c in string.ascii_letters + string.digits if ord(c) != av])
    if op is _C.ANY:
        return rng.choice(string.ascii_letters + string.digits)
    if op is _C.IN:
        return _pick_in(av, rng)
    if op is _C.BRANCH:
        return _emit(rng.choice(av[1]), rng, groups, stretch)
    if op is _C.SUBPATTERN:
        group, sub = av[0], av[-1]
        text = _emit(sub, rng, groups, stretch)
        if group is not None:
            groups[group] = text
        return text
    if op in (_C.MAX_REPEAT, _C.MIN_REPEAT, getattr(_C, "POSSESSIVE_REPEAT", None)):
        low, high, sub = av
        high = low + stretch if high is _C.MAXREPEAT else min(high, low + stretch)
        return "".join(_emit(sub, rng, groups, stretch) for _ in range(rng.randint(low, max(low, high))))
    if op is _C.GROUPREF:
        return groups.get(av, "")
    if op is _C.CATEGORY:
        return _pick_in([(op, av)], rng)
    if op is getattr(_C, "ATOMIC_GROUP", None):
        return _emit(av, rng, groups, stretch)
    return ""  # anchors (AT), lookarounds (ASSERT*): checked by the final search


def _member(ch: str, items) -> bool:
    for op, av in items:
        if op is _C.LITERAL and ord(ch) == av:
            return True
        if op is _C.RANGE and av[0] <= ord(ch) <= av[1]:
            return True
        if op is _C.CATEGORY and _category(ch, av):
            return True
    return False


def _category(ch: str, cat) -> bool:
    name = str(cat)
    digit, space = ch.isdigit(), ch.isspace()
    word = ch.isalnum() or ch == "_"
    if "NOT_DIGIT" in name:
        return not digit
    if "DIGIT" in name:
        return digit
    if "NOT_SPACE" in name:
        return not space
    if "SPACE" in name:
        return space
    if "NOT_WORD" in name:
        return not word
    if "WORD" in name:
        return word
    return False


def _pick_in(items, rng: random.Random) -> str:
    items = list(items)
    negate = bool(items) and items[0][0] is _C.NEGATE
    if negate:
        items = items[1:]
    pool = [c for c in _PRINTABLE if _member(c, items) != negate]
    if not pool:
        ranges = [av for op, av in items if op is _C.RANGE]
        if ranges and not negate:
            a, b = rng.choice(ranges)
            return chr(rng.randint(a, b))
        lits = [av for op, av in items if op is _C.LITERAL]
        return chr(rng.choice(lits)) if lits and not negate else "x"
    # Prefer letters and digits: '[^,]' should give 'k', not '~'.
    nice = [c for c in pool if c.isalnum()]
    return rng.choice(nice if nice and rng.random() < 0.9 else pool)


# -- schemas ---------------------------------------------------------------------------------
def schema_type(schema: dict[str, Any]) -> str:
    t = schema.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "null")
    if isinstance(t, str):
        return t
    if "properties" in schema or "required" in schema:
        return "object"
    if "items" in schema or "minItems" in schema or "prefixItems" in schema:
        return "array"
    if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")):
        return "number"
    return "string"


def value_for(name: str, schema: Any, rng: random.Random, depth: int = 0) -> Any:
    """A value for field ``name`` valid under ``schema``, realistic where the schema leaves room."""
    if not isinstance(schema, dict):
        return semantic_text(name, rng) or faker_for(rng).word()
    schema = _flatten(schema)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return rng.choice(list(schema["enum"]))
    t = schema_type(schema)
    if t == "integer":
        return int(number_for(name, schema, rng, integer=True))
    if t == "number":
        return number_for(name, schema, rng, integer=False)
    if t == "boolean":
        return rng.random() < 0.5
    if t == "null":
        return None
    if t == "array":
        return _array(name, schema, rng, depth)
    if t == "object":
        return _object(schema, rng, depth)
    return string_for(name, schema, rng)


def _flatten(schema: dict[str, Any]) -> dict[str, Any]:
    """allOf merged in; anyOf/oneOf resolved to their first non-null branch."""
    out = dict(schema)
    for key in ("anyOf", "oneOf"):
        options = out.pop(key, None)
        if isinstance(options, list) and options:
            pick = next((o for o in options if isinstance(o, dict) and o.get("type") != "null"), options[0])
            if isinstance(pick, dict):
                out = {**out, **_flatten(pick)}
    parts = out.pop("allOf", None)
    if isinstance(parts, list):
        for part in parts:
            if not isinstance(part, dict):
                continue
            part = _flatten(part)
            props = {**(out.get("properties") or {}), **(part.get("properties") or {})}
            required = list(dict.fromkeys([*(out.get("required") or []), *(part.get("required") or [])]))
            out = {**out, **part, "properties": props, "required": required}
            if not props:
                out.pop("properties")
    return out


def _array(name: str, schema: dict[str, Any], rng: random.Random, depth: int) -> list[Any]:
    lo = int(schema.get("minItems", 0) or 0)
    hi = schema.get("maxItems")
    hi = int(hi) if isinstance(hi, int | float) and not isinstance(hi, bool) else None
    if depth >= MAX_DEPTH:
        n = lo
    else:
        top = max(lo, 1) + 1 if hi is None else min(hi, max(lo, 1) + 1)
        n = rng.randint(min(max(lo, 1), top), top) if top >= lo else lo
        n = min(n, hi) if hi is not None else n
    prefix = schema.get("prefixItems") if isinstance(schema.get("prefixItems"), list) else []
    items = schema.get("items")
    singular = name[:-1] if name.endswith("s") else name
    out: list[Any] = []
    unique = bool(schema.get("uniqueItems"))
    tries = 0
    while len(out) < n and tries < 20 * (n + 1):
        tries += 1
        i = len(out)
        spec = prefix[i] if i < len(prefix) else (items if isinstance(items, dict) else {})
        value = value_for(singular, spec, rng, depth + 1)
        if unique and value in out:
            continue
        out.append(value)
    return out


def _object(schema: dict[str, Any], rng: random.Random, depth: int) -> dict[str, Any]:
    props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    required = [r for r in schema.get("required") or [] if isinstance(r, str)]
    chosen = list(dict.fromkeys(required))
    min_props = int(schema.get("minProperties", 0) or 0)
    optional = [k for k in props if k not in chosen]
    if depth < MAX_DEPTH:
        chosen += [k for k in optional if rng.random() < 0.3]
    for k in optional:
        if len(chosen) >= min_props:
            break
        if k not in chosen:
            chosen.append(k)
    out = {k: value_for(k, props.get(k, {}), rng, depth + 1) for k in chosen}
    i = 0
    while len(out) < min_props and schema.get("additionalProperties", True) is not False:
        out[f"extra_{i}"] = faker_for(rng).word()
        i += 1
    order_ranges(out, rng, props)
    return out


# -- ordered ranges --------------------------------------------------------------------------
def order_ranges(values: dict[str, Any], rng: random.Random, schemas: dict[str, Any] | None = None) -> None:
    """Put start/end pairs in order in place: end 1–14 days after a start date (30–120 minutes for times).

    Only pairs whose end is free to move (no enum/const/pattern on it) are changed.
    """
    for start, end in range_pairs(values):
        spec = (schemas or {}).get(end) or {}
        if isinstance(spec, dict) and any(k in spec for k in ("enum", "const", "pattern")):
            continue
        later = shifted(values[start], values[end], rng)
        if later is not None:
            values[end] = later


def shifted(start: Any, end: Any, rng: random.Random) -> Any:
    """``end`` moved after ``start`` in ``end``'s own shape (date, date-time or HH:MM time); None if not both times."""
    s, e = parse_when(start), parse_when(end)
    if s is None or e is None or s[0] != e[0]:
        return None
    kind, when = s
    if e[1] > when and (kind == "time" or (e[1] - when) <= dt.timedelta(days=14)):
        return None  # already in order (and near)
    if kind == "time":
        minutes = min(when.hour * 60 + when.minute + 30 * rng.randint(1, 4), 23 * 60 + 59)
        text = f"{minutes // 60:02d}:{minutes % 60:02d}"
        return text + end[5:] if isinstance(end, str) and len(end) > 5 else text
    later = when + dt.timedelta(days=rng.randint(1, 14))
    if kind == "date":
        return later.date().isoformat() if isinstance(later, dt.datetime) else later.isoformat()
    tail = "Z" if str(end).endswith("Z") else ""
    sep = " " if " " in str(end) else "T"
    return later.isoformat(sep=sep, timespec="seconds") + tail


def parse_when(value: Any) -> tuple[str, Any] | None:
    if not isinstance(value, str):
        return None
    text = value.strip().removesuffix("Z")
    for kind, fmt in (("date", "%Y-%m-%d"), ("time", "%H:%M"), ("time", "%H:%M:%S")):
        try:
            parsed = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return kind, (parsed.date() if kind == "date" else parsed)
    try:
        return "date-time", dt.datetime.fromisoformat(text)
    except ValueError:
        return None
