"""What payments and document intake ask of a deal (`DealPort`), answered from the file."""

from __future__ import annotations

from bot.keyboards.callbacks import DealAction, DealCb
from bot.services.deal_ports import DealPort
from tests.conftest import Harness
from tests.deal.conftest import RECEIVABLES, attended


async def test_the_deal_port_follows_the_stage_and_the_facts(dealing: Harness) -> None:
    port: DealPort = dealing.app.deal
    _, lead = await attended(dealing)
    async with dealing.app.db.read() as conn:
        assert await port.active_stage(conn, lead.id) is None
        assert await port.documents_wanted(conn, lead.id) == []
        assert not await port.payments_open(conn, lead.id)
    assert port.people("receivables") == (RECEIVABLES,)
    assert port.people("nobody") == ()

    await dealing.app.deal.start(lead.id, actor="api", facts={"married": True})
    await dealing.app.deal.move(lead.id, "financing", actor="api")
    async with dealing.app.db.read() as conn:
        assert await port.active_stage(conn, lead.id) == "financing"
        wanted = await port.documents_wanted(conn, lead.id)
        assert not await port.payments_open(conn, lead.id)
    # A married mortgage buyer: proof of income and the spouse's consent, not the
    # maternity capital certificate.
    assert [(d.stage, d.document, d.required) for d in wanted] == [
        ("financing", "income_proof", True),
        ("financing", "spouse_consent", True),
    ]
    assert wanted[0].title.get("en") == "Proof of income"

    await dealing.app.deal.set_facts(lead.id, {"married": False})
    async with dealing.app.db.read() as conn:
        assert [d.document for d in await port.documents_wanted(conn, lead.id)] == ["income_proof"]
    await dealing.app.deal.move(lead.id, "contract", actor="api")
    async with dealing.app.db.read() as conn:
        [snils] = await port.documents_wanted(conn, lead.id)
    assert snils.personal and snils.document == "snils"


def test_deal_buttons_fit_telegram_s_64_bytes() -> None:
    longest = "q" * 20  # the deal file's ids are at most 20 characters
    for action in DealAction:
        packed = DealCb(action=action, lead_id=10**15, at=longest, arg=longest).pack()
        assert len(packed.encode()) <= 64, packed
        assert DealCb.unpack(packed).arg == longest
