"""The prospect's conversation end to end: real updates in, every request the bot sends checked."""

from __future__ import annotations

import pytest

from bot.domain.checklist import format_long_date
from bot.domain.leads import LeadStatus
from bot.domain.scoring import Verdict
from bot.storage import leads
from tests.conftest import STAFF_CHAT, Harness
from tests.fakegram import TelegramUser
from tests.handlers.flows import (
    answer_rest,
    cash_buyer_up_to_name,
    consent,
    consent_up_to_budget,
    serious_buyer,
)


def _plain(text: str | None) -> str:
    return (text or "").replace("\u2009", " ").replace("\u00a0", " ")


async def test_serious_buyer_becomes_a_target_lead(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await user.send("/start vk_spring")
    greeting = user.last_text() or ""
    assert "Acme Homes" in greeting
    assert "privacy policy" in greeting
    assert await harness.lead() is None  # nothing personal before consent

    await user.click("✅ I agree")
    assert "Question 1 / 10" in (user.last_text() or "")
    await answer_rest(user)

    outcome = user.messages()[-1]  # the outcome and what happens next, as one message
    assert "Thank you, Anna!" in outcome
    assert "manager, who will contact you" in outcome
    # No sales manager has joined yet, so nobody can take a viewing.
    assert "A manager will call you" in outcome
    assert user.reply_keyboard() is None

    lead = await harness.lead()
    assert lead is not None
    assert lead.status is LeadStatus.TARGET
    assert lead.verdict is Verdict.TARGET
    assert (lead.source, lead.phone, lead.name, lead.language) == (
        "vk_spring",
        "+79161234567",
        "Anna",
        "en",
    )
    assert lead.consent_version == "1"
    assert lead.answers["budget"] == 8_500_000
    assert lead.answers["payment"] == ("mortgage",)
    assert lead.score is not None and lead.score >= 80
    async with harness.app.db.transaction() as tx:
        history = await leads.events(tx, lead.id)
    assert [(e.from_status, e.to_status) for e in history] == [
        (None, LeadStatus.NEW),
        (LeadStatus.NEW, LeadStatus.QUALIFYING),
        (LeadStatus.QUALIFYING, LeadStatus.TARGET),
    ]
    assert history[-1].actor == "checklist"


async def test_progress_counts_the_conditional_question(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await consent_up_to_budget(user)
    await user.send("8500000")
    await user.click("Own funds")
    assert "✅ Own funds" in user.buttons()
    await user.click("Done ➡️")
    # No mortgage: the approval question is never asked.
    assert "When are you planning to buy?" in (user.last_text() or "")
    assert "Question 5 / 9" in (user.last_text() or "")


async def test_staff_group_gets_a_topic_and_a_card(harness: Harness) -> None:
    await serious_buyer(harness.prospect(language_code="en"))
    lead = await harness.lead()
    assert lead is not None and lead.staff_thread_id is not None
    topic = harness.telegram.chat(STAFF_CHAT).topics[lead.staff_thread_id]
    assert _plain(topic.name) == "Anna · 2-к · 8 500 000 ₽ 🟢"
    card = harness.telegram.bot_messages(STAFF_CHAT, lead.staff_thread_id)[-1].visible_text
    # The staff group reads the default language (ru), whatever the prospect speaks.
    assert "Целевой" in card
    assert "+79161234567" in card
    assert "vk_spring" in card
    assert f"Баллы: {lead.score} из {lead.max_score}" in card
    assert "Парк Виста" in card


async def test_renter_is_declined_politely(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await consent(user)
    await answer_rest(user, purpose="I want to rent a flat")
    lead = await harness.lead()
    assert lead is not None and lead.status is LeadStatus.REJECTED
    assert [r.rule_id for r in lead.reasons if r.kind == "rule"] == ["rent"]
    outcome = user.last_text() or ""
    assert "rent" in outcome.lower()
    assert "/restart" in outcome
    topic = harness.telegram.chat(STAFF_CHAT).topics[lead.staff_thread_id or 0]
    assert topic.name.endswith("🔴")


async def test_later_buyer_is_kept_for_nurture_with_a_date(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await consent(user)
    await answer_rest(user, timeline="Later / just looking")
    lead = await harness.lead()
    assert lead is not None and lead.status is LeadStatus.NURTURE
    assert lead.follow_up_at is not None
    assert (lead.follow_up_at - harness.clock.now()).days == 90
    # The outcome under the last answer (in the pressed message), then the marketing
    # consent as its own message (tests/nurture).
    answered, marketing = user.messages()[-2:]
    last_answer, outcome = answered.split("\n\n", 2)[1:]
    assert last_answer == "Your answer: Evening (17–21)"
    # The deciding rule's message promises the follow-up with its date: no second promise.
    follow_up = format_long_date(
        lead.follow_up_at.astimezone(harness.app.settings.zone).date(), "en"
    )
    assert outcome.startswith(f"Thank you! We will write to you around {follow_up} with new offers")
    assert outcome.count("around") == 1
    assert "Consent to receive offers" in marketing


async def test_declining_consent_stores_nothing(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await user.send("/start promo")
    await user.click("No, thanks")
    assert "stored nothing" in (user.last_text() or "")
    assert await harness.lead() is None
    async with (
        harness.app.db.transaction() as tx,
        tx.execute("SELECT COUNT(*) FROM fsm_state") as c,
    ):
        row = await c.fetchone()
    assert row is not None and row[0] == 0


@pytest.mark.parametrize(
    ("payload", "stored"),
    [
        (None, "direct"),
        ("site_header-2", "site_header-2"),
        ("bad payload!", "unknown"),
        ("x" * 65, "unknown"),
    ],
)
async def test_deep_link_source(harness: Harness, payload: str | None, stored: str) -> None:
    user = harness.prospect(language_code="en")
    await consent(user, payload)
    lead = await harness.lead()
    assert lead is not None and lead.source == stored


async def test_back_changes_the_previous_answer(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await consent_up_to_budget(user)
    assert "Question 3 / 10" in (user.last_text() or "")
    await user.click("⬅️ Back")
    assert "How many rooms do you need?" in (user.last_text() or "")
    assert "Question 2 / 10" in (user.last_text() or "")
    await user.click("3 rooms")
    lead = await harness.lead()
    assert lead is not None and lead.answers == {"purpose": "live", "rooms": "room_3"}


async def test_back_on_the_first_question_says_so(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await consent(user)
    assert "⬅️ Back" not in user.buttons()
    await user.send("⬅️ Back")  # typed, or from an old reply keyboard
    assert user.last_text() == "This is the first question."


async def test_typed_text_where_buttons_are_expected(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await consent(user)
    await user.send("I dunno, something nice")
    # The problem and the question again, in one message.
    said = user.messages()[-1]
    assert said.startswith("Please choose an option with the buttons")
    assert "What are you looking for a flat for?" in said
    assert "To live in" in user.buttons()
    lead = await harness.lead()
    assert lead is not None and lead.answers == {}


async def test_an_old_button_is_closed_and_the_current_question_shown(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await consent(user)
    await user.send("hello?")  # the first question is shown again; the old copy keeps its buttons
    stale = next(m for m in user.bot_messages() if "To live in" in str(m.reply_markup))
    await user.click("To live in")
    answer = await user.click("As an investment", message=stale)
    assert answer is not None and answer.text == "This question is closed; here is the current one."
    assert "How many rooms do you need?" in (user.last_text() or "")
    lead = await harness.lead()
    assert lead is not None and lead.answers == {"purpose": "live"}


async def test_numbers_are_read_the_way_people_type_them(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await consent_up_to_budget(user)
    await user.send("a lot")
    assert "couldn't read a number" in (user.last_text() or "")
    await user.send("50 000")
    assert "too small: the minimum is 100 000" in _plain(user.last_text())
    await user.send("7,2 млн ₽")
    lead = await harness.lead()
    assert lead is not None and lead.answers["budget"] == 7_200_000


async def test_multi_choice_needs_one_option(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await consent_up_to_budget(user)
    await user.send("9 000 000")
    answer = await user.click("Done ➡️")
    assert answer is not None and answer.text == "Please choose at least 1."
    await user.click("Mortgage")
    await user.click("Own funds")
    await user.click("✅ Mortgage")  # changed their mind
    await user.click("Done ➡️")
    lead = await harness.lead()
    assert lead is not None and lead.answers["payment"] == ("cash",)


async def test_name_limits_emoji_and_empty_messages(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await cash_buyer_up_to_name(user)
    assert "What is your name?" in (user.last_text() or "")
    await user.send("A" * 5000)
    assert "too long: 60 characters at most" in (user.last_text() or "")
    await user.send_sticker()
    assert "I understand text and buttons only." in (user.last_text() or "")
    assert "What is your name?" in (user.last_text() or "")
    await user.send("Анна 🌷 <b>&")
    lead = await harness.lead()
    assert lead is not None and lead.answers["name"] == "Анна 🌷 <b>&"


async def test_phone_must_be_the_prospects_own(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await answer_until_phone(user)
    await user.share_contact("79990001122", user_id=777)
    assert "someone else's contact" in (user.last_text() or "")
    await user.send("call me maybe")
    assert "doesn't look like a phone number" in (user.last_text() or "")
    await user.send("8 (916) 765-43-21")
    lead = await harness.lead()
    assert lead is not None and lead.answers["phone"] == "+79167654321"
    assert user.reply_keyboard() is None


async def answer_until_phone(user: TelegramUser) -> None:
    await cash_buyer_up_to_name(user)
    await user.send("Anna")
    assert user.reply_keyboard() == ["📱 Share my phone number", "⬅️ Back"]


async def test_optional_question_can_be_skipped(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await answer_until_phone(user)
    await user.press("📱 Share my phone number")
    await user.click("Skip")
    lead = await harness.lead()
    assert lead is not None and lead.status is LeadStatus.TARGET
    assert lead.answers["call_time"] is None


async def test_returning_prospect_is_not_asked_again(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await serious_buyer(user)
    before = len(user.messages())
    await user.send("/start another_campaign")
    assert len(user.messages()) == before + 1
    assert "Welcome back, Anna!" in (user.last_text() or "")
    assert user.buttons() == ["🔄 Update my answers"]
    lead = await harness.lead()
    assert lead is not None and lead.source == "vk_spring"

    await user.click("🔄 Update my answers")
    assert "Question 1 / 10" in (user.last_text() or "")
    lead = await harness.lead()
    assert lead is not None and lead.status is LeadStatus.QUALIFYING and lead.answers == {}


async def test_restart_midway_starts_over(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await consent(user)
    await user.click("To live in")
    await user.send("/restart")
    assert "Let's start again." in (user.last_text() or "")
    assert "Question 1 / 10" in (user.last_text() or "")
    lead = await harness.lead()
    assert lead is not None and lead.answers == {}


async def test_language_switch(harness: Harness) -> None:
    user = harness.prospect(language_code="ru")
    await consent_ru(user)
    await user.send("/language")
    await user.click("🇬🇧 English")
    assert "What are you looking for a flat for?" in (user.last_text() or "")
    lead = await harness.lead()
    assert lead is not None and lead.language == "en"


async def consent_ru(user: TelegramUser) -> None:
    await user.send("/start")
    greeting, document = user.messages()[-2:]  # the consent is a document of its own
    assert "Здравствуйте" in greeting
    assert "Согласие на обработку персональных данных" in document
    await user.click("✅ Согласен(на)")
    assert "Для чего вы выбираете квартиру?" in (user.last_text() or "")


async def test_russian_is_the_default_for_unknown_languages(harness: Harness) -> None:
    user = harness.prospect(language_code="de")
    await consent_ru(user)


async def test_forget_erases_the_lead_and_tells_staff(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await serious_buyer(user)
    lead = await harness.lead()
    assert lead is not None
    await user.send("/forget")
    assert "erased your data" in (user.last_text() or "")
    assert await harness.lead() is None
    # The lead's topic is deleted with its messages; the group hears of it in General.
    assert lead.staff_thread_id is not None
    assert harness.telegram.bot_messages(STAFF_CHAT, lead.staff_thread_id) == []
    assert harness.telegram.chat(STAFF_CHAT).topics[lead.staff_thread_id].deleted
    staff_texts = [m.visible_text for m in harness.telegram.bot_messages(STAFF_CHAT)]
    assert staff_texts[-1] == f"Клиент (лид #{lead.id}) удалил свои данные из бота."
