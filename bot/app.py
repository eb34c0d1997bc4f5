"""The running application: its parts, starting and stopping them (bot/composition.py
builds it from settings)."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass, field
from functools import partial

import httpx
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
from aiogram.methods import SetMyCommands
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock
from bot.config import ConfigError, Settings
from bot.domain.checklist import Checklist
from bot.i18n import Translations
from bot.jobs import build_scheduler
from bot.metrics import Metrics
from bot.middlewares.inflight import InFlight
from bot.middlewares.once import HandleOnce
from bot.payment_wiring import Payments
from bot.services.answering import Answering
from bot.services.booking import Booking
from bot.services.calendar import CalendarDesk
from bot.services.conversation import Conversation
from bot.services.deal import DealDesk
from bot.services.deal_timers import DealTimers
from bot.services.desk_timers import DeskTimers
from bot.services.digest import Digest
from bot.services.documents import Documents
from bot.services.event_pipe import EventPipe, consumer_lease
from bot.services.health import ErrorCount
from bot.services.lead_desk import LeadDesk
from bot.services.leases import Leases
from bot.services.notifier import Notifier
from bot.services.nurture import Nurture
from bot.services.privacy import PrivacyDesk
from bot.services.relay import Relay
from bot.services.reminders import ReminderDesk
from bot.services.sales_desk import SalesDesk
from bot.services.staff_desk import StaffDesk
from bot.services.team import Team
from bot.services.watchdog import Watchdog
from bot.storage.db import Database
from bot.storage.notices import Listener
from bot.views.manager import manager_commands
from bot.views.staff import staff_commands
from bot.web.server import build_web_app

logger = logging.getLogger(__name__)

PROSPECT_COMMANDS = (
    "start",
    "restart",
    "language",
    "human",
    "deal",
    "privacy",
    "mydata",
    "forget",
    "stop",
)
SHUTDOWN_GRACE_SECONDS = 10.0
SALES_DESK_TIMEOUT_SECONDS = 15.0
WORKER_GRACE_SECONDS = SALES_DESK_TIMEOUT_SECONDS + 1


@dataclass
class Application:
    settings: Settings
    checklist: Checklist
    translations: Translations
    db: Database
    bot: Bot
    dispatcher: Dispatcher
    notifier: Notifier
    staff: StaffDesk
    conversation: Conversation
    answering: Answering
    team: Team
    booking: Booking
    calendar: CalendarDesk
    reminders: ReminderDesk
    http: httpx.AsyncClient
    inflight: InFlight
    clock: Clock
    pipe: EventPipe
    sales_desk: SalesDesk
    lead_desk: LeadDesk
    sales_desk_http: httpx.AsyncClient
    watchdog: Watchdog
    error_count: ErrorCount
    desk_timers: DeskTimers
    digest: Digest
    relay: Relay
    nurture: Nurture
    payments: Payments
    documents: Documents
    privacy: PrivacyDesk
    deal: DealDesk
    deal_timers: DealTimers
    metrics: Metrics
    leases: Leases
    listener: Listener
    once: HandleOnce | None = None  # update_id de-duplication
    _runner: web.AppRunner | None = field(default=None, init=False)
    _workers: list[asyncio.Task[None]] = field(default_factory=list, init=False)
    _scheduler: AsyncIOScheduler | None = field(default=None, init=False)
    _closed: bool = field(default=False, init=False)

    async def close(self) -> None:
        """Stops everything; calling it again does nothing."""
        if self._closed:
            return
        self._closed = True
        logging.getLogger().removeHandler(self.error_count)
        # Polling has stopped, but updates already taken may still be answering.
        await self.inflight.wait_idle(SHUTDOWN_GRACE_SECONDS)
        await self.pipe.close(WORKER_GRACE_SECONDS)
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        # Deliveries in flight finish (a request cut off would be sent again after a
        # restart: the receiver would see its webhook-id twice); then the rest is cancelled.
        self.sales_desk.worker.stop()
        self.lead_desk.worker.stop()
        self.relay.delivery.worker.stop()
        self.documents.delivery.worker.stop()
        if self._workers:
            _, late = await asyncio.wait(self._workers, timeout=WORKER_GRACE_SECONDS)
            for worker in late:
                worker.cancel()
            await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers.clear()
        await self.leases.close()
        await self.listener.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.dispatcher.storage.close()
        await self.http.aclose()
        await self.sales_desk_http.aclose()
        await self.bot.session.close()
        await self.db.close()

    async def announce(self) -> None:
        """Tells Telegram the bot's commands, and the operator how to bind a staff group."""
        for language in self.translations.languages:
            t = self.translations.get(language)
            commands = [
                BotCommand(command=name, description=t(f"command.{name}"))
                for name in PROSPECT_COMMANDS
            ]
            # The default language's list also serves every language we have no catalog for.
            is_default = language == self.translations.default_language
            method = SetMyCommands(
                commands=commands,
                scope=BotCommandScopeAllPrivateChats(),
                language_code=None if is_default else language,
            )
            await self.notifier.call(method, None)
        for member in await self.team.listed_active():
            t = self.translations.get(member.language)
            await self.notifier.call(manager_commands(member, t), None)
        if self.staff.chat_id is not None:
            staff_t = self.translations.get(self.settings.default_language)
            await self.notifier.call(staff_commands(self.staff.chat_id, staff_t), None)
        code = self.staff.binding_code
        if code is not None:
            logger.warning(
                "No staff group yet. In the group, send: /bind %s  (or set STAFF_CHAT_ID)", code
            )
        await self.leases.run(consumer_lease("staff_card"), self.staff.publish_pending)
        # Events written before a crash and not yet handled (a card, a CRM delivery).
        await self.pipe.drain()

    async def start_workers(self) -> None:
        """The alarm clock for due rows, and the two workers that wait for new work."""
        self._scheduler = build_scheduler(
            self.staff,
            self.reminders,
            self.calendar,
            self.pipe,
            watchdog=self.watchdog,
            desk_timers=self.desk_timers,
            digest=self.digest,
            nurture=self.nurture,
            payments=self.payments.timers,
            retention=self.privacy.run_retention,
            deal_timers=self.deal_timers,
            processed_updates=None if self.once is None else self.once.prune,
            leases=self.leases,
        )
        self._scheduler.start()
        workers = {
            "sales_desk": self.sales_desk.worker,
            "client_messages": self.lead_desk.worker,
            "relay": self.relay.delivery.worker,
            "documents": self.documents.delivery.worker,
        }
        # Each worker's passes run on the replica holding the lease of its name.
        self._workers = [
            asyncio.create_task(worker.run(partial(self.leases.hold, name)), name=name)
            for name, worker in workers.items()
        ]

    @property
    def job_names(self) -> list[str]:
        """The scheduled jobs (empty until the workers start)."""
        return [] if self._scheduler is None else [job.id for job in self._scheduler.get_jobs()]

    async def run_job(self, name: str) -> bool:
        """Runs a scheduled job now, as the alarm clock does (under its lease); False when
        another replica holds its lease and it did not run here."""
        if self._scheduler is None:
            raise RuntimeError("the workers are not started")
        job = self._scheduler.get_job(name)
        if job is None:
            raise KeyError(name)
        return await job.func() is not False

    async def start_web(self) -> None:
        runner = web.AppRunner(build_web_app(self))
        await runner.setup()
        site = web.TCPSite(runner, self.settings.web_host, self.settings.web_port)
        try:
            await site.start()
        except OSError as error:
            await runner.cleanup()
            raise ConfigError(
                f"cannot listen on {self.settings.web_host}:{self.settings.web_port} "
                f"(WEB_HOST/WEB_PORT): {error.strerror}"
            ) from None
        self._runner = runner

    async def run(self) -> None:
        """Runs until stopped: long polling, or webhook mode when WEBHOOK_URL is set."""
        try:
            me = await self.bot.get_me()
            logger.info("running as @%s", me.username)
        except TelegramUnauthorizedError:
            raise ConfigError("BOT_TOKEN was rejected by Telegram (401 Unauthorized)") from None
        except TelegramNetworkError as error:
            logger.warning("Telegram is not reachable yet (%s); will keep trying", error)
        name = self.settings.replica_name or self.leases.holder
        logger.info("replica %s (job leases held as %s)", name, self.leases.holder)
        await self.leases.reclaim_dead()  # after a crash, the jobs resume here at once
        await self.announce()
        await self.start_web()
        await self.start_workers()
        if self.settings.webhook_url:
            secret = self.settings.webhook_secret
            await self.bot.set_webhook(
                f"{self.settings.webhook_url}/telegram/webhook",
                secret_token=secret.get_secret_value() if secret else None,
                allowed_updates=self.dispatcher.resolve_used_update_types(),
            )
            stopped = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stopped.set)
            await stopped.wait()
        else:
            await self.bot.delete_webhook(drop_pending_updates=False)
            await self.dispatcher.start_polling(
                self.bot,
                allowed_updates=self.dispatcher.resolve_used_update_types(),
                close_bot_session=False,
            )
