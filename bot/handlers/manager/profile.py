"""A manager's own commands: /hours, /timezone, /calendar, /caldav, /agenda, and the
Attended / No-show / Moved buttons after a viewing."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.domain.hours import ScheduleError
from bot.domain.viewings import Manager
from bot.filters import IsManager
from bot.handlers.render import carry_out, pressed
from bot.i18n import Translator
from bot.integrations.caldav import CalDavError
from bot.keyboards.callbacks import OutcomeCb
from bot.services.calendar import CalendarDesk
from bot.services.notifier import Notifier
from bot.services.reminders import ReminderDesk
from bot.services.team import Team
from bot.services.viewing_reports import ViewingReports
from bot.views.manager import (
    MANAGER_COMMANDS,
    calendar_text,
    hours_screen_text,
    schedule_error_text,
)


class ManagerState(StatesGroup):
    hours = State()


async def help_(message: Message, mt: Translator, notifier: Notifier) -> None:
    await notifier.send(message.chat.id, mt("manager.help"))


async def hours(
    message: Message,
    manager: Manager,
    mt: Translator,
    team: Team,
    notifier: Notifier,
    state: FSMContext,
    command: CommandObject | None = None,
) -> None:
    """/hours shows them and waits for new ones; /hours <rules> or the next message sets them."""
    text = message.text if command is None else command.args
    if not text:
        how = hours_screen_text(manager, mt) + "\n\n" + mt("manager.hours.how")
        await notifier.send(message.chat.id, how)
        await state.set_state(ManagerState.hours)
        return
    try:
        updated = await team.set_hours(manager, text)
    except ScheduleError as error:
        problem = schedule_error_text(error, mt) + "\n\n" + mt("manager.hours.how")
        await notifier.send(message.chat.id, problem)
        await state.set_state(ManagerState.hours)
        return
    await state.set_state(None)
    saved = mt("manager.hours.saved") + "\n\n" + hours_screen_text(updated, mt)
    await notifier.send(message.chat.id, saved)


async def timezone(
    message: Message,
    command: CommandObject,
    manager: Manager,
    mt: Translator,
    team: Team,
    notifier: Notifier,
) -> None:
    name = (command.args or "").strip()
    if not name:
        await notifier.send(message.chat.id, mt("manager.timezone.how", zone=manager.timezone))
        return
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        await notifier.send(message.chat.id, mt("manager.timezone.unknown"))
        return
    await team.set_timezone(manager, zone)
    await notifier.send(message.chat.id, mt("manager.timezone.saved", zone=zone.key))


async def calendar(
    message: Message,
    command: CommandObject,
    manager: Manager,
    mt: Translator,
    calendar_desk: CalendarDesk,
    notifier: Notifier,
    public_url: str | None,
) -> None:
    revoke = (command.args or "").strip().lower() in ("new", "revoke")
    token = manager.feed_token
    if revoke or token is None:
        token = await calendar_desk.new_feed_token(manager)
    if revoke:
        await notifier.send(message.chat.id, mt("manager.calendar.revoked"))
    url = f"{public_url}/calendar/{token}.ics" if public_url else None
    await notifier.send(message.chat.id, calendar_text(manager, url, mt))


async def caldav(
    message: Message,
    command: CommandObject,
    manager: Manager,
    mt: Translator,
    calendar_desk: CalendarDesk,
    notifier: Notifier,
) -> None:
    args = (command.args or "").split()
    if args == ["off"]:
        await calendar_desk.disconnect_caldav(manager)
        await notifier.send(message.chat.id, mt("manager.caldav.off"))
        return
    if len(args) != 3:
        await notifier.send(message.chat.id, mt("manager.caldav.how"))
        return
    # The message holds a password: it should not stay in the chat history.
    await notifier.delete(message.chat.id, message.message_id)
    url, username, password = args
    try:
        name = await calendar_desk.connect_caldav(manager, url, username, password)
    except CalDavError as error:
        await notifier.send(
            message.chat.id, mt("manager.caldav.failed", problem=mt(f"caldav.{error.kind}"))
        )
        return
    await notifier.send(message.chat.id, mt("manager.caldav.connected", name=name or url))


async def agenda(
    message: Message, manager: Manager, reminder_desk: ReminderDesk, notifier: Notifier
) -> None:
    await notifier.send(message.chat.id, await reminder_desk.agenda_for_today(manager))


async def outcome(
    query: CallbackQuery,
    callback_data: OutcomeCb,
    viewing_reports: ViewingReports,
    notifier: Notifier,
) -> None:
    turn = await viewing_reports.outcome(query.from_user.id, callback_data)
    await carry_out(turn, notifier, pressed(query))


async def not_a_manager(message: Message, t: Translator, notifier: Notifier) -> None:
    await notifier.send(message.chat.id, t("manager.only"))


def build_refusals() -> Router:
    """Manager commands from someone who is not one."""
    router = Router(name=f"{__name__}.refusals")
    router.message.register(not_a_manager, Command(*MANAGER_COMMANDS))
    return router


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(IsManager())
    router.callback_query.filter(IsManager())
    router.message.register(help_, CommandStart())
    router.message.register(help_, Command("help"))
    router.message.register(hours, Command("hours"))
    router.message.register(timezone, Command("timezone"))
    router.message.register(calendar, Command("calendar"))
    router.message.register(caldav, Command("caldav"))
    router.message.register(agenda, Command("agenda"))
    router.message.register(hours, ManagerState.hours, F.text, ~F.text.startswith("/"))
    router.callback_query.register(outcome, OutcomeCb.filter())
    return router
