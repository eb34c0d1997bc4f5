"""What a CRM user reads about a deal's events (Bitrix24 and amoCRM comments): stages and
documents in the staff language, codes in words."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.config import BUNDLED_DEAL
from bot.domain.deal_file import load_deal
from bot.domain.events import Event, EventType
from bot.i18n import Translations
from bot.views.sales_desk import deal_words, event_summary

T = Translations("ru").get("ru")
WORDS = deal_words(load_deal(BUNDLED_DEAL), "ru")


def line(type_: EventType, data: dict[str, Any]) -> str:
    event = Event(7, 1, type_, datetime(2026, 12, 1, tzinfo=UTC), "staff:6001", data)
    return event_summary(event, None, T, WORDS)


def test_a_stage_move_reads_in_the_stages_titles() -> None:
    moved = line(EventType.DEAL_STAGE_CHANGED, {"from": "contract", "to": "registration"})
    assert moved.startswith(
        "Лид #1: сделка перешла с этапа Договор (ДДУ или ДКП) на Регистрация договора."
    )


def test_a_rejected_document_reads_in_words() -> None:
    rejected = line(
        EventType.DEAL_DOCUMENT_REJECTED,
        {"document_id": 3, "stage": "reservation", "document": "passport", "reason": "expired"},
    )
    assert rejected.startswith("Лид #1: документ отклонён (Паспорт, этап Бронирование): просрочен")


def test_an_id_the_file_no_longer_has_is_shown_as_it_is() -> None:
    overdue = line(EventType.DEAL_STAGE_OVERDUE, {"stage": "old_stage", "rung": 1})
    assert overdue == "Лид #1: этап сделки old_stage просрочен (ступень 1)"
