"""The HTTP session the bot talks to the Bot API through.

aiogram validates each answer with `Response[<method's result type>]`. pydantic keeps
such parametrised models only weakly, so after a garbage collection the next call
rebuilds the model's schema (milliseconds of CPU, on every method, again and again).
Holding each one here keeps it built for the session's life.

A message the bot sent or edited comes back whole, its keyboard and text entities too;
nothing reads those back, and building a keyboard's buttons as models costs more than the
rest of the answer. They are dropped before validation (updates keep theirs: getUpdates
returns a list).
"""

from __future__ import annotations

import json
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

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
