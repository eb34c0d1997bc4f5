"""/kb in the staff group: save a reply as a knowledge-base answer, list, remove."""

from __future__ import annotations

import html

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.filters import StaffMember
from bot.handlers.staff.refusals import staff_command_elsewhere
from bot.i18n import Translator
from bot.services.knowledge import AddProblem, AddResult, KnowledgeBase, preview
from bot.services.notifier import Notifier

KB_COMMANDS = ("kb",)


def _thread(message: Message) -> int | None:
    return message.message_thread_id if message.is_topic_message else None


def _replied(message: Message) -> Message | None:
    """The message /kb add answers; in a topic, Telegram points plain messages at the
    topic's first service message, which is no reply at all."""
    reply = message.reply_to_message
    if reply is None or reply.forum_topic_created is not None:
        return None
    return reply


async def kb(
    message: Message,
    command: CommandObject,
    knowledge: KnowledgeBase,
    notifier: Notifier,
    staff_t: Translator,
) -> None:
    action, _, rest = (command.args or "").strip().partition(" ")
    action = action.lower()
    if action == "add":
        text = await _add(message, rest, knowledge, staff_t)
    elif action == "remove":
        text = await _remove(rest.strip().lstrip("#"), knowledge, staff_t)
    elif action in ("", "list"):
        text = await _list(knowledge, staff_t)
    else:
        text = staff_t("kb.usage")
    await notifier.send(message.chat.id, text, thread_id=_thread(message))


async def _add(message: Message, keywords: str, knowledge: KnowledgeBase, t: Translator) -> str:
    reply = _replied(message)
    if reply is None:
        return t("kb.add.not_reply")
    if reply.from_user is None or reply.from_user.is_bot:
        return t("kb.add.from_bot")
    result = await knowledge.add(
        keywords_text=keywords,
        answer_html=reply.html_text if reply.text is not None else None,
        chat_id=message.chat.id,
        thread_id=_thread(message),
        added_by=message.from_user.id if message.from_user is not None else message.chat.id,
    )
    return _add_text(result, t)


def _add_text(result: AddResult, t: Translator) -> str:
    if result.saved is not None:
        return t(
            "kb.add.saved",
            id=result.saved.id,
            language=result.saved.language,
            keywords=html.escape(", ".join(result.saved.keywords)),
        )
    match result.problem:
        case AddProblem.BAD_KEYWORDS:
            return t("kb.add.bad_keywords", keywords=html.escape(", ".join(result.refused)))
        case AddProblem.NO_KEYWORDS:
            return t("kb.add.no_keywords")
        case AddProblem.NO_TEXT:
            return t("kb.add.no_text")
        case _:
            return t("kb.add.too_long")


async def _remove(arg: str, knowledge: KnowledgeBase, t: Translator) -> str:
    if not arg.isdigit():
        return t("kb.remove.usage")
    if await knowledge.remove(int(arg)):
        return t("kb.remove.done", id=int(arg))
    return t("kb.remove.not_found", id=int(arg))


async def _list(knowledge: KnowledgeBase, t: Translator) -> str:
    saved = await knowledge.saved()
    if not saved:
        return t("kb.list.empty")
    lines = [t("kb.list.title")]
    lines += [
        t(
            "kb.list.item",
            id=answer.id,
            language=answer.language,
            keywords=html.escape(", ".join(answer.keywords)),
            preview=preview(answer.answer),
        )
        for answer in saved
    ]
    return "\n".join(lines)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(kb, Command(*KB_COMMANDS), StaffMember())
    # Anyone else, or anywhere else: the same refusal as the other staff commands.
    router.message.register(staff_command_elsewhere, Command(*KB_COMMANDS))
    return router
