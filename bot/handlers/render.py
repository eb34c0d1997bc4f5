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
# The answers shown above the question in that message, oldest first (see `_answer_in_place`).
_RECAP = "rc"
# Telegram's limit on a message's text (counted after markup; the raw HTML is longer).
_MAX_TEXT = 4096


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
        # An answer pressed on the asked message, held to go out with the next question.
        self._held_mark: str | None = None
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
        if self._held_mark is not None:
            if isinstance(reply, Ask | Send) and await self._answer_in_place(
                self._held_mark, reply
            ):
                self._held_mark = None
                return
            await self._mark(self._held_mark)
            self._held_mark = None
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
            if where.query_id is not None:
                self._held_mark = reply.text  # the next question may take its place
            else:
                await self._mark(reply.text)
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

    def _recap(self, message_id: int | None) -> list[str]:
        """The answers shown above the question in `message_id`, if it is the asked one."""
        if message_id is None or message_id != self._data.get(_ASKED):
            return []
        return list(self._data.get(_RECAP) or [])

    async def _mark(self, text: str) -> None:
        """The answered question's message says the answer, under those given before in it."""
        where = self._where
        target = where.message_id if where.query_id is not None else self._data.get(_ASKED)
        if target is not None:
            shown = "\n\n".join([*self._recap(target), text])
            await self._notifier.edit(where.chat_id, target, shown)
        self._data[_ASKED] = None
        self._data[_RECAP] = None

    async def _answer_in_place(self, mark: str, reply: Ask | Send) -> bool:
        """A pressed answer and what follows it (the next question, or the outcome after
        the last one), as one edit of the pressed message.

        The message keeps every answer given in it above the new text, so the chat reads
        as before, with one request to Telegram instead of two. Only while the message is
        the newest in the chat (else the text goes to the bottom, where the prospect
        looks), the text is not a document kept alone, needs no reply keyboard (only a new
        message can carry one), and not past Telegram's length limit.
        """
        where, screen = self._where, reply.screen
        if (
            where.message_id is None
            or reply.chat_id != where.chat_id
            or (isinstance(reply, Ask) and reply.instead)
            or screen.alone
            or screen.inline is not screen.markup
            or not self._notifier.is_newest(where.chat_id, where.message_id)
        ):
            return False
        answers = [*self._recap(where.message_id), mark]
        text = "\n\n".join([*answers, screen.text])
        if len(text) > _MAX_TEXT or not await self._notifier.edit(
            where.chat_id, where.message_id, text, markup=screen.inline
        ):
            return False
        if isinstance(reply, Ask):
            self._data[_ASKED], self._data[_RECAP] = where.message_id, answers
        else:  # no question is open in the chat any more
            self._data[_ASKED], self._data[_RECAP] = None, None
        return True

    async def _ask(self, reply: Ask) -> int | None:
        """The question's message id: the abandoned one edited into it where it can be
        (a press, and no reply keyboard to show), else deleted and the question sent."""
        notifier, where, screen = self._notifier, self._where, reply.screen
        if reply.instead:
            abandoned = where.message_id if where.query_id is not None else self._data.get(_ASKED)
            if abandoned is not None:
                editable = where.query_id is not None and screen.inline is screen.markup
                # Back: the answer to the question asked again leaves the message's recap.
                answers = self._recap(abandoned)[:-1]
                text = "\n\n".join([*answers, screen.text])
                if editable and await notifier.edit(
                    where.chat_id, abandoned, text, markup=screen.inline
                ):
                    self._data[_RECAP] = answers
                    return int(abandoned)
                # Too old to edit or delete (Telegram refuses after 48 h): it stays, and
                # the question is sent below anyway.
                await notifier.delete(where.chat_id, abandoned)
        self._data[_RECAP] = None
        sent = await notifier.send(reply.chat_id, screen.text, markup=screen.markup)
        return None if sent is None else sent.message_id

    async def finish(self, turn: Turn) -> None:
        """The rest of the replies, in order; then the memory, when the chat has one."""
        for reply in turn.replies:
            await self.do(reply)
        if self._held_mark is not None:
            await self._mark(self._held_mark)
            self._held_mark = None
        if self._state is not None:
            asked = self._data.get(_ASKED)
            recap = (self._data.get(_RECAP) or None) if asked is not None else None
            await _save(self._state, turn.memory, asked, recap, self._stored)


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
    recap: list[str] | None,
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
            _RECAP: recap,
        }.items()
        if value not in (None, {})
    }
    if data != stored_data:
        await state.set_data(data)
