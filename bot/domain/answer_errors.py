"""Why a typed or tapped answer was refused: a code the catalogs have a text for.

Kept apart from `answers` so that the parsers of typed answers (numbers, dates, e-mail)
can raise them without importing the validators that use those parsers.
"""

from __future__ import annotations

from enum import StrEnum


class AnswerErrorCode(StrEnum):
    """The bot has a locale message for each of these (problem.<code>)."""

    CHOOSE_OPTION = "choose_option"
    NOT_A_NUMBER = "not_a_number"
    TOO_SMALL = "too_small"
    TOO_LARGE = "too_large"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    INVALID_PHONE = "invalid_phone"
    SELECT_AT_LEAST = "select_at_least"
    NOT_A_DATE = "not_a_date"
    DATE_TOO_EARLY = "date_too_early"  # param `date`: the earliest date allowed
    DATE_TOO_LATE = "date_too_late"  # param `date`: the latest date allowed
    INVALID_EMAIL = "invalid_email"
    SELECT_AT_MOST = "select_at_most"  # param `max_selected`
    SEND_MEDIA = "send_media"  # text typed where a photo or a document is the answer
    AMBIGUOUS = "ambiguous"  # the candidate buttons follow the text


class AnswerError(Exception):
    """An answer we cannot accept; `code` and `params` feed the locale message."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code if not params else f"{code} {params}")
        self.code = code
        self.params: dict[str, object] = dict(params)
