"""The composition root: builds every part of the application from settings."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.strategy import FSMStrategy

from bot.app import SALES_DESK_TIMEOUT_SECONDS, Application
from bot.care_wiring import build_after_viewing, build_nurture
from bot.clock import Clock, SystemClock
from bot.config import ConfigError, Settings
from bot.desk_wiring import build_desk
from bot.domain.checklist_file import load_checklist
from bot.domain.deal_file import load_deal
from bot.domain.knowledge_file import load_knowledge
from bot.domain.send_policy import SendLimits
from bot.domain.sites_file import load_sites_file
from bot.handlers import root as handlers
from bot.i18n import Translations
from bot.inline_filters import run_filters_inline
from bot.integrations.caldav import CalDavClient
from bot.integrations.sales_desk.factory import build_client
from bot.metrics import Metrics
from bot.middlewares.events import DrainEvents
from bot.middlewares.inflight import InFlight
from bot.middlewares.locale import LocaleMiddleware
from bot.middlewares.metrics import TelegramMetrics, UpdateMetrics
from bot.middlewares.once import DatabaseClaims, HandleOnce, RedisClaims
from bot.middlewares.proxy_errors import ProxyErrors
from bot.middlewares.unit_of_work import OneCommit
from bot.scale_wiring import build_scale_out
from bot.services.answer_media import AnswerMedia
from bot.services.answering import Answering
from bot.services.availability import Availability
from bot.services.booking import Booking, BookingConfig
from bot.services.calendar import CalendarDesk
from bot.services.consent_steps import ConsentSteps
from bot.services.conversation import Conversation
from bot.services.deal_ports import DealPort
from bot.services.event_pipe import EventPipe
from bot.services.knowledge import KnowledgeBase
from bot.services.lead_desk import LeadDesk, LeadDeskConfig
from bot.services.lead_facts import LeadReader
from bot.services.leases import Leases, default_holder
from bot.services.notifier import Notifier, limits_for_rate
from bot.services.reminders import ReminderDesk
from bot.services.sales_desk import SalesDesk, SalesDeskConfig
from bot.services.staff_desk import StaffDesk, StaffDeskConfig
from bot.services.standing import Standing
from bot.services.team import Team, TeamConfig
from bot.services.viewing_reports import ViewingReports
from bot.storage import leads
from bot.storage.fsm_redis import RedisConversations
from bot.storage.migrations import apply_migrations
from bot.storage.notices import Listener, Topic
from bot.storage.postgres import PostgresDatabase
from bot.storage.stores import open_database
from bot.storage.unit_of_work import GroupCommit
from bot.telegram_session import BotSession
from bot.trade_files import NO_SITES, dormant_deal, no_knowledge, trade_files
from bot.views.consent import Operator
from bot.views.sales_desk import DealWords, deal_words

logger = logging.getLogger(__name__)


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
    files = trade_files(
        settings.checklist_path,
        sites=settings.sites_path,
        knowledge=settings.knowledge_path,
        deal=settings.deal_path,
    )
    logger.info("files in use: %s", files.describe())
    sites_file = (
        NO_SITES
        if files.sites is None
        else load_sites_file(
            files.sites,
            routing_values=set(checklist.routing_values()),
            today=clock.now().astimezone(settings.zone).date(),
        )
    )
    knowledge_file = (
        no_knowledge(settings.default_language)
        if files.knowledge is None
        else load_knowledge(files.knowledge)
    )
    deal_file = None if files.deal is None else load_deal(files.deal, settings.deal_people)
    translations = Translations(settings.default_language)
    metrics = Metrics()
    session = _telegram_session(settings, metrics)
    db = open_database(settings)
    db.observe = metrics.observe_database
    await db.connect()
    try:
        await apply_migrations(db)
    except Exception:
        await db.close()
        raise
    bot = Bot(
        settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    try:
        scale = await build_scale_out(settings, db, clock, bot.id)
    except ConfigError:
        await bot.session.close()
        await db.close()
        raise

    async def on_blocked(chat_id: int) -> None:
        async with db.transaction() as tx:
            if await leads.mark_unreachable(tx, chat_id, clock.now()):
                logger.info("lead in chat %s blocked the bot; marked unreachable", chat_id)

    # send_limits (when given) replaces the rate: tests relax Telegram's limits or scale them.
    notifier = Notifier(
        bot,
        on_blocked=on_blocked,
        limits=scale.limits(send_limits or limits_for_rate(send_rate_per_second)),
        shared=scale.slots,
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
    # Background jobs run where their lease is held: on one replica at a time.
    leases = Leases(db, clock, default_holder(), timedelta(seconds=settings.lease_seconds))
    calendar = CalendarDesk(
        db,
        notifier,
        translations,
        clock,
        CalDavClient(http),
        company=settings.company_name,
        label=checklist.wording.appointment,
        leases=leases,
    )
    availability = Availability(db, clock, checklist, settings.slot_policy, settings.routing_rule)
    booking = Booking(
        db,
        translations,
        clock,
        availability,
        calendar,
        BookingConfig(
            policy=settings.slot_policy,
            quiet=settings.quiet,
            label=checklist.wording.appointment,
        ),
    )
    viewing_reports = ViewingReports(db, translations, clock, availability, calendar, booking)
    reminder_desk = ReminderDesk(
        db,
        notifier,
        translations,
        clock,
        quiet=settings.quiet,
        label=checklist.wording.appointment,
    )
    knowledge = KnowledgeBase(db, knowledge_file, clock, settings.default_language)
    pipe = EventPipe(db, clock, leases)
    nurture = build_nurture(settings, db, checklist, translations, notifier, clock, pipe)
    steps = ConsentSteps(
        Operator(
            company=settings.company_name,
            details=settings.operator_details,
            policy_url=settings.privacy_policy_url,
            version=settings.consent_version,
        ),
        crm_transfer=settings.sales_desk_url is not None,
    )
    standing = Standing(
        db, checklist, translations, booking, steps=steps, zone=settings.zone, clock=clock
    )
    answering = Answering(
        db,
        checklist,
        standing,
        booking,
        clock,
        zone=settings.zone,
        knowledge=knowledge,
        nurture=nurture,
    )
    conversation = Conversation(
        db,
        checklist,
        translations,
        clock,
        standing=standing,
        answering=answering,
        steps=steps,
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
            words=deal_words(deal_file, settings.default_language) if deal_file else DealWords(),
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
    # A checklist's photos and documents follow the card into the lead's topic.
    pipe.register(
        "answer_media", AnswerMedia(db, checklist, staff_t, wake=desk.relay.delivery.wake)
    )
    fsm = scale.conversations
    care = build_after_viewing(
        settings,
        deal_file or dormant_deal(),
        deal_file is not None,
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
        events_isolation=scale.isolation,
        fsm_strategy=FSMStrategy.USER_IN_CHAT,
        # Workflow data: what handlers and filters may ask for by name.
        conversation=conversation,
        answering=answering,
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
    # First, so the time it measures includes the other middlewares.
    dispatcher.update.outer_middleware(UpdateMetrics(metrics))
    inflight = InFlight()
    dispatcher.update.outer_middleware(inflight)
    # Outside HandleOnce: the update_id it records rides the update's own commit.
    dispatcher.update.outer_middleware(OneCommit(GroupCommit(db)))
    once = HandleOnce(
        RedisClaims(fsm.redis, bot.id)
        if isinstance(fsm, RedisConversations)
        else DatabaseClaims(db, clock, shared=settings.replicas > 1)
    )
    dispatcher.update.outer_middleware(once)
    dispatcher.update.outer_middleware(desk.last_update)
    logging.getLogger().addHandler(desk.error_count)
    dispatcher.update.outer_middleware(DrainEvents(pipe))
    locale = LocaleMiddleware(translations)
    dispatcher.message.middleware(locale)
    dispatcher.callback_query.middleware(locale)
    handlers.include_routers(dispatcher)
    run_filters_inline(dispatcher)
    # What other replicas change and this one keeps in memory.
    listener = Listener(db.url if isinstance(db, PostgresDatabase) else None)
    listener.on(Topic.MANAGERS, team.forget_members)
    listener.on(Topic.STAFF_CHAT, staff_desk.reload)
    await listener.start()
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
        answering=answering,
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
        metrics=metrics,
        once=once,
        leases=leases,
        listener=listener,
    )


def _telegram_session(settings: Settings, metrics: Metrics) -> BotSession:
    """The Bot API session: TELEGRAM_API_BASE (a local Bot API server), TELEGRAM_PROXY, and
    every call counted for /metrics."""
    api = (
        TelegramAPIServer.from_base(
            settings.telegram_api_base, is_local=settings.telegram_api_local
        )
        if settings.telegram_api_base
        else PRODUCTION
    )
    try:
        session = BotSession(api=api, proxy=settings.telegram_proxy)
    except RuntimeError as error:  # aiohttp-socks missing from the environment
        raise ConfigError(f"TELEGRAM_PROXY: {error}") from None
    session.middleware(TelegramMetrics(metrics))
    if settings.telegram_proxy is not None:
        session.middleware(ProxyErrors())  # inside the metrics: counted as an error
    return session
