"""A nurture lead's journey: the marketing consent, the follow-up on the promised date,
answering it (target and booking, or nurture again), and every way it stops."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.domain.consent import Purpose, text_hash
from bot.domain.events import EventType
from bot.domain.leads import LeadStatus
from bot.domain.nurture import send_time
from bot.services.replies import Memory, Toast
from bot.storage import consents
from bot.storage import nurture as store
from tests.conftest import Harness
from tests.handlers.flows import answer_rest
from tests.nurture.conftest import (
    ANSWER_AGAIN,
    EVERY,
    FIRST_DUE,
    MOSCOW,
    STOP,
    YES,
    follow_ups,
    lead_events,
    marketing_live,
    nurture_lead,
    run_at,
    state,
)
from tests.viewings.conftest import write_sites


async def test_the_consent_is_its_own_message_after_the_outcome(office: Harness) -> None:
    user = await nurture_lead(office, answer=None)
    outcome, marketing = user.messages()[-2:]
    # The deciding rule's message is the outcome (its own words on when we write again).
    assert "with new offers and help you choose" in outcome and "/restart" in outcome
    assert "Acme Homes may write to me" in marketing and "/stop" in marketing
    assert user.buttons() == [YES, "No, thanks"]
    assert not await marketing_live(office)  # off by default: nothing until they say yes

    await user.click(YES)
    assert "around 20.02.2027" in (user.last_text() or "")
    [message] = [
        m for m in office.telegram.bot_messages(1001) if "may write to me" in m.visible_text
    ]
    assert message.inline_buttons() == []  # answered: the buttons go
    async with office.app.db.read() as conn:
        ledger = await consents.for_person(conn, 1001)
    # The request's own consent came first, at the start; marketing is a separate one.
    assert [c.purpose for c in ledger] == [Purpose.PROCESSING, Purpose.MARKETING]
    given = ledger[-1]
    assert (given.purpose, given.version, given.language) == (Purpose.MARKETING, "1", "en")
    assert given.lead_id == 1 and given.message_id == message.message_id
    # The proof: the hash of the exact text the person saw (as sent, HTML included).
    assert message.source_text is not None
    assert given.text_sha256 == text_hash(message.source_text)
    assert [e.data for e in await lead_events(office, EventType.CONSENT_GIVEN)][-1] == {
        "purpose": "marketing",
        "version": "1",
    }


async def test_the_follow_up_comes_on_the_date_and_a_new_answer_books_a_viewing(
    office: Harness,
) -> None:
    user = await nurture_lead(office)
    await run_at(office, FIRST_DUE - timedelta(minutes=1))
    assert follow_ups(office) == []

    await run_at(office, FIRST_DUE)
    [follow_up] = follow_ups(office)
    assert "When are you planning to buy? — Later / just looking" in follow_up.visible_text
    assert "budget" not in follow_up.visible_text  # only what made the lead nurture
    assert [b["text"] for b in follow_up.inline_buttons()] == [ANSWER_AGAIN, STOP]
    [followed] = await lead_events(office, EventType.NURTURE_FOLLOWED_UP)
    assert followed.data == {"questions": ["timeline"]} and followed.actor == "system"
    await office.app.nurture.run_due()
    assert len(follow_ups(office)) == 1  # once

    await user.click(ANSWER_AGAIN, follow_up)
    assert "When are you planning to buy?" in (user.last_text() or "")
    await user.click("This month")

    lead = await office.lead()
    assert lead is not None and lead.status is LeadStatus.TARGET
    assert lead.answers["budget"] == 8_500_000  # the other answers stayed
    # The existing target flow offers the viewing times (Saturday: Monday first).
    assert "Sales office" in (user.last_text() or "")
    assert any(label.startswith("Mon 22 Feb") for label in user.buttons())
    # Target now: no more follow-ups, ever.
    await run_at(office, FIRST_DUE + EVERY)
    assert len(follow_ups(office)) == 1


async def test_the_same_answer_keeps_it_nurture_with_a_new_date(office: Harness) -> None:
    user = await nurture_lead(office)
    await run_at(office, FIRST_DUE)
    await user.click(ANSWER_AGAIN, follow_ups(office)[0])
    await user.click("Later / just looking")

    lead = await office.lead()
    assert lead is not None and lead.status is LeadStatus.NURTURE
    assert lead.follow_up_at == office.clock.now() + EVERY
    assert "with new offers and help you choose" in user.messages()[-1]
    # The consent is live: not asked again.
    assert sum("may write to me" in text for text in user.messages()) == 1
    current = await state(office)
    assert current.attempts == 0 and current.due_at == send_time(
        lead.follow_up_at, MOSCOW, office.app.settings.quiet
    )
    await run_at(office, FIRST_DUE + EVERY - timedelta(hours=1))
    assert len(follow_ups(office)) == 1
    await run_at(office, FIRST_DUE + EVERY)
    assert len(follow_ups(office)) == 2


async def test_without_the_consent_nothing_comes(office: Harness) -> None:
    user = await nurture_lead(office, answer="No, thanks")
    assert "will not send you offers" in (user.last_text() or "")
    other = office.prospect(1002, language_code="en")  # never answers the question
    await other.send("/start")
    await other.click("✅ I agree")
    await answer_rest(other, timeline="Later / just looking", name="Boris")
    for days in (0, 90, 180, 365):
        await run_at(office, FIRST_DUE + timedelta(days=days))
    assert follow_ups(office, 1001) == [] and follow_ups(office, 1002) == []
    assert not await marketing_live(office)


async def test_stop_under_a_follow_up_works_at_once_and_for_good(office: Harness) -> None:
    user = await nurture_lead(office)
    await run_at(office, FIRST_DUE)
    answer = await user.click(STOP, follow_ups(office)[0])
    assert answer is not None
    assert "will not send you offers any more" in (user.last_text() or "")
    assert not await marketing_live(office)
    [stopped] = await lead_events(office, EventType.NURTURE_STOPPED)
    assert stopped.data == {"via": "button"} and stopped.actor == "prospect"
    [withdrawn] = await lead_events(office, EventType.CONSENT_WITHDRAWN)
    assert withdrawn.data == {"purpose": "marketing", "version": "1"}

    for n in (1, 2, 3):
        await run_at(office, FIRST_DUE + n * EVERY)
    assert len(follow_ups(office)) == 1
    lead = await office.lead()
    assert lead is not None and lead.status is LeadStatus.NURTURE  # stopping is not erasing


async def test_stop_command_before_the_first_follow_up(office: Harness) -> None:
    user = await nurture_lead(office)
    await user.send("/stop")
    assert "will not send you offers any more" in (user.last_text() or "")
    [stopped] = await lead_events(office, EventType.NURTURE_STOPPED)
    assert stopped.data == {"via": "command"}
    await run_at(office, FIRST_DUE)
    assert follow_ups(office) == []
    await user.send("/stop")  # again: nothing left to stop, and it says so
    assert "nothing to stop" in (user.last_text() or "")
    assert len(await lead_events(office, EventType.NURTURE_STOPPED)) == 1


async def test_stop_from_someone_without_a_lead(office: Harness) -> None:
    stranger = office.prospect(2002, language_code="en")
    await stranger.send("/stop")
    assert "nothing to stop" in (stranger.last_text() or "")


async def test_a_consent_withdrawn_elsewhere_stops_the_follow_ups(office: Harness) -> None:
    await nurture_lead(office)
    async with office.app.db.transaction() as tx:  # as /privacy does
        await consents.withdraw(
            tx,
            user_id=1001,
            lead_id=1,
            purpose=Purpose.MARKETING,
            by="prospect",
            at=office.clock.now(),
        )
    await run_at(office, FIRST_DUE)
    assert follow_ups(office) == []
    [stopped] = await lead_events(office, EventType.NURTURE_STOPPED)
    assert stopped.data == {"via": "consent"} and stopped.actor == "system"
    assert (await state(office)).stopped_via == "consent"


async def test_after_three_unanswered_follow_ups_it_stops(office: Harness) -> None:
    await nurture_lead(office)
    for n in range(5):
        await run_at(office, FIRST_DUE + n * EVERY)
    assert len(follow_ups(office)) == 3
    current = await state(office)
    assert current.stopped_via == "silence" and current.attempts == 3
    [stopped] = await lead_events(office, EventType.NURTURE_STOPPED)
    assert stopped.data == {"via": "silence"} and stopped.actor == "system"


async def test_two_presses_at_once_ask_the_questions_once(office: Harness) -> None:
    user = await nurture_lead(office)
    await run_at(office, FIRST_DUE)
    follow_up = follow_ups(office)[0]
    await asyncio.gather(user.click(ANSWER_AGAIN, follow_up), user.click(ANSWER_AGAIN, follow_up))
    asked = [t for t in user.messages() if t.startswith("Question 6 / 10\n\nWhen are you")]
    assert len(asked) == 1  # the second press changed nothing
    assert follow_up.inline_buttons() == []
    await user.click("This month")
    lead = await office.lead()
    assert lead is not None and lead.status is LeadStatus.TARGET


async def test_an_old_follow_up_and_someone_elses_button_change_nothing(office: Harness) -> None:
    user = await nurture_lead(office)
    await run_at(office, FIRST_DUE)
    follow_up = follow_ups(office)[0]
    # Meanwhile they answered everything again by /restart and became target.
    await user.send("/restart")
    await answer_rest(user)
    lead = await office.lead()
    assert lead is not None and lead.status is LeadStatus.TARGET
    answer = await user.click(ANSWER_AGAIN, follow_up)
    assert answer is not None and answer.text == "This message is no longer current."
    assert follow_up.inline_buttons() == []
    after = await office.lead()
    assert after is not None and after.status is LeadStatus.TARGET
    assert after.answers == lead.answers

    # A button of lead 1 pressed by somebody else (a forwarded message) does nothing.
    reopened, turn = await office.app.nurture.reopen(2002, 1, Memory())
    assert not reopened and turn.replies[0] == Toast("Это сообщение уже неактуально.")


async def test_nurture_off_asks_nothing_and_sends_nothing(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    sites = write_sites(tmp_path)
    first: Harness = await make_harness(sites_path=sites)
    await nurture_lead(first)  # consented while nurture was on
    await first.app.close()

    off: Harness = await make_harness(sites_path=sites, nurture="off")
    await run_at(off, FIRST_DUE)
    assert follow_ups(off) == []
    [stopped] = await lead_events(off, EventType.NURTURE_STOPPED)
    assert stopped.data == {"via": "setting"}

    newcomer = off.prospect(1002, language_code="en")
    await newcomer.send("/start")
    await newcomer.click("✅ I agree")
    await answer_rest(newcomer, timeline="Later / just looking", name="Boris")
    # The outcome (the rule's own message) is the last word.
    assert "with new offers and help you choose" in (newcomer.last_text() or "")
    assert not any("may write to me" in text for text in newcomer.messages())
    await run_at(off, FIRST_DUE + EVERY)
    assert follow_ups(off, 1002) == []


async def test_a_restart_between_the_due_time_and_the_send_sends_once(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    sites = write_sites(tmp_path)
    first: Harness = await make_harness(sites_path=sites)
    await nurture_lead(first)
    first.clock.current = FIRST_DUE + timedelta(hours=3)  # due while the bot was down
    await first.app.close()

    second: Harness = await make_harness(sites_path=sites)
    await run_at(second, FIRST_DUE + timedelta(hours=3))
    await second.app.nurture.run_due()
    assert len(follow_ups(second)) == 1
    await second.app.close()

    third: Harness = await make_harness(sites_path=sites)
    await run_at(third, FIRST_DUE + timedelta(days=1))
    assert len(follow_ups(third)) == 1
    assert len(await lead_events(third, EventType.NURTURE_FOLLOWED_UP)) == 1


async def test_yes_pressed_twice_at_once_records_one_consent(office: Harness) -> None:
    user = await nurture_lead(office, answer=None)
    question = office.telegram.bot_messages(1001)[-1]
    await asyncio.gather(user.click(YES, question), user.click(YES, question))
    async with office.app.db.read() as conn:
        given = await consents.for_person(conn, 1001)
    assert [c.purpose for c in given] == [Purpose.PROCESSING, Purpose.MARKETING]
    assert sum("around 20.02.2027" in text for text in user.messages()) == 1
    marketing = [
        e
        for e in await lead_events(office, EventType.CONSENT_GIVEN)
        if e.data.get("purpose") == "marketing"
    ]
    assert len(marketing) == 1


async def test_retention_sees_the_last_activity_and_forget_takes_the_state(
    office: Harness,
) -> None:
    user = await nurture_lead(office)
    verdict_at = office.clock.now()
    await run_at(office, FIRST_DUE)  # a follow-up sent is not the client's activity
    async with office.app.db.read() as conn:
        assert await store.last_nurture_activity(conn, 1) == verdict_at
    office.clock.advance(days=1)
    await user.click(ANSWER_AGAIN, follow_ups(office)[0])
    async with office.app.db.read() as conn:
        assert await store.last_nurture_activity(conn, 1) == office.clock.now()

    await user.send("/forget")
    async with office.app.db.read() as conn:
        assert await store.get(conn, 1) is None
        assert await store.last_nurture_activity(conn, 1) is None


async def test_the_consent_is_to_the_text_shown_even_after_a_language_switch(
    office: Harness,
) -> None:
    user = await nurture_lead(office, answer=None)
    question = [m for m in office.telegram.bot_messages(1001) if m.inline_buttons()][-1]
    await user.send("/language")
    await user.click("🇷🇺 Русский")
    await user.click(YES, question)
    async with office.app.db.read() as conn:
        ledger = await consents.for_person(conn, 1001)
    # The request's own consent came first, at the start; marketing is a separate one.
    assert [c.purpose for c in ledger] == [Purpose.PROCESSING, Purpose.MARKETING]
    given = ledger[-1]
    assert question.source_text is not None
    assert given.language == "en" and given.text_sha256 == text_hash(question.source_text)
    assert "Мы напишем вам примерно 20.02.2027" in (user.last_text() or "")


async def test_a_blocked_chat_counts_as_unanswered_and_an_outage_is_retried(
    office: Harness,
) -> None:
    await nurture_lead(office)
    office.telegram.block_user(1001)
    await run_at(office, FIRST_DUE)
    assert follow_ups(office) == []
    assert (await state(office)).attempts == 1
    assert await lead_events(office, EventType.NURTURE_FOLLOWED_UP) == []

    office.telegram.unblock_user(1001)
    # The notifier's five tries all fail (a few seconds of its backoff).
    office.telegram.fail_next(
        "sendMessage", error_code=502, description="Bad Gateway", times=5, chat_id=1001
    )
    office.expected_errors.append("gave up on sendMessage")
    await run_at(office, FIRST_DUE + EVERY)  # Telegram is down: tried again later
    assert follow_ups(office) == []
    assert (await state(office)).attempts == 1
    await run_at(office, FIRST_DUE + EVERY + timedelta(minutes=5))
    assert len(follow_ups(office)) == 1
    assert len(await lead_events(office, EventType.NURTURE_FOLLOWED_UP)) == 1
    assert (await state(office)).attempts == 2
