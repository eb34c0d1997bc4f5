"""The desk's events, produced by lead-managers, the relay, the knowledge base and the time
limits in one lead's life, reach the CRM in bodies that match the published schema."""

from __future__ import annotations

import json

from bot.domain.events import EventType
from tests.conftest import Harness
from tests.desk.conftest import OLGA, card_message, lead_manager
from tests.handlers.flows import serious_buyer
from tests.sales_desk.conftest import deliver_all
from tests.sales_desk.generic_receiver import GenericReceiver
from tests.sales_desk.test_event_schema import DESK_TYPES, EVENT, problem


async def test_every_desk_event_matches_the_schema(
    desk: Harness, receiver: GenericReceiver
) -> None:
    anna = desk.prospect(language_code="en")
    await serious_buyer(anna)  # Sunday 12:00 in Moscow: the desk opens on Monday
    lead = await desk.lead()
    assert lead is not None and lead.staff_thread_id is not None
    thread = lead.staff_thread_id

    # Nobody takes it: at Monday 09:15 the take limit is missed, at 09:30 it goes up.
    desk.clock.advance(hours=21, minutes=20)
    await desk.app.desk_timers.run_due()
    desk.clock.advance(minutes=20)
    await desk.app.desk_timers.run_due()

    await anna.send("Can I buy with a mortgage?")  # the knowledge base answers
    await anna.send("/human")
    await anna.send("Is the third floor still free?")
    await desk.app.relay.delivery.deliver_due()

    olga = lead_manager(desk, OLGA, "Olga")
    await olga.click("✋ Взять", card_message(desk))
    await olga.send("Yes, it is. When can we call you?", thread_id=thread)
    await olga.send("/note prefers evenings", thread_id=thread)
    await desk.app.relay.delivery.deliver_due()
    await olga.click("⚖️ Изменить вердикт ▸", card_message(desk))
    await olga.click("Отложенный спрос", card_message(desk))
    await olga.send("Buys next year", thread_id=thread)
    await olga.click("📞 Записать звонок ▸", card_message(desk))
    await olga.click("не ответил", card_message(desk))
    await olga.click("🗓 Следующий звонок ▸", card_message(desk))
    await olga.click(card_message(desk).inline_buttons()[0]["text"], card_message(desk))
    await olga.click("18:30", card_message(desk))
    await olga.click("📞 Записать звонок ▸", card_message(desk))
    await olga.click("дозвонились", card_message(desk))
    await olga.click("🔒 Закрыть ▸", card_message(desk))
    await olga.click("купил в другом месте", card_message(desk))
    await deliver_all(desk)

    assert receiver.refusals == []
    bodies = {f"{r.webhook_id} {r.type}": json.loads(r.body) for r in receiver.deliveries}
    invalid = {key: problem(EVENT, body) for key, body in bodies.items()}
    assert {key: why for key, why in invalid.items() if why is not None} == {}
    produced = {r.type for r in receiver.deliveries}
    assert DESK_TYPES - produced == set()
    closed = [r for r in receiver.deliveries if r.type == EventType.DESK_CLOSED.value]
    assert closed[-1].payload["data"]["status"] == "closed"
    # The override's reason and the note reached the CRM as typed.
    changes = [r.payload["data"]["change"] for r in receiver.deliveries]
    assert {"Buys next year", "prefers evenings"} <= {
        c.get("reason_text") or c.get("note") for c in changes
    }
