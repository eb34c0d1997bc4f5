"""A pressed answer and the next question share one message: the pressed one is edited to
show the answer and, below it, the next question (one request to Telegram instead of two),
while it is the newest message of the chat; the answers given in it stay visible."""

from __future__ import annotations

from tests.conftest import Harness
from tests.handlers.flows import answer_rest, consent


async def test_answers_stay_above_the_question_they_led_to(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await consent(user)
    before = len(user.messages())
    sent = len(harness.telegram.sent(user.chat_id, "sendMessage"))

    await user.click("To live in")
    await user.click("2 rooms")

    # No new message: the question's message became the next question, twice.
    assert len(user.messages()) == before
    assert len(harness.telegram.sent(user.chat_id, "sendMessage")) == sent
    shown = user.last_text() or ""
    purpose = shown.index("Your answer: To live in")
    rooms = shown.index("Your answer: 2 rooms")
    question = shown.index("What budget do you have in mind?")
    assert purpose < rooms < question
    assert "⬅️ Back" in user.buttons()  # the budget question's own keyboard


async def test_a_typed_answer_keeps_the_answers_above_it(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await consent(user)
    await user.click("To live in")
    await user.click("2 rooms")
    await user.send("8,5 млн")

    answered = user.messages()[-2]  # the message the three answers were given in
    assert "Your answer: To live in" in answered
    assert "Your answer: 2 rooms" in answered
    assert "Your answer: 8\u2009500\u2009000\u00a0RUB" in answered
    assert "How are you planning to pay?" in (user.last_text() or "")


async def test_back_takes_the_last_answer_out_of_the_message(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await consent(user)
    await user.click("To live in")
    await user.click("2 rooms")
    await user.click("⬅️ Back")

    shown = user.last_text() or ""
    assert "Your answer: To live in" in shown
    assert "Your answer: 2 rooms" not in shown
    assert shown.rstrip().endswith("How many rooms do you need?")
    await user.click("3 rooms")
    assert "Your answer: 3 rooms" in (user.last_text() or "")


async def test_after_another_message_the_next_question_goes_to_the_bottom(
    harness: Harness,
) -> None:
    user = harness.prospect(language_code="en")
    await consent(user)
    await user.send("I'd like something nice")  # the hint and the question again, below
    hint_and_question = harness.telegram.bot_messages(user.chat_id)[-1]
    first_question = harness.telegram.bot_messages(user.chat_id)[-2]

    await user.click("To live in", first_question)  # the older copy of the question

    assert "How many rooms do you need?" in (user.last_text() or "")
    assert harness.telegram.bot_messages(user.chat_id)[-1] is not hint_and_question
    assert "Your answer: To live in" in first_question.visible_text


async def test_the_last_answer_and_the_outcome_share_the_pressed_message(
    harness: Harness,
) -> None:
    user = harness.prospect(language_code="en")
    await consent(user)
    await answer_rest(user, timeline="Later / just looking")  # the outcome, then an offer
    last_question = next(
        message
        for message in harness.telegram.bot_messages(user.chat_id)
        if "When is it convenient to call you?" in message.visible_text
    )

    shown = last_question.visible_text
    assert shown.index("Your answer: Evening (17–21)") < shown.index("Thank you!")
    markup = last_question.reply_markup or {}
    labels = [button["text"] for row in markup.get("inline_keyboard", []) for button in row]
    assert "Evening (17–21)" not in labels  # the outcome's buttons, not the question's
    assert sum("Thank you!" in text for text in user.messages()) == 1
