"""A question typed where the checklist expects a button is answered from the knowledge
base, and the checklist goes on at the same question."""

from __future__ import annotations

from tests.conftest import Harness
from tests.handlers.flows import consent


async def test_a_question_instead_of_a_button_gets_the_faq_answer_and_the_question_again(
    harness: Harness,
) -> None:
    user = harness.prospect(language_code="en")
    await consent(user)
    await user.click("To live in")

    await user.send("Can I buy with a mortgage?")
    # The FAQ's answer, then the question again, in one message.
    answer, question = (user.last_text() or "").split("Question 2 / 10")
    assert "mortgage" in answer.lower()
    assert "Please choose an option" not in answer
    assert "How many rooms do you need?" in question

    # Small talk is no question for the FAQ: the usual hint.
    await user.send("I'd like something nice")
    assert (user.last_text() or "").startswith("Please choose an option with the buttons")

    await user.click("2 rooms")  # and the checklist goes on
    assert "What budget do you have in mind?" in (user.last_text() or "")
