"""Desk actions reach the CRM as events with who did them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import SALES_DESK_SECRET, Harness
from tests.desk.conftest import OLGA, card_message, lead_manager
from tests.handlers.flows import serious_buyer
from tests.sales_desk.conftest import deliver_all
from tests.sales_desk.generic_receiver import GenericReceiver
from tests.viewings.conftest import write_sites


async def test_take_call_and_close_reach_the_generic_receiver(
    make_harness: Callable[..., Any], receiver: GenericReceiver, tmp_path: Path
) -> None:
    harness: Harness = await make_harness(
        sites_path=write_sites(tmp_path),
        sales_desk_url=receiver.url,
        sales_desk_secret=SALES_DESK_SECRET,
    )
    await serious_buyer(harness.prospect(language_code="en"))
    olga = lead_manager(harness, OLGA, "Olga")
    await olga.click("✋ Взять", card_message(harness))
    await olga.click("📞 Записать звонок ▸", card_message(harness))
    await olga.click("неверный номер", card_message(harness))
    await olga.click("🔒 Закрыть ▸", card_message(harness))
    await olga.click("спам", card_message(harness))
    await deliver_all(harness)

    desk = [r for r in receiver.deliveries if r.type.startswith("desk.")]
    assert [r.type for r in desk] == ["desk.owner_set", "desk.call_logged", "desk.closed"]
    changes = [r.payload["data"]["change"] for r in desk]
    assert all(change["actor"] == f"staff:{OLGA}" for change in changes)
    assert changes[0]["owner_name"] == "Olga" and changes[0]["how"] == "take"
    assert changes[1]["outcome"] == "wrong_number"
    assert changes[2]["reason"] == "spam" and changes[2]["to"] == "closed"
    assert receiver.deliveries[-1].payload["data"]["status"] == "closed"
