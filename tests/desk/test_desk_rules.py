"""The desk's pure rules: what the card offers, what comes next, how the verdict and the
close move the lead, when a next call may be set, and how the time left reads."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po

from bot.domain.desk import (
    CLOSE_REASONS,
    AwaitedReason,
    CallOutcome,
    DeskLead,
    Move,
    NextAction,
    Refusal,
    awaited_reason,
    next_action,
    next_call_days,
    next_call_times,
    offered,
    override_choices,
    refusal,
    status_after_override,
    valid_next_call,
)
from bot.domain.hours import parse_schedule
from bot.domain.leads import InvalidTransition, LeadStatus, check_transition
from bot.domain.scoring import Verdict
from bot.i18n import LOCALES_DIR, Translations
from bot.storage.desk import OpenDeadline
from bot.views.desk_card import CardClock, deadline_line

MOSCOW = ZoneInfo("Europe/Moscow")
WEEKDAYS = parse_schedule("mon-fri 09:00-19:00", today=date(2026, 11, 22))  # DESK_HOURS default
NEW = DeskLead(lead_id=1)
OWNED = DeskLead(lead_id=1, owner_id=5, owner_name="Olga")
AFTER_CALL = DeskLead(
    lead_id=1, owner_id=5, last_call_outcome=CallOutcome.NO_ANSWER, next_step_required=True
)
CLOSED = DeskLead(lead_id=1, owner_id=5, closed_at=datetime(2026, 11, 23, tzinfo=UTC))
T, A, V, C, N, X, B = (
    Move.TAKE,
    Move.ASSIGN,
    Move.OVERRIDE,
    Move.CALL,
    Move.NEXT_CALL,
    Move.CLOSE,
    Move.BOOK,
)


@pytest.mark.parametrize(
    ("status", "desk", "moves"),
    [
        (LeadStatus.TARGET, NEW, (T, A, X, V, B)),
        (LeadStatus.TARGET, OWNED, (A, C, N, X, V, B)),
        (LeadStatus.NURTURE, OWNED, (A, C, N, X, V)),
        (LeadStatus.REJECTED, NEW, (T, A, X, V)),
        (LeadStatus.BOOKED, OWNED, (A, C, N, V)),  # no close while a viewing is booked
        (LeadStatus.NO_SHOW, OWNED, (A, C, N, X, V, B)),
        (LeadStatus.TARGET, AFTER_CALL, (N, X)),  # a next call or a close is required
        (LeadStatus.TARGET, CLOSED, ()),
        (LeadStatus.CLOSED, OWNED, ()),
        (LeadStatus.QUALIFYING, OWNED, ()),  # answering the checklist again
        (LeadStatus.DEAL, OWNED, ()),
    ],
)
def test_what_the_card_offers(status: LeadStatus, desk: DeskLead, moves: tuple[Move, ...]) -> None:
    assert offered(status, desk) == moves


@pytest.mark.parametrize(
    ("status", "desk", "move", "why"),
    [
        (LeadStatus.TARGET, NEW, Move.TAKE, None),
        (LeadStatus.TARGET, OWNED, Move.TAKE, Refusal.TAKEN),
        (LeadStatus.TARGET, AFTER_CALL, Move.CALL, Refusal.NEXT_STEP_REQUIRED),
        (LeadStatus.TARGET, AFTER_CALL, Move.BOOK, Refusal.NEXT_STEP_REQUIRED),
        (LeadStatus.TARGET, CLOSED, Move.ASSIGN, Refusal.CLOSED),
        (LeadStatus.CLOSED, NEW, Move.TAKE, Refusal.CLOSED),
        (LeadStatus.NURTURE, OWNED, Move.BOOK, Refusal.NOT_NOW),
        (LeadStatus.TARGET, NEW, Move.CALL, Refusal.NOT_NOW),  # take it first
    ],
)
def test_why_a_press_is_refused(
    status: LeadStatus, desk: DeskLead, move: Move, why: Refusal | None
) -> None:
    assert refusal(status, desk, move) is why


@pytest.mark.parametrize(
    ("status", "desk", "action"),
    [
        (LeadStatus.TARGET, NEW, NextAction.TAKE),
        (LeadStatus.TARGET, OWNED, NextAction.CALL),
        (LeadStatus.TARGET, AFTER_CALL, NextAction.NEXT_STEP),
        (
            LeadStatus.NURTURE,
            DeskLead(lead_id=1, owner_id=5, next_call_at=datetime(2026, 12, 1, tzinfo=UTC)),
            NextAction.CALL_AT,
        ),
        (LeadStatus.BOOKED, OWNED, NextAction.VIEWING),
        (LeadStatus.TARGET, CLOSED, NextAction.NONE),
        (LeadStatus.ATTENDED, OWNED, NextAction.CALL),
    ],
)
def test_the_next_action(status: LeadStatus, desk: DeskLead, action: NextAction) -> None:
    assert next_action(status, desk) is action


@pytest.mark.parametrize(
    ("status", "verdict", "moved"),
    [
        (LeadStatus.TARGET, Verdict.NURTURE, LeadStatus.NURTURE),
        (LeadStatus.TARGET, Verdict.REJECT, LeadStatus.REJECTED),
        (LeadStatus.NURTURE, Verdict.TARGET, LeadStatus.TARGET),
        (LeadStatus.REJECTED, Verdict.TARGET, LeadStatus.TARGET),
        (LeadStatus.REJECTED, Verdict.NURTURE, LeadStatus.NURTURE),
        (LeadStatus.BOOKED, Verdict.REJECT, None),  # keeps its viewing; only the verdict changes
        (LeadStatus.ATTENDED, Verdict.NURTURE, None),
        (LeadStatus.TARGET, Verdict.TARGET, None),
    ],
)
def test_the_status_follows_an_overridden_verdict_where_the_funnel_allows(
    status: LeadStatus, verdict: Verdict, moved: LeadStatus | None
) -> None:
    assert status_after_override(status, verdict) is moved


def test_the_override_offers_the_other_verdicts() -> None:
    assert override_choices(Verdict.TARGET, NEW) == (Verdict.NURTURE, Verdict.REJECT)
    overridden = DeskLead(lead_id=1, override_verdict=Verdict.NURTURE)
    assert override_choices(Verdict.TARGET, overridden) == (Verdict.TARGET, Verdict.REJECT)


@pytest.mark.parametrize(
    ("current", "closable"),
    [
        (LeadStatus.TARGET, True),
        (LeadStatus.NURTURE, True),
        (LeadStatus.REJECTED, True),
        (LeadStatus.NO_SHOW, True),
        (LeadStatus.CANCELLED, True),
        (LeadStatus.ATTENDED, True),
        (LeadStatus.DEAL, True),
        (LeadStatus.BOOKED, False),
        (LeadStatus.QUALIFYING, False),
        (LeadStatus.NEW, False),
    ],
)
def test_which_statuses_may_close(current: LeadStatus, closable: bool) -> None:
    if closable:
        check_transition(current, LeadStatus.CLOSED)
    else:
        with pytest.raises(InvalidTransition):
            check_transition(current, LeadStatus.CLOSED)


def test_closed_is_final_and_every_close_reason_is_named() -> None:
    for status in LeadStatus:
        with pytest.raises(InvalidTransition):
            check_transition(LeadStatus.CLOSED, status)
    assert [r.value for r in CLOSE_REASONS] == [
        "bought_elsewhere",
        "unreachable",
        "duplicate",
        "spam",
        "not_interested",
        "other",
    ]


SUNDAY_NOON = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)  # 12:00 in Moscow
MONDAY_1015 = datetime(2026, 11, 23, 7, 15, tzinfo=UTC)


def test_next_call_days_skip_the_weekend_and_times_stay_in_desk_hours() -> None:
    days = next_call_days(SUNDAY_NOON, WEEKDAYS, MOSCOW)
    assert days == [date(2026, 11, 23) + timedelta(days=n) for n in range(5)]
    times = next_call_times(date(2026, 11, 23), MONDAY_1015, WEEKDAYS, MOSCOW)
    local = [moment.astimezone(MOSCOW).strftime("%H:%M") for moment in times]
    assert local[0] == "10:30" and local[-1] == "18:30" and len(local) == 17
    assert valid_next_call(times[0], MONDAY_1015, WEEKDAYS, MOSCOW)
    # A time from an old picker that has passed, or one never offered, is refused.
    assert not valid_next_call(times[0], times[0], WEEKDAYS, MOSCOW)
    assert not valid_next_call(times[0] + timedelta(minutes=7), MONDAY_1015, WEEKDAYS, MOSCOW)
    saturday = datetime(2026, 11, 28, 9, 0, tzinfo=MOSCOW)
    assert not valid_next_call(saturday, MONDAY_1015, WEEKDAYS, MOSCOW)


@pytest.mark.parametrize(
    ("now", "due", "line"),
    [
        # Within desk hours: wall-clock minutes.
        (MONDAY_1015, MONDAY_1015 + timedelta(minutes=12), "take by 10:27 · 12 min left"),
        (MONDAY_1015, MONDAY_1015 - timedelta(minutes=5), "take: overdue by 5 min"),
        # Friday 18:55 with 15 minutes to go: 5 today, 10 on Monday; working time only.
        (
            datetime(2026, 11, 27, 15, 55, tzinfo=UTC),
            datetime(2026, 11, 30, 6, 10, tzinfo=UTC),
            "take by 11/30/26, 9:10\u202fAM · 15 min left",
        ),
        # Overdue across a night counts only desk hours.
        (
            datetime(2026, 11, 24, 6, 30, tzinfo=UTC),
            datetime(2026, 11, 23, 15, 50, tzinfo=UTC),
            "take: overdue by 40 min",
        ),
        (MONDAY_1015, MONDAY_1015 + timedelta(minutes=125), "take by 12:20 · 2 h 5 min left"),
    ],
)
def test_the_time_left_on_the_card(now: datetime, due: datetime, line: str) -> None:
    t = Translations("ru").get("en")
    deadline = OpenDeadline(kind="take", due_at=due, breached=False)
    assert deadline_line(deadline, CardClock(now, WEEKDAYS, MOSCOW), t) == line


def _en_keys() -> set[str]:
    with (LOCALES_DIR / "en" / "LC_MESSAGES" / "bot.po").open("rb") as source:
        return {str(message.id) for message in read_po(source) if message.id}


def test_every_desk_key_built_from_a_value_exists() -> None:
    keys = _en_keys()
    families = (
        {f"desk.stage.{s}" for s in LeadStatus}
        | {f"desk.next.{a}" for a in NextAction}
        | {f"desk.call.{o}" for o in CallOutcome}
        | {f"desk.close.{r}" for r in CLOSE_REASONS}
        | {f"desk.button.{m}" for m in Move}
        | {f"desk.refused.{r}" for r in Refusal}
        | {f"desk.deadline.{k}" for k in ("take", "first_contact", "reply", "next_call")}
    )
    assert families - keys == set()


_LITERAL = re.compile(r'\b_?t\(\s*"([a-z0-9_.]+)"')


def test_every_literal_key_of_the_desk_code_exists() -> None:
    # The catalog test reads `t("...")` calls; the desk's use cases call `self._t("...")`.
    root = Path(__file__).resolve().parents[2] / "bot"
    used: set[str] = set()
    for name in ("services/desk_work.py", "views/desk_card.py", "handlers/staff/desk.py"):
        used |= set(_LITERAL.findall((root / name).read_text(encoding="utf-8")))
    assert len(used) > 20
    assert used - _en_keys() == set()


@pytest.mark.parametrize(
    "stored",
    [None, "", "not json", "[]", '{"kind": "note"}', '{"kind": "override_reason", "by": 1}'],
)
def test_only_an_override_reason_is_awaited(stored: str | None) -> None:
    assert awaited_reason(stored) is None


def test_an_awaited_reason_survives_being_stored() -> None:
    asked = AwaitedReason(by=6001, verdict=Verdict.NURTURE)
    assert awaited_reason(asked.to_text()) == asked
