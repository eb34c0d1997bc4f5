"""The client's "I've paid" under a payment reminder."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot.i18n import Translator
from bot.keyboards.callbacks import PaymentPaidCb
from bot.services.notifier import Notifier
from bot.services.payments import ClaimOutcome, PaymentDesk


async def paid(
    query: CallbackQuery,
    callback_data: PaymentPaidCb,
    payment_desk: PaymentDesk,
    notifier: Notifier,
    t: Translator,
) -> None:
    outcome = await payment_desk.claim(query.from_user.id, callback_data.payment_id)
    await notifier.answer_callback(query.id, t(f"payment.client.claim_{outcome}"))
    if outcome is not ClaimOutcome.GONE and isinstance(query.message, Message):
        # The button has done its job: the answer comes when receivables have checked.
        await notifier.edit_markup(query.message.chat.id, query.message.message_id, None)


def build_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(paid, PaymentPaidCb.filter())
    return router
