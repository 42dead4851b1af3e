"""What a customer knows: which argument values a user can state, and which the agent must look up.

A support customer knows facts about themselves (name, email, phone, zip,
address), the numbers printed on what they were given (an order, booking,
ticket or appointment confirmation; a membership or account number) and
plain descriptions (a city, a date, a book's title). Every other id (a
product, a doctor, a fine, a hold) exists only inside the system: a task may
not state it; the agent has to find it with a read tool.
"""

from __future__ import annotations

import re
from typing import Literal

from envscale.environments.schema.naming import singular

FactKind = Literal["personal", "receipt", "account", "internal", "detail"]

# Facts about the person themself.
PERSONAL_FIELDS = frozenset(
    {
        "name",
        "first_name",
        "last_name",
        "full_name",
        "email",
        "email_address",
        "phone",
        "phone_number",
        "zip",
        "zip_code",
        "postal_code",
        "postcode",
        "address",
        "city",
        "date_of_birth",
        "dob",
        "birth_date",
        "username",
    }
)

# Entities whose number the customer was handed (a confirmation, a receipt, a ticket).
RECEIPT_ENTITIES = frozenset(
    {
        "order",
        "booking",
        "reservation",
        "ticket",
        "appointment",
        "loan",
        "subscription",
        "policy",
        "claim",
        "invoice",
        "case",
        "shipment",
        "tracking",
        "trip",
        "flight",
        "return",
        "refund",
        "payment",
    }
)

# Entities that are the customer (or their own account): a customer / member / account number.
ACCOUNT_ENTITIES = frozenset(
    {
        "customer",
        "member",
        "patient",
        "traveler",
        "traveller",
        "user",
        "account",
        "client",
        "guest",
        "passenger",
    }
)


def entity(name: str) -> str:
    """The entity a name is about: 'order_id' → 'order', 'appointments' → 'appointment'."""
    base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    for suffix in ("_id", "_number", "_no", "_code", "id"):
        if base.endswith(suffix) and len(base) > len(suffix):
            base = base[: -len(suffix)].rstrip("_")
            break
    return _singular(base.rsplit("_", 1)[-1])  # 'from_account' → 'account'


def noun(table: str) -> str:
    """A table's rows in words: 'visit_notes' → 'visit note', 'categories' → 'category'."""
    return _singular(re.sub(r"[^a-z0-9]+", " ", table.lower()).strip())


def _singular(word: str) -> str:
    """The singular of a table's or name's last word, as schema inference forms it."""
    return singular(word)


def is_identifier(name: str) -> bool:
    low = name.lower()
    return low == "id" or low.endswith(("_id", "id", "_number", "_no"))


def fact_kind(param: str, table: str | None = None) -> FactKind:
    """How a user relates to the value of ``param`` (an argument or a column name).

    ``table`` is the table an id refers to when known (a binding's table), which
    wins over the name: ``from_account_id`` → ``accounts`` → an account number.
    """
    # 'parcelTrackingId' → 'parcel_tracking_id' (public APIs spell names in camelCase).
    low = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", param).lower()
    if low in PERSONAL_FIELDS:
        return "personal"
    if not is_identifier(low):
        return "detail"
    about = entity(table) if table else entity(low)
    if low == "id" and table is None:
        return "internal"
    if about in ACCOUNT_ENTITIES:
        return "account"
    if about in RECEIPT_ENTITIES:
        return "receipt"
    return "internal"


def user_may_state(param: str, table: str | None = None) -> bool:
    """Whether a task may carry this value in the user's own words."""
    return fact_kind(param, table) != "internal"


_CREATE = (
    "create",
    "add",
    "book",
    "place",
    "open",
    "reserve",
    "schedule",
    "submit",
    "register",
    "new",
    "make",
)


def action_of(tool: str, kind: str, declared: str = "other") -> str:
    """What a tool does to its table: declared by its program, else read from its verb."""
    if declared != "other":
        return declared
    if kind == "read":
        return "read"
    verb = tool.lower().split("_")[0]
    if verb in _CREATE:
        return "create"
    if verb in ("delete", "remove"):
        return "delete"
    return "update"
