"""The schedule lines staff type, money in minor units, and when reminders and overdue
rungs are due (pure rules, no Telegram, no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.domain.payment_timing import due_reminder, overdue_rung, reminder_at
from bot.domain.payments import (
    LineProblem,
    PlannedPayment,
    amount_text,
    parse_amount_text,
    parse_schedule,
)
from bot.domain.reminders import parse_quiet_hours

TODAY = date(2026, 11, 22)
MOSCOW = ZoneInfo("Europe/Moscow")
QUIET = parse_quiet_hours("21:00-09:00")
TEN = time(10, 0)
DUE = date(2027, 1, 15)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("15.01.2027 1 200 000", PlannedPayment(DUE, 120_000_000)),
        ("15.01.2027 1 200 000,50", PlannedPayment(DUE, 120_000_050)),
        ("15.01.2027 1200000.5", PlannedPayment(DUE, 120_000_050)),
        (
            "15.01.2027 — 1 200 000 ₽ first instalment",
            PlannedPayment(DUE, 120_000_000, "RUB", "first instalment"),
        ),
        (
            "15.01.2027 - 1 200 000 руб. первый взнос",
            PlannedPayment(DUE, 120_000_000, "RUB", "первый взнос"),
        ),
        ("2027-01-15 1200000", PlannedPayment(DUE, 120_000_000)),
        ("15.1.2027 1\u00a0200\u00a0000", PlannedPayment(DUE, 120_000_000)),
        ("  15.01.2027   300000 RUB  ", PlannedPayment(DUE, 30_000_000)),
        ("22.11.2026 1000", PlannedPayment(TODAY, 100_000)),  # today is not the past
        ("15.01.2027 1.200.000", PlannedPayment(DUE, 120_000_000)),
        ("15.01.2027 1,200,000.50", PlannedPayment(DUE, 120_000_050)),
        ("15.01.2027 1.200.000,50 ₽", PlannedPayment(DUE, 120_000_050)),
        ("15.01.2027 1,200", PlannedPayment(DUE, 120_000)),  # three digits: a group
        ("15.01.2027 1,20", PlannedPayment(DUE, 120)),  # two: kopecks
    ],
)
def test_good_lines(line: str, expected: PlannedPayment) -> None:
    parsed = parse_schedule(line, TODAY)
    assert parsed.problems == ()
    assert parsed.payments == (expected,)


@pytest.mark.parametrize(
    ("line", "problem", "text"),
    [
        ("1 200 000", LineProblem.NO_DATE, "1"),
        ("first instalment 15.01.2027 1000", LineProblem.NO_DATE, "first"),
        ("31.02.2027 1 200 000", LineProblem.BAD_DATE, "31.02.2027"),
        ("15/01/2027 1000", LineProblem.BAD_DATE, "15/01/2027"),
        ("2027-13-01 1000", LineProblem.BAD_DATE, "2027-13-01"),
        ("21.11.2026 1000", LineProblem.PAST_DATE, "21.11.2026"),
        ("15.01.2027", LineProblem.NO_AMOUNT, ""),
        ("15.01.2027 about a million", LineProblem.NO_AMOUNT, "about"),
        ("15.01.2027 12abc", LineProblem.NO_AMOUNT, "12abc"),
        ("15.01.2027 0", LineProblem.ZERO_AMOUNT, "0"),
        ("15.01.2027 0,00", LineProblem.ZERO_AMOUNT, "0,00"),
        ("15.01.2027 99999999999999", LineProblem.TOO_LARGE, "99999999999999"),
        ("15.01.2027 1000 " + "x" * 101, LineProblem.LABEL_TOO_LONG, "100"),
    ],
)
def test_bad_lines_say_what_is_wrong(line: str, problem: LineProblem, text: str) -> None:
    parsed = parse_schedule(line, TODAY)
    assert parsed.payments == ()
    [bad] = parsed.problems
    assert (bad.number, bad.problem, bad.text) == (1, problem, text)


def test_every_bad_line_is_reported_with_its_number_and_blank_lines_are_skipped() -> None:
    text = "15.01.2027 1 200 000\n\n31.02.2027 5\n15.03.2027 700 000\nsoon 1\n"
    parsed = parse_schedule(text, TODAY)
    assert not parsed.ok
    assert [(bad.number, bad.problem) for bad in parsed.problems] == [
        (3, LineProblem.BAD_DATE),
        (5, LineProblem.NO_DATE),
    ]


def test_a_schedule_comes_back_by_date_and_is_limited() -> None:
    parsed = parse_schedule("15.03.2027 3\n15.01.2027 1\n15.02.2027 2", TODAY)
    assert [p.amount_minor for p in parsed.payments] == [100, 200, 300]
    many = "\n".join([f"{day:02d}.01.2027 1" for day in range(1, 31)] * 3)
    assert [bad.problem for bad in parse_schedule(many, TODAY).problems] == [LineProblem.TOO_MANY]


def test_money_is_text_with_two_decimals_both_ways() -> None:
    assert amount_text(120_000_050) == "1200000.50"
    assert amount_text(5) == "0.05"
    assert parse_amount_text("1200000.00") == 120_000_000
    assert parse_amount_text("1200000.5") == 120_000_050
    assert parse_amount_text("1200000") == 120_000_000
    for junk in ("1,200,000.00", "-5.00", "1e6", "1.005", "", " 1.00"):
        assert parse_amount_text(junk) is None, junk


def _msk(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 1, day, hour, minute, tzinfo=MOSCOW)


def test_reminders_at_ten_local_three_one_and_zero_days_before() -> None:
    assert reminder_at(DUE, 3, TEN, MOSCOW, QUIET) == datetime(2027, 1, 12, 7, 0, tzinfo=UTC)
    days = (3, 1, 0)
    assert due_reminder(DUE, _msk(12, 9, 59), days, TEN, MOSCOW, QUIET) is None
    assert due_reminder(DUE, _msk(12, 10), days, TEN, MOSCOW, QUIET) == 3
    assert due_reminder(DUE, _msk(14, 10), days, TEN, MOSCOW, QUIET) == 1
    assert due_reminder(DUE, _msk(15, 10), days, TEN, MOSCOW, QUIET) == 0
    assert due_reminder(DUE, _msk(15, 20, 59), days, TEN, MOSCOW, QUIET) == 0
    # Quiet hours now: nothing; the next day after the due date: overdue, not reminded.
    assert due_reminder(DUE, _msk(15, 21, 30), days, TEN, MOSCOW, QUIET) is None
    assert due_reminder(DUE, _msk(16, 10), days, TEN, MOSCOW, QUIET) is None


def test_after_downtime_only_the_latest_reminder_due_is_sent() -> None:
    # Down from the 11th to the 14th at noon: the 3-day one is stale, the 1-day one goes.
    assert due_reminder(DUE, _msk(14, 12), (3, 1, 0), TEN, MOSCOW, QUIET) == 1


def test_a_reminder_time_in_quiet_hours_moves_to_their_end() -> None:
    early = time(7, 30)
    assert reminder_at(DUE, 1, early, MOSCOW, QUIET) == datetime(2027, 1, 14, 6, 0, tzinfo=UTC)
    assert due_reminder(DUE, _msk(14, 8), (1,), early, MOSCOW, QUIET) is None


def test_overdue_rungs_the_day_after_and_after_the_escalation_days() -> None:
    assert overdue_rung(DUE, _msk(15, 23), TEN, MOSCOW, 5) == 0
    assert overdue_rung(DUE, _msk(16, 9, 59), TEN, MOSCOW, 5) == 0
    assert overdue_rung(DUE, _msk(16, 10), TEN, MOSCOW, 5) == 1
    assert overdue_rung(DUE, _msk(19, 10), TEN, MOSCOW, 5) == 1
    assert overdue_rung(DUE, _msk(20, 10), TEN, MOSCOW, 5) == 2
    # One escalation day: both rungs at once, the day after.
    assert overdue_rung(DUE, _msk(16, 10), TEN, MOSCOW, 1) == 2


def test_a_changed_schedule_keeps_the_payments_that_stay_and_never_touches_paid_ones() -> None:
    from bot.domain.payments import Payment, PaymentStatus, schedule_change

    def payment(id_: int, month: int, status: PaymentStatus = PaymentStatus.DUE) -> Payment:
        return Payment(id_, 1, date(2027, month, 15), 100, "RUB", None, status)

    current = [payment(1, 1, PaymentStatus.PAID), payment(2, 2), payment(3, 3)]
    wanted = [PlannedPayment(date(2027, 2, 15), 100), PlannedPayment(date(2027, 4, 15), 100)]
    change = schedule_change(current, wanted)
    assert change.delete == (3,)
    assert change.insert == (PlannedPayment(date(2027, 4, 15), 100),)
    # The paid January payment typed again is a new payment, not the paid one.
    again = schedule_change(current, [PlannedPayment(date(2027, 1, 15), 100)])
    assert again.delete == (2, 3) and len(again.insert) == 1
    assert schedule_change(current, [p.planned for p in current[1:]]).empty
