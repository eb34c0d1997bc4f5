"""The relay both ways through the stand-in: media, albums, replies and edits."""

from __future__ import annotations

from bot.domain.events import EventType
from bot.storage import relay as store
from tests.conftest import STAFF_CHAT, Harness
from tests.relay.conftest import open_desk


async def test_a_photo_and_replies_cross_both_ways(harness: Harness) -> None:
    desk = await open_desk(harness)
    photo = await desk.prospect.send_photo("the kitchen, is it like this?")
    # Answered at once; the copy waits for the worker.
    assert desk.prospect.last_text() == (
        "Thank you! I have passed this on to our team: a person will answer you here."
    )
    assert desk.copies_in_topic() == []

    assert await desk.deliver() == 1
    [copy] = desk.copies_in_topic()
    assert copy.content["photo"] == photo.content["photo"]
    assert copy.caption == "the kitchen, is it like this?"
    [event] = await desk.events(EventType.DESK_CLIENT_MESSAGE)
    assert event.data == {"kind": "photo"}  # the kind, never the text
    async with harness.app.db.read() as conn:
        paired = await store.staff_side(conn, desk.prospect.chat_id, photo.message_id)
        row = await (
            await conn.execute(
                "SELECT last_client_text, last_client_message_at FROM desk_leads WHERE lead_id = ?",
                (desk.lead.id,),
            )
        ).fetchone()
    assert paired == (STAFF_CHAT, copy.message_id)
    assert row is not None and row[1] is not None
    assert row[0] == "📷 фото: the kitchen, is it like this?"  # staff read Russian

    # The lead-manager answers with a photo, as a reply to the copy.
    answer = await desk.manager.send_photo(desk.thread, "ours looks like this", reply_to=copy)
    assert await desk.deliver() == 1
    [back] = desk.copies_in_chat()
    assert back.caption == "ours looks like this"
    assert back.reply_to is not None and back.reply_to.message_id == photo.message_id
    [replied] = await desk.events(EventType.DESK_STAFF_REPLIED)
    assert replied.data == {"kind": "photo"} and replied.actor == "staff:5001"

    # The prospect replies to what came from the lead-manager: a reply in the topic too.
    await desk.prospect.send("great, thanks", reply_to=back)
    await desk.deliver()
    text_copy = desk.copies_in_topic()[-1]
    assert text_copy.text == "great, thanks"
    assert text_copy.reply_to is not None and text_copy.reply_to.message_id == answer.message_id
    assert harness.telegram.violations == []


async def test_an_album_is_copied_together_both_ways(harness: Harness) -> None:
    desk = await open_desk(harness)
    album = await desk.prospect.send_album(3, caption="three rooms")
    await desk.deliver()
    assert desk.copies_in_topic() == []  # its items may still be arriving

    harness.clock.advance(seconds=3)
    assert await desk.deliver() == 3
    [request] = harness.telegram.sent(STAFF_CHAT, "copyMessages")
    assert request.params["message_ids"] == [m.message_id for m in album]
    assert request.params["message_thread_id"] == desk.thread
    copies = desk.copies_in_topic()
    assert [c.caption for c in copies] == ["three rooms", None, None]
    assert len({c.content["media_group_id"] for c in copies}) == 1
    assert harness.telegram.sent(STAFF_CHAT, "copyMessage") == []  # not item by item

    sent = await desk.manager.send_album(desk.thread, count=2)
    harness.clock.advance(seconds=3)
    await desk.deliver()
    [out] = harness.telegram.sent(desk.prospect.chat_id, "copyMessages")
    assert out.params["message_ids"] == [m.message_id for m in sent]
    assert len(desk.copies_in_chat()) == 2
    assert len(await desk.events(EventType.DESK_STAFF_REPLIED)) == 2


async def test_edits_are_mirrored_both_ways(harness: Harness) -> None:
    desk = await open_desk(harness)
    text = await desk.prospect.send("I want 2 rooms")
    photo = await desk.prospect.send_photo("the plan")
    await desk.deliver()
    text_copy, photo_copy = desk.copies_in_topic()
    passed_on = [m for m in desk.chat() if m.visible_text.startswith("Thank you! I have passed")]
    assert len(passed_on) == 1  # once for the burst, not under each message

    await desk.prospect.edit(text, "I want 3 rooms")
    await desk.prospect.edit_caption(photo, "the plan, 3rd floor")
    await desk.deliver()
    assert text_copy.text == "I want 3 rooms"  # the same message, edited in place
    assert photo_copy.caption == "the plan, 3rd floor"
    assert len(desk.copies_in_topic()) == 2

    answer = await desk.manager.send("Viewing at 5 pm <b>ok</b>?", desk.thread)
    await desk.deliver()
    [back] = desk.copies_in_chat()
    assert back.text == "Viewing at 5 pm <b>ok</b>?"  # what they typed, not parsed as HTML
    await desk.manager.edit(answer, "Viewing at 6 pm?")
    await desk.deliver()
    assert back.text == "Viewing at 6 pm?"
    assert len(desk.copies_in_chat()) == 1
    async with harness.app.db.read() as conn:
        kept = await (
            await conn.execute("SELECT text FROM relay_outbox WHERE action LIKE 'edit%'")
        ).fetchall()
    assert [row[0] for row in kept] == [None, None, None]  # carried edits keep no text

    # An edited checklist answer is not the relay's: nothing is mirrored.
    mark = harness.telegram.mark()
    [name] = [m for m in harness.telegram.messages(desk.prospect.chat_id) if m.text == "Anna"]
    await desk.prospect.edit(name, "Anna K.")
    await desk.deliver()
    assert [r.method for r in harness.telegram.requests[mark:] if r.method.startswith("edit")] == []


async def test_a_copy_telegram_keeps_failing_is_retried_later_once(harness: Harness) -> None:
    desk = await open_desk(harness)
    harness.telegram.fail_next(
        "copyMessage",
        error_code=429,
        description="Too Many Requests: retry after 1",
        retry_after=1,
        times=5,  # longer than the notifier's own tries
    )
    harness.expected_errors.append("gave up on copyMessage")
    await desk.prospect.send("hello?")
    assert await desk.deliver() == 0
    assert desk.copies_in_topic() == []
    assert await desk.deliver() == 0  # not due again yet: no request before its time
    assert len(harness.telegram.sent(STAFF_CHAT, "copyMessage", ok=None)) == 5

    harness.clock.advance(minutes=2)
    assert await desk.deliver() == 1
    [copy] = desk.copies_in_topic()
    assert copy.text == "hello?"
