"""Checking an e-mail address a prospect typed, without sending anything to it.

The check is the shape people get wrong when typing (a space, two "@", a comma for a dot,
no domain), not the full RFC 5322 grammar: quoted local parts and IP domains are refused.
The domain is lowercased; the local part is kept as typed (some mail servers honour case).
"""

from __future__ import annotations

import re

from bot.domain.answer_errors import AnswerError, AnswerErrorCode

MAX_EMAIL_LENGTH = 254
_MAX_LOCAL_LENGTH = 64
_MAX_LABEL_LENGTH = 63
# Characters of an unquoted local part (RFC 5322 atext, plus letters of any script).
_LOCAL_RE = re.compile(r"[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*")
# A label of letters (any script: "почта.рф"), digits and inner hyphens.
_LABEL_RE = re.compile(r"[^\W_](?:(?:[^\W_]|-)*[^\W_])?")


def normalize_email(text: str) -> str:
    """The address with its domain lowercased, or AnswerError(INVALID_EMAIL)."""
    value = text.strip()
    if len(value) > MAX_EMAIL_LENGTH + 10:
        raise AnswerError(AnswerErrorCode.INVALID_EMAIL)
    if value[:7].lower() == "mailto:":
        value = value[7:]
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    # A full stop after the address ("ivan@mail.ru.") is the sentence's, not the domain's.
    value = value.removesuffix(".")
    if not value or len(value) > MAX_EMAIL_LENGTH or value.count("@") != 1:
        raise AnswerError(AnswerErrorCode.INVALID_EMAIL)
    local, domain = value.split("@")
    if len(local) > _MAX_LOCAL_LENGTH or _LOCAL_RE.fullmatch(local) is None:
        raise AnswerError(AnswerErrorCode.INVALID_EMAIL)
    domain = domain.lower()
    labels = domain.split(".")
    if len(labels) < 2 or not all(
        len(label) <= _MAX_LABEL_LENGTH and _LABEL_RE.fullmatch(label) for label in labels
    ):
        raise AnswerError(AnswerErrorCode.INVALID_EMAIL)
    top = labels[-1]
    if len(top) < 2 or top.isdigit():
        raise AnswerError(AnswerErrorCode.INVALID_EMAIL)
    return f"{local}@{domain}"
