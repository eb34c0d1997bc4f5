"""The sending rules as tables: windows, priorities, what may collapse, what a 429 means."""

from __future__ import annotations

import pytest

from bot.domain.send_policy import (
    TELEGRAM_LIMITS,
    Priority,
    SendLimits,
    Window,
    collapse_key,
    counts,
    default_priority,
    keep_recent,
    overall_wait,
    pause_for,
    wait_before,
)


@pytest.mark.parametrize(
    ("sent_at", "now", "window", "wait"),
    [
        ([], 10.0, Window(1, 1.0), 0.0),  # nothing sent yet
        ([9.5], 10.0, Window(1, 1.0), 0.5),  # a private chat: one a second
        ([9.0], 10.0, Window(1, 1.0), 0.0),  # exactly a second later is fine
        ([8.0], 10.0, Window(1, 1.0), 0.0),
        ([1.0] * 19, 2.0, Window(20, 60.0), 0.0),  # a group: the 20th still goes
        ([1.0] * 20, 2.0, Window(20, 60.0), 59.0),  # the 21st waits for the first to age out
        ([0.0, *[30.0] * 19], 31.0, Window(20, 60.0), 29.0),
        ([*[0.0] * 5, *[50.0] * 20], 55.0, Window(20, 60.0), 55.0),  # only the last 20 matter
        ([5.0] * 30, 5.2, Window(30, 1.0), 0.8),  # overall: 30 a second
        ([5.0] * 100, 5.0, None, 0.0),  # no limit
        ([5.0], 5.0, Window(0, 1.0), 0.0),  # a zero count means no limit, not "never"
    ],
)
def test_wait_before(sent_at: list[float], now: float, window: Window | None, wait: float) -> None:
    assert wait_before(sent_at, now, window) == pytest.approx(wait)


@pytest.mark.parametrize(
    ("answered_at", "in_flight", "now", "wait"),
    [
        ([], 0, 5.0, 0.0),
        ([4.5] * 29, 0, 5.0, 0.0),  # the 30th this second may start
        ([4.5] * 30, 0, 5.0, 0.5),  # the 31st waits for the oldest to age out
        ([4.5] * 20, 9, 5.0, 0.0),  # 20 answered + 9 on their way + this one = 30
        ([4.5] * 20, 10, 5.0, 0.5),  # one of the 20 must age out first
        ([4.0, 4.5, 4.8], 28, 5.0, 0.5),  # 4.0 is out already; then 4.5 must go too
        ([], 30, 5.0, None),  # all 30 on their way: wait for an answer, not for a time
        ([3.0] * 30, 0, 5.0, 0.0),  # answered long ago
    ],
)
def test_overall_wait_counts_requests_in_flight(
    answered_at: list[float], in_flight: int, now: float, wait: float | None
) -> None:
    assert overall_wait(answered_at, in_flight, now, Window(30, 1.0)) == (
        None if wait is None else pytest.approx(wait)
    )
    assert overall_wait(answered_at, in_flight, now, None) == 0.0


@pytest.mark.parametrize(
    ("length", "window", "kept"),
    [(5, Window(20, 60.0), 5), (25, Window(20, 60.0), 20), (3, Window(1, 1.0), 1), (3, None, 0)],
)
def test_keep_recent_keeps_only_what_a_window_looks_at(
    length: int, window: Window | None, kept: int
) -> None:
    sent_at = [float(n) for n in range(length)]
    keep_recent(sent_at, window)
    assert sent_at == [float(n) for n in range(length - kept, length)]


def test_telegram_limits_and_scaling() -> None:
    assert TELEGRAM_LIMITS.for_chat(42) == Window(1, 1.0)
    assert TELEGRAM_LIMITS.for_chat(-1001234567890) == Window(20, 60.0)
    assert TELEGRAM_LIMITS.overall == Window(30, 1.0)
    fast = TELEGRAM_LIMITS.scaled(0.01)
    assert fast.group is not None and fast.group.count == 20
    assert fast.group.seconds == pytest.approx(0.6)
    assert fast.private is not None and fast.private.seconds == pytest.approx(0.01)
    assert SendLimits.unlimited().for_chat(42) is None
    assert SendLimits.unlimited().scaled(0.5) == SendLimits.unlimited()


@pytest.mark.parametrize(
    ("chat_id", "priority"),
    [(1001, Priority.ANSWER), (-1001234567890, Priority.CARD), (None, Priority.ANSWER)],
)
def test_default_priority_follows_the_chat(chat_id: int | None, priority: Priority) -> None:
    assert default_priority(chat_id) is priority


def test_answers_go_before_cards_before_digests() -> None:
    assert sorted([Priority.DIGEST, Priority.ANSWER, Priority.CARD]) == [
        Priority.ANSWER,
        Priority.CARD,
        Priority.DIGEST,
    ]


@pytest.mark.parametrize(
    ("method", "counted"),
    [
        ("sendMessage", True),
        ("editMessageText", True),
        ("editMessageReplyMarkup", True),
        ("createForumTopic", True),
        ("editForumTopic", True),
        ("sendDocument", True),
        ("deleteMessage", True),
        ("answerCallbackQuery", False),
        ("getChat", False),
        ("getChatMember", False),
        ("setMyCommands", False),
    ],
)
def test_what_counts_against_the_limits(method: str, counted: bool) -> None:
    assert counts(method) is counted


@pytest.mark.parametrize(
    ("method", "chat_id", "target", "key"),
    [
        ("editMessageText", -100, 7, ("editMessageText", -100, 7)),
        ("editMessageReplyMarkup", 42, 7, ("editMessageReplyMarkup", 42, 7)),
        ("editForumTopic", -100, 3, ("editForumTopic", -100, 3)),
        ("sendMessage", -100, None, None),  # every new message is wanted
        ("deleteMessage", -100, 7, None),
        ("editMessageText", None, 7, None),
        ("editMessageText", -100, None, None),
    ],
)
def test_collapse_key(
    method: str, chat_id: int | None, target: int | None, key: tuple[str, int, int] | None
) -> None:
    assert collapse_key(method, chat_id, target) == key


def test_text_and_keyboard_edits_of_one_message_do_not_replace_each_other() -> None:
    assert collapse_key("editMessageText", -100, 7) != collapse_key(
        "editMessageReplyMarkup", -100, 7
    )


@pytest.mark.parametrize(
    ("retry_after", "pause"), [(7, 7.0), (1, 1.0), (0, 1.0), (None, 1.0), (3600, 3600.0)]
)
def test_a_429_pauses_for_all_of_retry_after(retry_after: int | None, pause: float) -> None:
    assert pause_for(retry_after) == pause
