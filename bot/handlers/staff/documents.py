"""Staff review a client's document in the lead's topic: Accept, Reject ▸ a reason, then
what to fix typed in the topic (or "without a comment"). Only staff group members,
administrators and the deal's role people may press; anyone else gets a toast."""

from __future__ import annotations

from typing import Any, ClassVar

from aiogram import Router
from aiogram.filters import BaseFilter
from aiogram.methods import EditMessageCaption
from aiogram.types import CallbackQuery, Message

from bot.domain.documents import RejectReason
from bot.i18n import Translator
from bot.keyboards.callbacks import DocReview, DocReviewCb
from bot.router_gates import IN_STAFF_CHAT, Needs
from bot.services.document_review import DocumentReview, Reviewer, ReviewReply
from bot.services.notifier import Notifier, ThreadNotFound
from bot.services.staff_desk import StaffDesk


class MayReview(BaseFilter):
    async def __call__(self, query: CallbackQuery, document_review: DocumentReview) -> bool:
        if query.message is None:
            return False
        return await document_review.may_review(query.message.chat.id, query.from_user.id)


class AwaitedFix(BaseFilter):
    """A reviewer's message in a lead's topic after they were asked what to fix."""

    needs: ClassVar[Needs] = IN_STAFF_CHAT

    async def __call__(
        self, message: Message, staff: StaffDesk, document_review: DocumentReview
    ) -> bool | dict[str, Any]:
        if (
            staff.chat_id is None
            or message.chat.id != staff.chat_id
            or message.from_user is None
            or not message.text
            or message.text.startswith("/")
        ):
            return False
        thread_id = message.message_thread_id if message.is_topic_message else None
        lead_id = await document_review.awaiting(message.chat.id, thread_id, message.from_user.id)
        return False if lead_id is None else {"fix_lead_id": lead_id}


async def show(reply: ReviewReply, notifier: Notifier, query: CallbackQuery | None = None) -> None:
    if query is not None:
        await notifier.answer_callback(query.id, reply.toast)
    pressed = None if query is None else query.message
    if reply.caption is not None and reply.review_chat_id and reply.review_message_id:
        method = EditMessageCaption(
            chat_id=reply.review_chat_id,
            message_id=reply.review_message_id,
            caption=reply.caption,
            reply_markup=None,
        )
        await notifier.call(method, reply.review_chat_id)
        if pressed is not None and pressed.message_id == reply.review_message_id:
            pressed = None  # its buttons went with the new caption
    if reply.replace_keyboard and pressed is not None:
        await notifier.edit_markup(pressed.chat.id, pressed.message_id, reply.keyboard)
    if reply.topic_text is not None and reply.topic_chat_id is not None:
        try:
            await notifier.send(
                reply.topic_chat_id,
                reply.topic_text,
                markup=reply.topic_markup,
                thread_id=reply.topic_thread_id,
            )
        except ThreadNotFound:
            await notifier.send(reply.topic_chat_id, reply.topic_text, markup=reply.topic_markup)


async def press(
    query: CallbackQuery,
    callback_data: DocReviewCb,
    document_review: DocumentReview,
    notifier: Notifier,
) -> None:
    reviewer = Reviewer(query.from_user.id, query.from_user.full_name)
    document_id = callback_data.document_id
    try:
        reason = RejectReason(callback_data.reason) if callback_data.reason else None
    except ValueError:
        reason = None  # an unknown reason (an old button): the reasons again
    action = callback_data.action
    if action is DocReview.ACCEPT:
        reply = await document_review.accept(document_id, reviewer)
    elif action is DocReview.BACK:
        reply = await document_review.back(document_id)
    elif reason is None:
        reply = await document_review.reasons(document_id)
    elif action is DocReview.NO_NOTE:
        reply = await document_review.reject(document_id, reason, reviewer, None)
    else:
        reply = await document_review.ask_fix(document_id, reason, reviewer)
    await show(reply, notifier, query)


async def refuse(query: CallbackQuery, notifier: Notifier, staff_t: Translator) -> None:
    await notifier.answer_callback(query.id, staff_t("desk.refused.stranger"))


async def fix_typed(
    message: Message, fix_lead_id: int, document_review: DocumentReview, notifier: Notifier
) -> None:
    user = message.from_user
    assert user is not None  # AwaitedFix checked it
    reviewer = Reviewer(user.id, user.full_name)
    await show(await document_review.fix_typed(fix_lead_id, reviewer, message.text or ""), notifier)


def build_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(press, DocReviewCb.filter(), MayReview())
    router.callback_query.register(refuse, DocReviewCb.filter())
    router.message.register(fix_typed, AwaitedFix())
    return router
