"""Take: two people at once get one owner; strangers and old buttons change nothing."""

from __future__ import annotations

import asyncio

from bot.domain.leads import LeadStatus
from bot.keyboards.callbacks import DeskAction, DeskCb
from tests.conftest import OUTSIDER_ID, STAFF_CHAT, Harness
from tests.desk.conftest import (
    OLGA,
    PAVEL,
    card_buttons,
    card_message,
    desk_row,
    events_of,
    lead_manager,
    press_data,
    snapshot,
)
from tests.handlers.flows import answer_rest, serious_buyer

TAKE = "✋ Взять"


async def test_two_lead_managers_take_at_once_one_owner_the_other_told(office: Harness) -> None:
    await serious_buyer(office.prospect(language_code="en"))
    olga, pavel = lead_manager(office, OLGA, "Olga"), lead_manager(office, PAVEL, "Pavel")
    card = card_message(office)
    assert "Ведёт: никто" in card.visible_text
    assert TAKE in card_buttons(office)

    first, second = await asyncio.gather(olga.click(TAKE, card), pavel.click(TAKE, card))

    assert first is not None and second is not None
    toasts = sorted([first.text or "", second.text or ""])
    owner = (await desk_row(office)).owner_name
    assert owner in ("Olga", "Pavel")
    assert toasts == sorted(["Лид #1 ваш.", f"Лид уже взял(а) {owner}."])
    [(actor, data)] = await events_of(office, "desk.owner_set")
    assert data["owner_name"] == owner and data["how"] == "take"
    assert actor == f"staff:{OLGA if owner == 'Olga' else PAVEL}"
    card = card_message(office)
    assert f"Ведёт: {owner}" in card.visible_text
    assert TAKE not in card_buttons(office)
    assert "📞 Записать звонок ▸" in card_buttons(office)


async def test_a_stranger_presses_every_card_button_and_nothing_changes(office: Harness) -> None:
    await serious_buyer(office.prospect(language_code="en"))
    olga = lead_manager(office, OLGA, "Olga")
    await olga.click(TAKE, card_message(office))
    stranger = lead_manager(office, OUTSIDER_ID, "Mallory")
    office.telegram.chat(STAFF_CHAT).members[OUTSIDER_ID] = "left"
    labels = card_buttons(office)
    assert len(labels) >= 6
    before = await snapshot(office)
    for label in labels:
        answer = await stranger.click(label, card_message(office))
        assert (
            answer is not None and answer.text == "Эти кнопки только для сотрудников отдела продаж."
        )
        assert card_buttons(office) == labels  # no sub-menu opened either
    # A sub-menu a member opened: its choices are refused to the stranger too.
    await olga.click("🔒 Закрыть ▸", card_message(office))
    answer = await stranger.click("спам", card_message(office))
    assert answer is not None and answer.text == "Эти кнопки только для сотрудников отдела продаж."
    assert await snapshot(office) == before
    lead = await office.lead()
    assert lead is not None and lead.status is LeadStatus.TARGET


async def test_old_buttons_get_a_clear_toast(office: Harness) -> None:
    user = office.prospect(language_code="en")
    await serious_buyer(user)
    olga = lead_manager(office, OLGA, "Olga")
    first_card = card_message(office)

    # Re-qualified: a new card is posted (the old one lost its buttons while the prospect
    # went through the checklist again, but a client may still show them).
    await user.send("/restart")
    await answer_rest(user, timeline="Later / just looking")
    assert card_message(office).message_id != first_card.message_id
    assert first_card.inline_buttons() == []
    before = await snapshot(office)
    answer = await press_data(office, OLGA, first_card, DeskCb(action=DeskAction.TAKE, lead_id=1))
    assert answer is not None
    assert answer.text == "Это старая карточка лида #1: работайте с новой в теме лида."
    assert await snapshot(office) == before

    # Closed: a button pressed from a screen that had not caught up yet.
    await olga.click(TAKE, card_message(office))
    await olga.click("🔒 Закрыть ▸", card_message(office))
    await olga.click("дубль", card_message(office))
    assert card_buttons(office) == ["🗑 Удалить ▸"]  # only the erase is left
    before = await snapshot(office)
    take = DeskCb(action=DeskAction.CALL, lead_id=1, arg="reached")
    answer = await press_data(office, OLGA, card_message(office), take)
    assert answer is not None and answer.text == "Лид #1 уже закрыт."
    assert await snapshot(office) == before

    # Erased: the prospect used /forget.
    card = card_message(office)
    await user.send("/forget")
    answer = await press_data(office, OLGA, card, DeskCb(action=DeskAction.TAKE, lead_id=1))
    assert answer is not None and answer.text == "Лида #1 больше нет (данные удалены)."


async def test_two_closes_at_once_close_the_lead_once(office: Harness) -> None:
    await serious_buyer(office.prospect(language_code="en"))
    olga, pavel = lead_manager(office, OLGA, "Olga"), lead_manager(office, PAVEL, "Pavel")
    await olga.click(TAKE, card_message(office))
    await olga.click("🔒 Закрыть ▸", card_message(office))
    card = card_message(office)

    first, second = await asyncio.gather(olga.click("спам", card), pavel.click("дубль", card))

    assert first is not None and second is not None
    assert sorted([first.text or "", second.text or ""]) == sorted(
        ["Лид #1 закрыт.", "Лид #1 уже закрыт."]
    )
    assert len(await events_of(office, "desk.closed")) == 1
    lead = await office.lead()
    assert lead is not None and lead.status is LeadStatus.CLOSED


async def test_a_card_button_pressed_in_a_private_chat_changes_nothing(office: Harness) -> None:
    # Card buttons live in the staff group only; a forged press (a modified client) from a
    # private chat, by the prospect or by a lead-manager, must not act on the lead.
    user = office.prospect(language_code="en")
    await serious_buyer(user)
    [private_message, *_] = reversed(user.bot_messages())
    before = await snapshot(office)
    for presser in (user.user_id, OLGA, OUTSIDER_ID):
        for action in (DeskAction.TAKE, DeskAction.CALL):
            forged = DeskCb(action=action, lead_id=1, arg="reached")
            answer = await press_data(office, presser, private_message, forged)
            assert answer is not None, "the press was left spinning"
            assert answer.text == "Эти кнопки только для сотрудников отдела продаж."
    assert await snapshot(office) == before
