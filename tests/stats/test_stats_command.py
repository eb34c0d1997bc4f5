"""/stats in the staff group against a seeded event log, with its chart read back."""

from __future__ import annotations

import asyncio
import io

from matplotlib import image

from tests.conftest import MANAGER_ID, STAFF_CHAT, Harness
from tests.stats.seed import COHORT, seed

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def test_stats_figures_for_a_range_count_the_cohort_and_erased_leads(
    harness: Harness,
) -> None:
    await seed(harness.app.db, *COHORT)
    manager = harness.staff_member(MANAGER_ID)
    await manager.send("/stats 2026-11-20..2026-11-21")
    text, chart = manager.bot_messages()[-2:]
    lines = text.visible_text.splitlines()
    assert lines[0] == "📊 Воронка, 2026-11-20 – 2026-11-21"
    assert "Лиды, пришедшие за период; каждый прослежен до сегодняшнего дня." in lines
    for line in (
        "Пришли: 3",
        "Прошли анкету: 3",
        "Целевые: 2",
        "Записались: 2",
        "Пришли на встречу: 1",
        "Прошли анкету → Целевые: 67%",
        "Записались → Пришли на встречу: 50%",
        "Целевой: 2",
        "Отложенный спрос: 1",
        "vk_spring: 2 / 1 / 1 / 1",
        "site: 1 / 1 / 1 / 0",
        "Olga: 2 / 2 / 2 / 1",
        "#7: 2 / 2 / 2 / 1",
        "Медиана времени до взятия лида: 20 мин",
        "Медиана времени до первого контакта: 55 мин",
        "Нарушено сроков: 1 (взятие: 1)",
        "Из них удалены по просьбе клиента (в цифрах остаются): 1",
    ):
        assert line in lines, line
    # The lead that came on Sunday night Moscow time is not Saturday's.
    assert not any(line.startswith("direct") for line in lines)

    assert chart.upload is not None and "photo" in chart.content
    assert chart.upload.filename == "funnel_2026-11-20_2026-11-21.png"
    assert chart.upload.data.startswith(PNG_SIGNATURE)
    pixels = image.imread(io.BytesIO(chart.upload.data), format="png")
    assert pixels.shape[:2] == (450, 800)


async def test_stats_defaults_to_today_and_takes_named_periods(harness: Harness) -> None:
    await seed(harness.app.db, *COHORT)
    manager = harness.staff_member(MANAGER_ID)
    await manager.send("/stats")
    today = manager.bot_messages()[-2].visible_text
    assert today.startswith("📊 Воронка, 2026-11-22")
    assert "Пришли: 1" in today.splitlines()
    assert "direct: 1 / 0 / 0 / 0" in today.splitlines()
    await manager.send("/stats month")
    month = manager.bot_messages()[-2].visible_text
    assert month.startswith("📊 Воронка, 2026-11-01 – 2026-11-22")
    assert "Пришли: 5" in month.splitlines()


async def test_a_period_without_leads_says_so(harness: Harness) -> None:
    manager = harness.staff_member(MANAGER_ID)
    await manager.send("/stats 2026-10-01")
    assert "За этот период лидов не было." in manager.bot_messages()[-2].visible_text


async def test_a_bad_period_gets_examples_and_nothing_else(harness: Harness) -> None:
    manager = harness.staff_member(MANAGER_ID)
    before = len(harness.telegram.sent(method="sendPhoto"))
    await manager.send("/stats last week")
    answer = manager.last_text() or ""
    assert answer.startswith("«last week» — такого периода я не знаю.")
    assert "/stats 01.11.2026..15.11.2026" in answer
    await manager.send("/stats 2026-11-15..2026-11-01")
    assert (manager.last_text() or "").startswith("В «2026-11-15..2026-11-01» период заканчи")
    assert len(harness.telegram.sent(method="sendPhoto")) == before


async def test_stats_in_a_topic_answer_in_that_topic(harness: Harness) -> None:
    await seed(harness.app.db, *COHORT)
    topic = await harness.app.notifier.create_topic(STAFF_CHAT, "Numbers")
    assert topic is not None
    manager = harness.staff_member(MANAGER_ID)
    await manager.send("/stats week", thread_id=topic)
    in_topic = harness.telegram.bot_messages(STAFF_CHAT, topic)
    assert in_topic[-2].visible_text.startswith("📊 Воронка, 2026-11-16 – 2026-11-22")
    assert "photo" in in_topic[-1].content


async def test_numbers_commands_are_refused_to_strangers(harness: Harness) -> None:
    await seed(harness.app.db, *COHORT)
    stranger = harness.prospect(user_id=2002, language_code="en")
    for command in ("/stats", "/export", "/find 916"):
        await stranger.send(command)
        assert stranger.last_text() == "This command works in the staff group only."
    left = harness.staff_member(5003)
    harness.telegram.chat(STAFF_CHAT).members[5003] = "left"
    await left.send("/find 916")
    assert left.last_text() == "Эта команда доступна только участникам группы отдела продаж."
    assert harness.telegram.sent(method="sendDocument") == []
    assert harness.telegram.sent(method="sendPhoto") == []


async def test_two_stats_at_once_each_get_their_text_and_chart(harness: Harness) -> None:
    await seed(harness.app.db, *COHORT)
    olga = harness.staff_member(MANAGER_ID)
    await asyncio.gather(olga.send("/stats week"), olga.send("/stats month"))
    texts = [m.visible_text.splitlines()[0] for m in olga.bot_messages() if m.text]
    assert sorted(texts) == [
        "📊 Воронка, 2026-11-01 – 2026-11-22",
        "📊 Воронка, 2026-11-16 – 2026-11-22",
    ]
    charts = [m.upload for m in olga.bot_messages() if m.upload is not None]
    assert len(charts) == 2
    assert all(chart.data.startswith(PNG_SIGNATURE) for chart in charts)
