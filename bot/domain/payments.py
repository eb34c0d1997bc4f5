"""A deal's payment schedule: the payments, their money, and the lines staff type.

Money is kept in minor units (kopecks) as integers from the text to the database and back:
"1 200 000,50" is 120000050, never a float. Staff type one payment a line after
`/payments`; every bad line is reported with its number and what is wrong, and nothing is
saved while any line is bad.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

DEFAULT_CURRENCY = "RUB"
MAX_PAYMENTS = 60  # a schedule longer than five years of monthly instalments is a mistake
MAX_AMOUNT_MINOR = 10**15  # ten trillion roubles: anything above is a typo
MAX_LABEL = 100


class PaymentStatus(StrEnum):
    DUE = "due"
    CLAIMED = "claimed"  # the client pressed "I've paid"; receivables are to confirm
    PAID = "paid"


@dataclass(frozen=True)
class PlannedPayment:
    """A payment as entered (by staff or the CRM), before it has an id."""

    due_on: date
    amount_minor: int
    currency: str = DEFAULT_CURRENCY
    label: str | None = None


@dataclass(frozen=True)
class Payment:
    id: int
    lead_id: int
    due_on: date
    amount_minor: int
    currency: str
    label: str | None
    status: PaymentStatus
    claimed_at: datetime | None = None
    paid_at: datetime | None = None
    confirmed_by: str | None = None
    # How many times the client has pressed "I've paid": the staff's buttons name the
    # claim they answer, so a button of an earlier claim is an old button.
    claims: int = 0
    overdue_rung: int = 0

    @property
    def planned(self) -> PlannedPayment:
        return PlannedPayment(self.due_on, self.amount_minor, self.currency, self.label)


def amount_text(amount_minor: int) -> str:
    """ "1200000.00": the events' and the API's way to write money (no float rounding)."""
    return f"{amount_minor // 100}.{amount_minor % 100:02d}"


def parse_amount_text(text: str) -> int | None:
    """The API's "1200000.00" (or "1200000", "1200000.5") in minor units; None if not that."""
    match = re.fullmatch(r"(\d{1,16})(?:\.(\d{1,2}))?", text)
    if match is None:
        return None
    return int(match[1]) * 100 + int((match[2] or "0").ljust(2, "0"))


@dataclass(frozen=True)
class ScheduleChange:
    """How to turn the unpaid payments into the wanted ones: a payment that stays as it was
    keeps its row, so what it already told (a reminder) and its claim are not repeated."""

    delete: tuple[int, ...]
    insert: tuple[PlannedPayment, ...]

    @property
    def empty(self) -> bool:
        return not self.delete and not self.insert


def schedule_change(current: list[Payment], wanted: list[PlannedPayment]) -> ScheduleChange:
    """`current`: the whole schedule (paid payments are never touched)."""
    unmatched = [p for p in current if p.status is not PaymentStatus.PAID]
    insert: list[PlannedPayment] = []
    for planned in wanted:
        same = next((p for p in unmatched if p.planned == planned), None)
        if same is None:
            insert.append(planned)
        else:
            unmatched.remove(same)
    return ScheduleChange(tuple(p.id for p in unmatched), tuple(insert))


def next_unpaid(schedule: list[Payment]) -> Payment | None:
    """The earliest payment not yet paid (claimed ones still count: not confirmed)."""
    unpaid = [p for p in schedule if p.status is not PaymentStatus.PAID]
    return min(unpaid, key=lambda p: (p.due_on, p.id), default=None)


# --- the lines staff type ------------------------------------------------------------------


class LineProblem(StrEnum):
    NO_DATE = "no_date"  # the line does not start with a date
    BAD_DATE = "bad_date"  # looks like a date but there is no such day
    PAST_DATE = "past_date"
    NO_AMOUNT = "no_amount"
    ZERO_AMOUNT = "zero_amount"
    TOO_LARGE = "too_large"
    LABEL_TOO_LONG = "label_too_long"
    TOO_MANY = "too_many"


@dataclass(frozen=True)
class BadLine:
    number: int  # 1-based, counting the lines typed after /payments
    problem: LineProblem
    text: str  # the part of the line the problem is about


@dataclass(frozen=True)
class ParsedSchedule:
    payments: tuple[PlannedPayment, ...]
    problems: tuple[BadLine, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


_SPACES = "[ \u00a0\u202f]"
_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})|(\d{4})-(\d{1,2})-(\d{1,2})")
_DATE_LIKE = re.compile(r"[\d.\-/]+")
_DASH = re.compile(r"[\s\u00a0\u202f]*[—–\-:]?[\s\u00a0\u202f]*")
# Thousands grouped by spaces, dots or commas ("1 200 000", "1.200.000", "1,200,000"): a
# group has three digits, a fraction one or two, so "1,200" is 1200 and "1,20" is 1.20.
_GROUP = rf"(?:{_SPACES}|[.,])"
_AMOUNT = re.compile(rf"(\d{{1,3}}(?:{_GROUP}\d{{3}})+|\d+)(?:[.,](\d{{1,2}}))?(?!\d)")
_CURRENCY = re.compile(r"[\s\u00a0\u202f]*(?:₽|руб\.?|р\.|rub\b|RUB\b)", re.IGNORECASE)


def parse_schedule(text: str, today: date) -> ParsedSchedule:
    """The lines after `/payments`: `15.01.2027 1 200 000`, `2027-01-15 1200000,50`,
    `15.01.2027 — 1 200 000 ₽ first instalment`. Empty lines are skipped; dates before
    `today` (the client's local date) are refused."""
    payments: list[PlannedPayment] = []
    problems: list[BadLine] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        parsed = parse_line(line, number, today)
        if isinstance(parsed, BadLine):
            problems.append(parsed)
        else:
            payments.append(parsed)
    if len(payments) > MAX_PAYMENTS:
        problems.append(BadLine(0, LineProblem.TOO_MANY, str(MAX_PAYMENTS)))
    return ParsedSchedule(tuple(sorted(payments, key=lambda p: p.due_on)), tuple(problems))


def parse_line(line: str, number: int, today: date) -> PlannedPayment | BadLine:
    match = _DATE.match(line)
    if match is None:
        word = _DATE_LIKE.match(line)
        if word is not None and len(word[0]) >= 6 and any(c in ".-/" for c in word[0]):
            return BadLine(number, LineProblem.BAD_DATE, word[0])  # "15/01/2027", "15.1.27"
        return BadLine(number, LineProblem.NO_DATE, line.split()[0])
    if match[1] is not None:
        day, month, year = int(match[1]), int(match[2]), int(match[3])
    else:
        year, month, day = int(match[4]), int(match[5]), int(match[6])
    try:
        due_on = date(year, month, day)
    except ValueError:
        return BadLine(number, LineProblem.BAD_DATE, match[0])
    if due_on < today:
        return BadLine(number, LineProblem.PAST_DATE, match[0])
    rest = line[match.end() :]
    if rest and not rest[0].isspace() and rest[0] not in "—–-:":
        return BadLine(number, LineProblem.BAD_DATE, line.split()[0])
    dash = _DASH.match(rest)
    if dash is not None:
        rest = rest[dash.end() :]
    amount = _AMOUNT.match(rest)
    if amount is None:
        return BadLine(number, LineProblem.NO_AMOUNT, rest.split()[0] if rest.split() else "")
    whole = int(re.sub(_GROUP, "", amount[1]))
    minor = whole * 100 + int((amount[2] or "0").ljust(2, "0"))
    if minor == 0:
        return BadLine(number, LineProblem.ZERO_AMOUNT, amount[0])
    if minor > MAX_AMOUNT_MINOR:
        return BadLine(number, LineProblem.TOO_LARGE, amount[0])
    rest = rest[amount.end() :]
    currency = _CURRENCY.match(rest)
    if currency is not None:
        rest = rest[currency.end() :]
    elif rest and not rest[0].isspace():
        return BadLine(number, LineProblem.NO_AMOUNT, (amount[0] + rest).split()[0])
    label = rest.strip().lstrip("—–-:").strip() or None
    if label is not None and len(label) > MAX_LABEL:
        return BadLine(number, LineProblem.LABEL_TOO_LONG, str(MAX_LABEL))
    return PlannedPayment(due_on, minor, DEFAULT_CURRENCY, label)
