"""The deal buttons on a lead's card. Who may press: members of the staff group, the deal
file's role people and administrators; anyone else gets a toast and nothing changes."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import BaseFilter
from aiogram.types import CallbackQuery

from bot.domain.leads import LeadId
from bot.i18n import Translator
from bot.keyboards.callbacks import DealCb
from bot.services.deal_card import DealCard, DealPress, DealReply
from bot.services.notifier import Notifier, ThreadNotFound
from bot.services.staff_desk import StaffDesk


class MayDeal(BaseFilter):
    """A press on a card in the staff group by someone allowed to work deals."""

    async def __call__(
        self, query: CallbackQuery, staff: StaffDesk, deal_card: DealCard
    ) -> bool | dict[str, Any]:
        message = query.message
        if message is None or staff.chat_id is None or message.chat.id != staff.chat_id:
            return False
        user_id = query.from_user.id
        return deal_card.may_press(user_id) or await staff.is_member(staff.chat_id, user_id)


async def press(
    query: CallbackQuery,
    callback_data: DealCb,
    deal_card: DealCard,
    staff: StaffDesk,
    notifier: Notifier,
) -> None:
    message = query.message
    pressed = DealPress(
        user_id=query.from_user.id,
        lead_id=callback_data.lead_id,
        at=callback_data.at,
        arg=callback_data.arg,
        message_id=None if message is None else message.message_id,
    )
    reply = await deal_card.press(callback_data.action, pressed)
    await notifier.answer_callback(query.id, reply.toast)
    await _show(reply, callback_data.lead_id, query, staff, notifier)


async def _show(
    reply: DealReply, lead_id: int, query: CallbackQuery, staff: StaffDesk, notifier: Notifier
) -> None:
    message = query.message
    if reply.replace_keyboard and message is not None:
        await notifier.edit_markup(message.chat.id, message.message_id, reply.keyboard)
    if reply.restore_card:
        await staff.sync_card(LeadId(lead_id))
    if reply.topic_text is not None and reply.topic_chat_id is not None:
        try:
            await notifier.send(
                reply.topic_chat_id, reply.topic_text, thread_id=reply.topic_thread_id
            )
        except ThreadNotFound:
            await notifier.send(reply.topic_chat_id, reply.topic_text)


async def refuse(query: CallbackQuery, notifier: Notifier, staff_t: Translator) -> None:
    await notifier.answer_callback(query.id, staff_t("desk.refused.stranger"))


def build_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(press, DealCb.filter(), MayDeal())
    router.callback_query.register(refuse, DealCb.filter())
    return router
