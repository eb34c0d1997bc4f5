"""The one way the bot sends to Telegram: per-chat queues and limits, 429, 403 and flaky
networks. The queueing is `send_queue.SendQueue`; the rules are `domain.send_policy`."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    CreateForumTopic,
    DeleteMessage,
    EditForumTopic,
    EditMessageReplyMarkup,
    EditMessageText,
    SendDocument,
    SendMessage,
    SendPhoto,
    SendVenue,
    TelegramMethod,
)
from aiogram.types import (
    BufferedInputFile,
    ForceReply,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.domain.send_policy import (
    TELEGRAM_LIMITS,
    Priority,
    SendLimits,
    Window,
    collapse_key,
    counts,
    default_priority,
    pause_for,
)
from bot.services.send_queue import SendQueue, SharedSlots

logger = logging.getLogger(__name__)

T = TypeVar("T")
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply
Sleep = Callable[[float], Awaitable[None]]

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# Chats whose newest message is remembered (a few ints each).
NEWEST_KEPT = 20_000


# Refusals that mean "nothing to do": a double click, a button answered after a restart,
# a topic renamed to the name it already has.
_HARMLESS = ("message is not modified", "query is too old", "topic_not_modified")
# Refusals the caller handles (e.g. a deleted card is posted again): not worth an error.
_EXPECTED = (
    "message to edit not found",
    # Too old (48 h) to edit or delete: Back then sends the previous question anew.
    "message can't be edited",
    "message to delete not found",
    "message can't be deleted",
)


class ThreadNotFound(Exception):
    """The forum topic a message was meant for is gone (deleted by someone)."""


class Delivery(StrEnum):
    """How a call ended, for callers that must tell "nothing to do" from "not done"."""

    DONE = "done"
    HARMLESS = "harmless"  # e.g. "message is not modified": the wanted state is already there
    BLOCKED = "blocked"  # 403: the chat does not take messages from the bot
    REFUSED = "refused"  # another 400: this request will never work as it is
    FAILED = "failed"  # network, 5xx or 429 past the last attempt: may work later


@dataclass(frozen=True)
class Sent(Generic[T]):
    delivery: Delivery
    value: T | None = None
    description: str = ""


class Notifier:
    """Sends with retries; never raises for Telegram's refusals except ThreadNotFound.

    - every call to a chat waits its turn in that chat's queue (`priority`: by default an
      answer in a private chat, a card in a group) and within the chat's and the bot's limits;
    - 429: the chat's queue waits `retry_after` (nothing else goes to that chat meanwhile,
      other chats go on), then the same request is tried again (up to `max_attempts`);
    - network errors and 5xx: back-off 0.5 s, 1 s, 2 s, … then gives up;
    - 403 (blocked, kicked): reports the chat to `on_blocked` and gives up;
    - "message thread not found": raises ThreadNotFound so the caller can make a new topic;
    - "message is not modified": the wanted state is already there, so an edit succeeded.
    Methods return None (or False) when the message could not be delivered.

    `rate_per_second=0` (tests against a local stand-in) turns every limit off; `limits`
    sets them all (the defaults are Telegram's); `shared` makes several replicas keep them
    together.
    """

    def __init__(
        self,
        bot: Bot,
        *,
        on_blocked: Callable[[int], Awaitable[None]] | None = None,
        rate_per_second: float = 30.0,
        limits: SendLimits | None = None,
        max_attempts: int = 5,
        sleep: Sleep = asyncio.sleep,
        shared: SharedSlots | None = None,
    ) -> None:
        self.bot = bot
        self._on_blocked = on_blocked
        if limits is None:
            limits = limits_for_rate(rate_per_second)
        self._queue = SendQueue(limits, sleep=sleep, shared=shared)
        self._max_attempts = max_attempts
        self._sleep = sleep
        # The newest message this process put in each chat (bounded; lost at a restart).
        self._newest: OrderedDict[int, int] = OrderedDict()

    def is_newest(self, chat_id: int, message_id: int) -> bool:
        """Whether no message this process knows of came after `message_id` in the chat
        (a question can then change in place and still be at the bottom of the chat)."""
        newest = self._newest.get(chat_id)
        return newest is None or message_id >= newest

    def _noted(self, lane: int | None, value: object) -> None:
        message_id = getattr(value, "message_id", None)
        if lane is None or not isinstance(message_id, int):
            return
        self._newest[lane] = max(message_id, self._newest.get(lane, 0))
        self._newest.move_to_end(lane)
        if len(self._newest) > NEWEST_KEPT:
            self._newest.popitem(last=False)

    async def send(
        self,
        chat_id: int,
        text: str,
        *,
        markup: Markup | None = None,
        thread_id: int | None = None,
        priority: Priority | None = None,
    ) -> Message | None:
        sent = await self.send_text(
            chat_id, text, markup=markup, thread_id=thread_id, priority=priority
        )
        return sent.value

    async def send_text(
        self,
        chat_id: int,
        text: str,
        *,
        markup: Markup | None = None,
        thread_id: int | None = None,
        priority: Priority | None = None,
    ) -> Sent[Message]:
        """Like `send`, saying how it ended (blocked, refused, may work later)."""
        method = SendMessage(
            chat_id=chat_id,
            text=text,
            reply_markup=markup,
            message_thread_id=thread_id,
            link_preview_options=_NO_PREVIEW,
        )
        return await self.attempt(method, chat_id, priority=priority)

    async def send_notice(
        self,
        chat_id: int,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
        *,
        thread_id: int | None = None,
    ) -> str | None:
        """One attempt at a durable notice: "sent", None to try again later, or why trying
        again would not help ("blocked", "refused")."""
        result = await self.send_text(chat_id, text, markup=markup, thread_id=thread_id)
        if result.delivery in (Delivery.DONE, Delivery.HARMLESS):
            return "sent"
        if result.delivery is Delivery.FAILED:
            return None
        return result.delivery.value

    async def edit(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        *,
        markup: InlineKeyboardMarkup | None = None,
        priority: Priority | None = None,
    ) -> bool:
        """True if the message now reads `text` (an edit to what it already read included)."""
        sent = await self.edit_text(chat_id, message_id, text, markup=markup, priority=priority)
        return sent.delivery in _IN_PLACE

    async def edit_text(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        *,
        markup: InlineKeyboardMarkup | None = None,
        priority: Priority | None = None,
    ) -> Sent[Message | bool]:
        method = EditMessageText(
            chat_id=chat_id,
            message_id=message_id,
            text=text,
            reply_markup=markup,
            link_preview_options=_NO_PREVIEW,
        )
        return await self.attempt(method, chat_id, priority=priority)

    async def edit_markup(
        self,
        chat_id: int,
        message_id: int,
        markup: InlineKeyboardMarkup | None,
        *,
        priority: Priority | None = None,
    ) -> bool:
        method = EditMessageReplyMarkup(chat_id=chat_id, message_id=message_id, reply_markup=markup)
        sent = await self.attempt(method, chat_id, priority=priority)
        return sent.delivery in _IN_PLACE

    async def send_document(
        self,
        chat_id: int,
        filename: str,
        data: bytes,
        *,
        caption: str | None = None,
        markup: Markup | None = None,
        thread_id: int | None = None,
        priority: Priority | None = None,
    ) -> Message | None:
        method = SendDocument(
            chat_id=chat_id,
            document=BufferedInputFile(data, filename=filename),
            caption=caption,
            reply_markup=markup,
            message_thread_id=thread_id,
        )
        return await self.call(method, chat_id, priority=priority)

    async def send_photo(
        self,
        chat_id: int,
        filename: str,
        data: bytes,
        *,
        caption: str | None = None,
        thread_id: int | None = None,
        priority: Priority | None = None,
    ) -> Message | None:
        method = SendPhoto(
            chat_id=chat_id,
            photo=BufferedInputFile(data, filename=filename),
            caption=caption,
            message_thread_id=thread_id,
        )
        return await self.call(method, chat_id, priority=priority)

    async def send_venue(
        self, chat_id: int, latitude: float, longitude: float, title: str, address: str
    ) -> Message | None:
        method = SendVenue(
            chat_id=chat_id, latitude=latitude, longitude=longitude, title=title, address=address
        )
        return await self.call(method, chat_id)

    async def delete(self, chat_id: int, message_id: int) -> bool:
        return (
            await self.call(DeleteMessage(chat_id=chat_id, message_id=message_id), chat_id)
            is not None
        )

    async def answer_callback(self, query_id: str, text: str | None = None) -> None:
        await self.call(AnswerCallbackQuery(callback_query_id=query_id, text=text), None)

    async def create_topic(self, chat_id: int, name: str) -> int | None:
        topic = await self.call(CreateForumTopic(chat_id=chat_id, name=name[:128]), chat_id)
        return None if topic is None else topic.message_thread_id

    async def rename_topic(self, chat_id: int, thread_id: int, name: str) -> None:
        method = EditForumTopic(chat_id=chat_id, message_thread_id=thread_id, name=name[:128])
        await self.call(method, chat_id)

    async def call(
        self, method: TelegramMethod[T], chat_id: int | None, *, priority: Priority | None = None
    ) -> T | None:
        """Runs any Bot API method under the policy above."""
        return (await self.attempt(method, chat_id, priority=priority)).value

    async def attempt(
        self, method: TelegramMethod[T], chat_id: int | None, *, priority: Priority | None = None
    ) -> Sent[T]:
        """Like `call`, saying how it ended. `chat_id` is the chat to report as blocked on a
        403 (None: report none); the queue is the chat the method itself names."""
        name = method.__api_method__
        if not counts(name):  # reads and button answers: no chat limit, no waiting in line
            return await self._try(method, chat_id, None, Priority.ANSWER)
        lane = _chat_of(method, chat_id)
        chosen = default_priority(lane) if priority is None else priority
        key = collapse_key(name, lane, _target_of(method))
        return await self._queue.run(
            lane, chosen, lambda: self._try(method, chat_id, lane, chosen), collapse=key
        )

    async def _try(
        self, method: TelegramMethod[T], chat_id: int | None, lane: int | None, priority: Priority
    ) -> Sent[T]:
        """The tries of one request, holding its chat's place in the queue throughout."""
        counted = counts(method.__api_method__)
        for attempt in range(1, self._max_attempts + 1):
            try:
                value: T = await self._once(method, lane, priority, counted=counted)
                self._noted(lane, value)
                return Sent(Delivery.DONE, value)
            except TelegramRetryAfter as error:
                pause = pause_for(error.retry_after)
                logger.warning(
                    "429 from Telegram for %s, chat %s waits %s s",
                    method.__api_method__,
                    lane,
                    pause,
                )
                # Even after the last try: the chat's queue must not move on before then.
                await self._sleep(pause)
            except (TelegramNetworkError, TelegramServerError) as error:
                delay = 0.5 * 2 ** (attempt - 1)
                logger.warning(
                    "%s failed (%s), retry in %.1f s", method.__api_method__, error, delay
                )
                if attempt < self._max_attempts:  # no wait after the last try
                    await self._sleep(delay)
            except TelegramForbiddenError:
                logger.info("chat %s does not accept messages from the bot", chat_id)
                if chat_id is not None and self._on_blocked is not None:
                    await self._on_blocked(chat_id)
                return Sent(Delivery.BLOCKED)
            except TelegramBadRequest as error:
                description = error.message.lower()
                if "thread not found" in description:
                    raise ThreadNotFound(str(chat_id)) from error
                if any(harmless in description for harmless in _HARMLESS):
                    logger.debug("ignored: %s", error.message)
                    return Sent(Delivery.HARMLESS, description=description)
                expected = any(known in description for known in _EXPECTED)
                logger.log(
                    logging.INFO if expected else logging.ERROR,
                    "Telegram refused %s: %s",
                    method.__api_method__,
                    error.message,
                )
                return Sent(Delivery.REFUSED, description=description)
            except TelegramAPIError as error:
                # An answer aiogram has no class for (e.g. 429 without retry_after): retry.
                delay = 0.5 * 2 ** (attempt - 1)
                logger.warning(
                    "%s failed (%s), retry in %.1f s", method.__api_method__, error, delay
                )
                if attempt < self._max_attempts:  # no wait after the last try
                    await self._sleep(delay)
        logger.error("gave up on %s after %d attempts", method.__api_method__, self._max_attempts)
        return Sent(Delivery.FAILED)

    async def _once(
        self, method: TelegramMethod[T], lane: int | None, priority: Priority, *, counted: bool
    ) -> T:
        if not counted:
            return await self.bot(method)
        await self._queue.pace(lane, priority)
        try:
            return await self.bot(method)
        finally:
            self._queue.sent(lane)


_IN_PLACE = frozenset({Delivery.DONE, Delivery.HARMLESS})


def limits_for_rate(rate_per_second: float) -> SendLimits:
    if rate_per_second <= 0:
        return SendLimits.unlimited()
    return SendLimits(
        private=TELEGRAM_LIMITS.private,
        group=TELEGRAM_LIMITS.group,
        overall=Window(max(1, round(rate_per_second)), 1.0),
    )


def _chat_of(method: TelegramMethod[Any], chat_id: int | None) -> int | None:
    """The chat a method goes to: the one it names, else the one the caller gave."""
    named = getattr(method, "chat_id", None)
    if isinstance(named, int):
        return named
    return chat_id


def _target_of(method: TelegramMethod[Any]) -> int | None:
    """The message (or topic) an edit changes, for collapsing edits of the same one."""
    for name in ("message_id", "message_thread_id"):
        value = getattr(method, name, None)
        if isinstance(value, int):
            return value
    return None
