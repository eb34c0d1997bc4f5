"""Builds the care of a client beyond the checklist: nurture follow-ups, the deal with its
payments and documents, and privacy (part of the composition root, bot/composition.py)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from bot.clock import Clock
from bot.config import Settings
from bot.deal_wiring import DealParts, build_deal
from bot.documents_wiring import build_documents
from bot.domain.checklist import Checklist
from bot.domain.deal import DealFile
from bot.i18n import Translations, Translator
from bot.payment_wiring import Payments, build_payments
from bot.services.booking import Booking
from bot.services.deal_ports import DealPort
from bot.services.documents import Documents, remove_lead_files
from bot.services.erasure import Conversations
from bot.services.event_pipe import EventPipe
from bot.services.lead_desk import LeadDesk
from bot.services.notifier import Notifier
from bot.services.nurture import Nurture, NurtureConfig
from bot.services.privacy import PrivacyDesk, build_privacy
from bot.services.staff_desk import StaffDesk
from bot.storage.db import Database


def build_nurture(
    settings: Settings,
    db: Database,
    checklist: Checklist,
    translations: Translations,
    notifier: Notifier,
    clock: Clock,
    pipe: EventPipe,
) -> Nurture:
    return Nurture(
        db,
        checklist,
        translations,
        notifier,
        clock,
        NurtureConfig(
            enabled=settings.nurture == "on",
            zone=settings.zone,
            quiet=settings.quiet,
            company=settings.company_name,
            operator_details=settings.operator_details,
            consent_version=settings.consent_version,
        ),
        on_change=pipe.drain,
    )


@dataclass(frozen=True)
class AfterViewing:
    deal: DealParts
    payments: Payments
    documents: Documents
    privacy: PrivacyDesk


def build_after_viewing(
    settings: Settings,
    deal_file: DealFile,
    deal_on: bool,
    db: Database,
    notifier: Notifier,
    translations: Translations,
    staff_t: Translator,
    clock: Clock,
    *,
    checklist: Checklist,
    staff_desk: StaffDesk,
    lead_desk: LeadDesk,
    booking: Booking,
    fsm: Conversations,
    pipe: EventPipe,
    deal_port: DealPort | None = None,
) -> AfterViewing:
    """The deal answers payments and document intake (`deal_port` replaces it in tests);
    erasure removes stored document copies, and a withdrawn documents consent reaches
    document intake."""
    deal = build_deal(
        settings,
        deal_file,
        deal_on,
        db,
        notifier,
        translations,
        staff_t,
        clock,
        staff_desk=staff_desk,
        lead_desk=lead_desk,
        pipe=pipe,
    )
    port = deal_port or deal.desk
    payments = build_payments(
        settings,
        db,
        notifier,
        translations,
        staff_t,
        clock,
        staff_desk=staff_desk,
        deal=port,
        pipe=pipe,
    )
    documents = build_documents(
        settings,
        db,
        notifier,
        translations,
        staff_t,
        clock,
        staff_desk,
        port=port,
        on_change=pipe.drain,
    )
    deal.card.documents_to_send = documents.still_to_send
    privacy = build_privacy(
        settings,
        db,
        clock,
        translations,
        checklist,
        booking,
        fsm,
        pipe,
        remove_files=partial(remove_lead_files, settings.documents_dir),
        documents_withdrawn=documents.consent_withdrawn,
    )
    return AfterViewing(deal=deal, payments=payments, documents=documents, privacy=privacy)
