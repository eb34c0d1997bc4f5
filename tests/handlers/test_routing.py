"""Gates and the routers' order change no update's handler.

The routers as the bot assembles them (gated, the checklist's buttons first among the
prospect's, the errors router last) and as they were before (no gates, the old order) are
offered the same updates, from every kind of chat, with the services behind the filters
saying yes and saying no; each update must reach the same handler, or none, in both.
Handlers are replaced by recorders: only the choice of handler is under test.
"""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Dispatcher, F, Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    CallbackQuery,
    Chat,
    Contact,
    Document,
    Message,
    PhotoSize,
    TelegramObject,
    User,
)

from bot.domain.consent import Purpose
from bot.handlers import errors, manager, staff
from bot.handlers.prospect import (
    checklist,
    commands,
    deal,
    documents,
    nurture,
    payments,
    privacy,
    relay,
    viewings,
)
from bot.handlers.root import include_routers
from bot.keyboards.callbacks import ALL_CALLBACKS, ConsentDocCb
from bot.middlewares.prospect import ProspectMiddleware
from bot.router_gates import Gate

STAFF_CHAT = -1001234567890
OTHER_GROUP = -1009999
PROSPECT = 1001
MEMBER = 5001
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def old_prospect_router() -> Router:
    """bot.handlers.prospect as it was: the checklist's buttons with its catch-all, last."""
    router = Router(name="bot.handlers.prospect")
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.message.middleware(ProspectMiddleware())
    router.callback_query.middleware(ProspectMiddleware())
    router.include_routers(
        commands.build_router(),
        nurture.build_router(),
        privacy.build_router(),
        deal.build_router(),
        viewings.build_router(),
        payments.build_router(),
        checklist.build_media_router(),
        documents.build_router(),
        relay.build_router(),
        checklist.build_buttons_router(),  # one router with the next one before
        checklist.build_router(),
    )
    return router


def recording(root: Dispatcher) -> Dispatcher:
    """Every handler answers with its router's name and its place there."""
    for router in root.chain_tail:
        for event, observer in router.observers.items():
            for index, handler in enumerate(observer.handlers):

                async def record(*_: Any, _at: str = f"{router.name}:{event}:{index}") -> str:
                    return _at

                handler.callback, handler.awaitable = record, True
                handler.params, handler.varkw = set(), False
    return root


def assembled() -> Dispatcher:
    dispatcher = Dispatcher()
    include_routers(dispatcher)
    return recording(dispatcher)


def before() -> Dispatcher:
    dispatcher = Dispatcher()
    dispatcher.include_routers(
        errors.build_router(),
        staff.build_router(),
        manager.build_router(),
        old_prospect_router(),
    )
    return recording(dispatcher)


class Service:
    """Stands in for every service a filter asks: each answer is `yes` (or its absence)."""

    def __init__(self, yes: bool) -> None:
        self.yes = yes
        self.chat_id = STAFF_CHAT
        self.language = "ru"
        self.kinds = self

    def __getattr__(self, name: str) -> Any:
        if name in ("may_reassign", "may_press", "get"):
            return lambda *_: self.yes
        value: Any = self if self.yes else None
        if name in ("is_member", "may_review", "expects_media"):
            value = self.yes
        if name in ("awaiting", "staff_target"):
            value = 1 if self.yes else None

        async def answer(*_: Any) -> Any:
            return value

        return answer


# The workflow data the routers' filters ask for.
SERVICES = (
    "staff",
    "team",
    "translations",
    "desk_work",
    "document_review",
    "documents",
    "relay",
    "answering",
    "deal_card",
)


class StandInBot:
    id = 42

    async def me(self) -> User:
        return User(id=self.id, is_bot=True, first_name="Bot", username="leadsieve_bot")


@dataclass(frozen=True)
class Offer:
    update_type: str
    event: TelegramObject
    chat: Chat
    user: User


PRIVATE = Chat(id=PROSPECT, type="private")
STAFF_GROUP = Chat(id=STAFF_CHAT, type="supergroup", is_forum=True)
ELSEWHERE = Chat(id=OTHER_GROUP, type="supergroup")
CHATS = (PRIVATE, STAFF_GROUP, ELSEWHERE)
TEXTS = (
    "Anna",
    "8,5 млн",
    "/start",
    "/start vk_spring",
    "/start mgr_abc",
    "/restart",
    "/stats",
    "/STATS",
    "  /lead 1",
    "/lead@leadsieve_bot 1",
    "/lead@other_bot 1",
    "/kb",
    "/bind 12345678",
    "/outbox",
    "/payments",
    "/invite",
    "/managers",
    "/hours",
    "/help",
    "/human",
    "/deal",
    "/stop",
    "/privacy",
    "/unknown",
    "!stats",
)


def _sample(annotation: Any) -> list[Any]:
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return list(annotation)
    if annotation is bool:
        return [True]
    if annotation is int:
        return [1]
    return ["x"]


def callback_data() -> list[str | None]:
    """Every kind of button the bot puts out (each value of an enum field), and odd ones."""
    packed: list[str | None] = [None, "", "nonsense", "dk", "dk:1", "op:a:b:c"]
    for cls in ALL_CALLBACKS:
        fields = cls.model_fields
        for values in itertools.product(*(_sample(f.annotation) for f in fields.values())):
            data: CallbackData = cls(**dict(zip(fields, values, strict=True)))
            packed.append(data.pack())
    packed.append(ConsentDocCb(p=Purpose.CRM_TRANSFER.value, agree=True, m=1).pack())
    return packed


def _message(chat: Chat, user: User, **content: Any) -> Message:
    return Message(
        message_id=10,
        date=NOW,
        chat=chat,
        from_user=user,
        message_thread_id=7 if chat.is_forum else None,  # in a lead's topic
        is_topic_message=True if chat.is_forum else None,
        **content,
    )


def offers() -> list[Offer]:
    found: list[Offer] = []
    for chat in CHATS:
        user = User(id=PROSPECT if chat is PRIVATE else MEMBER, is_bot=False, first_name="A")
        contents: list[dict[str, Any]] = [{"text": text} for text in TEXTS]
        contents += [
            {"photo": [PhotoSize(file_id="p", file_unique_id="p", width=1, height=1)]},
            {"photo": [PhotoSize(file_id="p", file_unique_id="p", width=1, height=1)]}
            | {"caption": "/stats"},
            {"document": Document(file_id="d", file_unique_id="d")},
            {"contact": Contact(phone_number="+79161234567", first_name="A", user_id=user.id)},
            {"migrate_to_chat_id": -1002},
            {},  # nothing the bot reads (a sticker, say)
        ]
        for content in contents:
            message = _message(chat, user, **content)
            found.append(Offer("message", message, chat, user))
            found.append(Offer("edited_message", message, chat, user))
        shown = _message(chat, User(id=42, is_bot=True, first_name="Bot"), text="a card")
        for data in callback_data():
            for on in (shown, None):
                query = CallbackQuery(
                    id="1", from_user=user, chat_instance="1", data=data, message=on
                )
                found.append(Offer("callback_query", query, chat, user))
    return found


async def route(dispatcher: Dispatcher, offer: Offer, yes: bool, raw_state: str | None) -> Any:
    data: dict[str, Any] = dict.fromkeys(SERVICES, Service(yes))
    data |= {
        "bot": StandInBot(),
        "event_from_user": offer.user,
        "event_chat": offer.chat,
        "raw_state": raw_state,
    }
    return await dispatcher.propagate_event(offer.update_type, offer.event, **data)


@pytest.mark.parametrize("yes", [True, False], ids=["services-say-yes", "services-say-no"])
async def test_every_update_reaches_the_handler_it_reached_before(yes: bool) -> None:
    now, then = assembled(), before()
    differences: list[str] = []
    reached: set[str] = set()
    for offer, raw_state in itertools.product(
        offers(), (None, "ManagerState:hours", "BookingState:wish")
    ):
        expected = await route(then, offer, yes, raw_state)
        got = await route(now, offer, yes, raw_state)
        if expected is not UNHANDLED:
            reached.add(expected)
        if got != expected:
            where = f"{offer.update_type} {offer.event!r} in state {raw_state}"
            differences.append(f"{where}: {got}, was {expected}")
    assert differences == []
    assert len(reached) >= 45  # most handlers are reached: the comparison means something


def test_staff_and_manager_routers_are_gated_for_what_prospects_send() -> None:
    dispatcher = assembled()
    audiences = {router.name: router for router in dispatcher.sub_routers}
    for name in ("bot.handlers.staff", "bot.handlers.manager"):
        for event in ("message", "callback_query"):
            first = audiences[name].observers[event]._handler.filters or []
            assert first and isinstance(first[0].callback, Gate), (name, event)
