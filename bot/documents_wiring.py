"""Builds document intake, review and delivery (part of the composition root,
bot/composition.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.clock import Clock
from bot.config import Settings
from bot.i18n import Translations, Translator
from bot.services.deal_ports import DealPort
from bot.services.document_delivery import DocumentDelivery
from bot.services.document_review import DocumentReview
from bot.services.documents import Documents, DocumentsConfig
from bot.services.notifier import Notifier
from bot.services.staff_desk import StaffDesk
from bot.storage.db import Database


def build_documents(
    settings: Settings,
    db: Database,
    notifier: Notifier,
    translations: Translations,
    staff_t: Translator,
    clock: Clock,
    staff_desk: StaffDesk,
    *,
    port: DealPort,
    on_change: Callable[[], Awaitable[None]] | None = None,
) -> Documents:
    delivery = DocumentDelivery(db, notifier, staff_desk, staff_t, clock, settings.documents_dir)
    review = DocumentReview(
        db,
        translations,
        staff_t,
        clock,
        port,
        staff_desk,
        frozenset(settings.admin_ids),
        quiet=(settings.zone, settings.quiet),
        wake=delivery.wake,
        on_change=on_change,
    )
    return Documents(
        db,
        translations,
        staff_t,
        clock,
        port,
        delivery,
        review,
        DocumentsConfig(
            company=settings.company_name,
            operator_details=settings.operator_details,
            consent_version=settings.consent_version,
            documents_dir=settings.documents_dir,
        ),
        on_change=on_change,
    )
