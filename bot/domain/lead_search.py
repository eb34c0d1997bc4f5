"""How /find matches a lead: phone digits in any format, names case- and ё-insensitive."""

from __future__ import annotations

import re

# Fewer digits than this is not a phone search (and would match half the base).
MIN_PHONE_DIGITS = 5
_PHONE_QUERY_RE = re.compile(r"[\d\s()+\-.]+")


def normalize_name(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").split())


def phone_digits(query: str) -> str | None:
    """The digits to look for when the query is a phone; None when it is a name.

    The last ten digits carry the number itself: "8 916…" and "+7 916…" are the same phone.
    """
    if not _PHONE_QUERY_RE.fullmatch(query.strip()):
        return None
    digits = re.sub(r"\D", "", query)
    if len(digits) < MIN_PHONE_DIGITS:
        return None
    return digits[-10:]


def matches(query: str, name: str | None, phone: str | None) -> bool:
    digits = phone_digits(query)
    if digits is not None:
        return phone is not None and digits in re.sub(r"\D", "", phone)
    wanted = normalize_name(query)
    return bool(wanted) and name is not None and wanted in normalize_name(name)
