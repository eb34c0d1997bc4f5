"""What the bot's HTTP session keeps of Telegram's answers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.enums import ParseMode
from aiogram.methods import SendMessage
from aiogram.types import (
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


def test_updates_keep_everything() -> None:
    polled = {"ok": True, "result": [{"update_id": 1, "message": MESSAGE}]}
    assert load_answer(json.dumps(polled)) == polled
    webhook = {"update_id": 2, "message": MESSAGE}  # a webhook body is parsed with it too
    assert load_answer(json.dumps(webhook)) == webhook


def test_errors_and_plain_results_pass_unchanged() -> None:
    refused = {"ok": False, "error_code": 429, "description": "Too Many Requests"}
    assert load_answer(json.dumps(refused)) == refused
    assert load_answer(json.dumps({"ok": True, "result": True})) == {"ok": True, "result": True}


def form_fields(form: FormData) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for options, _headers, value in form._fields:
        try:
            fields[options["name"]] = json.loads(value)
        except (TypeError, ValueError):
            fields[options["name"]] = value
    return fields


@pytest.mark.parametrize(
    "markup",
    [
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
    ],
)
async def test_a_request_says_what_aiogram_would_have_said(markup: Any) -> None:
    bot = Bot(TOKEN, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    method = SendMessage(chat_id=1001, text="<b>Question 1 / 10</b>", reply_markup=markup)
    ours = BotSession().build_form_data(bot, method)
    aiograms = AiohttpSession().build_form_data(bot, method)
    assert form_fields(ours) == form_fields(aiograms)
    assert form_fields(ours)["parse_mode"] == "HTML"  # the bot's default, filled in
    await bot.session.close()
