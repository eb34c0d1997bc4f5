"""A lead worked from its card: to a booked viewing, to a closed reason after a call, an
override whose reason survives a restart, and the head of sales reassigning from a private
chat."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.domain.leads import LeadStatus
from bot.views.desk_card import reassign_markup
from tests.conftest import STAFF_CHAT, Harness
from tests.desk.conftest import (
    OLGA,
    PAVEL,
    card_buttons,
    card_message,
    desk_row,
    events_of,
    lead_manager,
)
from tests.handlers.flows import serious_buyer
from tests.viewings.conftest import write_sites
from tests.viewings.test_booking import pick

TAKE = "✋ Взять"
CALL = "📞 Записать звонок ▸"
NEXT = "🗓 Следующий звонок ▸"
CLOSE = "🔒 Закрыть ▸"
BOOK = "🗓 Просмотр: записать"  # the bundled checklist names what is booked
OVERRIDE = "⚖️ Изменить вердикт ▸"
HEAD = 8001


@pytest.mark.both_stores  # a central journey: on PostgreSQL too
async def test_from_the_card_to_a_booked_viewing(office: Harness) -> None:
    user = office.prospect(language_code="en")
    await serious_buyer(user)
    olga = lead_manager(office, OLGA, "Olga")
    await olga.click(TAKE, card_message(office))
    pickers_before = sum("Choose a day" in text for text in user.messages())

    answer = await olga.click(BOOK, card_message(office))

    assert answer is not None and answer.text == "Клиенту отправлен выбор времени."
    assert sum("Choose a day" in text for text in user.messages()) == pickers_before + 1
    lead = await office.lead()
    assert lead is not None
    topic = [m.visible_text for m in office.telegram.bot_messages(STAFF_CHAT, lead.staff_thread_id)]
    assert "🗓 Olga отправил(а) клиенту выбор времени (лид #1)." in topic

    await pick(user, "Mon 23", "10:00")
    assert any("You are booked" in text for text in user.messages())
    lead = await office.lead()
    assert lead is not None and lead.status is LeadStatus.BOOKED
    card = card_message(office).visible_text
    assert "Этап: записан\n" in card
    assert "Дальше: встреча по записи" in card
    assert BOOK not in card_buttons(office) and CLOSE not in card_buttons(office)


async def test_a_logged_call_requires_a_next_call_or_a_close(office: Harness) -> None:
    await serious_buyer(office.prospect(language_code="en"))
    olga = lead_manager(office, OLGA, "Olga")
    await olga.click(TAKE, card_message(office))
    assert CALL in card_buttons(office)

    await olga.click(CALL, card_message(office))
    assert card_buttons(office) == ["дозвонились", "не ответил", "неверный номер", "⬅️ Назад"]
    await olga.click("⬅️ Назад", card_message(office))
    assert CALL in card_buttons(office)
    await olga.click(CALL, card_message(office))
    await olga.click("не ответил", card_message(office))

    # Only the next step is offered until one is done.
    assert card_buttons(office) == [NEXT, CLOSE, "🗑 Удалить ▸"]
    card = card_message(office).visible_text
    assert "Дальше: назначить следующий звонок или закрыть лид" in card
    assert "Последний звонок: не ответил" in card

    await olga.click(NEXT, card_message(office))
    days = card_buttons(office)
    # Sunday noon in Moscow: the desk's next working days, Monday to Friday.
    assert days[0] == "пн 23 нояб." and days[-1] == "⬅️ Назад"
    assert not any(label.startswith(("сб", "вс")) for label in days)
    await olga.click("пн 23 нояб.", card_message(office))
    times = card_buttons(office)
    assert times[0] == "09:00" and "18:30" in times and "19:00" not in times
    await olga.click("10:30", card_message(office))

    card = card_message(office).visible_text
    assert "Следующий звонок: 23.11.2026, 10:30" in card
    assert "Дальше: позвонить в назначенное время" in card
    assert CALL in card_buttons(office)
    [(actor, data)] = await events_of(office, "desk.next_call_set")
    assert actor == f"staff:{OLGA}" and data["at"] == "2026-11-23T07:30:00Z"

    office.clock.advance(hours=22, minutes=30)  # Monday 10:30 in Moscow
    await olga.click(CALL, card_message(office))
    await olga.click("дозвонились", card_message(office))
    await olga.click(CLOSE, card_message(office))
    assert "купил в другом месте" in card_buttons(office)
    await olga.click("купил в другом месте", card_message(office))

    lead = await office.lead()
    assert lead is not None and lead.status is LeadStatus.CLOSED
    card = card_message(office).visible_text
    assert "Закрыт: купил в другом месте" in card
    assert "Этап: закрыт" in card
    assert card_buttons(office) == ["🗑 Удалить ▸"]  # the desk is done; only erase is left
    row = await desk_row(office)
    assert row.next_step_required is False and row.first_contact_at is not None
    outcomes = [data["outcome"] for _, data in await events_of(office, "desk.call_logged")]
    assert outcomes == ["no_answer", "reached"]
    [(_, closed)] = await events_of(office, "desk.closed")
    assert closed["reason"] == "bought_elsewhere" and closed["to"] == "closed"


async def test_the_override_reason_is_asked_and_kept_across_a_restart(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    sites = write_sites(tmp_path)
    harness: Harness = await make_harness(sites_path=sites)
    await serious_buyer(harness.prospect(language_code="en"))
    lead = await harness.lead()
    assert lead is not None
    thread = lead.staff_thread_id
    olga = lead_manager(harness, OLGA, "Olga")

    await olga.click(OVERRIDE, card_message(harness))
    assert card_buttons(harness) == ["Отложенный спрос", "Нецелевой", "⬅️ Назад"]
    answer = await olga.click("Отложенный спрос", card_message(harness))
    assert answer is not None and answer.text == "Напишите причину в теме лида."
    asked = harness.telegram.bot_messages(STAFF_CHAT, thread)[-1].visible_text
    assert "Olga, почему лид #1 — «Отложенный спрос»?" in asked
    assert OVERRIDE in card_buttons(harness)  # the card's own buttons are back

    await harness.app.close()
    again: Harness = await make_harness(sites_path=sites)
    olga = lead_manager(again, OLGA, "Olga")
    pavel = lead_manager(again, PAVEL, "Pavel")
    await pavel.send("Я бы оставил целевым", thread_id=thread)  # not the one asked
    assert (await desk_row(again)).override_verdict is None
    await olga.send("Покупает через год, сейчас только смотрит", thread_id=thread)

    row = await desk_row(again)
    assert row.override_verdict == "nurture"
    assert row.override_reason == "Покупает через год, сейчас только смотрит"
    assert row.pending_input is None
    moved = await again.lead()
    assert moved is not None and moved.status is LeadStatus.NURTURE
    card = card_message(again).visible_text
    assert "Вердикт лид-менеджера: Отложенный спрос (по чек-листу: Целевой)" in card
    assert "Причина: Покупает через год, сейчас только смотрит" in card
    [(actor, data)] = await events_of(again, "desk.verdict_overridden")
    assert actor == f"staff:{OLGA}"
    assert (data["from"], data["to"]) == ("target", "nurture")
    assert (data["verdict_from"], data["verdict_to"]) == ("target", "nurture")
    assert data["reason_text"] == "Покупает через год, сейчас только смотрит"
    # Her next message is an ordinary one again.
    await olga.send("Спасибо", thread_id=thread)
    assert (await desk_row(again)).override_reason == "Покупает через год, сейчас только смотрит"


async def test_the_head_of_sales_reassigns_from_a_private_chat(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    harness: Harness = await make_harness(
        sites_path=write_sites(tmp_path), head_of_sales_ids=(HEAD,)
    )
    await serious_buyer(harness.prospect(language_code="en"))
    olga = lead_manager(harness, OLGA, "Olga")
    await olga.click(TAKE, card_message(harness))
    pavel = lead_manager(harness, PAVEL, "Pavel")
    await pavel.send("Всем привет")  # the bot learns his name
    # The time limits' escalation carries this button.
    markup = reassign_markup(1, harness.app.translations.get("ru"))
    await harness.app.notifier.send(HEAD, "Лид #1 просрочен", markup=markup)
    await harness.app.notifier.send(1001, "Лид #1 просрочен", markup=markup)

    prospect = harness.prospect(language_code="en")
    refused = await prospect.click("👥 Переназначить")
    assert refused is not None
    assert refused.text == "Эти кнопки только для сотрудников отдела продаж."

    head = harness.telegram.user(HEAD, first_name="Boss", deliver=harness.feed)
    await head.click("👥 Переназначить")
    assert head.buttons() == ["👤 Pavel"]  # Olga has it; no sales managers from here
    answer = await head.click("👤 Pavel")

    assert answer is not None and answer.text == "Теперь лид ведёт Pavel."
    assert head.buttons() == []
    row = await desk_row(harness)
    assert (row.owner_id, row.owner_name) == (PAVEL, "Pavel")
    lead = await harness.lead()
    assert lead is not None
    topic = [
        m.visible_text for m in harness.telegram.bot_messages(STAFF_CHAT, lead.staff_thread_id)
    ]
    assert "👤 Pavel, лид #1 теперь ваш (назначил(а) Boss)." in topic
    assert "Ведёт: Pavel" in card_message(harness).visible_text
    [_, (actor, data)] = await events_of(harness, "desk.owner_set")
    assert actor == f"staff:{HEAD}"
    assert data == {"owner": PAVEL, "owner_name": "Pavel", "previous": OLGA, "how": "reassign"}


async def test_assign_to_a_lead_manager_or_hand_over_to_a_sales_manager(office: Harness) -> None:
    await serious_buyer(office.prospect(language_code="en"))
    olga = lead_manager(office, OLGA, "Olga")
    await lead_manager(office, PAVEL, "Pavel").send("Привет")
    await olga.click("👥 Назначить ▸", card_message(office))
    assert card_buttons(office) == [
        "👤 Olga",
        "👤 Pavel",
        "🏠 Anna Petrova",
        "🏠 Boris Ivanov",
        "⬅️ Назад",
    ]
    await olga.click("👤 Pavel", card_message(office))
    assert "Ведёт: Pavel" in card_message(office).visible_text
    assert "👥 Назначить ▸" in card_buttons(office)

    await olga.click("👥 Назначить ▸", card_message(office))
    await olga.click("🏠 Boris Ivanov", card_message(office))
    lead = await office.lead()
    assert lead is not None and lead.route_code == "manual"
    assert "Boris Ivanov (назначен вручную)" in card_message(office).visible_text
    [(actor, data)] = [
        event for event in await events_of(office, "lead.manager_assigned") if event[0] != "routing"
    ]
    assert actor == f"staff:{OLGA}" and data["route"] == "manual"


async def test_the_card_shows_what_is_due_and_what_the_client_said(office: Harness) -> None:
    await serious_buyer(office.prospect(language_code="en"))
    # What the SLA and relay parts write; the card reads it when it is next rendered.
    async with office.app.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO desk_deadlines (lead_id, kind, started_at, due_at)"
            " VALUES (1, 'first_contact', ?, ?)",
            ("2026-11-22T09:00:00+00:00", "2026-11-23T07:00:00+00:00"),  # Mon 10:00 Moscow
        )
        await tx.execute(
            "INSERT INTO desk_leads (lead_id, updated_at, last_client_message_at,"
            " last_client_text) VALUES (1, ?, ?, ?)",
            ("2026-11-22T09:00:00+00:00", "2026-11-22T08:55:00+00:00", "А ипотека <есть>?"),
        )
        await tx.execute("UPDATE leads SET unreachable_at = ? WHERE id = 1", ("2026-11-22",))
    await lead_manager(office, OLGA, "Olga").click(TAKE, card_message(office))

    card = card_message(office).visible_text
    # Sunday noon: the desk opens Monday 09:00, so an hour of desk time is left.
    assert "⏱ первый звонок до 23.11.2026, 10:00 · осталось 1 ч 0 мин" in card
    assert "💬 Клиент, 22.11.2026, 11:55: А ипотека <есть>?" in card
    assert "Этап: целевой" in card and "Ведёт: Olga" in card
    assert "Дальше: позвонить клиенту" in card
    assert "vk_spring" in card  # the source, as before
    assert "⚠️ Клиент заблокировал бота" in card

    office.clock.advance(hours=22, minutes=5)  # Monday 10:05 in Moscow
    await lead_manager(office, OLGA, "Olga").click(CALL, card_message(office))
    await lead_manager(office, OLGA, "Olga").click("дозвонились", card_message(office))
    assert "⏱ первый звонок: просрочено на 5 мин" in card_message(office).visible_text


async def test_in_a_group_without_topics_the_reason_is_the_next_message_in_the_group(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    harness: Harness = await make_harness(forum=False, sites_path=write_sites(tmp_path))
    await serious_buyer(harness.prospect(language_code="en"))
    olga = lead_manager(harness, OLGA, "Olga")
    await olga.click(OVERRIDE, card_message(harness))
    await olga.click("Нецелевой", card_message(harness))
    await olga.send("/stats")  # a command is not the reason
    assert (await desk_row(harness)).override_verdict is None
    await olga.send("Ищет аренду, не покупку")

    row = await desk_row(harness)
    assert (row.override_verdict, row.override_reason) == ("reject", "Ищет аренду, не покупку")
    lead = await harness.lead()
    assert lead is not None and lead.status is LeadStatus.REJECTED
    assert "Причина: Ищет аренду, не покупку" in card_message(harness).visible_text


async def test_book_viewing_for_a_prospect_who_blocked_the_bot(office: Harness) -> None:
    user = office.prospect(language_code="en")
    await serious_buyer(user)
    olga = lead_manager(office, OLGA, "Olga")
    await olga.click(TAKE, card_message(office))
    office.telegram.block_user(1001)

    answer = await olga.click(BOOK, card_message(office))

    refused = "Не удалось отправить клиенту: он заблокировал бота. Позвоните ему."
    assert answer is not None and answer.text == refused
    lead = await office.lead()
    assert lead is not None and lead.unreachable_at is not None
    topic = office.telegram.bot_messages(STAFF_CHAT, lead.staff_thread_id)
    assert not any("отправил(а) клиенту" in m.visible_text for m in topic)
    again = await olga.click(BOOK, card_message(office))  # no second try at a blocked chat
    assert again is not None and again.text == refused
    assert len(office.telegram.sent(1001, "sendMessage", ok=False)) == 1
