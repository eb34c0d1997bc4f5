"""The client's /deal: where the deal stands, what is still needed, the next payment once
payments may be asked, and who to talk to."""

from __future__ import annotations

from bot.storage import desk
from tests.conftest import Harness
from tests.deal.conftest import SUPPORT, accept, attended


async def add_payment(harness: Harness, due_on: str, amount_minor: int) -> None:
    async with harness.app.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO payments (lead_id, due_on, amount_minor, created_at, updated_at) "
            "VALUES (1, ?, ?, '2026-11-22T09:00:00+00:00', '2026-11-22T09:00:00+00:00')",
            (due_on, amount_minor),
        )


async def reject(harness: Harness, stage: str, document: str) -> None:
    async with harness.app.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO deal_documents (lead_id, stage, document, status, file_id, "
            "file_unique_id, client_message_id, received_at, reject_reason) "
            "VALUES (1, ?, ?, 'rejected', 'f', 'u', (SELECT COUNT(*) + 1 FROM deal_documents),"
            " '2026-11-22T09:00:00+00:00', 'unreadable')",
            (stage, document),
        )


async def test_deal_shows_the_stage_the_needs_the_payment_and_the_contact(
    dealing: Harness,
) -> None:
    stranger = dealing.prospect(1009, language_code="en")
    await stranger.send("/deal")
    assert stranger.last_text() is not None
    assert stranger.last_text().startswith("You have no deal with us yet.")  # type: ignore[union-attr]

    client, lead = await attended(dealing)
    await client.send("/deal")
    assert client.last_text().startswith("You have no deal with us yet.")  # type: ignore[union-attr]

    async with dealing.app.db.transaction() as tx:
        await desk.see_staff(tx, SUPPORT, "Svetlana", dealing.clock.now())
    await dealing.app.deal.start(lead.id, actor="staff:6001")
    await add_payment(dealing, "2027-01-15", 120_000_000)
    await client.send("/deal")
    text = client.last_text() or ""
    assert text.startswith("📍 Your deal: Reservation\nThe flat is reserved for you")
    assert "📎 Still needed from you (send a photo or a file here):\n• Passport" in text
    assert "💳" not in text  # 214-FZ: no payment asked before the contract is registered
    assert "👤 Your contact: Deal support specialist — Svetlana." in text
    assert client.buttons() == ["📎 Send: Passport", "🙋 Ask a person"]

    await accept(dealing, "reservation", "passport")
    await dealing.app.deal.move(lead.id, "financing", actor="api")
    await reject(dealing, "financing", "income_proof")
    await client.send("/deal")
    text = client.last_text() or ""
    assert "• Proof of income — please send it again" in text
    assert "Passport" not in text
    assert "👤 Your contact: Mortgage broker." in text  # nobody the roster knows by name

    for stage in ("contract", "registration", "payments"):
        if stage == "registration":
            await accept(dealing, "contract", "snils")
        await dealing.app.deal.move(lead.id, stage, actor="api")
    await client.send("/deal")
    text = client.last_text() or ""
    assert "💳 Next payment: RUB1,200,000.00 by 15 January 2027" in text
    assert "• Payment receipt (if you have it)" in text

    for stage in ("acceptance", "keys", "closed"):
        await dealing.app.deal.move(lead.id, stage, actor="api")
    await client.send("/deal")
    assert client.last_text() == "🎉 Your deal is complete (Deal completed). Thank you!"
