"""What prospects read from the catalogs names no trade: a car dealer's or a clinic's
prospects never see a word about flats or viewings (the checklist's wording names it)."""

from __future__ import annotations

import re
import string

import pytest
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, Translations

# Every catalog text a prospect may read.
PROSPECT_KEYS = (
    "greeting",
    "consent.thanks",
    "consent.doc.processing",
    "outcome.target",
    "outcome.nurture",
    "outcome.reject",
    "outcome.commands",
    "returning.hello",
    "returning.hello_name",
    "returning.target",
    "returning.nurture",
    "returning.rejected",
    "returning.in_progress",
    "returning.viewing",
    "resume.continue",
    "viewing.choose_day",
    "viewing.choose_time",
    "viewing.no_slots",
    "viewing.manager_will_call",
    "viewing.booked",
    "viewing.moved",
    "viewing.cancel_sure",
    "viewing.kept",
    "viewing.cancelled",
    "viewing.book_again",
    "viewing.confirmed",
    "viewing.ics_filename",
    "viewing.ics_caption",
    "viewing.wish_question",
    "viewing.wish_saved",
    "viewing.after_no_show",
    "viewing.after_moved",
    "reminder.prospect_24h",
    "reminder.prospect_2h",
    "privacy.confirm_forget",
    "deal.client.none",
    "ics.prospect.summary",
)
# Whole families of keys the prospect reads, so new texts there are checked too.
PROSPECT_FAMILIES = (
    "outcome.",
    "returning.",
    "viewing.",
    "reminder.prospect",
    "consent.",
    "question.",
    "answer.",
    "problem.",
    "nurture.",
    "relay.",
    "privacy.",
    "deal.client",
)
TRADE_WORDS = re.compile(r"квартир|просмотр|новостро|недвижим|flat|viewing|new build", re.I)


@pytest.mark.parametrize("language", ["ru", "en"])
def test_no_prospect_text_speaks_of_flats_or_viewings(language: str) -> None:
    t = Translations("ru").get(language)
    with (LOCALES_DIR / language / "LC_MESSAGES" / "bot.po").open("rb") as source:
        catalog = [str(message.id) for message in read_po(source) if message.id]
    family = [key for key in catalog if key.startswith(PROSPECT_FAMILIES)]
    assert len(family) > 50
    for key in (*PROSPECT_KEYS, *family):
        raw = t(key)
        names = {name for _, name, _, _ in string.Formatter().parse(raw) if name}
        shown = t(key, **dict.fromkeys(names, "…")) if names else raw
        assert shown != key, f"{key} is missing from the {language} catalog"
        found = TRADE_WORDS.search(shown)
        assert found is None, f"{language} {key} says {found[0]!r}: {shown}"


def test_the_stale_booking_promise_is_gone() -> None:
    for language in ("ru", "en"):
        target = Translations("ru").get(language)("outcome.target")
        assert "Soon" not in target and "Скоро" not in target


# What staff read about a booking: neutral words, or the checklist's label ({appointment}).
STAFF_FAMILIES = (
    "manager.",
    "ics.",
    "staff.viewing",
    "staff.status.",
    "staff.route.",
    "stats.",
    "desk.event.",
    "desk.stage.",
    "desk.next.",
    "desk.button.",
    "desk.done.",
    "desk.told.",
    "command.",
    "deal.refused.",
)


@pytest.mark.parametrize("language", ["ru", "en"])
def test_no_staff_text_about_bookings_speaks_of_viewings(language: str) -> None:
    t = Translations("ru").get(language)
    with (LOCALES_DIR / language / "LC_MESSAGES" / "bot.po").open("rb") as source:
        catalog = [str(message.id) for message in read_po(source) if message.id]
    family = [key for key in catalog if key.startswith(STAFF_FAMILIES)]
    assert "manager.viewing.booked" in family and "desk.button.book" in family
    for key in family:
        raw = t(key)
        names = {name for _, name, _, _ in string.Formatter().parse(raw) if name}
        shown = t(key, **dict.fromkeys(names, "…")) if names else raw
        found = TRADE_WORDS.search(shown)
        assert found is None, f"{language} {key} says {found[0]!r}: {shown}"


@pytest.mark.parametrize("language", ["ru", "en"])
def test_no_catalog_text_at_all_speaks_of_flats(language: str) -> None:
    """The catalogs are the neutral defaults of every trade; a flats checklist brings its
    own words (wording, questions, rules)."""
    with (LOCALES_DIR / language / "LC_MESSAGES" / "bot.po").open("rb") as source:
        texts = {str(m.id): str(m.string) for m in read_po(source) if m.id}
    assert len(texts) > 500
    spoken = {key: text for key, text in texts.items() if TRADE_WORDS.search(text)}
    assert spoken == {}
