"""The sites file: where viewings happen and, for a first install, the sales managers.

Like the checklist it is edited by sales-ops people, so every mistake is reported as
`<file>:<line>: <key path>: <what is wrong>` and the bot refuses to start on one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError
from pydantic import field_validator as validator

from bot.domain.hours import ScheduleError, WeeklySchedule, parse_schedule
from bot.domain.viewings import COVERS_ALL
from bot.domain.yaml_source import YamlFileError, read_text, read_yaml

_CODE_RE = re.compile(r"[a-z0-9_]{1,40}")
_MODEL = ConfigDict(frozen=True, extra="forbid")

Loc = tuple[str | int, ...]
_ModelT = TypeVar("_ModelT", bound=BaseModel)


class SitesFileError(Exception):
    """The sites file cannot be used; `problems` holds one readable line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (use a name like Europe/Moscow)") from None
    return value


class SiteSpec(BaseModel):
    model_config = _MODEL
    code: StrictStr
    name: StrictStr = Field(min_length=1, max_length=100)
    address: StrictStr = Field(min_length=1, max_length=300)
    location: tuple[float, float] | None = None
    timezone: StrictStr = "Europe/Moscow"
    capacity: StrictInt = Field(default=1, ge=1, le=100)

    @validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not _CODE_RE.fullmatch(value):
            raise ValueError("use lowercase latin letters, digits and _ (at most 40)")
        return value

    @validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return _zone(value)

    @validator("location")
    @classmethod
    def _location(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and not (-90 <= value[0] <= 90 and -180 <= value[1] <= 180):
            raise ValueError("must be [latitude, longitude], e.g. [55.7512, 37.6184]")
        return value


class ManagerSpec(BaseModel):
    model_config = _MODEL
    telegram_id: StrictInt = Field(gt=0)
    name: StrictStr = Field(min_length=1, max_length=64)
    site: StrictStr
    timezone: StrictStr | None = None
    hours: StrictStr | None = None
    covers: tuple[StrictStr, ...] = (COVERS_ALL,)
    daily_cap: StrictInt | None = Field(default=None, ge=1, le=50)
    weight: StrictInt = Field(default=1, ge=1, le=100)
    language: StrictStr = "ru"

    @validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        return None if value is None else _zone(value)


@dataclass(frozen=True)
class ManagerSeed:
    spec: ManagerSpec
    schedule: WeeklySchedule | None


@dataclass(frozen=True)
class SitesFile:
    sites: tuple[SiteSpec, ...]
    managers: tuple[ManagerSeed, ...]


def load_sites_file(path: Path, *, routing_values: set[str], today: date) -> SitesFile:
    """Reads and checks the file; `routing_values` are the ids managers may cover."""
    try:
        text = read_text(path)
    except YamlFileError as error:
        raise SitesFileError([error.message]) from None
    return _SitesLoader(str(path), routing_values, today).load(text)


class _SitesLoader:
    def __init__(self, source: str, routing_values: set[str], today: date) -> None:
        self.source = source
        self.routing_values = routing_values
        self.today = today
        self.lines: dict[Loc, int] = {}
        self.problems: list[tuple[int, str]] = []

    def load(self, text: str) -> SitesFile:
        data = self._yaml(text)
        if not isinstance(data, dict):
            raise SitesFileError(
                [f"{self.source}:1: the file must be a mapping with sites: (and managers:)"]
            )
        for key in data:
            if key not in ("sites", "managers"):
                self._add((key,), f"unknown key {key!r} (expected sites or managers)")
        raw_sites = data.get("sites")
        if not isinstance(raw_sites, list) or not raw_sites:
            self._add(("sites",), "list at least one site")
            raw_sites = []
        sites = [
            site
            for index, raw in enumerate(raw_sites)
            if (site := self._model(SiteSpec, raw, ("sites", index))) is not None
        ]
        self._unique([site.code for site in sites], "sites", "code")
        codes = {site.code for site in sites}

        raw_managers = data.get("managers") or []
        if not isinstance(raw_managers, list):
            self._add(("managers",), "must be a list")
            raw_managers = []
        managers = []
        for index, raw in enumerate(raw_managers):
            loc: Loc = ("managers", index)
            spec = self._model(ManagerSpec, raw, loc)
            if spec is None:
                continue
            if spec.site not in codes:
                self._add((*loc, "site"), f"no site with code {spec.site!r}")
            for position, value in enumerate(spec.covers):
                if value != COVERS_ALL and value not in self.routing_values:
                    known = ", ".join(sorted(self.routing_values)) or "none"
                    self._add(
                        (*loc, "covers", position),
                        f"{value!r} is not an option of the checklist's routing questions "
                        f"(known: {known}, or * for everything)",
                    )
            managers.append(ManagerSeed(spec, self._schedule(spec, loc)))
        self._unique([seed.spec.telegram_id for seed in managers], "managers", "telegram_id")
        if self.problems:
            ordered = sorted(self.problems)
            raise SitesFileError([f"{self.source}:{line}: {text}" for line, text in ordered])
        return SitesFile(tuple(sites), tuple(managers))

    def _schedule(self, spec: ManagerSpec, loc: Loc) -> WeeklySchedule | None:
        if spec.hours is None:
            return None
        try:
            return parse_schedule(spec.hours, today=self.today)
        except ScheduleError as error:
            params = ", ".join(f"{key}={value}" for key, value in error.params.items())
            detail = error.code.value.replace("_", " ") + (f" ({params})" if params else "")
            self._add((*loc, "hours"), f"hours line {error.line}: {detail}")
            return None

    def _unique(self, values: list[Any], key: str, field: str) -> None:
        seen: set[Any] = set()
        for index, value in enumerate(values):
            if value in seen:
                self._add((key, index, field), f"duplicate {field} {value!r}")
            seen.add(value)

    def _model(self, model: type[_ModelT], raw: object, loc: Loc) -> _ModelT | None:
        try:
            return model.model_validate(raw)
        except ValidationError as error:
            for details in error.errors():
                where = (*loc, *details["loc"])
                if details["type"] == "missing":
                    self._add(where[:-1], f"missing required key {where[-1]!r}")
                elif details["type"] == "extra_forbidden":
                    self._add(where, f"unknown key {where[-1]!r}")
                else:
                    message = details["msg"].removeprefix("Value error, ")
                    self._add(where, f"{message} (got {details.get('input')!r})")
            return None

    def _add(self, loc: Loc, message: str) -> None:
        probe = loc
        while probe and probe not in self.lines:
            probe = probe[:-1]
        path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
        self.problems.append((self.lines.get(probe, 1), f"{path.lstrip('.')}: {message}"))

    def _yaml(self, text: str) -> object:
        try:
            document = read_yaml(text, self.source)
        except YamlFileError as error:
            raise SitesFileError([error.message]) from None
        if document.root is not None:
            self._walk(document.root, ())
        return document.data

    def _walk(self, node: yaml.Node, loc: Loc) -> None:
        self.lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    self.lines.setdefault((*loc, key.value), key.start_mark.line + 1)
                    self._walk(value, (*loc, key.value))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._walk(item, (*loc, index))
