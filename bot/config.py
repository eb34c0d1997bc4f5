"""Settings from the environment and `.env`; names are the ones in the README."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.domain.checklist import BUNDLED_CHECKLIST
from bot.domain.deal_file import parse_people
from bot.domain.events import EventType
from bot.domain.hours import ScheduleError, WeeklySchedule, parse_schedule
from bot.domain.leads import LeadStatus
from bot.domain.reminders import QuietHours, parse_quiet_hours
from bot.domain.routing import RoutingRule
from bot.domain.scoring import Verdict
from bot.domain.slots import CELL, SlotPolicy

BUNDLED_SITES: Path = Path(__file__).resolve().parent / "checklists" / "sites.yaml"
BUNDLED_KNOWLEDGE: Path = Path(__file__).resolve().parent / "checklists" / "knowledge.yaml"
BUNDLED_DEAL: Path = Path(__file__).resolve().parent / "checklists" / "deal_new_building.yaml"

Language = Literal["ru", "en"]
SUPPORTED_LANGUAGES: tuple[Language, ...] = ("ru", "en")

# Telegram tokens look like "123456789:AAE...": a numeric bot id, a colon, a secret.
_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,}$")


_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one line for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    bot_token: SecretStr
    telegram_api_base: str | None = None
    database_path: Path = Path("data/leadsieve.sqlite3")
    # postgresql://user:password@host/db: PostgreSQL instead of the SQLite file above.
    database_url: SecretStr | None = None
    database_pool_size: int = Field(default=10, ge=1, le=500)
    staff_chat_id: int | None = None
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    checklist_path: Path = BUNDLED_CHECKLIST
    default_language: Language = "ru"
    timezone: str = "Europe/Moscow"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=1, le=65535)
    sales_desk_url: str | None = None
    sales_desk_secret: SecretStr | None = None
    sales_desk_format: Literal["generic", "bitrix24", "amocrm"] = "generic"
    # Which event types go out ("" = all) and which verdicts make a lead go out at all.
    sales_desk_events: Annotated[tuple[str, ...], NoDecode] = ()
    sales_desk_verdicts: Annotated[tuple[str, ...], NoDecode] = ("target", "nurture", "reject")
    # The CRM status of a new lead per verdict, and of a lead moved to a status:
    # "target=NEW,reject=JUNK,deal=CONVERTED" (amoCRM: numeric status ids).
    sales_desk_status_map: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    api_token: SecretStr | None = None
    company_name: str = "leadsieve"
    privacy_policy_url: str | None = None
    consent_version: str = "1"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Operations: one JSON object per log line; /metrics behind a bearer token; a proxy to
    # reach Telegram through (socks5://user:pass@host:1080, http://host:3128).
    log_format: Literal["text", "json"] = "text"
    metrics_token: SecretStr | None = None
    telegram_proxy: str | None = None
    # A Bot API server started with --local on this machine: files are read from its disk.
    telegram_api_local: bool = False
    # This replica's name in logs; None: its job-lease holder id (host:pid-namespace:pid:random).
    replica_name: str | None = Field(default=None, max_length=64)
    # How long a dead replica's job leases last before another replica takes them over.
    lease_seconds: int = Field(default=30, ge=5, le=3600)
    # Viewings
    # None: the sites.yaml next to the checklist, if any (bot/trade_files.py).
    sites_path: Path | None = None
    public_url: str | None = None
    routing_rule: RoutingRule = RoutingRule.ROUND_ROBIN
    viewing_minutes: int = Field(default=60, ge=5, le=8 * 60)
    viewing_buffer_minutes: int = Field(default=15, ge=0, le=4 * 60)
    slot_step_minutes: int = Field(default=30, ge=5, le=8 * 60)
    booking_notice_minutes: int = Field(default=120, ge=0, le=14 * 24 * 60)
    booking_horizon_days: int = Field(default=14, ge=1, le=90)
    quiet_hours: str = "21:00-09:00"
    invite_valid_days: int = Field(default=7, ge=1, le=90)
    # The lead-managers' desk.
    head_of_sales_ids: Annotated[tuple[int, ...], NoDecode] = ()
    desk_hours: str = "mon-fri 09:00-19:00"
    sla_take_minutes: int = Field(default=15, ge=1, le=7 * 24 * 60)
    sla_first_contact_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    sla_reply_minutes: int = Field(default=30, ge=1, le=7 * 24 * 60)
    inflow_min_per_hour: float | None = Field(default=None, ge=0)
    digest_time: str = "09:00"
    knowledge_path: Path | None = None  # None: next to the checklist, as sites_path
    # Deal support, payments, documents.
    deal_path: Path | None = None  # None: next to the checklist, as sites_path
    # Who holds each role of the deal file: "deal_support=1,2;receivables=3" (Telegram ids);
    # added to the people the file itself names.
    deal_people: Annotated[dict[str, tuple[int, ...]], NoDecode] = Field(default_factory=dict)
    payment_remind_days: Annotated[tuple[int, ...], NoDecode] = (3, 1, 0)
    payment_remind_time: str = "10:00"
    payment_escalate_days: int = Field(default=5, ge=1, le=365)
    documents_dir: Path | None = None
    # Privacy and nurture.
    operator_details: str = ""
    nurture: Literal["on", "off"] = "on"
    retention_rejected_days: int = Field(default=90, ge=1, le=10 * 365)
    retention_nurture_days: int = Field(default=365, ge=1, le=10 * 365)
    # Scale-out: conversations (and, with several replicas, send limits) in Redis.
    redis_url: SecretStr | None = None
    # How many copies of the bot run against one database; more than one turns off the
    # in-process caches that only one writer may keep, and shares send limits via Redis.
    replicas: int = Field(default=1, ge=1, le=64)

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not _TOKEN_RE.match(value.get_secret_value().strip()):
            raise ValueError("does not look like a Telegram bot token (expected 123456:ABC-...)")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("database_url", mode="before")
    @classmethod
    def _database_url(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None  # DATABASE_URL= (empty): the SQLite file
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(text, str) and not text.strip().startswith(_POSTGRES_SCHEMES):
            raise ValueError("must start with postgresql:// or postgres:// (unset it for SQLite)")
        return value

    @field_validator("admin_ids", "head_of_sales_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            try:
                return tuple(int(part) for part in parts)
            except ValueError:
                raise ValueError("must be comma-separated numeric Telegram user ids") from None
        return value

    @field_validator("sites_path", "knowledge_path", "deal_path", mode="before")
    @classmethod
    def _unset_path(cls, value: object) -> object:
        # SITES_PATH= (empty) in .env means "not set": look next to the checklist.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("deal_people", mode="before")
    @classmethod
    def _deal_people(cls, value: object) -> object:
        return parse_people(value) if isinstance(value, str) else value

    @field_validator("payment_remind_days", mode="before")
    @classmethod
    def _remind_days(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        try:
            days = tuple(sorted({int(part) for part in _comma_list(value)}, reverse=True))
        except ValueError:
            days = ()
        if not days or min(days) < 0 or max(days) > 60:
            raise ValueError(f"{value!r} is not days before the due date like 3,1,0 (0-60)")
        return days

    @field_validator("sales_desk_events", mode="before")
    @classmethod
    def _event_types(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        names = _comma_list(value)
        known = {event.value for event in EventType}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise ValueError(
                f"unknown event type {unknown[0]!r} (known: {', '.join(sorted(known))})"
            )
        return names

    @field_validator("sales_desk_verdicts", mode="before")
    @classmethod
    def _verdicts(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        names = _comma_list(value)
        known = {verdict.value for verdict in Verdict}
        unknown = [name for name in names if name not in known]
        if unknown or not names:
            raise ValueError("must list verdicts from target, nurture, reject")
        return names

    @field_validator("sales_desk_status_map", mode="before")
    @classmethod
    def _status_map(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        mapping: dict[str, str] = {}
        known = [v.value for v in Verdict] + [s.value for s in LeadStatus]
        for part in _comma_list(value):
            key, sep, status = part.partition("=")
            if not sep or key.strip() not in known or not status.strip():
                raise ValueError(
                    f"{part!r} is not verdict=STATUS or lead-status=STATUS"
                    f" (e.g. target=NEW,reject=JUNK,deal=CONVERTED); keys: {', '.join(known)}"
                )
            mapping[key.strip()] = status.strip()
        return mapping

    @model_validator(mode="after")
    def _sales_desk_secret(self) -> Settings:
        if self.sales_desk_url is None or self.sales_desk_format == "bitrix24":
            return self
        secret = self.sales_desk_secret.get_secret_value() if self.sales_desk_secret else ""
        if not secret:
            raise ValueError(
                f"SALES_DESK_SECRET is required with SALES_DESK_FORMAT={self.sales_desk_format}"
            )
        if self.sales_desk_format == "generic" and not secret.startswith("whsec_"):
            raise ValueError("SALES_DESK_SECRET must be a whsec_… secret (base64 after whsec_)")
        return self

    @field_validator("redis_url", mode="before")
    @classmethod
    def _redis_url(cls, value: object) -> object:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if not isinstance(value, str):
            return value
        if not value.strip():
            return None
        problem = redis_url_problem(value.strip())
        if problem:
            raise ValueError(problem)
        return value.strip()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use a name like Europe/Moscow)"
            ) from None
        return value

    @field_validator(
        "viewing_minutes", "viewing_buffer_minutes", "slot_step_minutes", "booking_notice_minutes"
    )
    @classmethod
    def _whole_cells(cls, value: int) -> int:
        cell_minutes = int(CELL.total_seconds() // 60)
        if value % cell_minutes:
            raise ValueError(f"must be a multiple of {cell_minutes} minutes")
        return value

    @field_validator("desk_hours")
    @classmethod
    def _desk_hours(cls, value: str) -> str:
        try:
            parse_schedule(value.replace(",", ";"), today=date.today())
        except ScheduleError as error:
            raise ValueError(
                f"{value!r} is not a schedule like 'mon-fri 09:00-19:00; sat 10:00-16:00'"
                f" ({error.code})"
            ) from None
        return value

    @field_validator("digest_time", "payment_remind_time")
    @classmethod
    def _digest_time(cls, value: str) -> str:
        if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", value.strip()):
            raise ValueError(f"{value!r} is not a time like 09:00")
        return value.strip()

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        parse_quiet_hours(value)
        return value

    @field_validator(
        "telegram_api_base", "webhook_url", "sales_desk_url", "privacy_policy_url", "public_url"
    )
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.rstrip("/")

    @field_validator("telegram_proxy")
    @classmethod
    def _proxy_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return check_proxy_url(value.strip())

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def slot_policy(self) -> SlotPolicy:
        return SlotPolicy(
            length=timedelta(minutes=self.viewing_minutes),
            buffer=timedelta(minutes=self.viewing_buffer_minutes),
            step=timedelta(minutes=self.slot_step_minutes),
            notice=timedelta(minutes=self.booking_notice_minutes),
            horizon_days=self.booking_horizon_days,
        )

    @property
    def desk_schedule(self) -> WeeklySchedule:
        """DESK_HOURS as a schedule; dates off in it are read against today."""
        return parse_schedule(self.desk_hours.replace(",", ";"), today=date.today())

    @property
    def quiet(self) -> QuietHours:
        return parse_quiet_hours(self.quiet_hours)


# What aiogram's session can go through (it uses aiohttp-socks): HTTP CONNECT and SOCKS.
PROXY_SCHEMES = ("http", "socks5", "socks4")


def check_proxy_url(value: str) -> str:
    """The URL if a proxy can be reached with it; else ValueError saying what is wrong."""
    parts = urlsplit(value)
    if parts.scheme not in PROXY_SCHEMES:
        raise ValueError(
            f"scheme {parts.scheme + '://' if parts.scheme else '(none)'} is not supported"
            f" (use {', '.join(s + '://' for s in PROXY_SCHEMES)}host:port)"
        )
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None:
        raise ValueError("needs a host and a port, like socks5://user:password@host:1080")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("is a proxy address: scheme://[user:password@]host:port, nothing after")
    return value


def redis_url_problem(url: str) -> str | None:
    """Why `url` is not a Redis URL (without repeating it: it may hold a password)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "is not a URL like redis://host:6379/0"
    if parts.scheme not in ("redis", "rediss", "unix"):
        return "must start with redis://, rediss:// or unix:// (e.g. redis://localhost:6379/0)"
    if parts.scheme == "unix":
        return None if parts.path else "needs a socket path (unix:///run/redis.sock)"
    if not parts.hostname:
        return "needs a host (redis://host:6379/0)"
    if port == 0:
        return "needs a port from 1 to 65535"
    database = parts.path.strip("/")
    if database and not database.isdigit():
        return f"database must be a number after the host (redis://host:6379/0), not {database!r}"
    return None


def _comma_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def load_settings(**overrides: object) -> Settings:
    """Reads settings, turning validation errors into one readable ConfigError line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        problems = []
        for item in error.errors():
            name = str(item["loc"][0]).upper() if item["loc"] else "settings"
            message = "is required" if item["type"] == "missing" else item["msg"]
            message = message.removeprefix("Value error, ")
            problems.append(f"{name} {message}" if item["loc"] else message)
        raise ConfigError("; ".join(problems)) from None
