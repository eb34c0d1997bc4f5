"""What the bot's HTTP session keeps of Telegram's answers."""

from __future__ import annotations

import json

from bot.telegram_session import load_answer

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
