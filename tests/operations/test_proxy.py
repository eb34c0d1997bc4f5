"""TELEGRAM_PROXY: the bot reaches Telegram (here the stand-in) through an HTTP or SOCKS5
proxy, credentials included; an address it cannot use is one clear line at start."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiogram.exceptions import TelegramNetworkError

from bot.config import ConfigError, load_settings
from tests.conftest import TOKEN, Harness
from tests.fakegram import FakeTelegram
from tests.operations.proxies import ConnectProxy, Socks5Proxy


def through(proxy: ConnectProxy | Socks5Proxy, telegram: FakeTelegram) -> bytes:
    """Everything the bot sent to the stand-in through the proxy's tunnels."""
    port = urlsplit(telegram.base_url).port
    return b"".join(bytes(t.sent) for t in proxy.tunnels if t.port == port)


@pytest.mark.parametrize("credentials", [None, ("bot", "p@ss:word")])
async def test_start_reaches_telegram_through_an_http_proxy(
    make_harness: Callable[..., Any],
    telegram: FakeTelegram,
    credentials: tuple[str, str] | None,
) -> None:
    async with ConnectProxy(credentials) as proxy:
        url = proxy.url.replace("p@ss:word", "p%40ss%3Aword")  # a URL needs them escaped
        harness: Harness = await make_harness(telegram_proxy=url)
        prospect = harness.prospect(language_code="en")
        await prospect.send("/start")

        assert prospect.messages(), "the greeting never arrived"
        assert "Acme Homes" in prospect.messages()[0]
        sent = through(proxy, telegram)
        assert f"/bot{TOKEN}/sendMessage".encode() in sent
        assert proxy.refused == []
        # TELEGRAM_API_BASE still decides where the requests go: the stand-in's own path.
        assert sent.count(b"POST /bot") == len(telegram.requests)


async def test_start_reaches_telegram_through_a_socks5_proxy(
    make_harness: Callable[..., Any], telegram: FakeTelegram
) -> None:
    async with Socks5Proxy(("bot", "secret")) as proxy:
        harness: Harness = await make_harness(telegram_proxy=proxy.url)
        prospect = harness.prospect(language_code="en")
        await prospect.send("/start")
        assert prospect.messages(), "the greeting never arrived"
        assert f"/bot{TOKEN}/sendMessage".encode() in through(proxy, telegram)
        assert proxy.refused == []


async def test_a_proxy_that_refuses_is_telegram_unreachable(
    make_harness: Callable[..., Any], telegram: FakeTelegram
) -> None:
    async with ConnectProxy(("bot", "right")) as proxy:
        wrong = f"http://bot:wrong@127.0.0.1:{proxy.port}"
        harness: Harness = await make_harness(telegram_proxy=wrong)
        # What the start-up check and the notifier already handle: "not reachable yet".
        with pytest.raises(TelegramNetworkError, match="TELEGRAM_PROXY: 407") as raised:
            await harness.app.bot.get_me()
        assert "wrong" not in str(raised.value)
        assert telegram.requests == []
        assert proxy.refused


async def test_a_proxy_that_is_down_is_telegram_unreachable(
    make_harness: Callable[..., Any], telegram: FakeTelegram
) -> None:
    async with ConnectProxy() as proxy:
        url = proxy.url
    harness: Harness = await make_harness(telegram_proxy=url)  # nothing listens there now
    with pytest.raises(TelegramNetworkError, match="TELEGRAM_PROXY"):
        await harness.app.bot.get_me()
    assert telegram.requests == []


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("https://proxy.example.com:3128", "scheme https:// is not supported"),
        ("socks5h://proxy.example.com:1080", "scheme socks5h:// is not supported"),
        ("proxy.example.com:3128", "is not supported"),
        ("socks5://user:pass@proxy.example.com", "needs a host and a port"),
        ("http://:3128", "needs a host and a port"),
        ("http://proxy.example.com:99999", "needs a host and a port"),
        ("http://proxy.example.com:3128/path", "nothing after"),
    ],
)
def test_a_proxy_address_it_cannot_use_is_one_clear_line(value: str, problem: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(_env_file=None, bot_token=TOKEN, telegram_proxy=value)
    message = str(raised.value)
    assert message.startswith("TELEGRAM_PROXY ") and problem in message
    assert "pass@" not in message  # the password never reaches the log


@pytest.mark.parametrize(
    "value",
    ["socks5://user:pass@10.0.0.1:1080", "socks4://proxy.local:1080", "http://[::1]:3128", ""],
)
def test_usable_proxy_addresses_are_accepted(value: str) -> None:
    settings = load_settings(_env_file=None, bot_token=TOKEN, telegram_proxy=value)
    assert settings.telegram_proxy == (value or None)


async def test_a_local_bot_api_server_is_asked_the_same_way_and_files_are_read_from_disk(
    make_harness: Callable[..., Any], telegram: FakeTelegram
) -> None:
    harness: Harness = await make_harness(telegram_api_local=True)
    api = harness.app.bot.session.api
    assert api.is_local  # getFile's absolute file_path is read from disk, not downloaded
    assert api.api_url(TOKEN, "getMe") == f"{telegram.base_url}/bot{TOKEN}/getMe"
    prospect = harness.prospect(language_code="en")
    await prospect.send("/start")
    assert prospect.messages(), "the greeting never arrived"
