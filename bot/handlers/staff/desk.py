"""The card's buttons and the answers staff type in a lead's topic when asked (an override
reason). Who may press: members of the staff group; in a private chat, the head of sales
and administrators may reassign (an escalation's button). Everyone else gets a toast."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from aiogram import BaseMiddleware, Router
from aiogram.enums import ChatType
from aiogram.filters import BaseFilter
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.domain.leads import LeadId
from bot.handlers.render import Where, carry_out
from bot.i18n import Translator
from bot.keyboards.callbacks import DeskAction, DeskCb
from bot.router_gates import IN_STAFF_CHAT, Needs
from bot.services.desk_work import DeskReply, DeskWork, Press
from bot.services.notifier import Notifier, ThreadNotFound
from bot.services.replies import Send, Turn
from bot.services.staff_desk import StaffDesk


class DeskPress(BaseFilter):
    """Staff may press; adds `in_staff_group` (False: a private reassignment)."""

    async def __call__(
        self, query: CallbackQuery, staff: StaffDesk, desk_work: DeskWork
    ) -> bool | dict[str, Any]:
        message = query.message
        if message is None or query.data is None:
            return False
        if staff.chat_id is not None and message.chat.id == staff.chat_id:
            if await staff.is_member(message.chat.id, query.from_user.id):
                return {"in_staff_group": True}
            return False
        action = DeskCb.unpack(query.data).action
        private = message.chat.type == ChatType.PRIVATE
        if private and action is DeskAction.ASSIGN and desk_work.may_reassign(query.from_user.id):
            return {"in_staff_group": False}
        return False


class AwaitedInput(BaseFilter):
    """A staff member's message in a lead's topic after they were asked to type something."""

    needs: ClassVar[Needs] = IN_STAFF_CHAT

    async def __call__(
        self, message: Message, staff: StaffDesk, desk_work: DeskWork
    ) -> bool | dict[str, Any]:
        if (
            staff.chat_id is None
            or message.chat.id != staff.chat_id
            or message.from_user is None
            or not message.text
            or message.text.startswith("/")
        ):
            return False
        # The General topic of a forum has no thread id: no lead's topic, nothing awaited.
        thread_id = message.message_thread_id if message.is_topic_message else None
        lead_id = await desk_work.awaiting(message.chat.id, thread_id, message.from_user.id)
        return False if lead_id is None else {"lead_id": lead_id}


class SeeStaff(BaseMiddleware):
    """Remembers the names of people writing in the staff group, for "Assign ▸"."""

    needs: ClassVar[Needs] = IN_STAFF_CHAT  # it looks at nothing else

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        staff: StaffDesk = data["staff"]
        desk_work: DeskWork = data["desk_work"]
        if (
            isinstance(event, Message)
            and staff.chat_id is not None
            and event.chat.id == staff.chat_id
            and event.from_user is not None
            and not event.from_user.is_bot
        ):
            await desk_work.see(event.from_user.id, event.from_user.full_name)
        return await handler(event, data)


async def _to_prospect(turn: Turn, notifier: Notifier) -> bool:
    """Carries out the prospect's replies; False if a message did not go (blocked)."""
    delivered = True
    for one in turn.replies:
        if isinstance(one, Send):
            screen = one.screen
            sent = await notifier.send(one.chat_id, screen.text, markup=screen.markup)
            delivered = delivered and sent is not None
        else:
            await carry_out(Turn(turn.memory, (one,)), notifier, Where(0))
    return delivered


async def show(
    reply: DeskReply,
    notifier: Notifier,
    query: CallbackQuery | None,
    staff: StaffDesk | None = None,
) -> None:
    # The prospect first: whether it went decides what staff are told.
    if reply.prospect is not None:
        delivered = await _to_prospect(reply.prospect, notifier)
        if not delivered and reply.prospect_failed is not None:
            reply = DeskReply(toast=reply.prospect_failed)
    if query is not None:
        await notifier.answer_callback(query.id, reply.toast)
        message = query.message
        if reply.replace_keyboard and message is not None:
            await notifier.edit_markup(message.chat.id, message.message_id, reply.keyboard)
    if reply.restore_card is not None and staff is not None:
        await staff.sync_card(LeadId(reply.restore_card))
    if reply.topic_text is not None and reply.topic_chat_id is not None:
        try:
            await notifier.send(
                reply.topic_chat_id, reply.topic_text, thread_id=reply.topic_thread_id
            )
        except ThreadNotFound:
            await notifier.send(reply.topic_chat_id, reply.topic_text)


async def press(
    query: CallbackQuery,
    callback_data: DeskCb,
    in_staff_group: bool,
    desk_work: DeskWork,
    notifier: Notifier,
    staff: StaffDesk,
) -> None:
    user = query.from_user
    if in_staff_group:
        await desk_work.see(user.id, user.full_name)
    message = query.message
    pressed = Press(
        user_id=user.id,
        name=user.full_name,
        lead_id=callback_data.lead_id,
        arg=callback_data.arg,
        message_id=None if message is None else message.message_id,
        in_staff_group=in_staff_group,
    )
    await show(await desk_work.press(callback_data.action, pressed), notifier, query, staff)


async def refuse(query: CallbackQuery, notifier: Notifier, staff_t: Translator) -> None:
    await notifier.answer_callback(query.id, staff_t("desk.refused.stranger"))


async def reason(
    message: Message, lead_id: int, desk_work: DeskWork, notifier: Notifier, staff: StaffDesk
) -> None:
    user = message.from_user
    assert user is not None  # AwaitedInput checked it
    reply = await desk_work.give_reason(lead_id, user.id, user.full_name, message.text or "")
    await show(reply, notifier, None, staff)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.outer_middleware(SeeStaff())
    router.callback_query.register(press, DeskCb.filter(), DeskPress())
    router.callback_query.register(refuse, DeskCb.filter())
    router.message.register(reason, AwaitedInput())
    return router
