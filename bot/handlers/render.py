"""Carries out a use case's `Turn` in Telegram: answers the press, edits the pressed
message, sends the rest, and keeps the chat's memory in aiogram's FSM storage.

The only place that knows callback query ids and message ids of the update at hand;
use cases speak of "the message the button was on" and "the question asked last".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.services.notifier import Notifier
from bot.services.replies import (
    Ask,
    Keyboard,
    MarkAnswered,
    Memory,
    Replace,
    Reply,
    Send,
    Stage,
    Toast,
    Turn,
    Venue,
)


# The stored state names predate `Stage`; keeping them lets chats in progress go on.
class ProspectState(StatesGroup):
    consent = State()
    answering = State()
    done = State()


class BookingState(StatesGroup):
    wish = State()


_STATES: dict[Stage, State] = {
    Stage.CONSENT: ProspectState.consent,
    Stage.ANSWERING: ProspectState.answering,
    Stage.DONE: ProspectState.done,
    Stage.WISH: BookingState.wish,
}
_STAGES = {state.state: stage for stage, state in _STATES.items()}
_ASKED = "msg"  # the message of the question asked last, to mark it answered


@dataclass(frozen=True)
class Where:
    """The update a turn answers: its chat, and the press (query and message) if any."""

    chat_id: int
    query_id: str | None = None
    message_id: int | None = None


def pressed(query: CallbackQuery) -> Where:
    message = query.message
    chat_id = message.chat.id if message is not None else query.from_user.id
    return Where(chat_id, query.id, None if message is None else message.message_id)


def written(message: Message) -> Where:
    return Where(message.chat.id)


class Chat:
    """One update's chat: its memory in, the turn's replies out (some at once, through
    `do` as a use case's sink, the rest in `finish`)."""

    def __init__(self, notifier: Notifier, where: Where, state: FSMContext | None) -> None:
        self._notifier = notifier
        self._where = where
        self._state = state
        self._data: dict[str, Any] = {}
        # As stored when the update came: what did not change is not written again.
        self._stored: tuple[str | None, dict[str, Any]] = (None, {})
        self._toasted = False
        self.memory = Memory()

    @classmethod
    async def open(cls, notifier: Notifier, where: Where, state: FSMContext | None = None) -> Chat:
        chat = cls(notifier, where, state)
        if state is not None:
            chat._data = await state.get_data()
            stored_state = await state.get_state()
            chat._stored = (stored_state, dict(chat._data))
            chat.memory = _memory(stored_state, chat._data)
        return chat

    async def do(self, reply: Reply) -> None:
        notifier, where = self._notifier, self._where
        if isinstance(reply, Toast):
            if where.query_id is not None and not self._toasted:
                await notifier.answer_callback(where.query_id, reply.text)
                self._toasted = True
        elif isinstance(reply, Send):
            await notifier.send(reply.chat_id, reply.screen.text, markup=reply.screen.markup)
        elif isinstance(reply, Ask):
            self._data[_ASKED] = await self._ask(reply)
        elif isinstance(reply, Replace):
            await _replace(notifier, where, reply)
        elif isinstance(reply, MarkAnswered):
            target = where.message_id if where.query_id is not None else self._data.get(_ASKED)
            if target is not None:
                await notifier.edit(where.chat_id, target, reply.text)
            self._data[_ASKED] = None
        elif isinstance(reply, Keyboard):
            if where.message_id is not None:
                await notifier.edit_markup(where.chat_id, where.message_id, reply.markup)
        elif isinstance(reply, Venue):
            await notifier.send_venue(
                reply.chat_id, reply.latitude, reply.longitude, reply.title, reply.address
            )
        else:
            await notifier.send_document(
                reply.chat_id, reply.filename, reply.data, caption=reply.caption
            )

    async def _ask(self, reply: Ask) -> int | None:
        """The question's message id: the abandoned one edited into it where it can be
        (a press, and no reply keyboard to show), else deleted and the question sent."""
        notifier, where, screen = self._notifier, self._where, reply.screen
        if reply.instead:
            abandoned = where.message_id if where.query_id is not None else self._data.get(_ASKED)
            if abandoned is not None:
                editable = where.query_id is not None and screen.inline is screen.markup
                if editable and await notifier.edit(
                    where.chat_id, abandoned, screen.text, markup=screen.inline
                ):
                    return int(abandoned)
                # Too old to edit or delete (Telegram refuses after 48 h): it stays, and
                # the question is sent below anyway.
                await notifier.delete(where.chat_id, abandoned)
        sent = await notifier.send(reply.chat_id, screen.text, markup=screen.markup)
        return None if sent is None else sent.message_id

    async def finish(self, turn: Turn) -> None:
        """The rest of the replies, in order; then the memory, when the chat has one."""
        for reply in turn.replies:
            await self.do(reply)
        if self._state is not None:
            await _save(self._state, turn.memory, self._data.get(_ASKED), self._stored)


async def carry_out(
    turn: Turn, notifier: Notifier, where: Where, state: FSMContext | None = None
) -> None:
    """For replies to people who are not this chat's prospect (staff, managers)."""
    await (await Chat.open(notifier, where, state)).finish(turn)


def _memory(stored: str | None, data: dict[str, Any]) -> Memory:
    selection = data.get("sel") or {}
    return Memory(
        stage=None if stored is None else _STAGES.get(stored),
        language=data.get("lang"),
        source=data.get("source"),
        question=data.get("q"),
        selection={qid: tuple(ids) for qid, ids in selection.items()},
    )


async def _replace(notifier: Notifier, where: Where, reply: Replace) -> None:
    screen = reply.screen
    if where.message_id is not None and await notifier.edit(
        where.chat_id, where.message_id, screen.text, markup=screen.inline
    ):
        return
    await notifier.send(where.chat_id, screen.text, markup=screen.markup)


async def _save(
    state: FSMContext,
    memory: Memory,
    asked: int | None,
    stored: tuple[str | None, dict[str, Any]],
) -> None:
    """Writes what changed (each write is a statement, or a round trip to Redis)."""
    stored_state, stored_data = stored
    if memory == Memory():
        if stored_state is not None or stored_data:
            await state.clear()
        return
    new_state = None if memory.stage is None else _STATES[memory.stage].state
    if new_state != stored_state:
        await state.set_state(new_state)
    data = {
        key: value
        for key, value in {
            "lang": memory.language,
            "source": memory.source,
            "q": memory.question,
            "sel": {qid: list(ids) for qid, ids in memory.selection.items()},
            _ASKED: asked,
        }.items()
        if value not in (None, {})
    }
    if data != stored_data:
        await state.set_data(data)
