"""What the bot's HTTP session keeps of Telegram's answers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.enums import ParseMode
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendDocument, SendMessage
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiohttp import FormData

from bot.telegram_session import BotSession, load_answer
from tests.conftest import TOKEN

KEYBOARD = {"inline_keyboard": [[{"text": "Yes", "callback_data": "o:q:yes"}]]}
MESSAGE = {
    "message_id": 7,
    "date": 1_790_000_000,
    "chat": {"id": 1001, "type": "private", "first_name": "Ivan"},
    "text": "Question 1 / 10",
    "entities": [{"type": "bold", "offset": 0, "length": 8}],
    "reply_markup": KEYBOARD,
}


def test_a_sent_messages_keyboard_and_entities_are_not_read_back() -> None:
    answer = load_answer(json.dumps({"ok": True, "result": MESSAGE}))
    assert answer["result"] == {
        "message_id": 7,
        "date": 1_790_000_000,
        "chat": {"id": 1001, "type": "private", "first_name": "Ivan"},
        "text": "Question 1 / 10",
    }


def test_updates_keep_everything_but_a_pressed_buttons_keyboard() -> None:
    polled = {"ok": True, "result": [{"update_id": 1, "message": MESSAGE}]}
    assert load_answer(json.dumps(polled)) == polled
    webhook = {"update_id": 2, "message": MESSAGE}  # a webhook body is parsed with it too
    assert load_answer(json.dumps(webhook)) == webhook
    query = {"id": "9", "from": {"id": 1001, "is_bot": False, "first_name": "Ivan"}}
    pressed = {"update_id": 3, "callback_query": {**query, "data": "o:q:yes", "message": MESSAGE}}
    loaded = load_answer(json.dumps({"ok": True, "result": [pressed]}))["result"][0]
    message = loaded["callback_query"]["message"]
    assert "reply_markup" not in message
    # What the handlers read is all there: the text with its formatting, the button's data.
    assert message["entities"] == MESSAGE["entities"]
    assert message["text"] == MESSAGE["text"]
    assert loaded["callback_query"]["data"] == "o:q:yes"
    assert "reply_markup" not in load_answer(json.dumps(pressed))["callback_query"]["message"]


def test_errors_and_plain_results_pass_unchanged() -> None:
    refused = {"ok": False, "error_code": 429, "description": "Too Many Requests"}
    assert load_answer(json.dumps(refused)) == refused
    assert load_answer(json.dumps({"ok": True, "result": True})) == {"ok": True, "result": True}


def form_fields(form: FormData) -> dict[str, Any]:
    return decoded({options["name"]: value for options, _headers, value in form._fields})


def decoded(fields: dict[str, Any]) -> dict[str, Any]:
    """Each value as JSON reads it: a form's "1001" and a JSON body's 1001 say the same."""
    values: dict[str, Any] = {}
    for name, value in fields.items():
        try:
            values[name] = json.loads(value) if isinstance(value, str) else value
        except ValueError:
            values[name] = value
    return values


MARKUPS = [
    InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="Да ✅", callback_data="o:q:yes")],
            [InlineKeyboardButton(text="Site", url="https://example.com")],
        ]
    ),
    ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="📱 Share", request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    ),
    ReplyKeyboardRemove(),
    None,
]


@pytest.mark.parametrize(
    "method",
    [
        *(
            SendMessage(chat_id=1001, text="<b>Вопрос 1 / 10</b>", reply_markup=markup)
            for markup in MARKUPS
        ),
        EditMessageText(chat_id=1001, message_id=7, text="Ответ: <i>да</i>"),
        AnswerCallbackQuery(callback_query_id="9", text="Saved", show_alert=False),
        SendMessage(chat_id=-100123, message_thread_id=42, text="card", disable_notification=True),
    ],
    ids=lambda method: type(method).__name__,
)
async def test_a_request_says_what_aiogram_would_have_said(method: Any) -> None:
    bot = Bot(TOKEN, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    body = BotSession().json_body(bot, method)
    assert body is not None
    ours = decoded(json.loads(body))
    assert ours == form_fields(AiohttpSession().build_form_data(bot, method))
    if not isinstance(method, AnswerCallbackQuery):
        assert ours["parse_mode"] == "HTML"  # the bot's default, filled in
    await bot.session.close()


async def test_a_file_goes_as_a_form() -> None:
    bot = Bot(TOKEN)
    upload = SendDocument(chat_id=1001, document=BufferedInputFile(b"%PDF-1.7", "offer.pdf"))
    assert BotSession().json_body(bot, upload) is None
    await bot.session.close()
