"""The prospect's outcome message: one text per verdict, the rule's own words first."""

from __future__ import annotations

import pytest

from bot.domain.checklist_text import Localized
from bot.domain.scoring import Verdict
from bot.domain.wording import Outcomes, Wording
from bot.i18n import Translations, Translator
from bot.views.prospect import greeting_text, outcome_text
from bot.views.viewings import appointment_label
from tests.fakegram import parse_html

EN = Translations("ru").get("en")
RU = Translations("ru").get("ru")
COMMANDS = "Change your answers: /restart, language: /language, erase your data: /forget."
NO_WORDING = Wording()


def _text(**texts: str) -> Localized:
    return Localized(texts=texts)


def test_a_rule_message_is_the_whole_outcome_with_the_commands_after_it() -> None:
    message = _text(en="Sorry {name}, we only sell <cars>.", ru="Увы, {name}.")
    shown = outcome_text(Verdict.REJECT, message, NO_WORDING, EN, name="Ann & Bob", follow_up="—")
    assert shown == f"Sorry Ann &amp; Bob, we only sell &lt;cars&gt;.\n\n{COMMANDS}"
    parse_html(shown)


def test_a_target_rule_message_is_shown_too() -> None:
    message = _text(en="A manager will call you about the test drive.", ru="x")
    shown = outcome_text(Verdict.TARGET, message, NO_WORDING, EN, name="Ann", follow_up="—")
    assert shown.startswith("A manager will call you about the test drive.")
    assert "Thank you" not in shown


def test_the_nurture_rule_message_gets_the_date_and_no_second_promise() -> None:
    message = _text(en="We will write around {date}, {name}.", ru="x")
    shown = outcome_text(
        Verdict.NURTURE, message, NO_WORDING, EN, name=None, follow_up="March 1, 2027"
    )
    assert shown == f"We will write around March 1, 2027.\n\n{COMMANDS}"


def test_the_checklist_wording_stands_in_for_the_catalog() -> None:
    wording = Wording(
        outcome=Outcomes(
            target=_text(en="{name}, your test drive request is in.", ru="{name}, заявка принята."),
            nurture=_text(en="Until {date}!", ru="До {date}!"),
        )
    )
    assert outcome_text(Verdict.TARGET, None, wording, RU, name="Олег", follow_up="—").startswith(
        "Олег, заявка принята."
    )
    # No name: the placeholder goes and the sentence still starts with a capital.
    assert outcome_text(Verdict.TARGET, None, wording, EN, name=None, follow_up="—").startswith(
        "Your test drive request is in."
    )
    assert outcome_text(
        Verdict.NURTURE, None, wording, EN, name=None, follow_up="1 May"
    ).startswith("Until 1 May!")
    # A verdict the wording leaves out falls back to the catalog.
    assert outcome_text(Verdict.REJECT, None, wording, EN, name="Ann", follow_up="—").startswith(
        "Thank you for your time, Ann. Unfortunately"
    )


@pytest.mark.parametrize(
    ("verdict", "translator", "name", "expected"),
    [
        (Verdict.TARGET, EN, "Ann", "Thank you, Ann! Your request has gone to a manager"),
        (Verdict.TARGET, EN, None, "Thank you! Your request has gone to a manager"),
        (Verdict.NURTURE, EN, None, "Thank you! We have saved your wishes"),
        (Verdict.REJECT, EN, None, "Thank you for your time. Unfortunately"),
        (Verdict.TARGET, RU, "Анна", "Спасибо, Анна! Ваша заявка передана менеджеру"),
        (Verdict.REJECT, RU, None, "Спасибо, что уделили нам время. К сожалению"),
        (Verdict.NURTURE, RU, None, "Спасибо! Мы сохранили ваши пожелания"),
    ],
)
def test_the_catalog_defaults_read_well_with_and_without_a_name(
    verdict: Verdict, translator: Translator, name: str | None, expected: str
) -> None:
    shown = outcome_text(verdict, None, NO_WORDING, translator, name=name, follow_up="1 May 2027")
    assert shown.startswith(expected)
    assert shown.count("/restart") == 1
    assert "{" not in shown
    if verdict is Verdict.NURTURE:
        assert "1 May 2027" in shown


def test_the_greeting_comes_from_the_checklist_when_it_has_one() -> None:
    wording = Wording(greeting=_text(en="Hi! {company} car sales here.", ru="Привет от {company}."))
    assert greeting_text(wording, EN, "Auto & Co") == "Hi! Auto &amp; Co car sales here."
    assert "Auto &amp; Co" in greeting_text(NO_WORDING, EN, "Auto & Co")


def test_what_is_booked_is_named_by_the_checklist_else_neutrally() -> None:
    assert appointment_label(None, EN) == "Appointment"
    assert appointment_label(None, RU) == "Встреча"
    drive = _text(en="Test drive <4x4>", ru="Тест-драйв")
    assert appointment_label(drive, EN) == "Test drive &lt;4x4&gt;"
    assert appointment_label(drive, RU) == "Тест-драйв"


def test_a_date_with_its_own_full_stop_ends_the_sentence_once() -> None:
    # Russian long dates end with "г.": "…примерно {date}." must not read "г..".
    shown = outcome_text(
        Verdict.NURTURE, None, NO_WORDING, RU, name="Ольга", follow_up="22 декабря 2026 г."
    )
    assert "примерно 22 декабря 2026 г.\n\n" in shown and "г.." not in shown
    message = _text(ru="{name}, напомним о себе {date}. До встречи!", en="x")
    shown = outcome_text(
        Verdict.NURTURE, message, NO_WORDING, RU, name="Олег", follow_up="22 декабря 2026 г."
    )
    assert shown.startswith("Олег, напомним о себе 22 декабря 2026 г. До встречи!")
    # An English date has no full stop of its own: the sentence keeps its own.
    shown = outcome_text(Verdict.NURTURE, None, NO_WORDING, EN, name="Ann", follow_up="22 Dec")
    assert "around 22 Dec.\n\n" in shown


def test_catalog_texts_end_a_sentence_on_a_dates_own_full_stop() -> None:
    late = RU("problem.date_too_late", date="21 января 2027\u202fг.")
    assert late == "Слишком поздняя дата: не позже 21 января 2027\u202fг."
    assert RU("returning.nurture", date="1 марта 2027\u202fг.").endswith("2027\u202fг.")
    # Without a full stop of its own, the catalog's stays.
    assert EN("problem.date_too_late", date="21 January 2027").endswith("21 January 2027.")
