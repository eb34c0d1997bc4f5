"""The client's documents: a photo or a file for the deal's current stage, "📎 Send: …",
"which document is this?" and the documents consent. Files the deal does not want go on
to the relay (the next router) as before."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import BaseFilter
from aiogram.types import CallbackQuery, Message

from bot.domain.documents import FileKind, IncomingFile
from bot.domain.leads import Lead
from bot.domain.relay import Kind
from bot.handlers.relay_message import kind_of
from bot.keyboards.callbacks import DocConsentCb, DocSendCb
from bot.services.documents import Documents
from bot.services.notifier import Notifier
from bot.services.relay import Incoming, Relay

# What a client may send that is not text: files are taken, the rest is told what is.
_MEDIA = frozenset(
    {
        Kind.PHOTO,
        Kind.DOCUMENT,
        Kind.VOICE,
        Kind.STICKER,
        Kind.VIDEO_NOTE,
        Kind.VIDEO,
        Kind.AUDIO,
        Kind.ANIMATION,
    }
)


def file_of(message: Message) -> IncomingFile:
    if message.photo:
        biggest = message.photo[-1]
        return IncomingFile(
            message_id=message.message_id,
            kind=FileKind.PHOTO,
            file_id=biggest.file_id,
            file_unique_id=biggest.file_unique_id,
            file_size=biggest.file_size,
            media_group_id=message.media_group_id,
        )
    if message.document is not None:
        document = message.document
        return IncomingFile(
            message_id=message.message_id,
            kind=FileKind.DOCUMENT,
            file_id=document.file_id,
            file_unique_id=document.file_unique_id,
            file_name=document.file_name,
            mime_type=document.mime_type,
            file_size=document.file_size,
            media_group_id=message.media_group_id,
        )
    return IncomingFile(message.message_id, FileKind.OTHER, "", "")


class ForDocuments(BaseFilter):
    """A media message from a client whose deal's stage asks for documents; adds
    `doc_lead`."""

    async def __call__(self, message: Message, documents: Documents) -> bool | dict[str, Any]:
        if message.from_user is None or kind_of(message) not in _MEDIA:
            return False
        lead = await documents.lead_with_documents(message.from_user.id)
        return False if lead is None else {"doc_lead": lead}


async def file_sent(
    message: Message, doc_lead: Lead, documents: Documents, notifier: Notifier
) -> None:
    intake = await documents.receive(doc_lead, file_of(message))
    if intake.silent:
        return
    if intake.screen is None:
        raise SkipHandler  # not a document the stage wants: the relay's, as before
    await notifier.send(message.chat.id, intake.screen.text, markup=intake.screen.markup)


async def send_pressed(
    query: CallbackQuery,
    callback_data: DocSendCb,
    documents: Documents,
    relay: Relay,
    notifier: Notifier,
) -> None:
    await notifier.answer_callback(query.id)
    user_id = query.from_user.id
    if not callback_data.held:
        screen = await documents.choose(user_id, callback_data.document)
        if screen is not None:
            await notifier.send(user_id, screen.text, markup=screen.markup)
        return
    intake = await documents.held_is(user_id, callback_data.document)
    if query.message is not None:
        await notifier.edit_markup(query.message.chat.id, query.message.message_id, None)
    if intake.relay and intake.lead is not None:
        screen = None
        for held in intake.relay:  # "Something else": to people, as any message
            kind = Kind.PHOTO if held.kind is FileKind.PHOTO else Kind.DOCUMENT
            copy = Incoming(
                chat_id=intake.lead.chat_id,
                message_id=held.message_id,
                kind=kind,
                text=None,
                media_group_id=held.media_group_id,
            )
            screen = await relay.from_prospect(intake.lead, copy) or screen
        if screen is not None:
            await notifier.send(user_id, screen.text, markup=screen.markup)
    elif intake.screen is not None:
        await notifier.send(user_id, intake.screen.text, markup=intake.screen.markup)


async def consent_pressed(
    query: CallbackQuery, callback_data: DocConsentCb, documents: Documents, notifier: Notifier
) -> None:
    await notifier.answer_callback(query.id)
    message_id = None if query.message is None else query.message.message_id
    screen = await documents.consent_answer(query.from_user.id, callback_data.agree, message_id)
    if query.message is not None:
        await notifier.edit_markup(query.message.chat.id, query.message.message_id, None)
    await notifier.send(query.from_user.id, screen.text, markup=screen.markup)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(file_sent, ForDocuments())
    router.callback_query.register(send_pressed, DocSendCb.filter())
    router.callback_query.register(consent_pressed, DocConsentCb.filter())
    return router
