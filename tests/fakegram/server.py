"""An in-process Telegram Bot API stand-in for tests.

The real aiogram HTTP session talks to it over 127.0.0.1, so tests exercise the same request
encoding, response parsing and error mapping as production.  Every request is checked against
the Bot API spec (see spec.py); a request that breaks it is answered with a 400 in Telegram's
words and described in ``violations`` so a test can assert that the bot never did so.

Everything runs on the test's event loop: handlers never await while they change state, so no
locks are needed, and state is indexed by chat so hundreds of simulated users stay cheap.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from aiohttp import web

from .flood import FloodControl, FloodLimits
from .html import ParsedText
from .spec import BotApiSpec, CheckedRequest, UploadedFile, load_spec

if TYPE_CHECKING:
    from .users import Deliver, GroupMember, TelegramUser

__all__ = [
    "DEFAULT_TOKEN",
    "CallbackAnswer",
    "ChatState",
    "FakeTelegram",
    "ForumTopicState",
    "Request",
    "StoredMessage",
]

DEFAULT_TOKEN = "123456789:TEST-fakegram-token_AAAAAAAAAAAAAAAAAA"
DEFAULT_ICON_COLOR = 0x6FB9F0  # the first of the six colours Telegram allows for topics
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
)
_CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
    "the webhook first"
)


class ApiError(Exception):
    """Raised inside a method handler to answer with a Telegram error."""

    def __init__(self, error_code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def _image_size(data: bytes) -> tuple[int, int]:
    """Width and height of an uploaded photo; Telegram refuses what is not an image."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data.startswith(b"\xff\xd8"):
        return 800, 600  # a JPEG: its size is not read, any will do for tests
    raise _bad("IMAGE_PROCESS_FAILED")


@dataclass(slots=True)
class Request:
    """One request the bot made, as decoded by the stand-in, and what it was answered."""

    seq: int
    method: str
    params: dict[str, Any]
    time: float  # event-loop time when the answer was produced
    chat_id: int | str | None
    ok: bool = True
    result: Any = None
    error_code: int | None = None
    description: str | None = None

    @property
    def text(self) -> str | None:
        """The raw text (or caption) parameter, handy in assertions."""
        value = self.params.get("text", self.params.get("caption"))
        return value if isinstance(value, str) else None


@dataclass(slots=True)
class StoredMessage:
    """A message as the stand-in keeps it (bot messages and simulated users' messages)."""

    message_id: int
    chat: ChatState
    sender: dict[str, Any]
    date: int
    from_bot: bool
    text: str | None = None  # visible text after entity parsing
    entities: tuple[dict[str, Any], ...] = ()
    source_text: str | None = None  # as the bot sent it (HTML etc.)
    parse_mode: str | None = None
    caption: str | None = None
    caption_entities: tuple[dict[str, Any], ...] = ()
    # Only inline keyboards belong to a message (and appear in Message objects); a reply
    # keyboard becomes the chat's current keyboard.  sent_markup keeps whatever the bot sent.
    reply_markup: dict[str, Any] | None = None
    sent_markup: dict[str, Any] | None = None
    reply_to: StoredMessage | None = None
    message_thread_id: int | None = None
    content: dict[str, Any] = field(default_factory=dict)  # document/location/contact/...
    upload: UploadedFile | None = None  # the file a sendDocument/sendPhoto carried
    edit_date: int | None = None
    deleted: bool = False

    @property
    def visible_text(self) -> str:
        """Text, or the caption of a media message, or ''."""
        return self.text if self.text is not None else (self.caption or "")

    def inline_buttons(self) -> list[dict[str, Any]]:
        if not self.reply_markup:
            return []
        return [button for row in self.reply_markup.get("inline_keyboard", []) for button in row]

    def to_dict(self, *, with_reply: bool = True) -> dict[str, Any]:
        """The Bot API Message object."""
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": self.chat.to_chat(),
            "date": self.date,
        }
        if self.message_thread_id is not None:
            message["message_thread_id"] = self.message_thread_id
            message["is_topic_message"] = True
        if with_reply and self.reply_to is not None and not self.reply_to.deleted:
            # Telegram nests the replied-to message one level deep only.
            message["reply_to_message"] = self.reply_to.to_dict(with_reply=False)
        if self.edit_date is not None:
            message["edit_date"] = self.edit_date
        if self.text is not None:
            message["text"] = self.text
            if self.entities:
                message["entities"] = list(self.entities)
        message.update(self.content)
        if self.caption:
            message["caption"] = self.caption
            if self.caption_entities:
                message["caption_entities"] = list(self.caption_entities)
        if self.reply_markup is not None:
            message["reply_markup"] = self.reply_markup
        return message


@dataclass(slots=True)
class ForumTopicState:
    message_thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None = None
    closed: bool = False
    deleted: bool = False

    def to_dict(self) -> dict[str, Any]:
        topic: dict[str, Any] = {
            "message_thread_id": self.message_thread_id,
            "name": self.name,
            "icon_color": self.icon_color,
        }
        if self.icon_custom_emoji_id:
            topic["icon_custom_emoji_id"] = self.icon_custom_emoji_id
        return topic


@dataclass(slots=True)
class ChatState:
    """One chat: its messages, topics, the reply keyboard shown, and the requests about it."""

    id: int
    type: str  # "private" or "supergroup"
    title: str | None = None
    user: dict[str, Any] | None = None  # the other party of a private chat
    is_forum: bool = False
    username: str | None = None
    members: dict[int, str] = field(default_factory=dict)
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    topics: dict[int, ForumTopicState] = field(default_factory=dict)
    reply_keyboard: dict[str, Any] | None = None
    pinned_message_id: int | None = None
    requests: list[Request] = field(default_factory=list)
    next_message_id: int = 1

    def to_chat(self) -> dict[str, Any]:
        """The Bot API Chat object."""
        chat: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            assert self.user is not None
            for key in ("first_name", "last_name", "username"):
                if self.user.get(key):
                    chat[key] = self.user[key]
        else:
            chat["title"] = self.title or ""
            if self.username:
                chat["username"] = self.username
            if self.is_forum:
                chat["is_forum"] = True
        return chat

    def live_messages(self, thread_id: int | None = None) -> list[StoredMessage]:
        return [
            m
            for m in self.messages.values()
            if not m.deleted and (thread_id is None or m.message_thread_id == thread_id)
        ]


@dataclass(slots=True)
class CallbackAnswer:
    """What the bot answered to a callback query."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None


@dataclass(slots=True)
class _Fault:
    method: str
    error_code: int
    description: str
    retry_after: int | None
    remaining: int
    chat_id: int | str | None


@dataclass(slots=True)
class _Waiter:
    predicate: Callable[[Request], bool]
    after: int
    future: asyncio.Future[Request]


@dataclass(slots=True)
class _CallbackQuery:
    chat_id: int
    message_id: int
    user_id: int
    answered: bool = False


_BLOCKABLE_PREFIXES = ("send", "edit", "pin", "copy", "forward")
MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "restricted", "left", "kicked"})


class FakeTelegram:
    """Bot API stand-in on 127.0.0.1; see the module docstring and tests/test_fakegram.py."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_id: int | None = None,
        bot_username: str = "leadsieve_test_bot",
        bot_first_name: str = "LeadSieve",
        spec: BotApiSpec | None = None,
        check_results: bool = True,
    ) -> None:
        self.token = token
        if bot_id is None:
            prefix = token.split(":", 1)[0]
            bot_id = int(prefix) if prefix.isdigit() else 123456789
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.spec = spec if spec is not None else load_spec()
        # Checking our own results against the spec catches stand-in bugs early; cheap enough.
        self.check_results = check_results

        self.requests: list[Request] = []
        self.violations: list[str] = []
        self.callback_answers: dict[str, CallbackAnswer] = {}
        # The bot's reaction on each message: (chat id, message id) -> emoji.
        self.reactions: dict[tuple[int, int], list[str]] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.webhook_url = ""
        self.downloads: list[str] = []  # file paths the bot downloaded, in order
        # Telegram's last failed webhook delivery: (unix time, message), as getWebhookInfo says.
        self.webhook_error: tuple[int, str] | None = None

        self._chats: dict[int, ChatState] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._blocked: set[int] = set()
        self._faults: list[_Fault] = []
        self._callback_queries: dict[str, _CallbackQuery] = {}
        self._query_ids = itertools.count(4_000_000_000_000_000_001)
        self._file_ids = itertools.count(1)
        self._media_groups = itertools.count(100_001)
        self._global_waiters: list[_Waiter] = []
        self._chat_waiters: dict[int | str, list[_Waiter]] = {}

        self._updates: list[dict[str, Any]] = []  # not yet confirmed, ascending update_id
        self._update_ids = itertools.count(100_000_001)
        self._poll_wakeups: list[asyncio.Future[None]] = []
        self._active_poll: object | None = None

        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._stopping = False
        self.flood: FloodControl | None = None  # see enable_flood_control

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)  # Telegram allows 50 MB files
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        self._stopping = False

    async def stop(self) -> None:
        self._stopping = True
        self._wake_pollers()  # long polls answer [] at once instead of holding shutdown
        for waiter in [*self._global_waiters, *itertools.chain(*self._chat_waiters.values())]:
            waiter.future.cancel()
        self._global_waiters.clear()
        self._chat_waiters.clear()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("FakeTelegram is not started; await start() first")
        return f"http://127.0.0.1:{self._port}"

    # ------------------------------------------------------------------ world setup

    def add_group(
        self,
        chat_id: int,
        title: str,
        is_forum: bool = False,
        members: Mapping[int, str] | None = None,
        *,
        username: str | None = None,
    ) -> ChatState:
        """Create a supergroup; members maps user id -> status (creator/administrator/...)."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative (supergroups look like -100...)")
        unknown = set((members or {}).values()) - MEMBER_STATUSES
        if unknown:
            raise ValueError(f"unknown member status(es) {sorted(unknown)}; use {MEMBER_STATUSES}")
        chat = ChatState(
            id=chat_id,
            type="supergroup",
            title=title,
            is_forum=is_forum,
            username=username,
            members=dict(members or {}),
        )
        self._chats[chat_id] = chat
        return chat

    def register_user(
        self,
        user_id: int,
        first_name: str = "Ivan",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "ru",
    ) -> dict[str, Any]:
        """Remember a user's profile (used for private chats, members and updates)."""
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self._users[user_id] = user
        chat = self._chats.get(user_id)
        if chat is not None and chat.type == "private":
            chat.user = user
        return user

    def user(
        self,
        user_id: int,
        first_name: str = "Ivan",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "ru",
        deliver: Deliver | None = None,
        *,
        phone_number: str | None = None,
    ) -> TelegramUser:
        """A simulated person talking to the bot in a private chat."""
        from .users import TelegramUser

        self.register_user(user_id, first_name, last_name, username, language_code)
        return TelegramUser(self, user_id, deliver=deliver, phone_number=phone_number)

    def group_member(
        self,
        chat_id: int,
        user_id: int,
        first_name: str = "Olga",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "ru",
        deliver: Deliver | None = None,
    ) -> GroupMember:
        """A simulated person writing in a group added with add_group()."""
        from .users import GroupMember

        chat = self._chats.get(chat_id)
        if chat is None or chat.type == "private":
            raise ValueError(f"add_group({chat_id}, ...) first")
        self.register_user(user_id, first_name, last_name, username, language_code)
        chat.members.setdefault(user_id, "member")
        return GroupMember(self, chat_id, user_id, deliver=deliver)

    def user_dict(self, user_id: int) -> dict[str, Any]:
        if user_id == self.bot_user["id"]:
            return self.bot_user
        return self._users.get(user_id) or {
            "id": user_id,
            "is_bot": False,
            "first_name": f"User {user_id}",
        }

    def chat(self, chat_id: int) -> ChatState:
        """The state of a chat; private chats spring into existence for any user id."""
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_id <= 0:
                raise KeyError(f"no chat {chat_id}; use add_group() for groups")
            chat = ChatState(id=chat_id, type="private", user=self.user_dict(chat_id))
            self._chats[chat_id] = chat
        return chat

    def messages(self, chat_id: int, thread_id: int | None = None) -> list[StoredMessage]:
        """Messages in a chat (bot's and users'), oldest first, deleted ones left out."""
        return self.chat(chat_id).live_messages(thread_id)

    def bot_messages(self, chat_id: int, thread_id: int | None = None) -> list[StoredMessage]:
        return [m for m in self.messages(chat_id, thread_id) if m.from_bot]

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        """Simulate a person deleting a forum topic (with all its messages)."""
        chat = self.chat(chat_id)
        topic = chat.topics.get(thread_id)
        if topic is None:
            raise KeyError(f"chat {chat_id} has no topic {thread_id}")
        topic.deleted = True
        for message in chat.messages.values():
            if message.message_thread_id == thread_id or message.message_id == thread_id:
                message.deleted = True

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        *,
        error_code: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | str | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` (optionally only for chat_id) with an error.

        Requests that break the spec are still answered 400 first: faults model Telegram's
        behaviour for valid requests.
        """
        canonical = self.spec.canonical_method(method)
        if canonical is None:
            raise ValueError(f"unknown method {method!r}")
        self._faults.append(_Fault(canonical, error_code, description, retry_after, times, chat_id))

    def block_user(self, user_id: int) -> None:
        """From now on every send to this user's private chat answers 403."""
        self._blocked.add(user_id)

    def unblock_user(self, user_id: int) -> None:
        self._blocked.discard(user_id)

    # ------------------------------------------------------------------ recording

    def mark(self) -> int:
        """A position in the request log; pass it as `after` to look only at later requests."""
        return len(self.requests)

    def sent(
        self,
        chat_id: int | str | None = None,
        method: str | None = None,
        *,
        ok: bool | None = True,
    ) -> list[Request]:
        """Recorded requests, oldest first; by default only those answered successfully."""
        source = self.requests if chat_id is None else self._chat_requests(chat_id)
        return [
            r
            for r in source
            if (method is None or r.method == method) and (ok is None or r.ok == ok)
        ]

    async def wait_for(
        self,
        predicate: Callable[[Request], bool],
        # A plain timeout argument keeps journey tests short to write; asyncio.timeout is
        # applied inside.
        timeout: float = 10.0,
        *,
        after: int = 0,
        chat_id: int | str | None = None,
    ) -> Request:
        """The first recorded request (at or after mark `after`) satisfying predicate.

        Looks at requests already recorded, then waits for new ones.  Giving chat_id makes both
        the scan and the wait look at that chat only.
        """
        for request in self._requests_since(after, chat_id):
            if predicate(request):
                return request
        future: asyncio.Future[Request] = asyncio.get_running_loop().create_future()
        waiter = _Waiter(predicate, after, future)
        bucket = (
            self._global_waiters if chat_id is None else self._chat_waiters.setdefault(chat_id, [])
        )
        bucket.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            recent = "\n  ".join(self._describe(r) for r in self._requests_since(after, chat_id))
            where = "" if chat_id is None else f" for chat {chat_id}"
            raise AssertionError(
                f"no matching request{where} within {timeout}s; requests since the mark:\n  "
                + (recent or "(none)")
            ) from None
        finally:
            with contextlib.suppress(ValueError):
                bucket.remove(waiter)

    def _chat_requests(self, chat_id: int | str) -> list[Request]:
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        return chat.requests if chat is not None else []

    def _requests_since(self, after: int, chat_id: int | str | None) -> list[Request]:
        if chat_id is None:
            return self.requests[after:]
        requests = self._chat_requests(chat_id)
        start = bisect.bisect_left(requests, after, key=lambda r: r.seq)
        return requests[start:]

    @staticmethod
    def _describe(request: Request) -> str:
        params = {k: v for k, v in request.params.items() if k != "reply_markup"}
        outcome = "ok" if request.ok else f"{request.error_code} {request.description}"
        return f"#{request.seq} {request.method} {params} -> {outcome}"

    def _record(self, request: Request) -> None:
        request.seq = len(self.requests)
        self.requests.append(request)
        chat_key = request.chat_id
        if isinstance(chat_key, int) and (chat_key > 0 or chat_key in self._chats):
            self.chat(chat_key).requests.append(request)
        self._notify(self._global_waiters, request)
        if chat_key is not None and chat_key in self._chat_waiters:
            self._notify(self._chat_waiters[chat_key], request)

    @staticmethod
    def _notify(waiters: list[_Waiter], request: Request) -> None:
        for waiter in waiters:
            if (
                not waiter.future.done()
                and request.seq >= waiter.after
                and waiter.predicate(request)
            ):
                waiter.future.set_result(request)

    # ------------------------------------------------------------------ flood control

    def enable_flood_control(
        self, limits: FloodLimits | None = None, *, now: Callable[[], float] | None = None
    ) -> FloodControl:
        """From now on behave like Telegram's flood control (see flood.py): over a limit, 429
        with retry_after; a request to a chat before the retry_after it was given is answered
        429 again and recorded in ``violations``. `now` (seconds) defaults to the loop's clock.
        """
        clock = now or asyncio.get_running_loop().time
        self.flood = FloodControl(limits or FloodLimits(), clock)
        return self.flood

    def _check_flood(self, method: str, chat_id: int | str | None) -> None:
        if self.flood is None:
            return
        found = len(self.flood.violations)
        retry_after = self.flood.check(method, chat_id)
        self.violations.extend(self.flood.violations[found:])
        if retry_after is not None:
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    # ------------------------------------------------------------------ updates

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates (giving it a fresh update_id); returns it."""
        update["update_id"] = self.next_update_id()
        self.check_update(update)
        self._updates.append(update)
        self._wake_pollers()
        return update

    def check_update(self, update: Mapping[str, Any]) -> None:
        """Record a violation if an update we hand to the bot is not a valid Update."""
        if not self.check_results:
            return
        for problem in self.spec.check_result(("Update",), update, "update"):
            self.violations.append(f"stand-in bug: update {problem.path}: {problem.message}")

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return list(self._updates)

    def _wake_pollers(self) -> None:
        wakeups, self._poll_wakeups = self._poll_wakeups, []
        for future in wakeups:
            if not future.done():
                future.set_result(None)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(409, _CONFLICT_WEBHOOK)
        me = object()
        self._active_poll = me
        self._wake_pollers()  # an older long poll is now terminated (409), as in Telegram
        offset: int | None = params.get("offset")
        limit = min(max(int(params.get("limit", 100)), 1), 100)
        allowed: list[str] = params.get("allowed_updates") or []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(int(params.get("timeout", 0)), 0)
        while True:
            if self._active_poll is not me:
                raise ApiError(409, _CONFLICT_POLL)
            if offset is not None:
                # A positive offset confirms every earlier update for good.
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if allowed:
                # Telegram never stores update kinds the bot did not ask for.
                self._updates = [u for u in self._updates if _update_kind(u) in allowed]
            if self._updates or self._stopping:
                return self._updates[:limit]
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            wakeup: asyncio.Future[None] = loop.create_future()
            self._poll_wakeups.append(wakeup)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await wakeup

    # ------------------------------------------------------------------ HTTP

    async def _read_form(self, request: web.Request) -> tuple[dict[str, Any], bool]:
        """Request fields as strings/UploadedFile (typed=False) or JSON values (typed=True)."""
        fields: dict[str, Any] = dict(request.query)
        if request.method != "POST" or not request.can_read_body:
            return fields, False
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                fields.update(body)
            return fields, True
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                fields[key] = UploadedFile(
                    field_name=key,
                    filename=value.filename,
                    content_type=value.content_type,
                    data=value.file.read(),
                )
            else:
                fields[key] = value
        return fields, False

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._json({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        method = request.match_info["method"]
        fields, typed = await self._read_form(request)
        checked = self.spec.check_request(method, fields, typed=typed)
        record = Request(
            seq=-1,
            method=checked.method,
            params=checked.params if checked.ok else fields,
            time=0.0,
            chat_id=self._chat_key(checked),
        )
        try:
            if not checked.ok:
                chat = "" if record.chat_id is None else f"chat {record.chat_id}; "
                for problem in checked.problems:
                    where = f" {problem.path}" if problem.path else ""
                    self.violations.append(
                        f"{checked.method}{where}: {problem.message} "
                        f"({chat}answered 400 {problem.description!r})"
                    )
                raise ApiError(400, checked.problems[0].description)
            self._check_flood(checked.method, record.chat_id)
            self._raise_injected_fault(checked.method, record.chat_id)
            result = await self._dispatch(checked)
        except ApiError as err:
            record.ok = False
            record.error_code = err.error_code
            record.description = err.description
            body: dict[str, Any] = {
                "ok": False,
                "error_code": err.error_code,
                "description": err.description,
            }
            if err.retry_after is not None:
                body["parameters"] = {"retry_after": err.retry_after}
            status = err.error_code
        else:
            record.result = result
            body = {"ok": True, "result": result}
            status = 200
            # Updates were checked when queued; re-checking every poll would only cost time.
            if self.check_results and checked.method != "getUpdates":
                returns = self.spec.methods[checked.method].returns
                for problem in self.spec.check_result(returns, result):
                    self.violations.append(
                        f"stand-in bug: {checked.method} {problem.path}: {problem.message}"
                    )
        record.time = asyncio.get_running_loop().time()
        self._record(record)
        return self._json(body, status)

    @staticmethod
    def _json(body: dict[str, Any], status: int) -> web.Response:
        return web.Response(
            text=json.dumps(body, ensure_ascii=False),
            status=status,
            content_type="application/json",
        )

    def _chat_key(self, checked: CheckedRequest) -> int | str | None:
        chat_id = checked.params.get("chat_id")
        if isinstance(chat_id, int | str):
            return chat_id
        query_id = checked.params.get("callback_query_id")
        if isinstance(query_id, str) and query_id in self._callback_queries:
            return self._callback_queries[query_id].chat_id
        return None

    def _raise_injected_fault(self, method: str, chat_id: int | str | None) -> None:
        for fault in self._faults:
            if fault.method == method and (fault.chat_id is None or fault.chat_id == chat_id):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                raise ApiError(fault.error_code, fault.description, fault.retry_after)
        if (
            isinstance(chat_id, int)
            and chat_id in self._blocked
            and method.startswith(_BLOCKABLE_PREFIXES)
        ):
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if (
            isinstance(chat_id, int)
            and chat_id in self._chats
            and method.startswith(_BLOCKABLE_PREFIXES)
        ):
            status = self._chats[chat_id].members.get(self.bot_user["id"])
            if status == "kicked":
                raise ApiError(403, "Forbidden: bot was kicked from the supergroup chat")
            if status == "left":
                raise ApiError(403, "Forbidden: bot is not a member of the supergroup chat")

    async def _dispatch(self, checked: CheckedRequest) -> Any:
        if checked.method == "getUpdates":
            return await self._get_updates(checked.params)
        handler = getattr(self, f"_m_{checked.method}")
        return handler(checked)

    # ------------------------------------------------------------------ helpers for handlers

    def _target_chat(self, chat_id: Any) -> ChatState:
        if isinstance(chat_id, int):
            if chat_id > 0 or chat_id in self._chats:
                return self.chat(chat_id)
        elif isinstance(chat_id, str):
            for chat in self._chats.values():
                if chat.username and f"@{chat.username}".lower() == chat_id.lower():
                    return chat
        raise _bad("chat not found")

    @staticmethod
    def _thread(chat: ChatState, thread_id: int | None) -> int | None:
        if thread_id is None:
            return None
        topic = chat.topics.get(thread_id)
        if topic is None or topic.deleted:
            raise _bad("message thread not found")
        return thread_id

    def _new_message(
        self,
        chat: ChatState,
        *,
        from_bot: bool,
        sender: dict[str, Any],
        thread_id: int | None = None,
        **values: Any,
    ) -> StoredMessage:
        message = StoredMessage(
            message_id=chat.next_message_id,
            chat=chat,
            sender=sender,
            date=int(time.time()),
            from_bot=from_bot,
            message_thread_id=thread_id,
            **values,
        )
        chat.next_message_id += 1
        chat.messages[message.message_id] = message
        return message

    def store_user_message(
        self,
        chat_id: int,
        user_id: int,
        *,
        thread_id: int | None = None,
        text: str | None = None,
        entities: tuple[dict[str, Any], ...] = (),
        content: dict[str, Any] | None = None,
        caption: str | None = None,
        reply_to: StoredMessage | None = None,
    ) -> StoredMessage:
        """Store a message a simulated person writes (used by users.py)."""
        chat = self.chat(chat_id)
        if thread_id is not None:
            self._thread(chat, thread_id)
        if reply_to is not None and (reply_to.chat is not chat or reply_to.deleted):
            raise ValueError("a person can only reply to a live message of the same chat")
        return self._new_message(
            chat,
            from_bot=False,
            sender=self.user_dict(user_id),
            thread_id=thread_id,
            text=text,
            entities=entities,
            content=content or {},
            caption=caption,
            reply_to=reply_to,
        )

    def edit_user_message(
        self, message: StoredMessage, *, text: str | None = None, caption: str | None = None
    ) -> StoredMessage:
        """A person edits their own message: its text, or the caption of a media message."""
        if message.from_bot or message.deleted:
            raise ValueError("a person can only edit their own live messages")
        if text is not None:
            if message.text is None:
                raise ValueError("a media message has a caption, not a text")
            message.text = text
            message.entities = ()
        if caption is not None:
            if message.text is not None:
                raise ValueError("a text message has no caption")
            message.caption = caption
            message.caption_entities = ()
        message.edit_date = int(time.time())
        return message

    def next_media_group_id(self) -> str:
        return f"1337{next(self._media_groups)}"

    def new_callback_query(self, message: StoredMessage, user_id: int) -> str:
        """Register a callback query id for a click on message (used by users.py)."""
        query_id = str(next(self._query_ids))
        self._callback_queries[query_id] = _CallbackQuery(
            message.chat.id, message.message_id, user_id
        )
        return query_id

    def _send_common(
        self, checked: CheckedRequest, **values: Any
    ) -> tuple[ChatState, StoredMessage]:
        """Shared part of the send* methods: target, thread, reply, markup, storage."""
        params = checked.params
        chat = self._target_chat(params["chat_id"])
        thread_id = self._thread(chat, params.get("message_thread_id"))
        reply = params.get("reply_parameters")
        target: StoredMessage | None = None
        if reply is not None and "chat_id" not in reply:
            target = chat.messages.get(reply["message_id"])
            if target is None or target.deleted:
                if not reply.get("allow_sending_without_reply"):
                    raise _bad("message to be replied not found")
                target = None
        markup = params.get("reply_markup")
        inline = markup if markup is not None and "inline_keyboard" in markup else None
        message = self._new_message(
            chat,
            from_bot=True,
            sender=self.bot_user,
            thread_id=thread_id,
            reply_markup=inline,
            sent_markup=markup,
            reply_to=target,
            **values,
        )
        if markup is not None and "keyboard" in markup:
            chat.reply_keyboard = markup
        elif markup is not None and markup.get("remove_keyboard"):
            chat.reply_keyboard = None
        return chat, message

    def _bot_message(self, checked: CheckedRequest, missing: str) -> StoredMessage:
        params = checked.params
        if "inline_message_id" in params:
            raise _bad(missing)  # the stand-in keeps no inline-mode messages
        if "chat_id" not in params or "message_id" not in params:
            raise _bad("chat_id and message_id are required when inline_message_id is absent")
        chat = self._target_chat(params["chat_id"])
        message = chat.messages.get(params["message_id"])
        if message is None or message.deleted:
            raise _bad(missing)
        return message

    def _file_id(self) -> tuple[str, str]:
        n = next(self._file_ids)
        return f"BQACAgIAAxkDAAI{n:08d}", f"AgAD{n:08d}"

    # ------------------------------------------------------------------ method handlers

    def _m_getMe(self, checked: CheckedRequest) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _m_deleteWebhook(self, checked: CheckedRequest) -> bool:
        self.webhook_url = ""
        if checked.params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _m_setWebhook(self, checked: CheckedRequest) -> bool:
        self.webhook_url = checked.params["url"]
        return True

    def _m_getWebhookInfo(self, checked: CheckedRequest) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self.webhook_error
        return info

    def _m_logOut(self, checked: CheckedRequest) -> bool:
        return True

    def _m_close(self, checked: CheckedRequest) -> bool:
        return True

    @staticmethod
    def _commands_key(params: Mapping[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.get("language_code", "")

    def _m_setMyCommands(self, checked: CheckedRequest) -> bool:
        self.commands[self._commands_key(checked.params)] = checked.params["commands"]
        return True

    def _m_deleteMyCommands(self, checked: CheckedRequest) -> bool:
        self.commands.pop(self._commands_key(checked.params), None)
        return True

    def _m_sendMessage(self, checked: CheckedRequest) -> dict[str, Any]:
        parsed = checked.texts["text"]
        _, message = self._send_common(
            checked,
            text=parsed.text,
            entities=parsed.entities,
            source_text=checked.params["text"],
            parse_mode=checked.params.get("parse_mode"),
        )
        return message.to_dict()

    def _m_editMessageText(self, checked: CheckedRequest) -> dict[str, Any]:
        message = self._bot_message(checked, "message to edit not found")
        if not message.from_bot:
            raise _bad("message can't be edited")
        if message.text is None:
            raise _bad("there is no text in the message to edit")
        parsed: ParsedText = checked.texts["text"]
        markup = checked.params.get("reply_markup")
        if (
            parsed.text == message.text
            and parsed.entities == message.entities
            and markup == message.reply_markup
        ):
            raise _bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        message.text = parsed.text
        message.entities = parsed.entities
        message.source_text = checked.params["text"]
        message.parse_mode = checked.params.get("parse_mode")
        message.reply_markup = markup  # editing without reply_markup removes the keyboard
        message.edit_date = int(time.time())
        return message.to_dict()

    def _m_editMessageReplyMarkup(self, checked: CheckedRequest) -> dict[str, Any]:
        message = self._bot_message(checked, "message to edit not found")
        if not message.from_bot:
            raise _bad("message can't be edited")
        markup = checked.params.get("reply_markup")
        if markup == message.reply_markup:
            raise _bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        message.reply_markup = markup
        message.edit_date = int(time.time())
        return message.to_dict()

    def _m_deleteMessage(self, checked: CheckedRequest) -> bool:
        message = self._bot_message(checked, "message to delete not found")
        message.deleted = True
        return True

    def _m_pinChatMessage(self, checked: CheckedRequest) -> bool:
        message = self._bot_message(checked, "message to pin not found")
        message.chat.pinned_message_id = message.message_id
        return True

    def _m_answerCallbackQuery(self, checked: CheckedRequest) -> bool:
        params = checked.params
        query_id: str = params["callback_query_id"]
        query = self._callback_queries.get(query_id)
        if query is not None:
            if query.answered:
                raise _bad(QUERY_TOO_OLD.removeprefix("Bad Request: "))
            query.answered = True
        self.callback_answers[query_id] = CallbackAnswer(
            callback_query_id=query_id,
            text=params.get("text"),
            show_alert=bool(params.get("show_alert", False)),
            url=params.get("url"),
            cache_time=params.get("cache_time"),
        )
        return True

    def _m_sendChatAction(self, checked: CheckedRequest) -> bool:
        chat = self._target_chat(checked.params["chat_id"])
        self._thread(chat, checked.params.get("message_thread_id"))
        return True

    def _m_sendDocument(self, checked: CheckedRequest) -> dict[str, Any]:
        params = checked.params
        document = params["document"]
        file_id, unique_id = self._file_id()
        info: dict[str, Any] = {"file_id": file_id, "file_unique_id": unique_id}
        upload = document if isinstance(document, UploadedFile) else None
        if upload is not None:
            info["file_name"] = upload.filename
            info["mime_type"] = upload.content_type
            info["file_size"] = len(upload.data)
        caption = checked.texts.get("caption")
        _, message = self._send_common(
            checked,
            content={"document": info},
            upload=upload,
            caption=caption.text if caption else None,
            caption_entities=caption.entities if caption else (),
            source_text=params.get("caption"),
            parse_mode=params.get("parse_mode"),
        )
        return message.to_dict()

    def _m_sendPhoto(self, checked: CheckedRequest) -> dict[str, Any]:
        params = checked.params
        photo = params["photo"]
        upload = photo if isinstance(photo, UploadedFile) else None
        width, height = _image_size(upload.data) if upload is not None else (800, 600)
        file_id, unique_id = self._file_id()
        size: dict[str, Any] = {
            "file_id": file_id,
            "file_unique_id": unique_id,
            "width": width,
            "height": height,
        }
        if upload is not None:
            size["file_size"] = len(upload.data)
        caption = checked.texts.get("caption")
        _, message = self._send_common(
            checked,
            content={"photo": [size]},
            upload=upload,
            caption=caption.text if caption else None,
            caption_entities=caption.entities if caption else (),
            source_text=params.get("caption"),
            parse_mode=params.get("parse_mode"),
        )
        return message.to_dict()

    def _m_sendLocation(self, checked: CheckedRequest) -> dict[str, Any]:
        location = {
            "latitude": float(checked.params["latitude"]),
            "longitude": float(checked.params["longitude"]),
        }
        _, message = self._send_common(checked, content={"location": location})
        return message.to_dict()

    def _m_sendVenue(self, checked: CheckedRequest) -> dict[str, Any]:
        params = checked.params
        location = {"latitude": float(params["latitude"]), "longitude": float(params["longitude"])}
        venue = {"location": location, "title": params["title"], "address": params["address"]}
        _, message = self._send_common(checked, content={"venue": venue, "location": location})
        return message.to_dict()

    # Content a message may carry besides text; what copyMessage carries over.
    _MEDIA_KEYS = ("photo", "document", "voice", "video", "audio", "animation", "video_note")

    def _source_message(self, from_chat_id: Any, message_id: int) -> StoredMessage | None:
        chat = self._target_chat(from_chat_id)
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            return None
        if "forum_topic_created" in message.content:
            raise _bad("message can't be copied")
        return message

    def _copy(
        self,
        checked: CheckedRequest,
        source: StoredMessage,
        media_group_id: str | None,
        *,
        with_reply: bool,
    ) -> StoredMessage:
        """A copy of `source` sent by the bot to checked's chat (no "forwarded from")."""
        params = checked.params
        content = {k: v for k, v in source.content.items() if k != "media_group_id"}
        if media_group_id is not None:
            content["media_group_id"] = media_group_id
        caption, caption_entities = source.caption, source.caption_entities
        override = checked.texts.get("caption")
        if override is not None:
            if source.text is not None:
                raise _bad("message can't be copied with a caption")  # texts have none
            caption, caption_entities = override.text, override.entities
        if params.get("remove_caption"):
            caption, caption_entities = None, ()
        values: dict[str, Any] = {
            "text": source.text,
            "entities": source.entities,
            "caption": caption,
            "caption_entities": caption_entities,
            "content": content,
        }
        if not with_reply:
            checked = CheckedRequest(
                method=checked.method,
                params={k: v for k, v in params.items() if k != "reply_parameters"},
                problems=checked.problems,
                texts=checked.texts,
            )
        _, message = self._send_common(checked, **values)
        return message

    # Telegram's limit for getFile: bigger files cannot be downloaded by a bot.
    MAX_DOWNLOAD = 20 * 1024 * 1024

    def _find_file(self, file_id: str) -> dict[str, Any] | None:
        """The File object (PhotoSize, Document, ...) of a message in any chat, by file_id."""
        for chat in self._chats.values():
            for message in chat.messages.values():
                for key in self._MEDIA_KEYS:
                    value = message.content.get(key)
                    for item in value if isinstance(value, list) else [value]:
                        if isinstance(item, dict) and item.get("file_id") == file_id:
                            return item
        return None

    @staticmethod
    def file_bytes(file_unique_id: str) -> bytes:
        """What downloading a file gives: stable bytes per file, for tests to compare."""
        return f"fake file {file_unique_id}\n".encode()

    def _m_getFile(self, checked: CheckedRequest) -> dict[str, Any]:
        found = self._find_file(checked.params["file_id"])
        if found is None:
            raise _bad("wrong file_id or the file is temporarily unavailable")
        size = found.get("file_size")
        if size is not None and size > self.MAX_DOWNLOAD:
            raise _bad("file is too big")
        result = {
            "file_id": found["file_id"],
            "file_unique_id": found["file_unique_id"],
            "file_path": f"documents/{found['file_unique_id']}",
        }
        if size is not None:
            result["file_size"] = size
        return result

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        if not path.startswith("documents/"):
            return web.Response(status=404)
        self.downloads.append(path)
        return web.Response(body=self.file_bytes(path.removeprefix("documents/")))

    def _m_copyMessage(self, checked: CheckedRequest) -> dict[str, Any]:
        params = checked.params
        source = self._source_message(params["from_chat_id"], params["message_id"])
        if source is None:
            raise _bad("message to copy not found")
        message = self._copy(checked, source, None, with_reply=True)
        return {"message_id": message.message_id}

    def _m_copyMessages(self, checked: CheckedRequest) -> list[dict[str, Any]]:
        params = checked.params
        ids: list[int] = params["message_ids"]
        if not 1 <= len(ids) <= 100:
            raise _bad("message_ids must contain 1-100 identifiers")
        if any(a >= b for a, b in itertools.pairwise(ids)):
            raise _bad("message identifiers must be in a strictly increasing order")
        # Missing (or deleted) messages are skipped; album grouping is kept.
        found = [
            m
            for m in (self._source_message(params["from_chat_id"], i) for i in ids)
            if m is not None
        ]
        if not found:
            raise _bad("messages to copy not found")
        groups: dict[str, str] = {}
        copies = []
        for source in found:
            group = source.content.get("media_group_id")
            new_group = (
                None if group is None else groups.setdefault(group, self.next_media_group_id())
            )
            copies.append(self._copy(checked, source, new_group, with_reply=False))
        return [{"message_id": m.message_id} for m in copies]

    def _m_editMessageCaption(self, checked: CheckedRequest) -> dict[str, Any]:
        message = self._bot_message(checked, "message to edit not found")
        if not message.from_bot:
            raise _bad("message can't be edited")
        if message.text is not None or not any(k in message.content for k in self._MEDIA_KEYS):
            raise _bad("there is no caption in the message to edit")
        parsed = checked.texts.get("caption")
        caption = parsed.text if parsed is not None else None
        entities = parsed.entities if parsed is not None else ()
        markup = checked.params.get("reply_markup")
        if (
            (caption or None) == (message.caption or None)
            and entities == message.caption_entities
            and markup == message.reply_markup
        ):
            raise _bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        message.caption = caption or None
        message.caption_entities = entities
        message.source_text = checked.params.get("caption")
        message.parse_mode = checked.params.get("parse_mode")
        message.reply_markup = markup
        message.edit_date = int(time.time())
        return message.to_dict()

    def _m_setMessageReaction(self, checked: CheckedRequest) -> bool:
        params = checked.params
        chat = self._target_chat(params["chat_id"])
        message = chat.messages.get(params["message_id"])
        if message is None or message.deleted:
            raise _bad("message to react not found")
        reactions = params.get("reaction") or []
        if len(reactions) > 1:
            raise _bad("REACTIONS_TOO_MANY")  # bots may set one reaction
        self.reactions[(chat.id, message.message_id)] = [
            r.get("emoji") or r.get("custom_emoji_id") or r.get("type") for r in reactions
        ]
        return True

    def _m_getChat(self, checked: CheckedRequest) -> dict[str, Any]:
        chat = self._target_chat(checked.params["chat_id"])
        info = chat.to_chat()
        # Required by ChatFullInfo (aiogram validates these): colour, reactions, gift settings.
        info["accent_color_id"] = chat.id % 7
        info["max_reaction_count"] = 11
        info["accepted_gift_types"] = {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        }
        if chat.type != "private":
            info["permissions"] = {"can_send_messages": True}
            if chat.pinned_message_id is not None:
                pinned = chat.messages.get(chat.pinned_message_id)
                if pinned is not None and not pinned.deleted:
                    info["pinned_message"] = pinned.to_dict()
        return info

    def _m_getChatMember(self, checked: CheckedRequest) -> dict[str, Any]:
        chat = self._target_chat(checked.params["chat_id"])
        user_id: int = checked.params["user_id"]
        if chat.type == "private":
            if user_id not in (chat.id, self.bot_user["id"]):
                raise _bad("user not found")
            status = "member"
        elif user_id == self.bot_user["id"]:
            status = chat.members.get(user_id, "administrator")
        else:
            status = chat.members.get(user_id, "left")
        return self.chat_member(status, self.user_dict(user_id))

    def chat_member(self, status: str, user: dict[str, Any]) -> dict[str, Any]:
        """A ChatMember object of the subtype that matches status."""
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            # Every right the spec (plus aiogram's newer required ones) lists, granted, plus the
            # optional supergroup rights a bot checks before pinning or managing topics.
            for name, spec in self.spec.result_fields("ChatMemberAdministrator").items():
                if spec.required and spec.types == ("Boolean",):
                    member[name] = name != "is_anonymous"
            member["can_be_edited"] = False
            member["can_pin_messages"] = True
            member["can_manage_topics"] = True
        elif status == "restricted":
            for name, spec in self.spec.result_fields("ChatMemberRestricted").items():
                if spec.required and spec.types == ("Boolean",):
                    member[name] = name == "is_member"
            member["until_date"] = 0
        elif status == "kicked":
            member["until_date"] = 0
        elif status not in ("member", "left"):
            raise ValueError(f"unknown chat member status {status!r}")
        return member

    def _forum(self, checked: CheckedRequest) -> ChatState:
        chat = self._target_chat(checked.params["chat_id"])
        if not chat.is_forum:
            raise _bad("the chat is not a forum")
        return chat

    def _topic(self, checked: CheckedRequest) -> tuple[ChatState, ForumTopicState]:
        chat = self._forum(checked)
        topic = chat.topics.get(checked.params["message_thread_id"])
        if topic is None or topic.deleted:
            raise _bad("TOPIC_ID_INVALID")
        return chat, topic

    def _m_createForumTopic(self, checked: CheckedRequest) -> dict[str, Any]:
        params = checked.params
        chat = self._forum(checked)
        # A topic's id is the id of its "topic created" service message, as in Telegram.
        thread_id = chat.next_message_id
        topic = ForumTopicState(
            message_thread_id=thread_id,
            name=params["name"],
            icon_color=params.get("icon_color", DEFAULT_ICON_COLOR),
            icon_custom_emoji_id=params.get("icon_custom_emoji_id"),
        )
        chat.topics[thread_id] = topic
        created = {"name": topic.name, "icon_color": topic.icon_color}
        self._new_message(
            chat,
            from_bot=True,
            sender=self.bot_user,
            thread_id=thread_id,
            content={"forum_topic_created": created},
        )
        return topic.to_dict()

    def _m_editForumTopic(self, checked: CheckedRequest) -> bool:
        _, topic = self._topic(checked)
        if "name" in checked.params:
            topic.name = checked.params["name"]
        if "icon_custom_emoji_id" in checked.params:
            topic.icon_custom_emoji_id = checked.params["icon_custom_emoji_id"] or None
        return True

    def _m_closeForumTopic(self, checked: CheckedRequest) -> bool:
        _, topic = self._topic(checked)
        if topic.closed:
            raise _bad("TOPIC_NOT_MODIFIED")
        topic.closed = True
        return True

    def _m_reopenForumTopic(self, checked: CheckedRequest) -> bool:
        _, topic = self._topic(checked)
        if not topic.closed:
            raise _bad("TOPIC_NOT_MODIFIED")
        topic.closed = False
        return True

    def _m_deleteForumTopic(self, checked: CheckedRequest) -> bool:
        chat, topic = self._topic(checked)
        self.delete_topic(chat.id, topic.message_thread_id)
        return True


def _update_kind(update: Mapping[str, Any]) -> str:
    """The update's kind ("message", "callback_query", ...), as used by allowed_updates."""
    return next((key for key in update if key != "update_id"), "")
