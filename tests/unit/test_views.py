"""Rendering: what people read is escaped, complete and within Telegram's limits."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.domain.answers import Answer
from bot.domain.checklist_file import load_checklist
from bot.domain.leads import Lead, LeadId, LeadStatus
from bot.domain.scoring import assess
from bot.i18n import Translations
from bot.views.staff import TOPIC_TITLE_LIMIT, lead_card, topic_title
from tests.fakegram import parse_html

CHECKLIST = load_checklist()
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _lead(name: str) -> Lead:
    answers: dict[str, Answer | None] = {
        "purpose": "live",
        "rooms": "room_4_plus",
        "budget": 999_000_000,
        "payment": ("cash", "trade_in"),
        "timeline": "this_month",
        "project": "undecided",
        "name": name,
        "phone": "+79161234567",
        "call_time": None,
    }
    assessment = assess(CHECKLIST, answers)
    return Lead(
        id=LeadId(7),
        telegram_user_id=1001,
        chat_id=1001,
        username="anna_<b>",
        status=LeadStatus.TARGET,
        language="en",
        source="vk",
        checklist_id=CHECKLIST.id,
        checklist_version=CHECKLIST.version,
        consent_version="1",
        consent_at=NOW,
        created_at=NOW,
        updated_at=NOW,
        qualified_at=NOW,
        name=name,
        phone="+79161234567",
        score=assessment.score,
        max_score=assessment.max_score,
        verdict=assessment.verdict,
        reasons=assessment.reasons,
        answers=answers,
    )


def test_topic_title_fits_telegram_and_keeps_the_mark() -> None:
    t = Translations("ru").get("ru")
    title = topic_title(_lead("Анна-Мария " * 10), CHECKLIST, t)
    assert len(title) <= TOPIC_TITLE_LIMIT
    assert title.endswith("… 🟢")


def test_card_escapes_what_prospects_typed() -> None:
    t = Translations("ru").get("en")
    card = lead_card(
        _lead("<script>alert(1)</script> & co"), CHECKLIST, t, ZoneInfo("Europe/Moscow")
    )
    parsed = parse_html(card)  # raises on anything Telegram would refuse
    assert "<script>alert(1)</script> & co" in parsed.text
    assert "@anna_<b>" in parsed.text
    assert "Target · lead #7" in parsed.text
    assert "Qualified: 11/22/26, 12:00\u202fPM" in parsed.text  # Moscow time
    assert "Own funds, Trade-in of my current flat" in parsed.text
    assert "When is it convenient to call you?\nskipped" in parsed.text
