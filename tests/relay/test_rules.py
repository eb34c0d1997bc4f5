"""The relay's rules, without Telegram or a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.leads import LeadStatus
from bot.domain.relay import (
    ACK_QUIET,
    PREVIEW_LIMIT,
    Kind,
    acknowledges,
    asks_knowledge,
    command_of,
    preview,
    relay_applies,
)


@pytest.mark.parametrize(
    ("status", "relay_open", "kind", "expected"),
    [
        (LeadStatus.QUALIFYING, False, Kind.TEXT, False),  # the checklist as today
        (LeadStatus.QUALIFYING, False, Kind.PHOTO, False),
        (LeadStatus.QUALIFYING, True, Kind.TEXT, True),  # they asked for a person
        (LeadStatus.QUALIFYING, True, Kind.CONTACT, False),  # still answers the phone question
        (LeadStatus.NEW, True, Kind.VOICE, True),
        (LeadStatus.TARGET, False, Kind.TEXT, True),  # after the checklist
        (LeadStatus.REJECTED, False, Kind.STICKER, True),
        (LeadStatus.BOOKED, False, Kind.CONTACT, True),
    ],
)
def test_what_goes_to_the_relay(
    status: LeadStatus, relay_open: bool, kind: Kind, expected: bool
) -> None:
    assert relay_applies(status, relay_open, kind) is expected


def test_only_free_text_asks_the_knowledge_base_and_only_until_a_person_is_asked() -> None:
    assert asks_knowledge(False, Kind.TEXT)
    assert not asks_knowledge(True, Kind.TEXT)
    assert not asks_knowledge(False, Kind.PHOTO)


def test_previews() -> None:
    assert preview(Kind.TEXT, "  two\nlines  ", "💬") == "two lines"
    assert preview(Kind.PHOTO, None, "📷 photo") == "📷 photo"
    assert preview(Kind.PHOTO, "the kitchen", "📷 photo") == "📷 photo: the kitchen"
    long = preview(Kind.TEXT, "word " * 100, "💬")
    assert len(long) == PREVIEW_LIMIT and long.endswith("…")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/note call after 6", ("note", "call after 6")),
        ("/note@leadsieve_bot  two\nlines", ("note", "two\nlines")),
        ("/NOTE", ("note", "")),
        ("/stats", ("stats", "")),
        ("a /note in the middle", None),
        ("", None),
        (None, None),
    ],
)
def test_commands(text: str | None, expected: tuple[str, str] | None) -> None:
    assert command_of(text) == expected


def test_the_prospect_is_told_once_per_burst() -> None:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert acknowledges(None, now, after_bot=False, album_item=False)  # the first message
    just_now = now - timedelta(minutes=1)
    assert not acknowledges(just_now, now, after_bot=False, album_item=False)
    assert acknowledges(now - ACK_QUIET, now, after_bot=False, album_item=False)
    assert acknowledges(just_now, now, after_bot=True, album_item=False)
    assert not acknowledges(None, now, after_bot=False, album_item=True)
