"""The prospect's side: the knowledge base first, "Ask a person" and /human, a deleted
topic, and a restart between a message and its copy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.domain.events import EventType
from tests.conftest import STAFF_CHAT, Harness
from tests.handlers.flows import consent_up_to_budget, serious_buyer
from tests.relay.conftest import SmallKnowledge, open_desk


async def test_the_knowledge_base_answers_first_then_people(harness: Harness) -> None:
    desk = await open_desk(harness)
    knowledge = SmallKnowledge()
    harness.app.relay.knowledge = knowledge

    # A hit: the prospect gets the answer and a way to a person; the topic sees which one.
    await desk.prospect.send("is there a mortgage?")
    assert desk.prospect.last_text() == "Yes: 6% with our banks."
    assert desk.prospect.buttons() == ["🙋 Ask a person"]
    await desk.deliver()
    assert knowledge.asked == [("en", "is there a mortgage?")]
    assert "«Is there a mortgage?»" in desk.topic()[-1].visible_text
    assert desk.copies_in_topic()[-1].text == "is there a mortgage?"  # the question, for context
    [answered] = await desk.events(EventType.DESK_KB_ANSWERED)
    assert answered.data == {"entry": "file:mortgage"}
    assert await desk.events(EventType.DESK_CLIENT_MESSAGE) == []  # nothing for people to answer

    # A miss goes to people.
    await desk.prospect.send("can I bring my dog to the viewing?")
    assert desk.prospect.last_text() == (
        "Thank you! I have passed this on to our team: a person will answer you here."
    )
    await desk.deliver()
    assert desk.copies_in_topic()[-1].text == "can I bring my dog to the viewing?"
    assert len(await desk.events(EventType.DESK_CLIENT_MESSAGE)) == 1

    # Once they ask for a person, text goes straight to people, unanswered by the bot.
    await desk.prospect.click("🙋 Ask a person")
    assert desk.prospect.last_text() == (
        "A person from our team will answer you right here. Write your question."
    )
    [asked] = await desk.events(EventType.DESK_HUMAN_REQUESTED)
    assert asked.data == {"via": "button"}
    mark = harness.telegram.mark()
    await desk.prospect.send("and how far is the metro?")
    assert [r for r in harness.telegram.requests[mark:] if r.chat_id == desk.prospect.chat_id] == []
    await desk.deliver()
    assert desk.copies_in_topic()[-1].text == "and how far is the metro?"
    assert any("Клиент просит человека" in m.visible_text for m in desk.topic())
    assert len(knowledge.asked) == 2  # not asked about the last one


async def test_ask_a_person_under_the_outcome_and_human_twice(harness: Harness) -> None:
    desk = await open_desk(harness)
    [outcome] = [m for m in desk.chat() if "🙋 Ask a person" in str(m.reply_markup)]
    await desk.prospect.click("🙋 Ask a person", outcome)
    await desk.prospect.send("/human")  # already open: answered, not recorded again
    assert desk.prospect.last_text() == (
        "A person from our team will answer you right here. Write your question."
    )
    [asked] = await desk.events(EventType.DESK_HUMAN_REQUESTED)
    assert asked.data == {"via": "checklist"}
    await desk.deliver()
    notices = [m for m in desk.topic() if "Клиент просит человека" in m.visible_text]
    assert len(notices) == 1


async def test_human_during_the_checklist_and_before_it(harness: Harness) -> None:
    stranger = harness.prospect(2002, language_code="en")
    await stranger.send("/human")
    assert "/start" in (stranger.last_text() or "")

    prospect = harness.prospect(language_code="en")
    await consent_up_to_budget(prospect)
    await prospect.send("/human")
    lead = await harness.lead()
    assert lead is not None
    await prospect.send_photo("my current flat")  # to people, not "please use the buttons"
    assert "passed" not in (prospect.last_text() or "")
    await harness.app.relay.delivery.deliver_due()
    # No card (and no topic) before the checklist ends: the copy lands in the group itself,
    # after a line saying whose it is.
    [copy] = harness.telegram.sent(STAFF_CHAT, "copyMessage")
    assert "message_thread_id" not in copy.params
    *_, header, copied_photo = harness.telegram.bot_messages(STAFF_CHAT)
    assert header.text is not None and header.text.startswith(f"💬 Пишет лид #{lead.id} ")
    assert "photo" in copied_photo.content
    # A lead-manager answers it by replying; the checklist's buttons still work.
    manager = harness.staff_member()
    [copied] = [m for m in harness.telegram.bot_messages(STAFF_CHAT) if "photo" in m.content]
    await manager.send("Nice! Go on with the questions, please.", reply_to=copied)
    await harness.app.relay.delivery.deliver_due()
    assert prospect.last_text() == "Nice! Go on with the questions, please."

    # Typed text goes to people until the prospect goes back to the questions.
    await prospect.send("8,5 млн")
    relayed = await harness.lead()
    assert relayed is not None and relayed.answers.get("budget") is None
    await prospect.click("▶️ Back to the questions")
    assert "What budget do you have in mind?" in (prospect.last_text() or "")
    await prospect.send("8,5 млн")
    answered = await harness.lead()
    assert answered is not None and answered.answers.get("budget") is not None
    assert "How are you planning to pay?" in (prospect.last_text() or "")


async def test_a_deleted_topic_is_made_again_with_the_card(harness: Harness) -> None:
    desk = await open_desk(harness)
    harness.telegram.delete_topic(STAFF_CHAT, desk.thread)
    await desk.prospect.send("hello, anyone there?")
    await desk.deliver()

    lead = await harness.lead()
    assert lead is not None and lead.staff_thread_id not in (None, desk.thread)
    desk.thread = lead.staff_thread_id
    assert f"лид #{lead.id}\n" in desk.topic()[0].visible_text  # the card first
    assert desk.copies_in_topic()[-1].text == "hello, anyone there?"
    # The conversation goes on in the new topic.
    await desk.manager.send("Yes! How can I help?", desk.thread)
    await desk.deliver()
    assert desk.prospect.last_text() == "Yes! How can I help?"


async def test_a_restart_between_the_message_and_its_copy(
    make_harness: Callable[..., Any],
) -> None:
    harness: Harness = await make_harness()
    desk = await open_desk(harness)
    photo = await desk.prospect.send_photo("before the restart")
    await harness.app.close()  # the process stops before the worker copied it
    assert desk.copies_in_topic() == []

    restarted: Harness = await make_harness()
    desk.harness = restarted
    assert await desk.deliver() == 1
    [copy] = desk.copies_in_topic()
    assert copy.caption == "before the restart"
    # Telegram hands the same update over again (it was not confirmed): still one copy.
    await restarted.feed({"update_id": 1, "message": photo.to_dict()})
    await desk.deliver()
    assert len(desk.copies_in_topic()) == 1
    assert len(await desk.events(EventType.DESK_CLIENT_MESSAGE)) == 1


async def test_a_topic_deleted_while_a_copy_waits(harness: Harness) -> None:
    desk = await open_desk(harness)
    await desk.prospect.send("a question for you")  # accepted while the topic is there
    harness.telegram.delete_topic(STAFF_CHAT, desk.thread)
    await desk.deliver()

    lead = await harness.lead()
    assert lead is not None and lead.staff_thread_id not in (None, desk.thread)
    desk.thread = lead.staff_thread_id
    assert f"лид #{lead.id}\n" in desk.topic()[0].visible_text
    assert desk.copies_in_topic()[-1].text == "a question for you"
    assert len(harness.telegram.chat(STAFF_CHAT).topics) == 2  # one new topic, not one per try


async def test_a_group_without_topics(make_harness: Callable[..., Any]) -> None:
    harness: Harness = await make_harness(forum=False)
    prospect = harness.prospect(language_code="en")
    await serious_buyer(prospect)
    lead = await harness.lead()
    assert lead is not None and lead.staff_thread_id is None
    await prospect.send("do you have 3-room flats?")
    await harness.app.relay.delivery.deliver_due()
    *_, header, copy = harness.telegram.bot_messages(STAFF_CHAT)
    assert header.text is not None and header.text.startswith(f"💬 Пишет лид #{lead.id} ")
    assert copy.text == "do you have 3-room flats?"

    manager = harness.staff_member()
    await manager.send("Yes, from 9.2 million.", reply_to=copy)
    await manager.send("lunch, anyone?")  # not a reply to a client: stays in the group
    await harness.app.relay.delivery.deliver_due()
    assert prospect.last_text() == "Yes, from 9.2 million."
    assert len(harness.telegram.sent(prospect.chat_id, "copyMessage")) == 1
