"""Helpers for the operations tests: the bot's web server on a free port, and /metrics read
with prometheus-client's own parser, as a Prometheus scraper would read it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Harness, free_port
from tests.fakegram import TelegramUser

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def serving(make_harness: Callable[..., Any], **overrides: Any) -> Harness:
    """A harness whose web server listens on 127.0.0.1 (closed with the application)."""
    harness: Harness = await make_harness(web_port=free_port(), **overrides)
    await harness.app.start_web()
    return harness


def base_url(harness: Harness) -> str:
    return f"http://127.0.0.1:{harness.app.settings.web_port}"


async def scrape(harness: Harness, token: str | None = None) -> Samples:
    """Every sample of /metrics, keyed by (name, labels)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{base_url(harness)}/metrics", headers=headers) as response,
    ):
        assert response.status == 200, await response.text()
        assert response.content_type == "text/plain"
        text = await response.text()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample; 0 when the series does not exist yet (a counter never incremented)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def counted_prospect(harness: Harness, kinds: Counter[str], user_id: int = 1001) -> TelegramUser:
    """A prospect whose every update is also tallied by kind (message, callback_query)."""

    async def deliver(update: dict[str, Any]) -> None:
        kinds.update(key for key in update if key != "update_id")
        await harness.feed(update)

    feed: Callable[[dict[str, Any]], Awaitable[None]] = deliver
    return harness.telegram.user(
        user_id,
        first_name="Anna",
        language_code="en",
        deliver=feed,
        phone_number="79161234567",
    )
