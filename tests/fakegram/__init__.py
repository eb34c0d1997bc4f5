"""fakegram: a Telegram Bot API stand-in for leadsieve's tests.

Start a FakeTelegram, point a real aiogram Bot at ``server.base_url`` and drive it with
simulated users; every request the bot makes is checked against the Bot API spec.
"""

from .html import HtmlParseError, ParsedText, parse_html, plain_text
from .server import (
    DEFAULT_TOKEN,
    CallbackAnswer,
    ChatState,
    FakeTelegram,
    ForumTopicState,
    Request,
    StoredMessage,
)
from .spec import (
    EXTRA_PARAMS,
    EXTRA_RESULT_FIELDS,
    BotApiSpec,
    CheckedRequest,
    Problem,
    UploadedFile,
    load_spec,
)
from .users import Deliver, GroupMember, TelegramUser

__all__ = [
    "DEFAULT_TOKEN",
    "EXTRA_PARAMS",
    "EXTRA_RESULT_FIELDS",
    "BotApiSpec",
    "CallbackAnswer",
    "ChatState",
    "CheckedRequest",
    "Deliver",
    "FakeTelegram",
    "ForumTopicState",
    "GroupMember",
    "HtmlParseError",
    "ParsedText",
    "Problem",
    "Request",
    "StoredMessage",
    "TelegramUser",
    "UploadedFile",
    "load_spec",
    "parse_html",
    "plain_text",
]
