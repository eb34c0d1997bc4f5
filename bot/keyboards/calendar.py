"""The month grid under a date question: Monday first, ‹ › to turn the month, days the
question does not allow shown as "·" (a press on one says it is not available)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from babel.core import UnknownLocaleError
from babel.dates import get_day_names, get_month_names

from bot.domain.checklist import Question
from bot.keyboards.callbacks import CalendarDayCb, CalendarIdleCb, CalendarMonthCb

BLANK = "·"  # a button needs some text; a dot reads as "nothing here"
_DAY_FORMAT = "%Y%m%d"
_MONTH_FORMAT = "%Y%m"


def day_limits(question: Question, today: date) -> tuple[date | None, date | None]:
    """The earliest and the latest day the question allows (None: no limit)."""
    earliest = None if question.min_days is None else today + timedelta(days=question.min_days)
    latest = None if question.max_days is None else today + timedelta(days=question.max_days)
    return earliest, latest


def allowed(question: Question, day: date, today: date) -> bool:
    earliest, latest = day_limits(question, today)
    return (earliest is None or day >= earliest) and (latest is None or day <= latest)


def first_month(question: Question, today: date) -> date:
    """The month the calendar opens on: this one, or the first with an allowed day."""
    earliest, _ = day_limits(question, today)
    start = today if earliest is None or earliest < today else earliest
    return start.replace(day=1)


def pack_day(day: date) -> str:
    return day.strftime(_DAY_FORMAT)


def unpack_day(value: str) -> date | None:
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return None


def unpack_month(value: str) -> date | None:
    try:
        return date(int(value[:4]), int(value[4:6]), 1)
    except ValueError:
        return None


def calendar_rows(
    question: Question, language: str, month: date, today: date
) -> list[list[InlineKeyboardButton]]:
    """The grid for `month` (any day of it): the title row, weekdays, then the weeks."""
    month = month.replace(day=1)
    idle = CalendarIdleCb(q=question.id).pack()
    earliest, latest = day_limits(question, today)
    previous = (month - timedelta(days=1)).replace(day=1)
    following = (month + timedelta(days=32)).replace(day=1)
    can_go_back = earliest is None or earliest < month
    can_go_on = latest is None or latest >= following
    title = f"{_month_name(month.month, language)} {month.year}"
    rows = [
        [
            _button("‹", CalendarMonthCb(q=question.id, m=previous.strftime(_MONTH_FORMAT)).pack())
            if can_go_back
            else _button(BLANK, idle),
            _button(title, idle),
            _button("›", CalendarMonthCb(q=question.id, m=following.strftime(_MONTH_FORMAT)).pack())
            if can_go_on
            else _button(BLANK, idle),
        ],
        [_button(name, idle) for name in _weekday_names(language)],
    ]
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        row = []
        for day in week:
            if day.month != month.month:
                row.append(_button(BLANK, idle))
            elif allowed(question, day, today):
                row.append(
                    _button(str(day.day), CalendarDayCb(q=question.id, d=pack_day(day)).pack())
                )
            else:
                row.append(_button(BLANK, CalendarDayCb(q=question.id, d=pack_day(day)).pack()))
        rows.append(row)
    return rows


def calendar_keyboard(
    question: Question,
    language: str,
    month: date,
    today: date,
    footer: list[InlineKeyboardButton],
) -> InlineKeyboardMarkup:
    rows = calendar_rows(question, language, month, today)
    if footer:
        rows.append(footer)
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)


def _locale(language: str) -> str:
    return "en_GB" if language == "en" else language


def _month_name(month: int, language: str) -> str:
    try:
        names = get_month_names("wide", context="stand-alone", locale=_locale(language))
    except (UnknownLocaleError, ValueError):
        names = get_month_names("wide", context="stand-alone", locale="en_GB")
    return str(names[month]).capitalize()


def _weekday_names(language: str) -> list[str]:
    try:
        names = get_day_names("abbreviated", context="stand-alone", locale=_locale(language))
    except (UnknownLocaleError, ValueError):
        names = get_day_names("abbreviated", context="stand-alone", locale="en_GB")
    # Babel counts from Monday (0), as the grid does.
    return [str(names[i]).capitalize()[:2] for i in range(7)]
