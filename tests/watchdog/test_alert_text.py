"""The alert's text for what the journeys cannot stage: a webhook Telegram fails to reach."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.inflow import Basis, Diagnosis, Expectation, Reception, SourceShare
from bot.i18n import Translations
from bot.views.watchdog import drop_text, recovery_text

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 11:00 in Moscow


def diagnosis(**changes: object) -> Diagnosis:
    values: dict[str, object] = {
        "window_start": NOW - timedelta(hours=1),
        "window_end": NOW,
        "count": 0,
        "expected": Expectation(rate=7.5, basis=Basis.LEARNED),
        "last_update_at": NOW - timedelta(days=1, minutes=5),
        "reception": Reception(
            answered=True,
            webhook_url="https://bot.example.com/telegram/webhook",
            pending=42,
            last_error_at=NOW - timedelta(minutes=3),
            last_error="Wrong response from the webhook: 502 <Bad Gateway>",
        ),
        "crm_pending": 0,
        "crm_dead": 2,
        "crm_oldest_at": None,
        "errors": 0,
        "sources": [SourceShare("a<b>", now=0, usual=3.0, stopped=True)],
    }
    values.update(changes)
    return Diagnosis(**values)  # type: ignore[arg-type]


def test_a_failing_webhook_is_shown_escaped() -> None:
    text = drop_text(diagnosis(), MSK, Translations("en").get("en"))
    assert "Leads in the last hour (10:00–11:00): 0, usually 7.5" in text
    # A day-old update says which day.
    assert "Last update from Telegram: 29.11 10:55 (1445 min ago)" in text
    assert "webhook https://bot.example.com/telegram/webhook; waiting at Telegram: 42" in text
    assert "10:57, Wrong response from the webhook: 502 &lt;Bad Gateway&gt;" in text
    assert "CRM outbox: 0 waiting, 2 undeliverable\n" in text
    assert "a&lt;b&gt;: 0 / 3 ⚠️" in text


def test_both_languages_have_every_line() -> None:
    translations = Translations("ru")
    for language in ("ru", "en"):
        t = translations.get(language)
        texts = [
            drop_text(diagnosis(), MSK, t),
            drop_text(
                diagnosis(
                    reception=Reception(answered=False),
                    last_update_at=None,
                    sources=[],
                    expected=Expectation(rate=2, basis=Basis.FLOOR),
                    crm_oldest_at=NOW,
                ),
                MSK,
                t,
            ),
            recovery_text(5, Expectation(8, Basis.LEARNED), NOW, NOW, MSK, t),
        ]
        for text in texts:
            assert "watchdog." not in text  # a key without a translation shows as itself
            assert "{" not in text
