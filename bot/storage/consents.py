"""The consent ledger: one row per consent document accepted; callers own the transaction."""

from __future__ import annotations

from datetime import datetime

from bot.domain.consent import Consent, Purpose, text_hash
from bot.domain.events import EventType
from bot.storage import events as event_log
from bot.storage.codec import dump_time, load_time
from bot.storage.db import Connection, Row

_COLUMNS = (
    "id, telegram_user_id, lead_id, purpose, version, text_sha256, language, message_id,"
    " given_at, withdrawn_at, withdrawn_by"
)
_INSERT = """
INSERT INTO consents (telegram_user_id, lead_id, purpose, version, text_sha256, language,
    message_id, given_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (telegram_user_id, purpose) WHERE withdrawn_at IS NULL DO NOTHING
"""
_SELECT = f"SELECT {_COLUMNS} FROM consents"  # noqa: S608
_LIVE = _SELECT + " WHERE telegram_user_id = ? AND purpose = ? AND withdrawn_at IS NULL"
_FOR_PERSON = _SELECT + " WHERE telegram_user_id = ? ORDER BY given_at, id"
_BY_ID = _SELECT + " WHERE id = ?"
_WITHDRAW = """
UPDATE consents SET withdrawn_at = ?, withdrawn_by = ?
WHERE telegram_user_id = ? AND purpose = ? AND withdrawn_at IS NULL
"""
_LINK = "UPDATE consents SET lead_id = ? WHERE telegram_user_id = ? AND lead_id IS NULL"


def _consent(row: Row) -> Consent:
    given_at = load_time(row["given_at"])
    assert given_at is not None
    return Consent(
        id=row["id"],
        telegram_user_id=row["telegram_user_id"],
        lead_id=row["lead_id"],
        purpose=Purpose(row["purpose"]),
        version=row["version"],
        text_sha256=row["text_sha256"],
        language=row["language"],
        message_id=row["message_id"],
        given_at=given_at,
        withdrawn_at=load_time(row["withdrawn_at"]),
        withdrawn_by=row["withdrawn_by"],
    )


async def give(
    tx: Connection,
    *,
    user_id: int,
    lead_id: int | None,
    purpose: Purpose,
    version: str,
    text: str,
    language: str,
    message_id: int | None,
    at: datetime,
) -> bool:
    """Records the consent to `text`; False if a live one for the purpose was already there.

    With a lead, `lead.consent_given` (purpose, version) is written in the same transaction.
    """
    cursor = await tx.execute(
        _INSERT,
        (
            user_id,
            lead_id,
            purpose.value,
            version,
            text_hash(text),
            language,
            message_id,
            dump_time(at),
        ),
    )
    given = cursor.rowcount > 0
    if given and lead_id is not None:
        data = {"purpose": purpose.value, "version": version}
        await event_log.append(
            tx, lead_id, EventType.CONSENT_GIVEN, at=at, actor="prospect", data=data
        )
    return given


async def live(tx: Connection, user_id: int, purpose: Purpose) -> Consent | None:
    cursor = await tx.execute(_LIVE, (user_id, purpose.value))
    row = await cursor.fetchone()
    return None if row is None else _consent(row)


async def for_person(tx: Connection, user_id: int) -> list[Consent]:
    """Every consent the person gave, withdrawn ones included, oldest first."""
    cursor = await tx.execute(_FOR_PERSON, (user_id,))
    return [_consent(row) for row in await cursor.fetchall()]


async def withdraw(
    tx: Connection,
    *,
    user_id: int,
    lead_id: int | None,
    purpose: Purpose,
    by: str,
    at: datetime,
) -> Consent | None:
    """Withdraws the live consent for `purpose`; the withdrawn one, or None if none was live.

    With a lead, `lead.consent_withdrawn` is written in the same transaction; what depends
    on the consent (nurture, CRM pushes, document intake) checks `live` before acting.
    """
    current = await live(tx, user_id, purpose)
    if current is None:
        return None
    await tx.execute(_WITHDRAW, (dump_time(at), by, user_id, purpose.value))
    if lead_id is not None:
        data = {"purpose": purpose.value, "version": current.version}
        await event_log.append(tx, lead_id, EventType.CONSENT_WITHDRAWN, at=at, actor=by, data=data)
    return await _after_withdrawal(tx, current.id)


async def link_lead(tx: Connection, user_id: int, lead_id: int) -> None:
    """Consents given before the lead existed (the first screen) are tied to it."""
    await tx.execute(_LINK, (lead_id, user_id))


async def _after_withdrawal(tx: Connection, consent_id: int) -> Consent:
    cursor = await tx.execute(_BY_ID, (consent_id,))
    row = await cursor.fetchone()
    assert row is not None
    return _consent(row)
