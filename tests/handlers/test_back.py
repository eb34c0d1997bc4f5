"""Back leaves no abandoned question in the chat: the pressed message becomes the previous
question, or the abandoned one is deleted when the previous needs a reply keyboard."""

from __future__ import annotations

from tests.conftest import Harness
from tests.fakegram import TelegramUser
from tests.handlers.flows import cash_buyer_up_to_name, consent_up_to_budget

PHONE_KEYBOARD = ["📱 Share my phone number", "⬅️ Back"]


def _shown(user: TelegramUser, marker: str) -> list[str]:
    return [text for text in user.messages() if marker in text]


async def test_pressed_back_turns_the_question_into_the_previous_one(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await consent_up_to_budget(user)
    before = len(user.messages())
    await user.click("⬅️ Back")
    assert len(user.messages()) == before  # edited in place, nothing new
    assert _shown(user, "Question 3 / 10") == []
    assert "Question 2 / 10" in (user.last_text() or "")
    assert "3 rooms" in user.buttons()
    # The question it became is a working question: its buttons answer it.
    await user.click("3 rooms")
    assert "Question 3 / 10" in (user.last_text() or "")
    lead = await harness.lead()
    assert lead is not None and lead.answers == {"purpose": "live", "rooms": "room_3"}


async def test_back_twice_leaves_one_question(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await consent_up_to_budget(user)
    await user.click("⬅️ Back")
    await user.click("⬅️ Back")
    assert "Question 1 / 10" in (user.last_text() or "")
    assert _shown(user, "Question 2 / 10") == [] and _shown(user, "Question 3 / 10") == []


async def test_typed_back_on_the_phone_question_deletes_it(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await cash_buyer_up_to_name(user)
    await user.send("Anna")
    assert user.reply_keyboard() == PHONE_KEYBOARD
    await user.press("⬅️ Back")
    assert _shown(user, "Question 8 / 9") == []
    assert "Question 7 / 9" in (user.last_text() or "")
    await user.send("Anna Maria")
    assert "Question 8 / 9" in (user.last_text() or "")
    lead = await harness.lead()
    assert lead is not None and lead.answers["name"] == "Anna Maria"


async def test_back_to_the_phone_question_deletes_the_pressed_one(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await cash_buyer_up_to_name(user)
    await user.send("Anna")
    await user.press("📱 Share my phone number")
    assert "Question 9 / 9" in (user.last_text() or "")
    await user.click("⬅️ Back")
    # A reply keyboard cannot go on an edited message: the phone question comes anew.
    assert _shown(user, "Question 9 / 9") == []
    assert "Question 8 / 9" in (user.last_text() or "")
    assert user.reply_keyboard() == PHONE_KEYBOARD


async def test_a_question_too_old_to_edit_is_followed_by_the_previous_one(
    harness: Harness,
) -> None:
    user = harness.prospect(language_code="en")
    await consent_up_to_budget(user)
    harness.telegram.fail_next(
        "editMessageText", error_code=400, description="Bad Request: message can't be edited"
    )
    harness.telegram.fail_next(
        "deleteMessage",
        error_code=400,
        description="Bad Request: message can't be deleted for everyone",
    )
    before = len(user.messages())
    await user.click("⬅️ Back")
    # Telegram refused both: the old question stays, the previous one is sent after it.
    assert len(user.messages()) == before + 1
    assert "Question 2 / 10" in (user.last_text() or "")
    await user.click("3 rooms")
    assert "Question 3 / 10" in (user.last_text() or "")
    lead = await harness.lead()
    assert lead is not None and lead.answers == {"purpose": "live", "rooms": "room_3"}
