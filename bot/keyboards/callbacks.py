"""Every CallbackData the bot puts on buttons. Prefixes are unique; values are ids.

Checklist ids are at most 20 characters, so every packed value fits Telegram's
64-byte limit (a test packs the longest possible values).
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class ConsentCb(CallbackData, prefix="cs"):
    agree: bool


class OptionCb(CallbackData, prefix="op"):
    """A single-choice answer."""

    q: str
    o: str


class ToggleCb(CallbackData, prefix="tg"):
    """A multiple-choice option switched on or off."""

    q: str
    o: str


class DoneCb(CallbackData, prefix="dn"):
    q: str


class SkipCb(CallbackData, prefix="sk"):
    q: str


class BackCb(CallbackData, prefix="bk"):
    q: str


class RestartCb(CallbackData, prefix="rs"):
    """Go through the checklist again (returning prospects)."""


class LanguageCb(CallbackData, prefix="lg"):
    lang: str


class ViewingDayCb(CallbackData, prefix="vd"):
    """A day in the slot picker. `a`/`s`: the viewing being moved and its version (0 = new)."""

    a: int
    s: int
    day: str


class ViewingTimeCb(CallbackData, prefix="vt"):
    """A slot: its start in unix minutes."""

    a: int
    s: int
    t: int


class ViewingCb(CallbackData, prefix="va"):
    """An action on a viewing (ViewingAction)."""

    a: int
    s: int
    do: str


class OutcomeCb(CallbackData, prefix="vo"):
    """The manager's report after the slot (Outcome)."""

    a: int
    o: str


class ManagerAdminCb(CallbackData, prefix="ma"):
    """An admin's action on a manager in the staff group (ManagerAction)."""

    m: int
    do: str


class AssignCb(CallbackData, prefix="as"):
    """Staff hands a lead nobody was eligible for to a manager."""

    lead: int
    m: int


class OutboxAction(StrEnum):
    REPLAY_LEAD = "lead"
    REPLAY_ALL = "all"  # every dead letter, and resume a disabled endpoint


class OutboxCb(CallbackData, prefix="ob"):
    """Staff replays sales-desk dead letters from /outbox."""

    action: OutboxAction
    lead_id: int


class DeskAction(StrEnum):
    """What a lead-manager does from the card (and the head of sales from an escalation)."""

    TAKE = "take"
    ASSIGN = "assign"  # opens the list of people; `arg` then names one
    OVERRIDE = "override"
    CALL = "call"  # `arg`: reached / no_answer / wrong_number
    NEXT_CALL = "next"  # `arg`: a day, then a time (unix minutes)
    CLOSE = "close"  # `arg`: a close reason
    BOOK = "book"
    BACK = "back"  # from a sub-menu to the card's own buttons


class DeskCb(CallbackData, prefix="dk"):
    """A button on a lead's card. `arg` is empty for the first press of a sub-menu."""

    action: DeskAction
    lead_id: int
    arg: str = ""


class QuestionsCb(CallbackData, prefix="rq"):
    """Back to the checklist after asking for a person during it: typing answers again."""


class HumanCb(CallbackData, prefix="hm"):
    """The prospect's "Ask a person": opens the relay to the lead's topic. `via` says where
    the button was (bot.services.relay.Via)."""

    via: str


class NurtureAction(StrEnum):
    YES = "y"  # the marketing consent given
    NO = "n"  # declined
    ANSWER = "a"  # answer the follow-up's questions again
    STOP = "s"  # stop follow-ups (withdraws the marketing consent)


class NurtureCb(CallbackData, prefix="nu"):
    """A button under the marketing consent question or a nurture follow-up."""

    action: NurtureAction
    lead_id: int


# --- payments ---


class PaymentPaidCb(CallbackData, prefix="pmc"):
    """The client's "I've paid" under a payment reminder."""

    payment_id: int


class PaymentReview(StrEnum):
    CONFIRM = "ok"
    NOT_RECEIVED = "no"


class PaymentReviewCb(CallbackData, prefix="pmr"):
    """Receivables' answer to a claim; `claim` is the claim's number (older: an old button)."""

    payment_id: int
    claim: int
    action: PaymentReview


class DocSendCb(CallbackData, prefix="ds"):
    """The client's "📎 Send: <document>": their next file is that document (its id in the
    deal file); `held`: the answer to "which document is this?" for a file already sent
    (an empty document: something else, for people)."""

    document: str
    held: bool = False


class DocConsentCb(CallbackData, prefix="dc"):
    """The client's answer to the documents consent."""

    agree: bool


class DocReview(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"  # opens the reasons; `reason` then names one
    NO_NOTE = "no_note"  # reject without typing what to fix
    BACK = "back"


class DocReviewCb(CallbackData, prefix="dr"):
    """Staff's review of a document copied into the lead's topic."""

    action: DocReview
    document_id: int
    reason: str = ""


class ConsentDocCb(CallbackData, prefix="cd"):
    """A consent document after the first (p: its Purpose); `m`: the message id of the
    processing consent accepted just before, recorded with it once the lead exists."""

    p: str
    agree: bool
    m: int = 0


class PrivacyCb(CallbackData, prefix="pv"):
    """/privacy: withdraw the consent `p`; `sure` confirms erasing everything (processing)."""

    p: str
    sure: bool = False


class EraseCb(CallbackData, prefix="ex"):
    """An administrator erases a lead from its card, on the person's request."""

    lead_id: int
    sure: bool = False


class DealAction(StrEnum):
    """Deal buttons on a lead's card."""

    # Short values: two 20-character ids and the lead id must fit 64 bytes.
    START = "go"
    STAGE = "st"  # opens the allowed next stages; `arg` then names one
    FACT = "fc"  # opens the facts; `arg` then names one to switch
    BACK = "bk"


class DealCb(CallbackData, prefix="dl"):
    """A deal button on the card. `at`: the stage the button was made in (an old button
    from a stage the deal has left is refused); deal file ids are at most 20 characters."""

    action: DealAction
    lead_id: int
    at: str = ""
    arg: str = ""


class PickCb(CallbackData, prefix="pk"):
    """A candidate of a typed multi-choice answer that was not clear: adds the option."""

    q: str
    o: str


class CalendarDayCb(CallbackData, prefix="cy"):
    """A day on a date question's calendar: `d` is YYYYMMDD."""

    q: str
    d: str


class CalendarMonthCb(CallbackData, prefix="cmo"):
    """The calendar turned to another month: `m` is YYYYMM."""

    q: str
    m: str


class CalendarIdleCb(CallbackData, prefix="ci"):
    """A blank cell or a heading on the calendar: pressing it does nothing."""

    q: str


ALL_CALLBACKS: tuple[type[CallbackData], ...] = (
    ConsentCb,
    OptionCb,
    ToggleCb,
    DoneCb,
    SkipCb,
    BackCb,
    RestartCb,
    LanguageCb,
    ViewingDayCb,
    ViewingTimeCb,
    ViewingCb,
    OutcomeCb,
    ManagerAdminCb,
    AssignCb,
    OutboxCb,
    DeskCb,
    HumanCb,
    NurtureCb,
    PaymentPaidCb,
    PaymentReviewCb,
    DocSendCb,
    DocConsentCb,
    DocReviewCb,
    ConsentDocCb,
    PrivacyCb,
    EraseCb,
    DealCb,
    PickCb,
    CalendarDayCb,
    CalendarMonthCb,
    CalendarIdleCb,
)
