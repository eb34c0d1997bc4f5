"""Rules of the relay between a prospect's chat and the lead's topic, without Telegram."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.leads import LeadStatus

# How much of a message the card shows as "the last client message".
PREVIEW_LIMIT = 120
NOTE_COMMAND = "note"
# "Passed on to our team" once per burst of messages, not under each of them.
ACK_QUIET = timedelta(minutes=30)


class Kind(StrEnum):
    """What a relayed message is; events carry this, never the text."""

    TEXT = "text"
    PHOTO = "photo"
    VIDEO = "video"
    DOCUMENT = "document"
    VOICE = "voice"
    AUDIO = "audio"
    STICKER = "sticker"
    ANIMATION = "animation"
    VIDEO_NOTE = "video_note"
    CONTACT = "contact"
    LOCATION = "location"
    OTHER = "other"


# Content that has a caption which can be edited (editMessageCaption).
CAPTIONED = frozenset(
    {Kind.PHOTO, Kind.VIDEO, Kind.DOCUMENT, Kind.VOICE, Kind.AUDIO, Kind.ANIMATION}
)
_CHECKLIST = frozenset({LeadStatus.NEW, LeadStatus.QUALIFYING})


def in_checklist(status: LeadStatus) -> bool:
    return status in _CHECKLIST


def relay_applies(status: LeadStatus, relay_open: bool, kind: Kind) -> bool:
    """Whether a prospect's message goes to the relay rather than the checklist.

    After the checklist it always does; during it only once they asked for a person, and
    even then a shared contact still answers the phone question.
    """
    if status not in _CHECKLIST:
        return True
    return relay_open and kind is not Kind.CONTACT


def asks_knowledge(relay_open: bool, kind: Kind) -> bool:
    """Free text goes to the knowledge base first, until they asked for a person."""
    return not relay_open and kind is Kind.TEXT


def preview(kind: Kind, text: str | None, label: str) -> str:
    """The card's "last client message": the text, or the media label and its caption."""
    body = " ".join((text or "").split())
    if kind is not Kind.TEXT:
        body = f"{label}: {body}" if body else label
    if len(body) > PREVIEW_LIMIT:
        body = body[: PREVIEW_LIMIT - 1].rstrip() + "…"
    return body


def command_of(text: str | None) -> tuple[str, str] | None:
    """("note", "the rest") for "/note the rest" (also "/note@bot …"); None if no command."""
    if not text or not text.startswith("/"):
        return None
    head, *rest = text.split(None, 1)
    name = head[1:].split("@", 1)[0].lower()
    return name, rest[0].strip() if rest else ""


def acknowledges(
    last_message_at: datetime | None, now: datetime, *, after_bot: bool, album_item: bool
) -> bool:
    """Whether to tell the prospect a person will read their message: once per burst (an
    album's items after the first have no caption), and after the bot itself answered the
    message before (they may think the bot is all there is)."""
    if album_item:
        return False
    return after_bot or last_message_at is None or now - last_message_at >= ACK_QUIET
