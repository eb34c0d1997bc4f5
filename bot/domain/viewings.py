"""Sites, sales managers and viewings: the values the booking rules work on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NewType
from zoneinfo import ZoneInfo

from bot.domain.hours import WeeklySchedule
from bot.domain.leads import LeadId

ManagerId = NewType("ManagerId", int)
SiteId = NewType("SiteId", int)
AppointmentId = NewType("AppointmentId", int)

# A manager covering this takes leads whatever their routing answers are.
COVERS_ALL = "*"


@dataclass(frozen=True)
class Site:
    id: SiteId
    code: str
    name: str
    address: str
    latitude: float | None
    longitude: float | None
    timezone: str
    capacity: int
    active: bool

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class ManagerStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    REMOVED = "removed"


@dataclass(frozen=True)
class CalDavSettings:
    url: str
    username: str
    password: str


@dataclass(frozen=True)
class Manager:
    id: ManagerId
    telegram_user_id: int
    display_name: str
    language: str
    timezone: str
    schedule: WeeklySchedule
    covers: frozenset[str]
    site_id: SiteId | None
    daily_cap: int | None
    weight: int
    status: ManagerStatus
    feed_token: str | None
    caldav: CalDavSettings | None
    caldav_error: str | None
    assigned: int
    last_assigned_at: datetime | None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def active(self) -> bool:
        return self.status is ManagerStatus.ACTIVE

    @property
    def chat_id(self) -> int:
        # A private chat's id is the user's id.
        return self.telegram_user_id


class AppointmentStatus(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    NO_SHOW = "no_show"
    # The manager reports it did not happen at that time; the prospect picks another.
    MOVED = "moved"


class Outcome(StrEnum):
    """What the manager reports after the slot."""

    ATTENDED = "attended"
    NO_SHOW = "no_show"
    MOVED = "moved"


@dataclass(frozen=True)
class Appointment:
    id: AppointmentId
    uid: str
    lead_id: LeadId
    manager_id: ManagerId
    site_id: SiteId
    start: datetime
    end: datetime
    status: AppointmentStatus
    sequence: int
    confirmed_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def is_open(self) -> bool:
        return self.status is AppointmentStatus.BOOKED
