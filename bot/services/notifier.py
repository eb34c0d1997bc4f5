"""The one way the bot sends to Telegram: rate limits, 429, 403 and flaky networks."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

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

logger = logging.getLogger(__name__)

T = TypeVar("T")
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply
Sleep = Callable[[float], Awaitable[None]]

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


# Refusals that mean "nothing to do": a double click, a button answered after a restart,
# a topic renamed to the name it already has.
_HARMLESS = ("message is not modified", "query is too old", "topic_not_modified")
# Refusals the caller handles (e.g. a deleted card is posted again): not worth an error.
_EXPECTED = ("message to edit not found",)


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


class RateLimiter:
    """Token bucket: at most `rate` calls a second on average, bursts up to `rate`."""

    def __init__(self, rate: float, sleep: Sleep = asyncio.sleep) -> None:
        self._rate = rate
        self._tokens = rate
        self._updated = time.monotonic()
        self._sleep = sleep
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        if self._rate <= 0:
            return
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self._rate, self._tokens + (now - self._updated) * self._rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await self._sleep((1 - self._tokens) / self._rate)


class Notifier:
    """Sends with retries; never raises for Telegram's refusals except ThreadNotFound.

    - 429: waits `retry_after` and tries again (up to `max_attempts`);
    - network errors and 5xx: back-off 0.5 s, 1 s, 2 s, … then gives up;
    - 403 (blocked, kicked): reports the chat to `on_blocked` and gives up;
    - "message thread not found": raises ThreadNotFound so the caller can make a new topic.
    Methods return None (or False) when the message could not be delivered.
    """

    def __init__(
        self,
        bot: Bot,
        *,
        on_blocked: Callable[[int], Awaitable[None]] | None = None,
        rate_per_second: float = 30.0,
        max_attempts: int = 5,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.bot = bot
        self._on_blocked = on_blocked
        self._limiter = RateLimiter(rate_per_second, sleep)
        self._max_attempts = max_attempts
        self._sleep = sleep

    async def send(
        self,
        chat_id: int,
        text: str,
        *,
        markup: Markup | None = None,
        thread_id: int | None = None,
    ) -> Message | None:
        method = SendMessage(
            chat_id=chat_id,
            text=text,
            reply_markup=markup,
            message_thread_id=thread_id,
            link_preview_options=_NO_PREVIEW,
        )
        return await self.call(method, chat_id)

    async def edit(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        *,
        markup: InlineKeyboardMarkup | None = None,
    ) -> bool:
        return (await self.edit_text(chat_id, message_id, text, markup=markup)).value is not None

    async def edit_text(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        *,
        markup: InlineKeyboardMarkup | None = None,
    ) -> Sent[Message | bool]:
        method = EditMessageText(
            chat_id=chat_id,
            message_id=message_id,
            text=text,
            reply_markup=markup,
            link_preview_options=_NO_PREVIEW,
        )
        return await self.attempt(method, chat_id)

    async def edit_markup(
        self, chat_id: int, message_id: int, markup: InlineKeyboardMarkup | None
    ) -> bool:
        method = EditMessageReplyMarkup(chat_id=chat_id, message_id=message_id, reply_markup=markup)
        return await self.call(method, chat_id) is not None

    async def send_document(
        self,
        chat_id: int,
        filename: str,
        data: bytes,
        *,
        caption: str | None = None,
        markup: Markup | None = None,
    ) -> Message | None:
        method = SendDocument(
            chat_id=chat_id,
            document=BufferedInputFile(data, filename=filename),
            caption=caption,
            reply_markup=markup,
        )
        return await self.call(method, chat_id)

    async def send_photo(
        self,
        chat_id: int,
        filename: str,
        data: bytes,
        *,
        caption: str | None = None,
        thread_id: int | None = None,
    ) -> Message | None:
        method = SendPhoto(
            chat_id=chat_id,
            photo=BufferedInputFile(data, filename=filename),
            caption=caption,
            message_thread_id=thread_id,
        )
        return await self.call(method, chat_id)

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

    async def call(self, method: TelegramMethod[T], chat_id: int | None) -> T | None:
        """Runs any Bot API method under the policy above."""
        return (await self.attempt(method, chat_id)).value

    async def attempt(self, method: TelegramMethod[T], chat_id: int | None) -> Sent[T]:
        """Like `call`, saying how it ended."""
        for attempt in range(1, self._max_attempts + 1):
            await self._limiter.acquire()
            try:
                value: T = await self.bot(method)
                return Sent(Delivery.DONE, value)
            except TelegramRetryAfter as error:
                logger.warning(
                    "429 from Telegram for %s, waiting %s s",
                    method.__api_method__,
                    error.retry_after,
                )
                await self._sleep(float(error.retry_after))
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
