"""/kb in the staff group, through the Bot API stand-in, and what the base then answers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.domain.knowledge_file import KnowledgeError
from bot.services.knowledge import KnowledgeBase, preview
from tests.conftest import MANAGER_ID, OUTSIDER_ID, STAFF_CHAT, Harness
from tests.fakegram import GroupMember
from tests.fakegram.server import StoredMessage
from tests.handlers.flows import serious_buyer

COLLEAGUE_ID = 5003


def knowledge(harness: Harness) -> KnowledgeBase:
    found = harness.app.dispatcher.workflow_data["knowledge"]
    assert isinstance(found, KnowledgeBase)
    return found


async def reply(
    member: GroupMember, target: StoredMessage, text: str, thread_id: int | None = None
) -> None:
    """The member answers `target` with `text` (a Telegram reply)."""
    command = text.split()[0]
    entities = (
        ({"type": "bot_command", "offset": 0, "length": len(command)},)
        if command.startswith("/")
        else ()
    )
    message = member.server.store_user_message(
        member.chat_id, member.user_id, thread_id=thread_id, text=text, entities=entities
    )
    message.reply_to = target
    await member.deliver({"message": message.to_dict()})


async def test_a_reply_saved_in_a_leads_topic_answers_in_the_leads_language(
    harness: Harness,
) -> None:
    await serious_buyer(harness.prospect(language_code="en"))
    lead = await harness.lead()
    assert lead is not None and lead.language == "en" and lead.staff_thread_id is not None
    topic = lead.staff_thread_id
    manager = harness.staff_member(MANAGER_ID)
    base = knowledge(harness)
    assert await base.answer("en", "is the gym free for residents?") is None

    written = await manager.send("The gym on the ground floor is free for residents.", topic)
    await reply(manager, written, "/kb add gym, fitness, swimming pool", topic)
    assert manager.last_text(topic) == (
        "Сохранено как ответ #1 (en). Бот даст его, когда клиент напишет: "
        "gym, fitness, swimming pool."
    )

    hit = await base.answer("en", "is the gym free for residents?")
    assert hit is not None
    assert hit.entry_id == "saved:1"
    assert hit.question == "gym, fitness, swimming pool"
    assert hit.answer == "The gym on the ground floor is free for residents."
    assert (await base.answer("en", "Is there a swimming pool?")) == hit
    # Saved in English: a Russian-speaking prospect is not answered in English.
    assert await base.answer("ru", "а gym есть?") is None


async def test_saved_answers_keep_formatting_and_beat_the_template_on_a_tie(
    harness: Harness,
) -> None:
    manager = harness.staff_member(MANAGER_ID)
    written = await manager.send("Ставки от 6%: <уточняйте> & приходите")
    await reply(manager, written, "/kb add ипотека")
    assert "#1 (ru)" in (manager.last_text() or "")
    hit = await knowledge(harness).answer("ru", "а ипотека есть?")
    assert hit is not None and hit.entry_id == "saved:1"
    assert hit.answer == "Ставки от 6%: &lt;уточняйте&gt; &amp; приходите"
    # Without the saved answer, the file's template answers, escaped for HTML.
    await manager.send("/kb remove 1")
    hit = await knowledge(harness).answer("ru", "а ипотека есть?")
    assert hit is not None and hit.entry_id == "file:mortgage"
    assert hit.question == "Можно ли купить в ипотеку?"
    english = await knowledge(harness).answer("en", "is there a mortgage?")
    assert english is not None and english.answer.startswith("Yes, you can buy with a mortgage.")


async def test_list_and_remove(harness: Harness) -> None:
    manager = harness.staff_member(MANAGER_ID)
    await manager.send("/kb")
    assert manager.last_text() == (
        "Сохранённых ответов пока нет. Чтобы сохранить, ответьте на своё сообщение "
        "командой /kb add <ключевые слова>."
    )
    first = await manager.send("Детская площадка во дворе, закрытая территория.")
    await reply(manager, first, "/kb add площадка, двор")
    second = await manager.send("Консьерж в каждом подъезде.")
    await reply(manager, second, "/kb add консьерж")

    await manager.send("/kb")
    assert manager.last_text() == (
        "Сохранённые ответы (удалить: /kb remove <номер>):\n"
        "#1 [ru] площадка, двор: Детская площадка во дворе, закрытая территория.\n"
        "#2 [ru] консьерж: Консьерж в каждом подъезде."
    )
    await manager.send("/kb remove 1")
    assert manager.last_text() == "Ответ #1 удалён."
    await manager.send("/kb remove #1")
    assert manager.last_text() == "Сохранённого ответа #1 нет; см. /kb."
    assert await knowledge(harness).answer("ru", "а двор закрытый?") is None
    hit = await knowledge(harness).answer("ru", "консьерж есть?")
    assert hit is not None and hit.entry_id == "saved:2"
    await manager.send("/kb remove")
    assert manager.last_text() == (
        "Использование: /kb remove <номер>, например /kb remove 3; номера есть в /kb."
    )


async def test_bad_usage_gets_an_example(harness: Harness) -> None:
    manager = harness.staff_member(MANAGER_ID)
    await manager.send("/kb add ипотека")
    assert manager.last_text() == (
        "Отправьте /kb add ответом на сообщение, текст которого надо сохранить, "
        "например /kb add ипотека, банк"
    )
    written = await manager.send("Ответ про ипотеку.")
    await reply(manager, written, "/kb add")
    assert manager.last_text() == (
        "Добавьте слова, которые напишет клиент, через запятую, например /kb add ипотека, банк"
    )
    await reply(manager, written, "/kb add есть, 123")
    assert (manager.last_text() or "").startswith("Эти слова не подходят: есть, 123.")
    [card_like] = [m for m in harness.telegram.bot_messages(STAFF_CHAT) if m.text][-1:]
    await reply(manager, card_like, "/kb add ипотека")
    assert manager.last_text() == "Ответьте на сообщение, которое написал человек, а не бот."
    await manager.send("/kb frobnicate")
    assert (manager.last_text() or "").startswith("База ответов:\n/kb add")
    assert await knowledge(harness).saved() == []


async def test_a_stranger_is_refused(harness: Harness) -> None:
    member = harness.staff_member(MANAGER_ID)
    written = await member.send("Ответ про ипотеку.")
    stranger = harness.staff_member(OUTSIDER_ID)
    harness.telegram.chat(STAFF_CHAT).members[OUTSIDER_ID] = "left"
    await reply(stranger, written, "/kb add ипотека")
    assert stranger.last_text() == "Эта команда доступна только участникам группы отдела продаж."
    await stranger.send("/kb")
    assert stranger.last_text() == "Эта команда доступна только участникам группы отдела продаж."
    prospect = harness.prospect(language_code="ru")
    await prospect.send("/kb add ипотека")
    assert prospect.last_text() == "Эта команда работает только в группе отдела продаж."
    assert await knowledge(harness).saved() == []


async def test_another_members_reply_can_be_saved_and_survives_a_restart(
    make_harness: Callable[..., Any],
) -> None:
    harness: Harness = await make_harness()
    harness.telegram.chat(STAFF_CHAT).members[COLLEAGUE_ID] = "member"
    colleague = harness.staff_member(COLLEAGUE_ID)
    written = await colleague.send("Кладовые есть на минус первом этаже.")
    manager = harness.staff_member(MANAGER_ID)
    await reply(manager, written, "/kb add кладовая, кладовка")
    await harness.app.close()

    again: Harness = await make_harness()
    hit = await knowledge(again).answer("ru", "кладовки продаёте?")
    assert hit is not None and hit.answer == "Кладовые есть на минус первом этаже."


async def test_a_broken_knowledge_file_stops_the_start(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    broken = tmp_path / "kb.yaml"
    broken.write_text("languages: [ru]\nentries: []\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"kb\.yaml:2: entries: missing or empty"):
        await make_harness(knowledge_path=broken)


def test_the_list_previews_plain_text() -> None:
    assert preview("<b>Да</b> &amp; <i>нет</i>") == "Да &amp; нет"
    assert preview("слово " * 20, length=20) == "слово слово слово…"
