"""Working a lead from its card: take, assign, override the verdict, log a call, set the next
call, close, book a viewing. Each use case takes plain data (who pressed what on which
message) and returns what to show; each change is written with its `desk.*` event in one
transaction, so the card consumer re-renders the card and the CRM hears of it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from html import escape
from typing import Protocol
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup

from bot.clock import Clock
from bot.domain import desk as rules
from bot.domain.desk import CallOutcome, CloseReason, DeskLead, Move, Refusal
from bot.domain.events import EventType, utc_text
from bot.domain.hours import WeeklySchedule
from bot.domain.leads import Lead, LeadId, LeadStatus
from bot.domain.scoring import Verdict
from bot.domain.viewings import Manager
from bot.i18n import Translations, Translator
from bot.keyboards.callbacks import DeskAction
from bot.services.booking import Booking
from bot.services.replies import Memory, Plan, Turn
from bot.storage import desk as desk_store
from bot.storage import events, leads, managers
from bot.storage.db import Connection, Database
from bot.views import desk_card

logger = logging.getLogger(__name__)

MAX_REASON_LENGTH = 500


class Members(Protocol):
    """Who belongs to the staff group (StaffDesk answers it from Telegram)."""

    @property
    def chat_id(self) -> int | None: ...

    async def is_member(self, chat_id: int, user_id: int) -> bool: ...


@dataclass(frozen=True)
class DeskWorkConfig:
    zone: ZoneInfo
    schedule: WeeklySchedule
    # May reassign from a private chat (an escalation's "Reassign" button).
    head_ids: frozenset[int] = frozenset()
    admin_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Press:
    """A card button pressed: by whom, on which message, with which argument."""

    user_id: int
    name: str
    lead_id: int
    arg: str
    message_id: int | None
    in_staff_group: bool  # False: the head of sales in a private chat


@dataclass(frozen=True)
class DeskReply:
    """What to show: a toast, new buttons on the pressed message, a line in the lead's topic,
    and replies for the prospect (the slot picker)."""

    toast: str | None = None
    keyboard: InlineKeyboardMarkup | None = None
    replace_keyboard: bool = False
    topic_text: str | None = None
    topic_chat_id: int | None = None
    topic_thread_id: int | None = None
    prospect: Turn | None = None
    # Shown instead of the toast and the topic line if the prospect's messages did not go.
    prospect_failed: str | None = None
    # The card gets all its buttons back (the deal's too), rendered by the staff desk.
    restore_card: int | None = None  # the lead's id


def _menu(markup: InlineKeyboardMarkup) -> DeskReply:
    return DeskReply(keyboard=markup, replace_keyboard=True)


def _mention(user_id: int, name: str) -> str:
    return f'<a href="tg://user?id={user_id}">{escape(name)}</a>'


class DeskWork:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        booking: Booking,
        members: Members,
        translations: Translations,
        t: Translator,
        config: DeskWorkConfig,
    ) -> None:
        self._db = db
        self._clock = clock
        self._booking = booking
        self._members = members
        self._translations = translations
        self._t = t
        self._config = config
        self._seen: dict[int, str] = {}

    # --- who is who ---------------------------------------------------------------------

    def may_reassign(self, user_id: int) -> bool:
        """The head of sales and administrators act on escalations outside the group."""
        return user_id in self._config.head_ids or user_id in self._config.admin_ids

    async def see(self, user_id: int, name: str) -> None:
        """Remembers a staff member's name for "Assign ▸" (written only when it changed)."""
        name = name.strip() or str(user_id)
        if self._seen.get(user_id) == name:
            return
        async with self._db.transaction() as tx:
            await desk_store.see_staff(tx, user_id, name, self._clock.now())
        self._seen[user_id] = name

    # --- the press ----------------------------------------------------------------------

    async def press(self, action: DeskAction, press: Press) -> DeskReply:
        found = await self._load(press)
        if isinstance(found, DeskReply):
            return found
        lead, desk = found
        if action is DeskAction.BACK:
            return self._back(lead, desk, press)
        move = Move(action.value)
        refused = rules.refusal(lead.status, desk, move)
        if refused is not None:
            return DeskReply(toast=self._refused(refused, desk, lead))
        if move is Move.TAKE:
            return await self._take(lead, press)
        if move is Move.ASSIGN:
            return await self._assign(lead, desk, press)
        if move is Move.OVERRIDE:
            return await self._override(lead, desk, press)
        if move is Move.CALL:
            return await self._log_call(lead, press)
        if move is Move.NEXT_CALL:
            return await self._next_call(lead, press)
        if move is Move.CLOSE:
            return await self._close(lead, press)
        return await self._book(lead, press)

    async def _load(self, press: Press) -> tuple[Lead, DeskLead] | DeskReply:
        async with self._db.read() as conn:
            lead = await leads.get(conn, LeadId(press.lead_id))
            desk = await desk_store.get(conn, press.lead_id)
        if lead is None:
            return DeskReply(toast=self._t("desk.refused.gone", id=press.lead_id))
        if press.in_staff_group and press.message_id != lead.staff_message_id:
            # The card was posted again (a deleted topic, re-qualification): use the new one.
            return DeskReply(toast=self._t("desk.refused.old_card", id=lead.id))
        return lead, desk

    def _refused(self, refused: Refusal, desk: DeskLead, lead: Lead) -> str:
        if refused is Refusal.TAKEN:
            return self._t("desk.refused.taken", name=desk.owner_name or str(desk.owner_id))
        return self._t(f"desk.refused.{refused}", id=lead.id)

    def _back(self, lead: Lead, desk: DeskLead, press: Press) -> DeskReply:
        if not press.in_staff_group:
            return _menu(desk_card.reassign_markup(lead.id, self._t))
        return DeskReply(restore_card=lead.id)

    @staticmethod
    def _topic(lead: Lead, text: str, reply: DeskReply | None = None) -> DeskReply:
        """`reply` with a line said in the lead's topic."""
        return replace(
            reply or DeskReply(),
            topic_text=text,
            topic_chat_id=lead.staff_chat_id,
            topic_thread_id=lead.staff_thread_id,
        )

    # --- take and assign ----------------------------------------------------------------

    async def _take(self, lead: Lead, press: Press) -> DeskReply:
        now = self._clock.now()
        async with self._db.transaction() as tx:
            won = await desk_store.take(tx, lead.id, press.user_id, press.name, now)
            if won:
                await _owner_set(tx, lead.id, press, (press.user_id, press.name), None, "take", now)
            desk = await desk_store.get(tx, lead.id)
        if not won:
            return DeskReply(toast=self._refused(Refusal.TAKEN, desk, lead))
        return DeskReply(toast=self._t("desk.done.taken", id=lead.id))

    async def _roster(self) -> list[desk_store.StaffPerson]:
        async with self._db.read() as conn:
            people = await desk_store.roster(conn)
        chat_id = self._members.chat_id
        if chat_id is None:
            return []
        return [p for p in people if await self._members.is_member(chat_id, p.telegram_id)]

    async def _assign(self, lead: Lead, desk: DeskLead, press: Press) -> DeskReply:
        arg = press.arg
        if not arg:
            people = [p for p in await self._roster() if p.telegram_id != desk.owner_id]
            team: list[Manager] = []
            if press.in_staff_group and lead.status in rules.BOOKABLE:
                async with self._db.read() as conn:
                    team = [m for m in await managers.listed(conn) if m.active]
            if not people and not team:
                return DeskReply(toast=self._t("desk.refused.nobody"))
            return _menu(
                desk_card.assign_menu(lead.id, people, team, self._t, back=press.in_staff_group)
            )
        kind, raw = arg[0], arg[1:]
        if not raw.isdigit():
            return DeskReply(toast=self._t("desk.refused.not_now", id=lead.id))
        if kind == desk_card.MANAGER_PREFIX and press.in_staff_group:
            return await self._hand_over(lead, int(raw), press)
        if kind != desk_card.STAFF_PREFIX:
            return DeskReply(toast=self._t("desk.refused.not_now", id=lead.id))
        return await self._set_owner(lead, desk, int(raw), press)

    async def _set_owner(
        self, lead: Lead, desk: DeskLead, owner_id: int, press: Press
    ) -> DeskReply:
        chat_id = self._members.chat_id
        if chat_id is None or not await self._members.is_member(chat_id, owner_id):
            return DeskReply(toast=self._t("desk.refused.not_staff"))
        if owner_id == desk.owner_id:
            return DeskReply(toast=self._t("desk.refused.already_owner", name=desk.owner_name))
        now = self._clock.now()
        how = "assign" if press.in_staff_group else "reassign"
        async with self._db.transaction() as tx:
            name = await desk_store.staff_name(tx, owner_id) or str(owner_id)
            current = await desk_store.get(tx, lead.id)
            if current.closed:
                return DeskReply(toast=self._t("desk.refused.closed", id=lead.id))
            await desk_store.set_owner(tx, lead.id, owner_id, name, now)
            await _owner_set(tx, lead.id, press, (owner_id, name), current.owner_id, how, now)
        told = self._t(
            "desk.told.owner",
            owner=_mention(owner_id, name),
            id=lead.id,
            by=escape(press.name),
        )
        # On the card the event re-renders the buttons; an escalation's buttons are spent.
        done = DeskReply(
            toast=self._t("desk.done.assigned", name=name),
            replace_keyboard=not press.in_staff_group,
        )
        return self._topic(lead, told, done)

    async def _hand_over(self, lead: Lead, manager_id: int, press: Press) -> DeskReply:
        """To a sales manager: the existing routing by hand (`lead.manager_assigned`); the
        manager is told and the prospect is offered days."""
        assigned, turn = await self._booking.assign(
            lead.id, manager_id, actor=f"staff:{press.user_id}"
        )
        if assigned is None:
            return DeskReply(toast=self._t("team.error.unknown_manager"))
        return DeskReply(toast=self._t("team.assigned"), prospect=turn)

    # --- the verdict --------------------------------------------------------------------

    async def _override(self, lead: Lead, desk: DeskLead, press: Press) -> DeskReply:
        choices = rules.override_choices(lead.verdict, desk)
        if not press.arg:
            return _menu(desk_card.override_menu(lead.id, choices, self._t))
        try:
            verdict = Verdict(press.arg)
        except ValueError:
            verdict = None
        if verdict is None or verdict not in choices:
            return DeskReply(toast=self._t("desk.refused.not_now", id=lead.id))
        pending = rules.AwaitedReason(by=press.user_id, verdict=verdict).to_text()
        async with self._db.transaction() as tx:
            await desk_store.set_pending(tx, lead.id, pending, self._clock.now())
        ask = self._t(
            "desk.ask.override_reason",
            who=_mention(press.user_id, press.name),
            id=lead.id,
            verdict=self._t(f"staff.verdict.{verdict}"),
        )
        back = DeskReply(toast=self._t("desk.done.reason_asked"), restore_card=lead.id)
        return self._topic(lead, ask, back)

    async def awaiting(self, chat_id: int, thread_id: int | None, user_id: int) -> int | None:
        """The lead whose topic this is (in a group without topics: whose card asked), if
        `user_id` was asked to type something there."""
        async with self._db.read() as conn:
            if thread_id is None:
                lead_id = await desk_store.lead_awaiting(conn, chat_id, user_id)
            else:
                lead_id = await desk_store.lead_by_thread(conn, chat_id, thread_id)
            if lead_id is None:
                return None
            desk = await desk_store.get(conn, lead_id)
        pending = rules.awaited_reason(desk.pending_input)
        return lead_id if pending is not None and pending.by == user_id else None

    async def give_reason(self, lead_id: int, user_id: int, name: str, text: str) -> DeskReply:
        """The override reason typed in the topic: the verdict changes and the reason stays;
        the status follows where the funnel allows."""
        now = self._clock.now()
        reason = text.strip()[:MAX_REASON_LENGTH]
        async with self._db.transaction() as tx:
            lead = await leads.get(tx, LeadId(lead_id))
            desk = await desk_store.get(tx, lead_id)
            pending = rules.awaited_reason(desk.pending_input)
            if lead is None or pending is None or pending.by != user_id:
                return DeskReply()
            verdict = pending.verdict
            if rules.is_closed(lead.status, desk):
                await desk_store.set_pending(tx, lead_id, None, now)
                return self._topic(lead, self._t("desk.refused.closed", id=lead.id))
            before = rules.effective_verdict(lead.verdict, desk)
            await desk_store.set_override(tx, lead_id, verdict, reason, user_id, now)
            facts = {
                "verdict_from": None if before is None else before.value,
                "verdict_to": verdict.value,
                "reason_text": reason,
            }
            await self._override_event(tx, lead, verdict, facts, user_id, now)
        said = self._t(
            "desk.done.overridden",
            id=lead.id,
            verdict=self._t(f"staff.verdict.{verdict}"),
            who=escape(name),
        )
        return self._topic(lead, said)

    @staticmethod
    async def _override_event(
        tx: Connection,
        lead: Lead,
        verdict: Verdict,
        facts: dict[str, str | None],
        user_id: int,
        now: datetime,
    ) -> None:
        # "from"/"to" are statuses, as in every event that carries them (the status history
        # reads them); equal when the lead keeps its place in the funnel.
        actor = f"staff:{user_id}"
        moved = rules.status_after_override(lead.status, verdict)
        if moved is not None:
            await leads.set_status(
                tx,
                lead,
                moved,
                at=now,
                actor=actor,
                reason="verdict_overridden",
                event=EventType.DESK_VERDICT_OVERRIDDEN,
                data=facts,
            )
            return
        data = {"from": lead.status, "to": lead.status, "reason": "verdict_overridden", **facts}
        await events.append(
            tx, lead.id, EventType.DESK_VERDICT_OVERRIDDEN, at=now, actor=actor, data=data
        )

    # --- calls --------------------------------------------------------------------------

    async def _log_call(self, lead: Lead, press: Press) -> DeskReply:
        if not press.arg:
            return _menu(desk_card.call_menu(lead.id, self._t))
        try:
            outcome = CallOutcome(press.arg)
        except ValueError:
            return DeskReply(toast=self._t("desk.refused.not_now", id=lead.id))
        now = self._clock.now()
        async with self._db.transaction() as tx:
            if not await desk_store.log_call(tx, lead.id, outcome, now):
                return DeskReply(toast=self._t("desk.refused.closed", id=lead.id))
            await _append(
                tx, lead.id, EventType.DESK_CALL_LOGGED, press, now, {"outcome": outcome.value}
            )
        return DeskReply(toast=self._t("desk.done.call_logged"))

    async def _next_call(self, lead: Lead, press: Press) -> DeskReply:
        now, schedule, zone = self._clock.now(), self._config.schedule, self._config.zone
        arg = press.arg
        day = desk_card.parse_day_arg(arg)
        if day is not None:
            times = rules.next_call_times(day, now, schedule, zone)
            if times:
                return _menu(desk_card.times_menu(lead.id, times, zone, self._t))
            arg = ""  # that day has no time left: the days again
        if not arg:
            days = rules.next_call_days(now, schedule, zone)
            return _menu(desk_card.days_menu(lead.id, days, self._t))
        call_at = desk_card.parse_time_arg(arg)
        if call_at is None:
            return DeskReply(toast=self._t("desk.refused.not_now", id=lead.id))
        if not rules.valid_next_call(call_at, now, schedule, zone):
            return DeskReply(toast=self._t("desk.refused.time_passed"))
        async with self._db.transaction() as tx:
            if not await desk_store.set_next_call(tx, lead.id, call_at, now):
                return DeskReply(toast=self._t("desk.refused.closed", id=lead.id))
            await _append(
                tx, lead.id, EventType.DESK_NEXT_CALL_SET, press, now, {"at": utc_text(call_at)}
            )
        return DeskReply(toast=self._t("desk.done.next_call_set"))

    # --- close and book -----------------------------------------------------------------

    async def _close(self, lead: Lead, press: Press) -> DeskReply:
        if not press.arg:
            return _menu(desk_card.close_menu(lead.id, self._t))
        try:
            reason = CloseReason(press.arg)
        except ValueError:
            return DeskReply(toast=self._t("desk.refused.not_now", id=lead.id))
        now = self._clock.now()
        async with self._db.transaction() as tx:
            current = await leads.get(tx, lead.id)
            desk = await desk_store.get(tx, lead.id)
            # Re-checked inside the transaction: closed or booked meanwhile.
            refused = None if current is None else rules.refusal(current.status, desk, Move.CLOSE)
            if current is None or refused is not None:
                return DeskReply(toast=self._refused(refused or Refusal.NOT_NOW, desk, lead))
            await desk_store.close(tx, lead.id, reason, now)
            await leads.set_status(
                tx,
                current,
                LeadStatus.CLOSED,
                at=now,
                actor=f"staff:{press.user_id}",
                reason=reason.value,
                event=EventType.DESK_CLOSED,
            )
        return DeskReply(toast=self._t("desk.done.closed", id=lead.id))

    async def _book(self, lead: Lead, press: Press) -> DeskReply:
        """Sends the prospect the slot picker (routing them to a manager first if needed)."""
        if lead.unreachable_at is not None:
            return DeskReply(toast=self._t("desk.refused.not_delivered"))
        if lead.manager_id is None:
            turn = await self._booking.offer(lead, Memory())
        else:
            plan = Plan()
            t = self._translations.get(lead.language)
            await self._booking.show_days(plan, lead, None, t, replace=False)
            turn = plan.turn()
        said = self._t("desk.told.picker_sent", who=escape(press.name), id=lead.id)
        sent = DeskReply(
            toast=self._t("desk.done.picker_sent"),
            prospect=turn,
            prospect_failed=self._t("desk.refused.not_delivered"),
        )
        return self._topic(lead, said, sent)


async def _owner_set(
    tx: Connection,
    lead_id: int,
    press: Press,
    owner: tuple[int, str],
    previous: int | None,
    how: str,
    now: datetime,
) -> None:
    data = {"owner": owner[0], "owner_name": owner[1], "previous": previous, "how": how}
    await _append(tx, lead_id, EventType.DESK_OWNER_SET, press, now, data)


async def _append(
    tx: Connection,
    lead_id: int,
    type_: EventType,
    press: Press,
    now: datetime,
    data: dict[str, object],
) -> None:
    """A desk event, by the person who pressed."""
    actor = f"staff:{press.user_id}"
    await events.append(tx, lead_id, type_, at=now, actor=actor, data=data)
