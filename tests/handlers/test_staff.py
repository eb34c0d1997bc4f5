"""The staff group: lead topics, binding, staff-only commands."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bot.domain.leads import LeadStatus
from tests.conftest import MANAGER_ID, OUTSIDER_ID, STAFF_CHAT, Harness
from tests.handlers.flows import answer_rest, consent, serious_buyer


async def test_group_without_topics_gets_plain_cards(make_harness: Callable[..., Any]) -> None:
    harness: Harness = await make_harness(forum=False)
    await serious_buyer(harness.prospect(language_code="en"))
    lead = await harness.lead()
    assert lead is not None
    assert lead.staff_thread_id is None
    assert lead.staff_message_id is not None
    cards = harness.telegram.bot_messages(STAFF_CHAT)
    assert len(cards) == 1
    assert "Целевой" in cards[0].visible_text
    assert harness.telegram.sent(method="createForumTopic") == []


async def test_a_deleted_topic_is_made_anew(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await serious_buyer(user)
    first = await harness.lead()
    assert first is not None and first.staff_thread_id is not None
    harness.telegram.delete_topic(STAFF_CHAT, first.staff_thread_id)

    await user.send("/restart")
    await answer_rest(user, timeline="Later / just looking")
    again = await harness.lead()
    assert again is not None and again.status is LeadStatus.NURTURE
    assert again.staff_thread_id not in (None, first.staff_thread_id)
    topic = harness.telegram.chat(STAFF_CHAT).topics[again.staff_thread_id or 0]
    assert topic.name.endswith("🟡")
    card = harness.telegram.bot_messages(STAFF_CHAT, again.staff_thread_id)[-1].visible_text
    assert "Отложенный спрос" in card


async def test_requalified_lead_keeps_its_topic_with_a_new_title(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await serious_buyer(user)
    first = await harness.lead()
    assert first is not None
    await user.send("/restart")
    await answer_rest(user, purpose="I want to rent a flat")
    again = await harness.lead()
    assert again is not None and again.staff_thread_id == first.staff_thread_id
    topic = harness.telegram.chat(STAFF_CHAT).topics[again.staff_thread_id or 0]
    assert topic.name.endswith("🔴")
    cards = [
        m.visible_text
        for m in harness.telegram.bot_messages(STAFF_CHAT, again.staff_thread_id)
        if f"лид #{again.id}" in m.visible_text
    ]
    assert len(cards) == 2
    assert "Целевой" in cards[0]
    assert "Нецелевой" in cards[1]


async def test_staff_commands_work_for_members_in_the_staff_group(harness: Harness) -> None:
    await serious_buyer(harness.prospect(language_code="en"))
    manager = harness.staff_member(MANAGER_ID)
    await manager.send("/stats")
    stats = manager.messages()[-2].splitlines()  # the text, then the chart
    assert "Пришли: 1" in stats
    assert "Целевые: 1" in stats
    assert "vk_spring: 1 / 1 / 0 / 0" in stats
    await manager.send("/lead 1")
    assert "+79161234567" in (manager.last_text() or "")
    await manager.send("/lead 999")
    assert manager.last_text() == "Лид #999 не найден."
    await manager.send("/lead")
    assert manager.last_text() == "Использование: /lead <номер>"


async def test_staff_commands_are_refused_elsewhere(harness: Harness) -> None:
    await serious_buyer(harness.prospect(language_code="en"))
    outsider = harness.prospect(user_id=2002, language_code="en")
    await outsider.send("/stats")
    assert outsider.last_text() == "This command works in the staff group only."
    await outsider.send("/lead 1")
    assert outsider.last_text() == "This command works in the staff group only."

    harness.telegram.add_group(-1009999, "Other group", members={MANAGER_ID: "member"})
    elsewhere = harness.staff_member(MANAGER_ID, chat_id=-1009999)
    await elsewhere.send("/stats")
    assert elsewhere.last_text() == "Эта команда работает только в группе отдела продаж."

    # Someone who has left the staff group but still posts (e.g. an old message via a link).
    left = harness.staff_member(OUTSIDER_ID)
    harness.telegram.chat(STAFF_CHAT).members[OUTSIDER_ID] = "left"
    await left.send("/stats")
    assert left.last_text() == "Эта команда доступна только участникам группы отдела продаж."


async def test_binding_the_staff_group_with_a_one_time_code(
    make_harness: Callable[..., Any],
) -> None:
    harness: Harness = await make_harness(staff_chat_id=None)
    code = harness.app.staff.binding_code
    assert code is not None and len(code) == 8
    user = harness.prospect(language_code="en")
    await serious_buyer(user)  # qualifies before any staff group exists
    lead = await harness.lead()
    assert lead is not None and lead.staff_posted_at is None

    manager = harness.staff_member(MANAGER_ID)
    await manager.send("/bind 00000000")
    assert manager.last_text() == "Код не подходит. Возьмите код из журнала запуска бота."
    private = harness.prospect(user_id=3003)
    await private.send(f"/bind {code}")
    assert private.last_text() == "Команда /bind работает только в группе."
    assert staff_menu(harness) is None
    await manager.send(f"/bind {code}")
    assert (manager.last_text() or "").startswith("Готово: эта группа")
    assert harness.app.staff.chat_id == STAFF_CHAT
    menu = staff_menu(harness)  # the group gets the staff's own command menu
    assert menu is not None and menu[:3] == ["stats", "find", "export"]
    lead = await harness.lead()
    assert lead is not None and lead.staff_posted_at is not None  # the waiting lead was posted
    await manager.send(f"/bind {code}")
    assert manager.last_text() == "Группа отдела продаж уже назначена."


async def test_a_bound_group_is_remembered_after_a_restart(
    make_harness: Callable[..., Any],
) -> None:
    first: Harness = await make_harness(staff_chat_id=None)
    await first.staff_member(MANAGER_ID).send(f"/bind {first.app.staff.binding_code}")
    await first.app.close()
    second: Harness = await make_harness(staff_chat_id=None)
    assert second.app.staff.chat_id == STAFF_CHAT
    assert second.app.staff.binding_code is None
    second.telegram.commands.clear()
    await second.app.announce()  # at start-up, the menu is set again
    assert "start" not in (staff_menu(second) or ["start"])


async def test_a_prospect_who_blocked_the_bot_is_marked_unreachable(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await consent(user)
    await user.click("To live in")
    harness.telegram.block_user(user.user_id)
    await user.click("2 rooms")  # the bot's next question bounces with 403
    lead = await harness.lead()
    assert lead is not None and lead.unreachable_at is not None
    assert lead.answers == {"purpose": "live", "rooms": "room_2"}  # the answer was kept

    harness.telegram.unblock_user(user.user_id)
    await user.send("/start")
    lead = await harness.lead()
    assert lead is not None and lead.unreachable_at is None
    assert "What budget do you have in mind?" in (user.last_text() or "")


async def test_a_card_that_could_not_be_posted_is_posted_later(harness: Harness) -> None:
    harness.telegram.fail_next(
        "sendMessage",
        error_code=403,
        description="Forbidden: bot is not a member of the supergroup chat",
        chat_id=STAFF_CHAT,
    )
    await serious_buyer(harness.prospect(language_code="en"))
    lead = await harness.lead()
    assert lead is not None and lead.staff_posted_at is None
    assert lead.staff_thread_id is not None  # the topic exists and will be reused

    await harness.app.staff.publish_pending()  # what the scheduler runs every minute
    lead = await harness.lead()
    assert lead is not None and lead.staff_posted_at is not None
    assert len(harness.telegram.chat(STAFF_CHAT).topics) == 1
    cards = harness.telegram.bot_messages(STAFF_CHAT, lead.staff_thread_id)
    assert "Целевой" in cards[-1].visible_text


async def test_with_admin_ids_only_an_admin_can_bind(make_harness: Callable[..., Any]) -> None:
    harness: Harness = await make_harness(staff_chat_id=None, admin_ids=(OUTSIDER_ID,))
    code = harness.app.staff.binding_code
    manager = harness.staff_member(MANAGER_ID)
    await manager.send(f"/bind {code}")
    assert manager.last_text() == (
        "Назначить группу отдела продаж может только администратор бота (ADMIN_IDS)."
    )
    assert harness.app.staff.chat_id is None
    admin = harness.staff_member(OUTSIDER_ID)
    await admin.send(f"/bind {code}")
    assert harness.app.staff.chat_id == STAFF_CHAT


def staff_menu(harness: Harness) -> list[str] | None:
    """The commands Telegram shows in the staff group, if any were set for it."""
    scope = json.dumps({"chat_id": STAFF_CHAT, "type": "chat"}, sort_keys=True)
    commands = harness.telegram.commands.get((scope, ""))
    return None if commands is None else [item["command"] for item in commands]
