"""What staff write in a lead's topic: notes stay, commands are not copied, strangers and
a blocked prospect change nothing they should not."""

from __future__ import annotations

from bot.domain.events import EventType
from tests.conftest import OUTSIDER_ID, STAFF_CHAT, Harness
from tests.relay.conftest import open_desk


async def test_a_note_stays_in_the_topic(harness: Harness) -> None:
    desk = await open_desk(harness)
    mark = harness.telegram.mark()
    note = await desk.manager.send("/note wants a discount, call after 6 pm", desk.thread)
    await desk.deliver()
    assert desk.copies_in_chat() == []
    assert harness.telegram.sent(desk.prospect.chat_id, "copyMessage") == []
    # Kept, and the staff see it was: the bot marks the note.
    assert harness.telegram.reactions[(STAFF_CHAT, note.message_id)] == ["✍"]
    [event] = await desk.events(EventType.DESK_NOTE_ADDED)
    assert event.data == {"note": "wants a discount, call after 6 pm"}
    assert event.actor == "staff:5001"
    # Editing a note does not send it anywhere either.
    await desk.manager.edit(note, "/note wants a discount")
    await desk.deliver()
    assert [r for r in harness.telegram.requests[mark:] if r.chat_id == desk.prospect.chat_id] == []


async def test_commands_in_the_topic_are_not_copied(harness: Harness) -> None:
    desk = await open_desk(harness)
    await desk.manager.send("/stats", desk.thread)
    await desk.manager.send("/whatever is this", desk.thread)
    await desk.manager.send("Hello! I am Olga, your manager.", desk.thread)
    await desk.deliver()
    [copy] = desk.copies_in_chat()
    assert copy.text == "Hello! I am Olga, your manager."
    # /stats was answered as the staff command it is, in the topic.
    [stats] = [
        r for r in harness.telegram.sent(STAFF_CHAT, "sendMessage") if "Воронка" in (r.text or "")
    ]
    assert stats.params["message_thread_id"] == desk.thread


async def test_strangers_and_other_topics_reach_nobody(harness: Harness) -> None:
    desk = await open_desk(harness)
    stranger = harness.staff_member(OUTSIDER_ID)
    harness.telegram.chat(STAFF_CHAT).members[OUTSIDER_ID] = "left"
    await stranger.send("hi, I am not staff", desk.thread)
    await desk.manager.send("chat among us, in the general topic")
    await desk.deliver()
    assert harness.telegram.sent(desk.prospect.chat_id, "copyMessage") == []
    assert await desk.events(EventType.DESK_STAFF_REPLIED) == []


async def test_a_prospect_who_blocked_the_bot_shows_as_unreachable(harness: Harness) -> None:
    desk = await open_desk(harness)
    harness.telegram.block_user(desk.prospect.user_id)
    await desk.manager.send("Are you still looking?", desk.thread)
    await desk.manager.send("Hello?", desk.thread)
    await desk.deliver()  # no crash, nothing logged as an error (the harness checks)

    lead = await harness.lead()
    assert lead is not None and lead.unreachable_at is not None
    blocked = [m for m in desk.topic() if m.visible_text.startswith("⛔ Клиент заблокировал бота")]
    assert len(blocked) == 1  # told once, not per message
    assert "⚠️ Клиент заблокировал бота" in harness.card(desk.thread)
    assert await desk.events(EventType.DESK_STAFF_REPLIED) == []
    async with harness.app.db.read() as conn:
        states = await (await conn.execute("SELECT state FROM relay_outbox")).fetchall()
    assert [s[0] for s in states] == ["failed", "failed"]  # final, not retried forever

    # They unblock and write again: reachable, and the conversation goes on.
    harness.telegram.unblock_user(desk.prospect.user_id)
    await desk.prospect.send("sorry, I am back")
    again = await harness.lead()
    assert again is not None and again.unreachable_at is None
    await desk.deliver()
    assert desk.copies_in_topic()[-1].text == "sorry, I am back"
