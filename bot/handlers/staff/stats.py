"""Staff-group numbers: /stats [period], /export [period], /find <phone or name>."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.domain.periods import Period, PeriodError
from bot.filters import StaffMember
from bot.i18n import Translator
from bot.services.export import Export
from bot.services.notifier import Notifier
from bot.services.stats import Stats
from bot.views.stats import bad_period_text, found_text, period_label

STATS_COMMANDS = ("stats", "export", "find")


def _thread(message: Message) -> int | None:
    return message.message_thread_id if message.is_topic_message else None


async def _period(
    message: Message,
    command: CommandObject,
    name: str,
    stats_desk: Stats,
    notifier: Notifier,
    staff_t: Translator,
) -> Period | None:
    """The period the command asks for; None after telling them why it is not one."""
    try:
        return stats_desk.parse(command.args)
    except PeriodError as error:
        text = bad_period_text(error, command.args or "", name, staff_t)
        await notifier.send(message.chat.id, text, thread_id=_thread(message))
        return None


async def stats(
    message: Message,
    command: CommandObject,
    stats_desk: Stats,
    notifier: Notifier,
    staff_t: Translator,
) -> None:
    period = await _period(message, command, "stats", stats_desk, notifier, staff_t)
    if period is None:
        return
    report = await stats_desk.report(period)
    await notifier.send(message.chat.id, report.text, thread_id=_thread(message))
    await notifier.send_photo(
        message.chat.id, report.chart_name, report.chart, thread_id=_thread(message)
    )


async def export(
    message: Message,
    command: CommandObject,
    stats_desk: Stats,
    export_desk: Export,
    notifier: Notifier,
    staff_t: Translator,
) -> None:
    period = await _period(message, command, "export", stats_desk, notifier, staff_t)
    if period is None:
        return
    file = await export_desk.csv_file(period)
    label = period_label(period)
    if file.count == 0:
        text = staff_t("export.empty", period=label)
        await notifier.send(message.chat.id, text, thread_id=_thread(message))
        return
    caption = staff_t("export.caption", period=label, count=file.count)
    await notifier.send_document(
        message.chat.id, file.filename, file.data, caption=caption, thread_id=_thread(message)
    )


async def find(
    message: Message,
    command: CommandObject,
    export_desk: Export,
    notifier: Notifier,
    staff_t: Translator,
) -> None:
    query = (command.args or "").strip()
    if not query:
        text = staff_t("find.usage")
    else:
        text = found_text(query, await export_desk.find(query), staff_t)
    await notifier.send(message.chat.id, text, thread_id=_thread(message))


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(StaffMember())
    router.message.register(stats, Command("stats"))
    router.message.register(export, Command("export"))
    router.message.register(find, Command("find"))
    return router
