"""Staff lead a deal through every stage from the card: the client hears each stage, the
card and the pinned summary follow, rules refuse a move, and presses race or come late."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.domain.events import EventType
from bot.keyboards.callbacks import DealAction, DealCb
from bot.storage import events
from tests.conftest import OUTSIDER_ID, STAFF_CHAT, Harness
from tests.deal.conftest import (
    OLGA,
    PEOPLE,
    STAGES_EN,
    STAGES_RU,
    accept,
    attended,
    card,
    deal_headings,
    deal_of,
    pinned,
    sent_to_client,
    staff,
)
from tests.desk.conftest import press_data
from tests.viewings.conftest import write_sites

WALK = ["financing", "contract", "registration", "payments", "acceptance", "keys", "closed"]


async def move(harness: Harness, stage: str) -> str | None:
    """Stage ▸ and the stage's button, pressed by Olga; the toast."""
    olga = staff(harness)
    await olga.click("➡️ Этап ▸", card(harness))
    answer = await olga.click(f"➡️ {STAGES_RU[stage]}", card(harness))
    return None if answer is None else answer.text


@pytest.mark.both_stores  # a central journey: on PostgreSQL too
async def test_staff_walk_a_deal_from_the_card_to_the_keys(dealing: Harness) -> None:
    client, lead = await attended(dealing)
    assert lead.staff_thread_id is not None
    olga = staff(dealing)
    assert "💼 Сделка" in [b["text"] for b in card(dealing).inline_buttons()]

    answer = await olga.click("💼 Сделка", card(dealing))
    assert answer is not None and answer.text == "Сделка начата: Бронирование"
    assert "💼 Сделка: Бронирование · осталось 7 дн." in card(dealing).visible_text
    summary = pinned(dealing)
    assert summary is not None and summary.message_thread_id == lead.staff_thread_id
    assert "Этап: Бронирование" in summary.visible_text
    assert "▫️ Паспорт" in summary.visible_text
    lead_now = await dealing.lead()
    assert lead_now is not None and lead_now.status == "deal"

    # The rule: no registration before the contract's documents are accepted.
    for stage in WALK[:2]:
        assert await move(dealing, stage) == f"The deal is now at: {STAGES_RU[stage]}".replace(
            "The deal is now at", "Сделка на этапе"
        )
    refused = await move(dealing, "registration")
    assert refused == "На регистрацию — только когда приняты все документы этапа «Договор»."
    deal = await deal_of(dealing)
    assert deal is not None and deal.stage == "contract"
    topic = [
        m.visible_text for m in dealing.telegram.bot_messages(STAFF_CHAT, lead.staff_thread_id)
    ]
    assert topic[-1].startswith("⛔ Лид #1: переход отклонён. На регистрацию")
    assert "➡️ Этап ▸" in [b["text"] for b in card(dealing).inline_buttons()]  # buttons back

    await accept(dealing, "contract", "snils")  # not married: no marriage certificate asked
    for stage in WALK[2:]:
        assert await move(dealing, stage) == f"Сделка на этапе: {STAGES_RU[stage]}"
        current = await deal_of(dealing)
        assert current is not None and current.stage == stage
        if stage != "closed":
            assert f"💼 Сделка: {STAGES_RU[stage]}" in card(dealing).visible_text
            assert f"Этап: {STAGES_RU[stage]}" in (pinned(dealing) or summary).visible_text

    await sent_to_client(dealing)
    assert deal_headings(client) == [STAGES_EN[s] for s in ["reservation", *WALK]]
    assert "Congratulations on your new flat!" in client.messages()[-1]
    final = card(dealing)
    assert "💼 Сделка завершена: Сделка завершена" in final.visible_text
    assert not [b for b in final.inline_buttons() if "Этап" in b["text"]]
    lead_now = await dealing.lead()
    assert lead_now is not None and lead_now.status == "closed"
    # One summary, pinned once and edited in place all along.
    summaries = [
        m
        for m in dealing.telegram.bot_messages(STAFF_CHAT, lead.staff_thread_id)
        if m.visible_text.startswith("📌 Сделка (лид #1)")
    ]
    assert len(summaries) == 1 and summaries[0].message_id == summary.message_id
    assert "Завершена: Сделка завершена" in summaries[0].visible_text
    pins = [r for r in dealing.telegram.requests if r.method == "pinChatMessage"]
    assert len(pins) == 1
    async with dealing.app.db.read() as conn:
        moves = [e for e in await events.for_lead(conn, lead.id) if e.type == "deal.stage_changed"]
    assert [(e.data["from"], e.data["to"]) for e in moves] == list(
        zip(["reservation", *WALK[:-1]], WALK, strict=True)
    )
    assert {e.actor for e in moves} == {"staff:6001"}


async def test_a_deleted_summary_is_posted_and_pinned_again(dealing: Harness) -> None:
    _, lead = await attended(dealing)
    await staff(dealing).click("💼 Сделка", card(dealing))
    first = pinned(dealing)
    assert first is not None
    first.deleted = True  # someone deleted it in the topic
    await move(dealing, "financing")
    again = pinned(dealing)
    assert again is not None and again.message_id != first.message_id
    assert "Этап: Финансирование" in again.visible_text
    assert again.message_thread_id == lead.staff_thread_id


@pytest.mark.both_stores  # a central journey: on PostgreSQL too
async def test_two_staff_press_the_same_stage_at_once_and_it_moves_once(
    dealing: Harness,
) -> None:
    client, _ = await attended(dealing)
    olga, pavel = staff(dealing), staff(dealing, 6002, "Pavel")
    await olga.click("💼 Сделка", card(dealing))
    await olga.click("➡️ Этап ▸", card(dealing))
    menu = card(dealing)
    answers = await asyncio.gather(
        olga.click("➡️ Финансирование", menu), pavel.click("➡️ Финансирование", menu)
    )
    toasts = sorted(a.text or "" for a in answers if a is not None)
    assert toasts == [
        "Сделка на этапе: Финансирование",
        "Это старая кнопка: сделка уже на этапе «Финансирование».",
    ]
    async with dealing.app.db.read() as conn:
        moved = [e for e in await events.for_lead(conn, 1) if e.type == "deal.stage_changed"]
    assert len(moved) == 1
    await sent_to_client(dealing)
    assert deal_headings(client) == ["Reservation", "Financing"]


async def test_a_stranger_and_an_old_button_change_nothing(dealing: Harness) -> None:
    _, lead = await attended(dealing)
    stranger = staff(dealing, OUTSIDER_ID, "Mallory")
    dealing.telegram.chat(STAFF_CHAT).members[OUTSIDER_ID] = "left"
    answer = await stranger.click("💼 Сделка", card(dealing))
    assert answer is not None and answer.text == "Эти кнопки только для сотрудников отдела продаж."
    assert await deal_of(dealing) is None

    olga = staff(dealing)
    await olga.click("💼 Сделка", card(dealing))
    await olga.click("➡️ Этап ▸", card(dealing))
    old_menu = card(dealing)
    await olga.click("➡️ Финансирование", old_menu)
    # A button made while the deal was at the reservation, pressed after it moved on.
    stale = DealCb(action=DealAction.STAGE, lead_id=lead.id, at="reservation", arg="financing")
    late = await press_data(dealing, OLGA_ID, card(dealing), stale)
    assert late is not None and late.text == (
        "Это старая кнопка: сделка уже на этапе «Финансирование»."
    )
    again = await press_data(
        dealing, OLGA_ID, card(dealing), DealCb(action=DealAction.START, lead_id=lead.id)
    )
    assert again is not None and again.text == "У этого лида сделка уже начата."
    deal = await deal_of(dealing)
    assert deal is not None and deal.stage == "financing"


OLGA_ID = 6001


async def test_facts_switch_on_the_card_and_the_summary_follows_facts_and_documents(
    dealing: Harness,
) -> None:
    _, lead = await attended(dealing)
    olga = staff(dealing)
    await olga.click("💼 Сделка", card(dealing))
    await move(dealing, "financing")
    summary = pinned(dealing)
    assert summary is not None
    assert "▫️ Согласие супруга на залог" not in summary.visible_text  # not married

    await olga.click("☑️ Условия ▸", card(dealing))
    assert [b["text"] for b in card(dealing).inline_buttons()] == [
        "✅ Ипотека",
        "▫️ В браке",
        "▫️ Материнский капитал",
        "← Назад",
    ]
    answer = await olga.click("▫️ В браке", card(dealing))
    assert answer is not None and answer.text == "Условия обновлены"
    assert "✅ В браке" in [b["text"] for b in card(dealing).inline_buttons()]
    assert "▫️ Согласие супруга на залог" in (pinned(dealing) or summary).visible_text
    await olga.click("← Назад", card(dealing))
    assert "➡️ Этап ▸" in [b["text"] for b in card(dealing).inline_buttons()]

    # Document intake records an accepted document: the summary ticks it.
    await accept(dealing, "financing", "income_proof")
    async with dealing.app.db.transaction() as tx:
        await events.append(
            tx,
            lead.id,
            EventType.DEAL_DOCUMENT_ACCEPTED,
            at=dealing.clock.now(),
            actor="staff:6001",
            data={"document_id": 1, "stage": "financing", "document": "income_proof"},
        )
    await dealing.app.pipe.drain()
    assert "✅ Справка о доходах" in (pinned(dealing) or summary).visible_text


async def test_summaries_synced_at_once_are_posted_once(dealing: Harness) -> None:
    _, lead = await attended(dealing)
    await dealing.app.deal.start(lead.id, actor="api")
    posted = len(dealing.telegram.bot_messages(STAFF_CHAT, lead.staff_thread_id))
    async with dealing.app.db.transaction() as tx:
        await tx.execute(
            "UPDATE deals SET summary_message_id = NULL, summary_due_at = ? WHERE lead_id = 1",
            ("2026-11-22T09:00:00+00:00",),
        )
    timers = dealing.app.deal_timers
    await asyncio.gather(timers.sync_summaries(), timers.sync_summaries(), timers.run_due())
    after = dealing.telegram.bot_messages(STAFF_CHAT, lead.staff_thread_id)
    assert len(after) == posted + 1
    assert pinned(dealing) == after[-1]


async def test_back_from_the_erase_menu_keeps_the_deal_buttons(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    dealing: Harness = await make_harness(
        sites_path=write_sites(tmp_path), deal_people=PEOPLE, admin_ids=str(OLGA)
    )
    await attended(dealing)
    olga = staff(dealing)
    await olga.click("💼 Сделка", card(dealing))
    labels = [str(b["text"]) for b in card(dealing).inline_buttons()]
    assert labels == ["➡️ Этап ▸", "☑️ Условия ▸", "🗑 Удалить ▸"]
    await olga.click("🗑 Удалить ▸", card(dealing))
    assert "➡️ Этап ▸" not in [str(b["text"]) for b in card(dealing).inline_buttons()]
    await olga.click("« Назад", card(dealing))
    assert [str(b["text"]) for b in card(dealing).inline_buttons()] == labels
