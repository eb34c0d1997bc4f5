"""REDIS_URL is checked like every setting, and a Redis that does not answer stops the start
with one line (no server needed for either)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.composition import build_application
from bot.config import ConfigError, Settings, load_settings
from tests.conftest import free_port


async def test_a_redis_that_does_not_answer_stops_the_start(
    make_settings: Callable[..., Settings],
) -> None:
    url = f"redis://:top-secret@127.0.0.1:{free_port()}/0"
    with pytest.raises(ConfigError) as raised:
        await build_application(make_settings(redis_url=url), send_rate_per_second=0)
    message = str(raised.value)
    assert message.startswith("REDIS_URL: Redis at 127.0.0.1:")
    assert "does not answer" in message
    assert "top-secret" not in message


TOKEN = "123456789:" + "A" * 35


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://cache:6379", "REDIS_URL must start with redis://, rediss:// or unix://"),
        ("redis://", "REDIS_URL needs a host"),
        ("redis://:secret@cache:99999/0", "REDIS_URL is not a URL like redis://host:6379/0"),
        ("redis://cache:6379/main", "REDIS_URL database must be a number"),
        ("unix://", "REDIS_URL needs a socket path"),
    ],
)
def test_a_bad_redis_url_is_one_line_without_the_password(url: str, problem: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(_env_file=None, bot_token=TOKEN, redis_url=url)
    assert str(raised.value).startswith(problem)
    assert "secret" not in str(raised.value)


def test_good_redis_urls_and_replicas_are_accepted() -> None:
    for url in ("redis://localhost:6379/0", "rediss://:pw@cache.internal:6380/2", "unix:///r.sock"):
        settings = load_settings(_env_file=None, bot_token=TOKEN, redis_url=url, replicas="2")
        assert settings.redis_url is not None and settings.redis_url.get_secret_value() == url
        assert settings.replicas == 2
    assert load_settings(_env_file=None, bot_token=TOKEN, redis_url="").redis_url is None
    with pytest.raises(ConfigError, match="REPLICAS"):
        load_settings(_env_file=None, bot_token=TOKEN, replicas="0")
