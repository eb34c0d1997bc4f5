"""Managing sales managers from the staff group: /invite, /managers, /manager, and
handing a lead nobody was eligible for to a manager."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.domain.viewings import ManagerStatus
from bot.filters import StaffMember, StaffPress
from bot.handlers.render import carry_out, pressed
from bot.i18n import Translator
from bot.keyboards.callbacks import AssignCb, ManagerAdminCb
from bot.services.booking import Booking
from bot.services.notifier import Notifier
from bot.services.staff_desk import StaffDesk
from bot.services.team import INVITE_PREFIX, Team
from bot.views.team import ManagerAction, manager_list_screen

TEAM_COMMANDS = ("invite", "managers", "manager")


def _thread(message: Message) -> int | None:
    return message.message_thread_id if message.is_topic_message else None


async def invite(
    message: Message,
    bot: Bot,
    team: Team,
    staff: StaffDesk,
    notifier: Notifier,
    staff_t: Translator,
) -> None:
    created_by = message.from_user.id if message.from_user is not None else message.chat.id
    if not staff.may_administer(created_by):
        await notifier.send(message.chat.id, staff_t("team.not_admin"), thread_id=_thread(message))
        return
    code = await team.invite(created_by)
    me = await bot.me()
    link = f"https://t.me/{me.username}?start={INVITE_PREFIX}{code}"
    await notifier.send(
        message.chat.id, staff_t("team.invite", link=link), thread_id=_thread(message)
    )


async def managers_list(
    message: Message, team: Team, notifier: Notifier, staff_t: Translator
) -> None:
    screen = manager_list_screen(await team.listed(), staff_t)
    await notifier.send(
        message.chat.id, screen.text, markup=screen.markup, thread_id=_thread(message)
    )


async def configure(
    message: Message,
    command: CommandObject,
    team: Team,
    staff: StaffDesk,
    notifier: Notifier,
    staff_t: Translator,
) -> None:
    user_id = message.from_user.id if message.from_user is not None else None
    if not staff.may_administer(user_id):
        await notifier.send(message.chat.id, staff_t("team.not_admin"), thread_id=_thread(message))
        return
    parts = (command.args or "").split(maxsplit=2)
    if len(parts) != 3 or not parts[0].isdigit():
        await notifier.send(
            message.chat.id, staff_t("team.manager_usage"), thread_id=_thread(message)
        )
        return
    error = await team.configure(int(parts[0]), parts[1].lower(), parts[2])
    text = staff_t("team.saved") if error is None else staff_t(f"team.error.{error}")
    await notifier.send(message.chat.id, text, thread_id=_thread(message))


async def admin(
    query: CallbackQuery,
    callback_data: ManagerAdminCb,
    team: Team,
    notifier: Notifier,
    staff_t: Translator,
    staff: StaffDesk,
) -> None:
    if not staff.may_administer(query.from_user.id):
        await notifier.answer_callback(query.id, staff_t("team.not_admin"))
        return
    action = ManagerAction(callback_data.do)
    status = {
        ManagerAction.PAUSE: ManagerStatus.PAUSED,
        ManagerAction.RESUME: ManagerStatus.ACTIVE,
        ManagerAction.REMOVE: ManagerStatus.REMOVED,
    }[action]
    changed = await team.set_status(callback_data.m, status)
    if changed is None:
        await notifier.answer_callback(query.id, staff_t("team.error.unknown_manager"))
    else:
        await notifier.answer_callback(query.id, staff_t(f"team.status.{status}"))
    if query.message is not None:
        screen = manager_list_screen(await team.listed(), staff_t)
        await notifier.edit(
            query.message.chat.id, query.message.message_id, screen.text, markup=screen.inline
        )


async def assign(
    query: CallbackQuery,
    callback_data: AssignCb,
    booking: Booking,
    notifier: Notifier,
    staff_t: Translator,
) -> None:
    actor = f"staff:{query.from_user.id}"
    lead, turn = await booking.assign(callback_data.lead, callback_data.m, actor=actor)
    await carry_out(turn, notifier, pressed(query))
    await notifier.answer_callback(
        query.id,
        staff_t("team.assigned") if lead is not None else staff_t("team.error.unknown_manager"),
    )


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(invite, Command("invite"), StaffMember())
    router.message.register(managers_list, Command("managers"), StaffMember())
    router.message.register(configure, Command("manager"), StaffMember())
    router.callback_query.register(admin, ManagerAdminCb.filter(), StaffPress())
    router.callback_query.register(assign, AssignCb.filter(), StaffPress())
    return router
