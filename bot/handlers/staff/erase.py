"""Erase ▸ on a lead's card: an administrator erases the lead on the person's request.

Anyone else in the staff group is refused with a toast; a stranger outside it as on the
card's other buttons."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery

from bot.i18n import Translator
from bot.keyboards.callbacks import EraseCb
from bot.services.notifier import Notifier
from bot.services.privacy import PrivacyDesk
from bot.services.staff_desk import StaffDesk
from bot.views.privacy import erase_menu


async def erase(
    query: CallbackQuery,
    callback_data: EraseCb,
    privacy: PrivacyDesk,
    staff: StaffDesk,
    notifier: Notifier,
    staff_t: Translator,
) -> None:
    message = query.message
    member = (
        message is not None
        and message.chat.id == staff.chat_id
        and await staff.is_member(message.chat.id, query.from_user.id)
    )
    if not member:
        await notifier.answer_callback(query.id, staff_t("desk.refused.stranger"))
        return
    if not privacy.may_erase(query.from_user.id):
        await notifier.answer_callback(query.id, staff_t("erase.refused"))
        return
    if not callback_data.sure:
        await notifier.answer_callback(query.id, staff_t("erase.asked"))
        if message is not None:
            markup = erase_menu(callback_data.lead_id, staff_t)
            await notifier.edit_markup(message.chat.id, message.message_id, markup)
        return
    erased = await privacy.admin_erase(callback_data.lead_id, query.from_user.id)
    key = "erase.done" if erased else "erase.gone"
    await notifier.answer_callback(query.id, staff_t(key, id=callback_data.lead_id))


def build_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(erase, EraseCb.filter())
    return router
