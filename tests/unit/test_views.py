"""Rendering: what people read is escaped, complete and within Telegram's limits."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.domain.answers import Answer
from bot.domain.checklist_file import load_checklist
from bot.domain.checklist_text import Localized
from bot.domain.leads import Lead, LeadId, LeadStatus
from bot.domain.scoring import Reason, Verdict, assess
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


def _renter() -> Lead:
    lead = _lead("Ann")
    answers = {**lead.answers, "purpose": "rent"}
    assessment = assess(CHECKLIST, answers)
    return replace(
        lead,
        status=LeadStatus.REJECTED,
        answers=answers,
        score=assessment.score,
        max_score=assessment.max_score,
        verdict=assessment.verdict,
        reasons=assessment.reasons,
    )


def test_the_card_says_which_rule_decided_and_shows_the_score_as_information() -> None:
    lead = _renter()
    assert lead.verdict is Verdict.REJECT and (lead.score or 0) >= CHECKLIST.scoring.target
    card = parse_html(
        lead_card(lead, CHECKLIST, Translations("ru").get("en"), ZoneInfo("Europe/Moscow"))
    ).text
    assert "• Decided by the rule «rent»: Looking to rent; we only sell" in card
    assert f"Score: {lead.score} of {lead.max_score}; the rule decided" in card
    assert "threshold" not in card
    ru = parse_html(
        lead_card(lead, CHECKLIST, Translations("ru").get("ru"), ZoneInfo("Europe/Moscow"))
    ).text
    assert "• Решило правило «rent»: Ищет квартиру в аренду, а мы продаём" in ru
    assert "порога" not in ru


def _by_score_only(lead: Lead) -> Lead:
    return replace(lead, reasons=tuple(r for r in lead.reasons if r.kind == "score"))


def test_without_a_deciding_rule_the_card_keeps_the_threshold() -> None:
    card = lead_card(
        _by_score_only(_lead("Ann")), CHECKLIST, Translations("ru").get("en"), ZoneInfo("UTC")
    )
    assert "the rule decided" not in card
    assert "≥ threshold" in card


def test_points_rules_are_listed_with_their_signed_points() -> None:
    def points(rule: str, value: int, text: str) -> Reason:
        return Reason(
            kind="points",
            rule_id=rule,
            text=Localized(texts={"en": text, "ru": text}),
            score=None,
            threshold=None,
            verdict=Verdict.TARGET,
            points=value,
        )

    lead = _by_score_only(_lead("Ann"))
    lead = replace(
        lead,
        reasons=(
            points("new_trade_in", 10, "Trade-in of a new model"),
            points("far", -5, "Lives <far> away"),
            *lead.reasons,
        ),
    )
    card = parse_html(
        lead_card(lead, CHECKLIST, Translations("ru").get("en"), ZoneInfo("UTC"))
    ).text
    assert "• +10 by the rule «new_trade_in»: Trade-in of a new model" in card
    assert "• \u22125 by the rule «far»: Lives <far> away" in card
    assert "≥ threshold" in card  # points rules do not decide: the score still does
