"""A text in every language of a checklist file ({ru: "...", en: "..."})."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    StrictStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from bot.domain.conditions import describe_value, did_you_mean


def _problem(message: str) -> PydanticCustomError:
    # The message travels in ctx so braces in it ("{ru: ...}") are not taken as placeholders.
    return PydanticCustomError("checklist", "{message}", {"message": message})


class Localized(BaseModel):
    """One text in every language of the checklist, e.g. {ru: "...", en: "..."}.

    The loader orders `texts` as the checklist's `languages`, so the first text is in
    the checklist's first language: that is the fallback of `get`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    texts: dict[StrictStr, StrictStr]

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, data: Any) -> Any:
        # YAML writes the texts directly ({ru: .., en: ..}); code may pass texts=...
        if isinstance(data, Mapping):
            if set(data) == {"texts"} and isinstance(data["texts"], Mapping):
                return data
            return {"texts": data}
        raise _problem(
            f"expected the text in each language, like {{ru: ..., en: ...}}, "
            f"got {describe_value(data)}"
        )

    @field_validator("texts")
    @classmethod
    def _all_languages(cls, texts: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        context = info.context if isinstance(info.context, Mapping) else {}
        languages: tuple[str, ...] | None = context.get("languages")
        if not languages:
            return texts
        problems = [f"missing the {lang!r} text" for lang in languages if lang not in texts]
        problems += [
            f"unknown language {lang!r}{did_you_mean(lang, languages)}"
            for lang in texts
            if lang not in languages
        ]
        problems += [
            f"the {lang!r} text is empty" for lang, text in texts.items() if not text.strip()
        ]
        if problems:
            raise _problem("; ".join(problems))
        return {lang: texts[lang] for lang in languages}

    def get(self, lang: str) -> str:
        """The text in `lang`, else in the checklist's first language, else any."""
        if lang in self.texts:
            return self.texts[lang]
        return next(iter(self.texts.values()), "")

    def __hash__(self) -> int:
        return hash(tuple(self.texts.items()))
