"""Staff-group commands: /lead <id> (a lead's card). The numbers live in stats.py."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.domain.leads import LeadId
from bot.filters import StaffMember
from bot.handlers.staff.stats import STATS_COMMANDS
from bot.i18n import Translator
from bot.services.notifier import Notifier
from bot.services.staff_desk import StaffDesk

STAFF_COMMANDS = ("lead", *STATS_COMMANDS)


def _thread(message: Message) -> int | None:
    return message.message_thread_id if message.is_topic_message else None


async def lead(
    message: Message,
    command: CommandObject,
    staff: StaffDesk,
    notifier: Notifier,
    staff_t: Translator,
) -> None:
    args = (command.args or "").strip().lstrip("#")
    card = await staff.card_text(LeadId(int(args))) if args.isdigit() else None
    if card is None:
        card = (
            staff_t("staff.lead_usage")
            if not args.isdigit()
            else staff_t("staff.lead_not_found", id=args)
        )
    await notifier.send(message.chat.id, card, thread_id=_thread(message))


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(StaffMember())
    router.message.register(lead, Command("lead"))
    return router
