"""The ru and en catalogs are complete, consistent, valid Telegram HTML, and cover the code."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.app import PROSPECT_COMMANDS
from bot.domain.answers import AnswerErrorCode
from bot.domain.events import EventType
from bot.domain.hours import ScheduleErrorCode
from bot.domain.leads import LeadStatus
from bot.domain.reminders import ReminderKind
from bot.domain.routing import RouteReasonCode
from bot.domain.scoring import Verdict
from bot.domain.viewings import AppointmentStatus, ManagerStatus, Outcome
from bot.i18n import LOCALES_DIR, Translations
from bot.integrations.caldav import CalDavErrorKind
from bot.services.calendar import ChangeKind
from bot.services.staff_desk import BindResult
from bot.services.team import SettingError
from bot.views.manager import MANAGER_COMMANDS
from bot.views.team import ManagerAction
from tests.fakegram.html import HtmlParseError, parse_html

BOT_DIR = Path(__file__).resolve().parents[2] / "bot"
_LITERAL_KEY = re.compile(r"""\b(?:t|mt|staff_t|prospect_t)\(\s*["']([a-z0-9_.]+)["']""")


def _catalog(language: str) -> dict[str, str]:
    with (LOCALES_DIR / language / "LC_MESSAGES" / "bot.po").open("rb") as source:
        catalog = read_po(source)
    return {str(message.id): str(message.string) for message in catalog if message.id}


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _keys_in_code() -> set[str]:
    keys: set[str] = set()
    for path in BOT_DIR.rglob("*.py"):
        keys |= set(_LITERAL_KEY.findall(path.read_text(encoding="utf-8")))
    # Keys built from values: one per member of each family.
    keys |= {f"staff.verdict.{v}" for v in Verdict}
    keys |= {f"staff.status.{s}" for s in LeadStatus}
    keys |= {f"problem.{c}" for c in AnswerErrorCode}
    keys |= {f"staff.bind.{r}" for r in BindResult}
    keys |= {f"command.{name}" for name in PROSPECT_COMMANDS}
    keys |= {f"language.name.{code}" for code in ("ru", "en")}
    keys |= {f"hours.{c}" for c in ScheduleErrorCode}
    keys |= {f"caldav.{k}" for k in CalDavErrorKind}
    keys |= {f"staff.route.{c}" for c in RouteReasonCode} | {"staff.route.manual"}
    keys |= {f"staff.viewing_status.{s}" for s in AppointmentStatus}
    keys |= {f"manager.outcome.{o}" for o in Outcome}
    keys |= {f"manager.outcome.recorded.{s}" for s in AppointmentStatus}
    keys |= {f"manager.viewing.{k}" for k in ChangeKind} | {"manager.viewing.reminder"}
    keys |= {f"viewing.after_{o}" for o in (Outcome.NO_SHOW, Outcome.MOVED)}
    keys |= {
        f"reminder.{k}" for k in (ReminderKind.PROSPECT_DAY_BEFORE, ReminderKind.PROSPECT_TWO_HOURS)
    }
    keys |= {f"team.status.{s}" for s in ManagerStatus}
    keys |= {f"team.action.{a}" for a in ManagerAction}
    keys |= {f"team.error.{e}" for e in SettingError}
    keys |= {f"command.{name}" for name in MANAGER_COMMANDS}
    keys |= {f"desk.event.{e}" for e in EventType}
    return keys


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    ru, en = _catalog("ru"), _catalog("en")
    assert set(ru) == set(en)
    for key in ru:
        assert ru[key] and en[key], f"{key} is not translated"
        assert _placeholders(ru[key]) == _placeholders(en[key]), key


def test_every_key_the_code_uses_exists() -> None:
    missing = _keys_in_code() - set(_catalog("en"))
    assert not missing, f"keys used in bot/ but missing from the catalogs: {sorted(missing)}"


@pytest.mark.parametrize("language", ["ru", "en"])
def test_texts_are_valid_telegram_html(language: str) -> None:
    for key, text in _catalog(language).items():
        filled = text.format(**dict.fromkeys(_placeholders(text), "x"))
        try:
            parse_html(filled)
        except HtmlParseError as error:
            pytest.fail(f"{language} {key}: {error}")


def test_translator_fills_placeholders_and_falls_back() -> None:
    translations = Translations("ru")
    assert translations.get("en")("staff.lead_number", id=7) == "lead #7"
    assert translations.get("de").language == "ru"
    assert translations.pick_language("en-GB") == "en"
    assert translations.pick_language("uk") == "ru"
    assert translations.pick_language(None) == "ru"
