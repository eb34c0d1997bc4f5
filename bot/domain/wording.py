"""A checklist's own wording: what its trade calls things, and what the prospect reads at
the start and at the end. Anything left out falls back to the catalogs' neutral texts."""

from __future__ import annotations

import re
from collections.abc import Collection

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from bot.domain.checklist_text import Localized

# Placeholders a sales-ops person may put in a text; anything else in braces is a mistake.
_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
GREETING_PLACEHOLDERS = frozenset({"company"})
OUTCOME_PLACEHOLDERS = frozenset({"name"})
NURTURE_PLACEHOLDERS = frozenset({"name", "date"})


def placeholder_problem(text: Localized, allowed: Collection[str]) -> str | None:
    """Why a text's {placeholders} cannot be filled, or None."""
    for language, value in text.texts.items():
        for name in _PLACEHOLDER_RE.findall(value):
            if name not in allowed:
                usable = ", ".join("{" + n + "}" for n in sorted(allowed)) or "none"
                return (
                    f"the {language!r} text has an unknown placeholder {{{name}}} "
                    f"(usable: {usable})"
                )
    return None


def fill(text: str, **values: str) -> str:
    """Puts values into known {placeholders}; other braces stay as written."""
    return _PLACEHOLDER_RE.sub(lambda m: values.get(m[1], m[0]), text)


def _problem(message: str) -> PydanticCustomError:
    return PydanticCustomError("checklist", "{message}", {"message": message})


class Outcomes(BaseModel):
    """The prospect's message per verdict; a deciding rule's `message` takes its place."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    target: Localized | None = None
    nurture: Localized | None = None
    reject: Localized | None = None

    @model_validator(mode="after")
    def _placeholders(self) -> Outcomes:
        for verdict, allowed in (
            ("target", OUTCOME_PLACEHOLDERS),
            ("nurture", NURTURE_PLACEHOLDERS),
            ("reject", OUTCOME_PLACEHOLDERS),
        ):
            text: Localized | None = getattr(self, verdict)
            problem = None if text is None else placeholder_problem(text, allowed)
            if problem is not None:
                raise _problem(f"{verdict}: {problem}")
        return self


class Wording(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    # The first message, before the consent; {company} is COMPANY_NAME.
    greeting: Localized | None = None
    # What is booked, as a capitalised label: "Viewing", "Test drive", "Consultation".
    appointment: Localized | None = None
    outcome: Outcomes = Outcomes()

    @model_validator(mode="after")
    def _placeholders(self) -> Wording:
        if self.greeting is not None:
            problem = placeholder_problem(self.greeting, GREETING_PLACEHOLDERS)
            if problem is not None:
                raise _problem(f"greeting: {problem}")
        if self.appointment is not None:
            problem = placeholder_problem(self.appointment, ())
            if problem is not None:
                raise _problem(f"appointment: {problem}")
        return self
