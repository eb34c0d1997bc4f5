"""Texts for a manager's private chat: their hours, their calendar links."""

from __future__ import annotations

from html import escape

from aiogram.methods import SetMyCommands
from aiogram.types import BotCommand, BotCommandScopeChat
from babel.dates import format_date, get_day_names

from bot.domain.hours import ScheduleError, format_schedule
from bot.domain.viewings import Manager
from bot.i18n import Translator

MANAGER_COMMANDS = ("hours", "timezone", "calendar", "caldav", "agenda")


def manager_commands(manager: Manager, t: Translator) -> SetMyCommands:
    """The command menu of a manager's chat: their own commands."""
    return SetMyCommands(
        commands=[
            BotCommand(command=name, description=t(f"command.{name}")) for name in MANAGER_COMMANDS
        ],
        scope=BotCommandScopeChat(chat_id=manager.chat_id),
    )


def schedule_lines(manager: Manager, t: Translator) -> str:
    names = get_day_names("abbreviated", locale=t.language)
    day_names = [str(names[index]).rstrip(".").capitalize() for index in range(7)]
    lines = format_schedule(manager.schedule, day_names, day_off=t("manager.hours.day_off"))
    days_off = sorted(manager.schedule.days_off)
    if days_off:
        dates = ", ".join(format_date(day, format="d MMM", locale=t.language) for day in days_off)
        lines.append(t("manager.hours.dates_off", dates=escape(dates)))
    return "\n".join(escape(line) for line in lines)


def hours_screen_text(manager: Manager, t: Translator) -> str:
    return t(
        "manager.hours.current",
        hours=schedule_lines(manager, t),
        zone=escape(manager.timezone),
    )


def schedule_error_text(error: ScheduleError, t: Translator) -> str:
    params = {key: escape(str(value)) for key, value in error.params.items()}
    return t("manager.hours.error", line=error.line, problem=t(f"hours.{error.code}", **params))


def calendar_text(manager: Manager, feed_url: str | None, t: Translator) -> str:
    parts = [
        t("manager.calendar.feed", url=escape(feed_url))
        if feed_url
        else t("manager.calendar.no_feed")
    ]
    if manager.caldav is None:
        parts.append(t("manager.calendar.caldav_off"))
    elif manager.caldav_error:
        parts.append(
            t(
                "manager.calendar.caldav_error",
                url=escape(manager.caldav.url),
                problem=t(f"caldav.{manager.caldav_error}"),
            )
        )
    else:
        parts.append(t("manager.calendar.caldav_on", url=escape(manager.caldav.url)))
    return "\n\n".join(parts)
