"""The composition root: builds every part from settings, starts and stops them."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.fsm.strategy import FSMStrategy
from aiogram.methods import SetMyCommands
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.care_wiring import build_after_viewing, build_nurture
from bot.clock import Clock, SystemClock
from bot.config import ConfigError, Settings
from bot.desk_wiring import build_desk
from bot.domain.checklist import Checklist
from bot.domain.checklist_file import load_checklist
from bot.domain.deal_file import load_deal
from bot.domain.deal_ports import DealPort
from bot.domain.knowledge_file import load_knowledge
from bot.domain.send_policy import SendLimits
from bot.domain.sites_file import load_sites_file
from bot.handlers import errors, manager, prospect, staff
from bot.i18n import Translations
from bot.integrations.caldav import CalDavClient
from bot.integrations.sales_desk.factory import build_client
from bot.jobs import build_scheduler
from bot.middlewares.events import DrainEvents
from bot.middlewares.inflight import InFlight
from bot.middlewares.locale import LocaleMiddleware
from bot.payment_wiring import Payments
from bot.services.availability import Availability
from bot.services.booking import Booking, BookingConfig
from bot.services.calendar import CalendarDesk
from bot.services.consent_steps import ConsentSteps
from bot.services.conversation import Conversation
from bot.services.deal import DealDesk
from bot.services.deal_timers import DealTimers
from bot.services.desk_timers import DeskTimers
from bot.services.digest import Digest
from bot.services.documents import Documents
from bot.services.event_pipe import EventPipe
from bot.services.health import ErrorCount
from bot.services.knowledge import KnowledgeBase
from bot.services.lead_desk import LeadDesk, LeadDeskConfig
from bot.services.lead_facts import LeadReader
from bot.services.notifier import Notifier
from bot.services.nurture import Nurture
from bot.services.privacy import PrivacyDesk
from bot.services.relay import Relay
from bot.services.reminders import ReminderDesk
from bot.services.sales_desk import SalesDesk, SalesDeskConfig
from bot.services.staff_desk import StaffDesk, StaffDeskConfig
from bot.services.team import Team, TeamConfig
from bot.services.viewing_reports import ViewingReports
from bot.services.watchdog import Watchdog
from bot.storage import leads
from bot.storage.db import Database
from bot.storage.fsm import SQLiteStorage
from bot.storage.migrations import apply_migrations
from bot.views.consent import Operator
from bot.views.manager import manager_commands
from bot.views.sales_desk import deal_words
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
        await self.staff.publish_pending()
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
        )
        self._scheduler.start()
        self._workers = [
            asyncio.create_task(self.sales_desk.worker.run(), name="sales_desk"),
            asyncio.create_task(self.lead_desk.worker.run(), name="client_messages"),
            asyncio.create_task(self.relay.delivery.worker.run(), name="relay"),
            asyncio.create_task(self.documents.delivery.worker.run(), name="documents"),
        ]

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


async def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    send_rate_per_second: float = 30.0,
    send_limits: SendLimits | None = None,
    deal_port: DealPort | None = None,
) -> Application:
    """Settings → checklist → catalogs → database → bot → services → dispatcher."""
    clock = clock or SystemClock()
    checklist = load_checklist(settings.checklist_path)
    sites_file = load_sites_file(
        settings.sites_path,
        routing_values=set(checklist.routing_values()),
        today=clock.now().astimezone(settings.zone).date(),
    )
    knowledge_file = load_knowledge(settings.knowledge_path)
    deal_file = load_deal(settings.deal_path, settings.deal_people)
    translations = Translations(settings.default_language)
    db = Database(settings.database_path)
    await db.connect()
    try:
        await apply_migrations(db)
    except Exception:
        await db.close()
        raise
    session = (
        AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_base))
        if settings.telegram_api_base
        else AiohttpSession()
    )
    bot = Bot(
        settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )

    async def on_blocked(chat_id: int) -> None:
        async with db.transaction() as tx:
            if await leads.mark_unreachable(tx, chat_id, clock.now()):
                logger.info("lead in chat %s blocked the bot; marked unreachable", chat_id)

    # send_limits (when given) replaces the rate: tests relax Telegram's limits or scale them.
    notifier = Notifier(
        bot, on_blocked=on_blocked, rate_per_second=send_rate_per_second, limits=send_limits
    )
    staff_t = translations.get(settings.default_language)
    staff_desk = StaffDesk(
        db,
        notifier,
        checklist,
        staff_t,
        clock,
        StaffDeskConfig(
            configured_chat_id=settings.staff_chat_id,
            zone=settings.zone,
            admin_ids=frozenset(settings.admin_ids),
            desk_schedule=settings.desk_schedule,
            deal=deal_file,
        ),
    )
    await staff_desk.prepare()
    team = Team(
        db,
        clock,
        TeamConfig(
            default_zone=settings.zone,
            invite_valid=timedelta(days=settings.invite_valid_days),
            routing_values=frozenset(checklist.routing_values()),
        ),
    )
    await team.sync_file(sites_file)
    http = httpx.AsyncClient(timeout=httpx.Timeout(15.0))
    calendar = CalendarDesk(
        db, notifier, translations, clock, CalDavClient(http), company=settings.company_name
    )
    availability = Availability(db, clock, checklist, settings.slot_policy, settings.routing_rule)
    booking = Booking(
        db,
        translations,
        clock,
        availability,
        calendar,
        BookingConfig(policy=settings.slot_policy, quiet=settings.quiet),
    )
    viewing_reports = ViewingReports(db, translations, clock, availability, calendar, booking)
    reminder_desk = ReminderDesk(db, notifier, translations, clock, quiet=settings.quiet)
    knowledge = KnowledgeBase(db, knowledge_file, clock, settings.default_language)
    pipe = EventPipe(db, clock)
    nurture = build_nurture(settings, db, checklist, translations, notifier, clock, pipe)
    conversation = Conversation(
        db,
        checklist,
        translations,
        booking,
        clock,
        steps=ConsentSteps(
            Operator(
                company=settings.company_name,
                details=settings.operator_details,
                policy_url=settings.privacy_policy_url,
                version=settings.consent_version,
            ),
            crm_transfer=settings.sales_desk_url is not None,
        ),
        zone=settings.zone,
        knowledge=knowledge,
        nurture=nurture,
    )
    reader = LeadReader(db, checklist, settings.default_language)
    sales_desk_http = httpx.AsyncClient(
        timeout=httpx.Timeout(SALES_DESK_TIMEOUT_SECONDS), follow_redirects=False
    )
    client = None
    if settings.sales_desk_url is not None:
        secret = settings.sales_desk_secret
        try:
            client = build_client(
                settings.sales_desk_format,
                settings.sales_desk_url,
                secret.get_secret_value() if secret else "",
                settings.sales_desk_status_map,
                sales_desk_http,
            )
        except ValueError as error:
            raise ConfigError(f"SALES_DESK_URL/SALES_DESK_SECRET: {error}") from None
    sales_desk = SalesDesk(
        db,
        client,
        reader,
        staff_t,
        clock,
        SalesDeskConfig(
            events=frozenset(settings.sales_desk_events) or None,
            verdicts=frozenset(settings.sales_desk_verdicts),
            words=deal_words(deal_file, settings.default_language),
        ),
        staff_chat=staff_desk,
        on_change=pipe.drain,
    )
    lead_desk = LeadDesk(
        db,
        reader,
        notifier,
        calendar,
        staff_desk,
        staff_t,
        clock,
        LeadDeskConfig(zone=settings.zone, quiet=settings.quiet),
        on_change=pipe.drain,
    )
    desk = build_desk(
        settings,
        db,
        notifier,
        translations,
        staff_t,
        clock,
        checklist=checklist,
        staff_desk=staff_desk,
        booking=booking,
        knowledge=knowledge,
        pipe=pipe,
    )
    pipe.register("staff_card", staff_desk)
    fsm = SQLiteStorage(db, clock)
    care = build_after_viewing(
        settings,
        deal_file,
        db,
        notifier,
        translations,
        staff_t,
        clock,
        checklist=checklist,
        staff_desk=staff_desk,
        lead_desk=lead_desk,
        booking=booking,
        fsm=fsm,
        pipe=pipe,
        deal_port=deal_port,
    )
    pipe.register("sales_desk", sales_desk)
    dispatcher = Dispatcher(
        storage=fsm,
        events_isolation=SimpleEventIsolation(),
        fsm_strategy=FSMStrategy.USER_IN_CHAT,
        # Workflow data: what handlers and filters may ask for by name.
        conversation=conversation,
        staff=staff_desk,
        notifier=notifier,
        translations=translations,
        staff_t=staff_t,
        team=team,
        booking=booking,
        viewing_reports=viewing_reports,
        calendar_desk=calendar,
        reminder_desk=reminder_desk,
        public_url=settings.public_url,
        sales_desk=sales_desk,
        staff_zone=settings.zone,
        knowledge=knowledge,
        stats_desk=desk.stats,
        export_desk=desk.export,
        desk_work=desk.work,
        relay=desk.relay,
        nurture=nurture,
        payment_desk=care.payments.desk,
        documents=care.documents,
        document_review=care.documents.review,
        privacy=care.privacy,
        deal_card=care.deal.card,
    )
    inflight = InFlight()
    dispatcher.update.outer_middleware(inflight)
    dispatcher.update.outer_middleware(desk.last_update)
    logging.getLogger().addHandler(desk.error_count)
    dispatcher.update.outer_middleware(DrainEvents(pipe))
    locale = LocaleMiddleware(translations)
    dispatcher.message.middleware(locale)
    dispatcher.callback_query.middleware(locale)
    dispatcher.include_routers(
        errors.build_router(),
        staff.build_router(),
        manager.build_router(),
        prospect.build_router(),
    )
    return Application(
        settings=settings,
        checklist=checklist,
        translations=translations,
        db=db,
        bot=bot,
        dispatcher=dispatcher,
        notifier=notifier,
        staff=staff_desk,
        conversation=conversation,
        team=team,
        booking=booking,
        calendar=calendar,
        reminders=reminder_desk,
        http=http,
        inflight=inflight,
        clock=clock,
        pipe=pipe,
        sales_desk=sales_desk,
        lead_desk=lead_desk,
        sales_desk_http=sales_desk_http,
        watchdog=desk.watchdog,
        error_count=desk.error_count,
        desk_timers=desk.timers,
        digest=desk.digest,
        relay=desk.relay,
        nurture=nurture,
        payments=care.payments,
        documents=care.documents,
        privacy=care.privacy,
        deal=care.deal.desk,
        deal_timers=care.deal.timers,
    )
