"""Sales managers and sites: the sites file, invites, profiles, pausing and removing."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain.hours import WeeklySchedule, parse_schedule
from bot.domain.sites_file import SitesFile
from bot.domain.viewings import COVERS_ALL, Manager, ManagerStatus, Site
from bot.storage import managers, reminders, sites
from bot.storage.db import Database
from bot.storage.notices import Topic, announce

logger = logging.getLogger(__name__)

INVITE_PREFIX = "mgr_"
# How long a replica may go on treating a just-joined manager as a prospect (or a removed
# one as a manager) should it miss the notice of the change (`bot.storage.notices`): the
# ids are re-read after this; this process's own changes and the notices count at once.
MEMBER_IDS_TTL = timedelta(seconds=5)
MAX_NAME_LENGTH = 64


class JoinResult(StrEnum):
    JOINED = "joined"
    ALREADY = "already"
    INVALID = "invalid"


class SettingError(StrEnum):
    """Why `/manager N <key> <value>` was refused (locale: team.error.<code>)."""

    UNKNOWN_MANAGER = "unknown_manager"
    UNKNOWN_KEY = "unknown_key"
    UNKNOWN_SITE = "unknown_site"
    UNKNOWN_COVER = "unknown_cover"
    BAD_NUMBER = "bad_number"


@dataclass(frozen=True)
class TeamConfig:
    default_zone: ZoneInfo
    invite_valid: timedelta
    # Option ids a manager may cover (the checklist's routing answers).
    routing_values: frozenset[str]


class Team:
    def __init__(self, db: Database, clock: Clock, config: TeamConfig) -> None:
        self._db = db
        self._clock = clock
        self._config = config
        # Who is a manager is asked on every private update; prospects are nearly all of
        # them, so the ids are kept and only a manager's own updates read the database.
        self._member_ids: frozenset[int] | None = None
        self._member_ids_at = self._clock.now()

    def forget_members(self) -> None:
        """The ids are read afresh next time (another replica changed the team)."""
        self._member_ids = None

    async def _is_member(self, telegram_user_id: int) -> bool:
        now = self._clock.now()
        if self._member_ids is None or not (
            self._member_ids_at <= now < self._member_ids_at + MEMBER_IDS_TTL
        ):
            async with self._db.read() as conn:
                self._member_ids = await managers.user_ids(conn)
            self._member_ids_at = now
        return telegram_user_id in self._member_ids

    async def sync_file(self, sites_file: SitesFile) -> None:
        """Makes the database match the sites file; listed managers are created or updated."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            for spec in sites_file.sites:
                await sites.upsert(
                    tx,
                    code=spec.code,
                    name=spec.name,
                    address=spec.address,
                    location=spec.location,
                    timezone=spec.timezone,
                    capacity=spec.capacity,
                )
            await sites.deactivate_missing(tx, {spec.code for spec in sites_file.sites})
            for seed in sites_file.managers:
                wanted = seed.spec
                site = await sites.by_code(tx, wanted.site)
                assert site is not None  # the loader checked the code
                zone = wanted.timezone or self._config.default_zone.key
                schedule = seed.schedule or WeeklySchedule.DEFAULT
                manager = await managers.by_user(tx, wanted.telegram_id)
                if manager is None:
                    manager = await managers.create(
                        tx,
                        telegram_user_id=wanted.telegram_id,
                        display_name=wanted.name,
                        language=wanted.language,
                        timezone=zone,
                        schedule=schedule,
                        site_id=site.id,
                        covers=wanted.covers,
                        daily_cap=wanted.daily_cap,
                        weight=wanted.weight,
                        feed_token=secrets.token_urlsafe(24),
                        at=now,
                    )
                await managers.update(
                    tx,
                    manager.id,
                    at=now,
                    display_name=wanted.name,
                    language=wanted.language,
                    timezone=zone,
                    schedule=schedule.to_json(),
                    site_id=site.id,
                    covers=wanted.covers,
                    daily_cap=wanted.daily_cap,
                    weight=wanted.weight,
                )
            await announce(tx, Topic.MANAGERS)
        self.forget_members()
        logger.info(
            "sites file: %d sites, %d managers", len(sites_file.sites), len(sites_file.managers)
        )

    async def invite(self, created_by: int) -> str:
        """A one-time code for the invite link (valid for INVITE_VALID_DAYS)."""
        code = secrets.token_urlsafe(12)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            await managers.create_invite(tx, code, created_by, now, now + self._config.invite_valid)
        return code

    async def join(
        self, telegram_user_id: int, name: str, language: str, code: str
    ) -> tuple[JoinResult, Manager | None]:
        now = self._clock.now()
        async with self._db.transaction() as tx:
            existing = await managers.by_user(tx, telegram_user_id)
            if existing is not None:
                return JoinResult.ALREADY, existing
            if not await managers.invite_is_live(tx, code, now):
                return JoinResult.INVALID, None
            active_sites = [site for site in await sites.all_sites(tx) if site.active]
            manager = await managers.create(
                tx,
                telegram_user_id=telegram_user_id,
                display_name=name.strip()[:MAX_NAME_LENGTH] or str(telegram_user_id),
                language=language,
                timezone=self._config.default_zone.key,
                schedule=WeeklySchedule.DEFAULT,
                site_id=active_sites[0].id if active_sites else None,
                covers=(COVERS_ALL,),
                daily_cap=None,
                weight=1,
                feed_token=secrets.token_urlsafe(24),
                at=now,
            )
            await managers.use_invite(tx, code, manager.id, now)
            await announce(tx, Topic.MANAGERS)
        self.forget_members()
        logger.info("manager %s joined with an invite", manager.id)
        return JoinResult.JOINED, manager

    async def by_user(self, telegram_user_id: int) -> Manager | None:
        if not await self._is_member(telegram_user_id):
            return None
        async with self._db.read() as conn:
            return await managers.by_user(conn, telegram_user_id)

    async def listed_active(self) -> list[Manager]:
        async with self._db.read() as conn:
            return [manager for manager in await managers.listed(conn) if manager.active]

    async def listed(self) -> list[tuple[Manager, Site | None]]:
        async with self._db.read() as conn:
            team = await managers.listed(conn)
            all_sites: dict[int, Site] = {site.id: site for site in await sites.all_sites(conn)}
        return [
            (manager, None if manager.site_id is None else all_sites.get(manager.site_id))
            for manager in team
        ]

    async def set_hours(self, manager: Manager, text: str) -> Manager:
        """Parses what the manager typed and saves it; raises ScheduleError."""
        now = self._clock.now()
        schedule = parse_schedule(text, today=now.astimezone(manager.zone).date())
        async with self._db.transaction() as tx:
            await managers.update(tx, manager.id, at=now, schedule=schedule.to_json())
            # Planned agendas follow the old hours; the job plans the next one afresh.
            await reminders.cancel_agendas(tx, manager.id, now)
            updated = await managers.get(tx, manager.id)
        assert updated is not None
        return updated

    async def set_timezone(self, manager: Manager, zone: ZoneInfo) -> None:
        now = self._clock.now()
        async with self._db.transaction() as tx:
            await managers.update(tx, manager.id, at=now, timezone=zone.key)
            await reminders.cancel_agendas(tx, manager.id, now)

    async def set_status(self, manager_id: int, status: ManagerStatus) -> Manager | None:
        now = self._clock.now()
        async with self._db.transaction() as tx:
            manager = await managers.get(tx, manager_id)
            if manager is None or manager.status is ManagerStatus.REMOVED:
                return None
            fields: dict[str, object] = {"status": status.value}
            if status is ManagerStatus.REMOVED:
                # The feed URL dies with the membership.
                fields["feed_token"] = None
            await managers.update(tx, manager_id, at=now, **fields)
            if status is not ManagerStatus.ACTIVE:
                await reminders.cancel_agendas(tx, manager_id, now)
            updated = await managers.get(tx, manager_id)
            await announce(tx, Topic.MANAGERS)
        self.forget_members()
        return updated

    async def configure(self, manager_id: int, key: str, value: str) -> SettingError | None:
        """Staff sets a manager's site, covers, daily cap or weight."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            manager = await managers.get(tx, manager_id)
            if manager is None or manager.status is ManagerStatus.REMOVED:
                return SettingError.UNKNOWN_MANAGER
            if key == "site":
                site = await sites.by_code(tx, value.strip())
                if site is None or not site.active:
                    return SettingError.UNKNOWN_SITE
                await managers.update(tx, manager_id, at=now, site_id=site.id)
            elif key == "covers":
                covers = [part.strip() for part in value.replace(",", " ").split() if part.strip()]
                known = self._config.routing_values | {COVERS_ALL}
                if not covers or any(cover not in known for cover in covers):
                    return SettingError.UNKNOWN_COVER
                await managers.update(tx, manager_id, at=now, covers=covers)
            elif key in ("cap", "weight"):
                number = _positive(value, allow_none=key == "cap")
                if number is False:
                    return SettingError.BAD_NUMBER
                column = "daily_cap" if key == "cap" else "weight"
                await managers.update(tx, manager_id, at=now, **{column: number})
            else:
                return SettingError.UNKNOWN_KEY
        return None


def _positive(value: str, *, allow_none: bool) -> int | bool | None:
    """A whole number from 1 to 100, or None for "off"/"-" where allowed; False if neither."""
    text = value.strip().lower()
    if allow_none and text in ("off", "none", "-", "нет"):
        return None
    if text.isdigit() and 1 <= int(text) <= 100:
        return int(text)
    return False
