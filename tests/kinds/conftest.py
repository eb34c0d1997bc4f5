"""A car dealer's bot: the checklist with every new kind, through the Bot API stand-in."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Harness
from tests.fakegram import TelegramUser
from tests.fakegram.server import StoredMessage

CAR_DEALER = Path(__file__).resolve().parents[1] / "domain" / "checklists" / "car_dealer.yaml"


@pytest.fixture
async def cars(make_harness: Callable[..., Any]) -> Harness:
    harness: Harness = await make_harness(checklist_path=CAR_DEALER)
    return harness


async def agree(user: TelegramUser) -> None:
    await user.send("/start")
    await user.click("✅ Согласен(на)")


async def press_data(
    user: TelegramUser, message: StoredMessage, data: str, *, shown: bool = True
) -> Any:
    """Presses the button of `message` whose callback data is `data` (labels repeat: "·");
    `shown=False`: a button the message no longer has (an old client's screen)."""
    if shown:
        assert any(b.get("callback_data") == data for b in message.inline_buttons()), data
    query_id = user.server.new_callback_query(message, user.user_id)
    await user.deliver(
        {
            "callback_query": {
                "id": query_id,
                "from": user.user,
                "message": message.to_dict(),
                "chat_instance": "1",
                "data": data,
            }
        }
    )
    return user.server.callback_answers.get(query_id)


def last_keyboard(user: TelegramUser) -> StoredMessage:
    return [m for m in user.bot_messages() if m.inline_buttons()][-1]


async def up_to_photo(user: TelegramUser) -> None:
    """A used car for cash with a trade-in: the photo of the car traded in is next."""
    await agree(user)
    await user.send("бу")
    await user.click("Седан")
    await user.send("2 500 000")
    await user.click("Наличные")
    await user.click("Трейд-ин")
    await user.click("Готово ➡️")
    await user.send("40000")


async def after_photo(user: TelegramUser) -> None:
    """From the engine size to the outcome."""
    await user.send("2,0")
    await user.send("завтра")
    await user.send("Анна")
    await user.click("Пропустить")
    await user.press("📱 Поделиться номером")
