"""A double tap on a button whose answer replaces the message: "message is not modified"
for the second press means the wanted screen is already there, not that it must be sent."""

from __future__ import annotations

import asyncio

from tests.conftest import Harness
from tests.viewings.test_booking import booked_lead


async def test_double_tap_on_keep_it_answers_once(office: Harness) -> None:
    user = await booked_lead(office)
    await user.click("Cancel")
    [confirmation] = [m for m in user.bot_messages() if "No, keep it" in str(m.inline_buttons())]
    before = len(user.bot_messages())

    # Both presses reach the bot before either is answered, as two quick taps do.
    await asyncio.gather(
        user.click("No, keep it", confirmation), user.click("No, keep it", confirmation)
    )

    assert len(user.bot_messages()) == before, "the second press sent its answer again"
    kept = [m for m in user.bot_messages() if "stays as booked" in m.visible_text]
    assert [m.message_id for m in kept] == [confirmation.message_id]
    assert confirmation.inline_buttons() == []
    not_modified = [
        r
        for r in office.telegram.sent(user.chat_id, "editMessageText", ok=False)
        if "not modified" in (r.description or "")
    ]
    assert len(not_modified) == 1, "the two presses did not both edit the message"
