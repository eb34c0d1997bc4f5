"""Journeys through real long polling: the aiogram HTTP session against the stand-in.

One journey runs the bot in this process; one runs `python -m bot` as a real process
and kills it mid-checklist, as a crash or a redeploy would.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import Application
from bot.composition import build_application
from bot.config import Settings
from bot.domain.leads import LeadStatus
from bot.storage import leads
from tests.conftest import MANAGER_ID, SALES_DESK_SECRET, STAFF_CHAT, TOKEN, free_port
from tests.fakegram import FakeTelegram, TelegramUser
from tests.sales_desk.generic_receiver import GenericReceiver
from tests.stores import database_of

# The central journeys run on both stores in every run.
pytestmark = pytest.mark.both_stores

ROOT = Path(__file__).resolve().parents[1]


async def act(
    user: TelegramUser,
    action: Awaitable[Any],
    expect: str = "",
    *,
    method: str | None = None,
    timeout: float = 15.0,
) -> str:
    """Does one thing as the prospect and waits until the bot shows a text containing
    `expect` (sent, or edited into the pressed question: by default either).

    With polling the bot answers in its own time, and one action may bring several
    messages: waiting for the expected one keeps the next action from racing it.
    """
    methods = {"sendMessage", "editMessageText"} if method is None else {method}
    mark = user.mark()
    await action
    request = await user.server.wait_for(
        lambda r: r.ok and r.method in methods and expect in str(r.params.get("text", "")),
        timeout,
        after=mark,
        chat_id=user.chat_id,
    )
    return str(request.params.get("text", ""))


@pytest.fixture
async def polling_app(
    telegram: FakeTelegram, make_settings: Callable[..., Settings]
) -> AsyncIterator[Application]:
    telegram.add_group(STAFF_CHAT, "Sales", is_forum=True, members={MANAGER_ID: "administrator"})
    app = await build_application(make_settings(), send_rate_per_second=0)
    task = asyncio.create_task(
        app.dispatcher.start_polling(
            app.bot, handle_signals=False, close_bot_session=False, polling_timeout=1
        )
    )
    yield app
    await app.dispatcher.stop_polling()
    await task
    await app.close()


async def test_target_journey_over_polling_with_a_429(
    telegram: FakeTelegram, polling_app: Application
) -> None:
    user = telegram.user(1001, language_code="en", phone_number="79161234567")
    # The greeting, then the consent document naming the operator.
    assert "Acme Homes" in await act(user, user.send("/start site"), "Consent to the processing")
    await act(user, user.click("✅ I agree"), "Question 1 / 10")
    telegram.fail_next(
        "sendMessage", error_code=429, description="Too Many Requests: retry after 1", retry_after=1
    )
    await act(user, user.click("To live in"), "Question 2 / 10")
    await act(user, user.click("2 rooms"), "Question 3 / 10")
    await act(user, user.send("9 000 000"), "Question 4 / 10")
    await act(user, user.click("Own funds"), method="editMessageReplyMarkup")
    await act(user, user.click("Done ➡️"), "Question 5 / 9")
    # Back from the timeline question turns it back into payment; answer it again.
    await act(user, user.click("⬅️ Back"), "How are you planning to pay?", method="editMessageText")
    await act(user, user.click("Own funds"), method="editMessageReplyMarkup")
    await act(user, user.click("Done ➡️"), "Question 5 / 9")
    await act(user, user.click("This month"), "Question 6 / 9")
    await act(user, user.click("Not decided yet"), "Question 7 / 9")
    await act(user, user.send("Boris"), "Question 8 / 9")
    await act(user, user.press("📱 Share my phone number"), "Question 9 / 9")
    await act(user, user.send("nonsense where a button is expected"), "Question 9 / 9")
    outcome = await act(user, user.click("Any time"), "Thank you")
    assert "Thank you, Boris!" in outcome
    await telegram.wait_for(
        lambda r: r.ok and r.chat_id == STAFF_CHAT and r.method == "sendMessage"
    )

    async with polling_app.db.transaction() as tx:
        lead = await leads.get_by_user(tx, 1001)
    assert lead is not None and lead.status is LeadStatus.TARGET
    assert lead.answers["payment"] == ("cash",)


def _bot_env(telegram: FakeTelegram, database: dict[str, str], port: int) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": telegram.base_url,
        **database,
        "STAFF_CHAT_ID": str(STAFF_CHAT),
        "WEB_PORT": str(port),
        "LOG_LEVEL": "INFO",
    }


async def _start_bot(
    telegram: FakeTelegram, env: dict[str, str], log: Path
) -> asyncio.subprocess.Process:
    mark = telegram.mark()
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=ROOT, env=env, stdout=out, stderr=out
        )
    try:
        await telegram.wait_for(lambda r: r.method == "getUpdates", 60, after=mark)
    except AssertionError:
        process.kill()
        await process.wait()
        raise AssertionError(f"the bot did not start polling:\n{log.read_text()}") from None
    return process


async def test_killed_mid_checklist_the_prospect_continues_at_the_same_question(
    telegram: FakeTelegram, tmp_path: Path, database_env: dict[str, str]
) -> None:
    telegram.add_group(STAFF_CHAT, "Sales", is_forum=True, members={MANAGER_ID: "administrator"})
    env = _bot_env(telegram, database_env, free_port())
    log = tmp_path / "bot.log"
    user = telegram.user(1001, language_code="en", phone_number="79161234567")

    process = await _start_bot(telegram, env, log)
    await act(user, user.send("/start qr_office"), "Consent to the processing")
    await act(user, user.click("✅ I agree"), "Question 1 / 10")
    await act(user, user.click("To live in"), "Question 2 / 10")
    await act(user, user.click("2 rooms"), "Question 3 / 10")
    process.kill()  # SIGKILL: no chance to save anything on the way out
    await process.wait()

    process = await _start_bot(telegram, env, log)
    try:
        # No /start: the prospect just types the answer to the question they were on.
        await act(user, user.send("7 500 000"), "Question 4 / 10", timeout=30)
        await act(user, user.click("Mortgage"), method="editMessageReplyMarkup")
        await act(user, user.click("Done ➡️"), "Question 5 / 10")
        await act(user, user.click("Not yet"), "Question 6 / 10")
        await act(user, user.click("In 3–6 months"), "Question 7 / 10")
        await act(user, user.click("City centre"), "Question 8 / 10")
        await act(user, user.send("Vera"), "Question 9 / 10")
        await act(user, user.send("+44 20 7946 0958"), "Question 10 / 10")
        outcome = await act(user, user.click("Skip"), "Thank you")
        assert "Thank you, Vera!" in outcome
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 30)
    assert code == 0, log.read_text()
    assert "Traceback" not in log.read_text()

    db = database_of(env)
    await db.connect()
    try:
        async with db.transaction() as tx:
            lead = await leads.get_by_user(tx, 1001)
    finally:
        await db.close()
    assert lead is not None
    assert lead.source == "qr_office"
    assert lead.phone == "+442079460958"
    assert lead.answers["budget"] == 7_500_000
    assert lead.status is LeadStatus.NURTURE


async def test_reject_journey_with_bad_inputs_over_polling(
    telegram: FakeTelegram, polling_app: Application
) -> None:
    user = telegram.user(1002, language_code="en", phone_number="79161234567")
    await act(user, user.send("/start %%%weird payload%%%"), "Consent to the processing")
    await act(user, user.send_sticker(), "Please answer with a button")
    await act(user, user.click("✅ I agree"), "Question 1 / 10")
    await act(user, user.send_photo(), "I understand text and buttons only")
    stale = next(m for m in user.bot_messages() if "To live in" in str(m.reply_markup))
    await act(user, user.send("🏠🏠🏠"), "Please choose an option")
    await act(user, user.click("I want to rent a flat"), "Question 2 / 10")
    await act(user, user.click("To live in", message=stale), "Question 2 / 10")
    answer = await telegram.wait_for(lambda r: r.method == "answerCallbackQuery", after=0)
    assert answer.params.get("text") is None  # the first press was answered silently
    closed = await telegram.wait_for(
        lambda r: r.method == "answerCallbackQuery" and "closed" in str(r.params.get("text"))
    )
    assert closed.ok
    await act(user, user.click("Studio"), "Question 3 / 10")
    await act(user, user.send("9" * 5000), "couldn't read a number")
    await act(user, user.send("3 млн"), "Question 4 / 10")
    await act(user, user.click("Own funds"), method="editMessageReplyMarkup")
    await act(user, user.click("Done ➡️"), "Question 5 / 9")
    await act(user, user.click("This month"), "Question 6 / 9")
    await act(user, user.click("Not decided yet"), "Question 7 / 9")
    await act(user, user.send("Ж" * 5000), "too long")
    await act(user, user.send("Жанна 🌸"), "Question 8 / 9")
    await act(user, user.share_contact("79990001122", user_id=4242), "someone else's contact")
    await act(user, user.press("📱 Share my phone number"), "Question 9 / 9")
    answered = await act(user, user.click("Morning (9–12)"), "Thank you")
    # The outcome goes under the last answer, in the pressed message; the rule's own
    # message is the outcome: no thank-you wrapped around it.
    _question, last_answer, outcome = answered.split("\n\n", 2)
    assert "Morning (9–12)" in last_answer
    assert outcome.startswith("Thank you for your interest!")
    assert "rent" in outcome
    assert "Жанна" not in outcome

    async with polling_app.db.transaction() as tx:
        lead = await leads.get_by_user(tx, 1002)
    assert lead is not None and lead.status is LeadStatus.REJECTED
    assert lead.source == "unknown"
    assert lead.answers["purpose"] == "rent"


async def test_killed_mid_delivery_the_crm_still_gets_every_event(
    telegram: FakeTelegram,
    tmp_path: Path,
    receiver: GenericReceiver,
    database_env: dict[str, str],
) -> None:
    telegram.add_group(STAFF_CHAT, "Sales", is_forum=True, members={MANAGER_ID: "administrator"})
    env = _bot_env(telegram, database_env, free_port())
    env |= {"SALES_DESK_URL": receiver.url, "SALES_DESK_SECRET": SALES_DESK_SECRET}
    log = tmp_path / "bot.log"
    user = telegram.user(1001, language_code="en", phone_number="79161234567")
    receiver.set_delay(2.0)  # the CRM is slow: the first request is in flight at the kill

    process = await _start_bot(telegram, env, log)
    await act(user, user.send("/start crm_test"), "Consent to the processing")
    # With a CRM, its transfer is a second consent document.
    await act(user, user.click("✅ I agree"), "transfer of personal data to the CRM")
    await act(user, user.click("✅ I agree"), "Question 1 / 10")
    for label, expect in (
        ("To live in", "Question 2 / 10"),
        ("2 rooms", "Question 3 / 10"),
    ):
        await act(user, user.click(label), expect)
    await act(user, user.send("9000000"), "Question 4 / 10")
    await act(user, user.click("Own funds"), method="editMessageReplyMarkup")
    for label, expect in (
        ("Done ➡️", "Question 5 / 9"),
        ("This month", "Question 6 / 9"),
        ("Not decided yet", "Question 7 / 9"),
    ):
        await act(user, user.click(label), expect)
    await act(user, user.send("Anna"), "Question 8 / 9")
    await act(user, user.press("📱 Share my phone number"), "Question 9 / 9")
    await act(user, user.click("Evening (17–21)"), "Thank you")
    for _ in range(100):  # until the first delivery is on its way
        if receiver.attempts:
            break
        await asyncio.sleep(0.05)
    process.kill()
    await process.wait()

    receiver.set_up()
    process = await _start_bot(telegram, env, log)
    try:
        for _ in range(200):
            if len(receiver.deliveries) >= 2:
                break
            await asyncio.sleep(0.05)
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 30)
    assert code == 0, log.read_text()
    # The request cut off by the kill was sent again after the restart, with the same
    # webhook-id; each event was accepted once, in order.
    assert receiver.attempts > len(receiver.deliveries)
    assert [item.type for item in receiver.deliveries] == [
        "lead.qualified",
        "lead.manager_assigned",
    ]
    assert len({item.webhook_id for item in receiver.deliveries}) == 2
