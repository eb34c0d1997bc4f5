"""The HTTP session the bot talks to the Bot API through.

aiogram validates each answer with `Response[<method's result type>]`. pydantic keeps
such parametrised models only weakly, so after a garbage collection the next call
rebuilds the model's schema (milliseconds of CPU, on every method, again and again).
Holding each one here keeps it built for the session's life.

A message the bot sent or edited comes back whole, its keyboard and text entities too;
nothing reads those back, and building a keyboard's buttons as models costs more than the
rest of the answer. They are dropped before validation (updates keep theirs: getUpdates
returns a list).

Going out, a keyboard is plain data (no files, no bot defaults inside): pydantic writes
it as JSON at once, where aiogram would walk it field by field.
"""

from __future__ import annotations

import json
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import (
    ForceReply,
    InlineKeyboardMarkup,
    InputFile,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiohttp import FormData

_MARKUPS = (InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove, ForceReply)
# Parts of a returned Message the bot never reads.
_UNREAD = ("reply_markup", "entities", "caption_entities")


def load_answer(content: str) -> Any:
    """json.loads for the Bot API's answers, without the unread parts of a Message."""
    answer = json.loads(content)
    result = answer.get("result") if isinstance(answer, dict) else None
    if isinstance(result, dict):
        for key in _UNREAD:
            result.pop(key, None)
    return answer


class BotSession(AiohttpSession):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("json_loads", load_answer)
        super().__init__(**kwargs)
        self._response_models: dict[Any, type[Response[Any]]] = {}

    def check_response(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        status_code: int,
        content: str,
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in self._response_models:
            self._response_models[returning] = Response[returning]  # type: ignore[valid-type]
        return super().check_response(bot, method, status_code, content)

    def build_form_data(self, bot: Bot, method: TelegramMethod[TelegramType]) -> FormData:
        markup = getattr(method, "reply_markup", None)
        if not isinstance(markup, _MARKUPS):
            return super().build_form_data(bot, method)
        # As aiogram builds it (None fields are dropped there too), the keyboard aside.
        form = FormData(quote_fields=False)
        files: dict[str, InputFile] = {}
        dumped = method.model_dump(warnings=False, exclude_none=True, exclude={"reply_markup"})
        for key, value in dumped.items():
            prepared = self.prepare_value(value, bot=bot, files=files)
            if prepared:
                form.add_field(key, prepared)
        form.add_field("reply_markup", markup.model_dump_json(exclude_none=True))
        for key, file in files.items():
            form.add_field(key, file.read(bot), filename=file.filename or key)
        return form
