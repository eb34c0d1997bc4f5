"""The bot's own HTTP server: /health, and Telegram's webhook when WEBHOOK_URL is set."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from bot.composition import build_application
from bot.config import ConfigError, Settings
from tests.conftest import free_port
from tests.fakegram import FakeTelegram


async def test_health_and_webhook(
    telegram: FakeTelegram, make_settings: Callable[..., Settings]
) -> None:
    port = free_port()
    settings = make_settings(
        webhook_url="https://bot.example.com", webhook_secret="s3cret-token_1", web_port=port
    )
    app = await build_application(settings, send_rate_per_second=0)
    try:
        await app.start_web()
        base = f"http://127.0.0.1:{port}"
        user: dict[str, Any] = {
            "id": 1001,
            "is_bot": False,
            "first_name": "Ivan",
            "language_code": "en",
        }
        update = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 1_790_000_000,
                "chat": {"id": 1001, "type": "private", "first_name": "Ivan"},
                "from": user,
                "text": "/start web",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
        telegram.register_user(1001, "Ivan", language_code="en")
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/health") as response:
                assert response.status == 200
                assert await response.json() == {"status": "ok", "database": "ok"}
            async with http.post(f"{base}/telegram/webhook", json=update) as response:
                assert response.status == 401  # no secret: not from Telegram
            headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token_1"}
            async with http.post(
                f"{base}/telegram/webhook", json=update, headers=headers
            ) as response:
                assert response.status == 200
        request = await telegram.wait_for(lambda r: r.method == "sendMessage" and r.chat_id == 1001)
        assert "Acme Homes" in str(request.params["text"])
    finally:
        await app.close()


async def test_a_busy_port_is_one_clear_line(
    telegram: FakeTelegram, make_settings: Callable[..., Settings]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        app = await build_application(make_settings(web_port=port), send_rate_per_second=0)
        try:
            with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}"):
                await app.start_web()
        finally:
            await app.close()
