"""The HTTP session the bot talks to the Bot API through.

aiogram validates each answer with `Response[<method's result type>]`. pydantic keeps
such parametrised models only weakly, so after a garbage collection the next call
rebuilds the model's schema (milliseconds of CPU, on every method, again and again).
Holding each one here keeps it built for the session's life.

A message the bot sent or edited comes back whole, its keyboard and text entities too;
nothing reads those back, and building a keyboard's buttons as models costs more than the
rest of the answer. They are dropped before validation. An update keeps its message whole,
but a pressed button's message comes without its keyboard: the handlers read which button
was pressed (the callback data), never the buttons around it.

Going out, a request that uploads no file is one JSON object, which the Bot API takes as
well as a form: aiogram would percent-encode every field of a form (Cyrillic text three
bytes to a character, a keyboard's JSON again inside it), and the Bot API would decode it.
A keyboard is plain data (no files, no bot defaults inside), so pydantic dumps it at once,
where aiogram would walk it field by field. Uploads still go as aiogram's multipart form.
"""

from __future__ import annotations

import json
from typing import Any, cast

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import (
    ForceReply,
    InlineKeyboardMarkup,
    InputFile,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiohttp import ClientError, ClientTimeout

_MARKUPS = (InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove, ForceReply)
# Parts of a returned Message the bot never reads.
_UNREAD = ("reply_markup", "entities", "caption_entities")
_JSON_HEADERS = {"Content-Type": "application/json"}


def load_answer(content: str) -> Any:
    """json.loads for the Bot API's answers and webhook updates, without what is never read."""
    answer = json.loads(content)
    if not isinstance(answer, dict):
        return answer
    result = answer.get("result")
    if isinstance(result, dict):  # a message sent or edited
        for key in _UNREAD:
            result.pop(key, None)
    elif isinstance(result, list):  # getUpdates
        for update in result:
            _forget_pressed_keyboard(update)
    elif "update_id" in answer:  # a webhook's update
        _forget_pressed_keyboard(answer)
    return answer


def _forget_pressed_keyboard(update: Any) -> None:
    query = update.get("callback_query") if isinstance(update, dict) else None
    message = query.get("message") if isinstance(query, dict) else None
    if isinstance(message, dict):
        message.pop("reply_markup", None)


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

    def json_body(self, bot: Bot, method: TelegramMethod[TelegramType]) -> bytes | None:
        """The request as one JSON object; None when it uploads a file.

        The fields are those of aiogram's form: the bot's defaults filled in, None and empty
        text left out.
        """
        markup = getattr(method, "reply_markup", None)
        dumped = method.model_dump(
            warnings=False,
            exclude_none=True,
            exclude={"reply_markup"} if isinstance(markup, _MARKUPS) else None,
        )
        files: dict[str, InputFile] = {}
        body: dict[str, Any] = {}
        for key, value in dumped.items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is not None and prepared != "":
                body[key] = prepared
        if files:
            return None
        if isinstance(markup, _MARKUPS):
            body["reply_markup"] = markup.model_dump(mode="json", exclude_none=True)
        return json.dumps(body, ensure_ascii=False).encode()

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        body = self.json_body(bot, method)
        if body is None:
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        # The errors are aiogram's own, so that retries and metrics read them alike.
        try:
            async with session.post(
                url,
                data=body,
                headers=_JSON_HEADERS,
                timeout=ClientTimeout(total=self.timeout if timeout is None else timeout),
            ) as response:
                content = await response.text()
        except TimeoutError as error:
            raise TelegramNetworkError(method=method, message="Request timeout error") from error
        except ClientError as error:
            message = f"{type(error).__name__}: {error}"
            raise TelegramNetworkError(method=method, message=message) from error
        checked = self.check_response(
            bot=bot, method=method, status_code=response.status, content=content
        )
        return cast(TelegramType, checked.result)
