"""The deal buttons on a lead's card (Deal, Stage ▸, Facts ▸), and the client's `/deal`.

Each press is plain data in (who pressed what on which message) and a `DealReply` out;
the moves themselves are `DealDesk`'s use cases, shared with the API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiogram.types import InlineKeyboardMarkup

from bot.domain.documents import DocumentRequest
from bot.domain.leads import LeadId
from bot.i18n import Translations, Translator
from bot.keyboards.callbacks import DealAction
from bot.services.deal import DealDesk, DealOutcome, DealResult
from bot.storage import deals, desk, leads
from bot.storage.db import Connection, Database
from bot.views import deal as view
from bot.views.documents import documents_keyboard
from bot.views.prospect import ask_person_markup


@dataclass(frozen=True)
class DealPress:
    user_id: int
    lead_id: int
    at: str  # the stage the button was made in ("" for Deal)
    arg: str
    message_id: int | None


@dataclass(frozen=True)
class DealReply:
    toast: str | None = None
    keyboard: InlineKeyboardMarkup | None = None
    replace_keyboard: bool = False
    # A line in the lead's topic (a rule's refusal, for everyone to read).
    topic_text: str | None = None
    topic_chat_id: int | None = None
    topic_thread_id: int | None = None
    # The card gets its own buttons back (after a sub-menu).
    restore_card: bool = False


# What the client may send now for their deal (document intake answers it; it is built
# after the deal, which it asks in turn, so it is attached later).
DocumentsToSend = Callable[[Connection, int], Awaitable[list[DocumentRequest]]]


class DealCard:
    def __init__(
        self, db: Database, deal_desk: DealDesk, translations: Translations, t: Translator
    ) -> None:
        self._db = db
        self._desk = deal_desk
        self._translations = translations
        self._t = t
        self.documents_to_send: DocumentsToSend | None = None

    def may_press(self, user_id: int) -> bool:
        """The deal file's role people and administrators, in or out of the group."""
        return self._desk.is_deal_person(user_id)

    async def press(self, action: DealAction, press: DealPress) -> DealReply:
        t = self._t
        async with self._db.read() as conn:
            lead = await leads.get(conn, LeadId(press.lead_id))
            deal = await deals.get(conn, press.lead_id)
        if lead is None:
            return DealReply(toast=t("desk.refused.gone", id=press.lead_id))
        if press.message_id != lead.staff_message_id:
            return DealReply(toast=t("desk.refused.old_card", id=lead.id))
        actor = f"staff:{press.user_id}"
        if action is DealAction.START:
            return self._answer(await self._desk.start(lead.id, actor=actor))
        if action is DealAction.BACK:
            return DealReply(restore_card=True)
        if deal is None:
            return DealReply(toast=t("deal.refused.no_deal"), restore_card=True)
        if deal.closed:
            return DealReply(toast=t("deal.refused.closed"), restore_card=True)
        if press.at != deal.stage:
            return self._answer(DealResult(DealOutcome.OLD_BUTTON, deal))
        file = self._desk.file
        if action is DealAction.STAGE:
            if not press.arg:
                return DealReply(keyboard=view.stage_menu(file, deal, t), replace_keyboard=True)
            result = await self._desk.move(lead.id, press.arg, actor=actor, pressed_in=press.at)
            reply = self._answer(result)
            if result.outcome is DealOutcome.RULE and result.rule is not None:
                said = t(
                    "deal.told.refused", id=lead.id, reason=result.rule.message.get(t.language)
                )
                return DealReply(
                    toast=reply.toast,
                    restore_card=True,
                    topic_text=said,
                    topic_chat_id=lead.staff_chat_id,
                    topic_thread_id=lead.staff_thread_id,
                )
            return reply
        if not press.arg:
            return DealReply(keyboard=view.facts_menu(file, deal, t), replace_keyboard=True)
        result = await self._desk.set_facts(lead.id, {press.arg: not deal.facts.get(press.arg)})
        if result.deal is None or result.outcome is not DealOutcome.FACTS_SET:
            return self._answer(result)
        return DealReply(
            toast=t("deal.done.facts"),
            keyboard=view.facts_menu(file, result.deal, t),
            replace_keyboard=True,
        )

    def _answer(self, result: DealResult) -> DealReply:
        """The toast for a use case's result; the card gets its buttons back."""
        t, file = self._t, self._desk.file
        deal = result.deal
        stage = "" if deal is None else view.stage_title(file, deal.stage, t.language)
        match result.outcome:
            case DealOutcome.STARTED:
                toast = t("deal.done.started", stage=stage)
            case DealOutcome.MOVED:
                toast = t("deal.done.moved", stage=stage)
            case DealOutcome.RULE:
                toast = "" if result.rule is None else result.rule.message.get(t.language)
            case DealOutcome.OLD_BUTTON | DealOutcome.SAME_STAGE | DealOutcome.NOT_NEXT:
                toast = t("deal.refused.old_button", stage=stage)
            case _:
                toast = t(f"deal.refused.{result.outcome}")
        return DealReply(toast=toast[:200], restore_card=True)

    # --- the client's /deal ---------------------------------------------------------------

    async def client_screen(self, user_id: int) -> tuple[str, InlineKeyboardMarkup | None] | None:
        """The client's view of their deal; None if they have no lead (never started)."""
        async with self._db.read() as conn:
            lead = await leads.get_by_user(conn, user_id)
            if lead is None:
                return None
            deal = await deals.get(conn, lead.id)
            stage = None if deal is None else self._desk.file.stage(deal.stage)
            states = {} if stage is None else await deals.document_states(conn, lead.id, stage.id)
            payment = None
            if deal is not None and await self._desk.payments_open(conn, lead.id):
                payment = await deals.next_payment(conn, lead.id)
            sendable: list[DocumentRequest] = []
            if deal is not None and not deal.closed and self.documents_to_send is not None:
                sendable = await self.documents_to_send(conn, lead.id)
            names: list[str] = []
            for person in () if stage is None else self._desk.people(stage.owner):
                name = await desk.staff_name(conn, person)
                if name is not None:
                    names.append(name)
        t = self._translations.get(lead.language)
        text = view.client_deal_text(self._desk.file, deal, states, payment, names, t)
        if deal is None or deal.closed:
            return text, None
        # "📎 Send: <document>" for each document still wanted, then "Ask a person".
        documents = documents_keyboard(sendable, t)
        rows = [] if documents is None else documents.inline_keyboard
        ask = ask_person_markup(t, "command").inline_keyboard
        return text, InlineKeyboardMarkup(inline_keyboard=[*rows, *ask])
