"""Simulated Telegram users that talk to the bot through the stand-in.

A user builds the update a real client would cause (message, contact, button click), stores its
own message in the stand-in's chat, and hands the update to ``deliver``: by default the
getUpdates queue (for journeys that run real polling), or ``dp.feed_update`` in handler tests.
Reading helpers look at the chat as the person would see it (current texts after edits, the
inline keyboard of the newest message, the reply keyboard shown).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .html import utf16_len

if TYPE_CHECKING:
    from .server import CallbackAnswer, ChatState, FakeTelegram, Request, StoredMessage

__all__ = ["Deliver", "GroupMember", "TelegramUser"]

Deliver = Callable[[dict[str, Any]], Awaitable[Any]]

# What a human can see as "the bot answered": new messages and edits of earlier ones.
REPLY_METHODS = frozenset({"sendMessage", "editMessageText"})


def _command_entities(text: str) -> tuple[dict[str, Any], ...]:
    """A real client marks a leading /command (e.g. "/start payload") as a bot_command entity."""
    if not text.startswith("/"):
        return ()
    command = text.split(maxsplit=1)[0]
    return ({"type": "bot_command", "offset": 0, "length": utf16_len(command)},)


def _media(kind: str, n: int) -> dict[str, Any]:
    """The content of a media message of `kind`, with unique file ids."""
    unique = f"AgAD{kind[:3]}{n}"
    if kind == "photo":
        return {
            "photo": [
                {
                    "file_id": f"AgACAgIAAxkBAAE{n}s",
                    "file_unique_id": f"{unique}s",
                    "width": 90,
                    "height": 90,
                },
                {
                    "file_id": f"AgACAgIAAxkBAAE{n}m",
                    "file_unique_id": f"{unique}m",
                    "width": 800,
                    "height": 800,
                },
            ]
        }
    if kind == "document":
        return {
            "document": {
                "file_id": f"BQACAgIAAxkBAAE{n}",
                "file_unique_id": unique,
                "file_name": "plan.pdf",
                "mime_type": "application/pdf",
                "file_size": 48213,
            }
        }
    if kind == "video_note":
        return {
            "video_note": {
                "file_id": f"DQACAgIAAxkBAAE{n}",
                "file_unique_id": unique,
                "length": 240,
                "duration": 3,
            }
        }
    if kind == "voice":
        return {
            "voice": {
                "file_id": f"AwACAgIAAxkBAAE{n}",
                "file_unique_id": unique,
                "duration": 4,
                "mime_type": "audio/ogg",
            }
        }
    if kind == "sticker":
        return {
            "sticker": {
                "file_id": f"CAACAgIAAxkBAAE{n}",
                "file_unique_id": unique,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "👍",
            }
        }
    raise ValueError(f"unknown media kind {kind!r}")


class _Person:
    """Shared behaviour of private-chat users and group members."""

    def __init__(
        self, server: FakeTelegram, chat_id: int, user_id: int, deliver: Deliver | None
    ) -> None:
        self.server = server
        self.chat_id = chat_id
        self.user_id = user_id
        self._deliver_fn = deliver  # None: queue for getUpdates
        self._last_mark = server.mark()
        self.last_callback_query_id: str | None = None

    @property
    def user(self) -> dict[str, Any]:
        """This person's Bot API User object."""
        return self.server.user_dict(self.user_id)

    @property
    def chat(self) -> ChatState:
        return self.server.chat(self.chat_id)

    def mark(self) -> int:
        """Position in the request log; pass to wait_reply(after=...)."""
        return self.server.mark()

    async def deliver(self, update: dict[str, Any]) -> None:
        """Hand an update to the bot (update_id is filled in here)."""
        self._last_mark = self.server.mark()
        if self._deliver_fn is None:
            self.server.push_update(update)  # push_update assigns the id itself
            return
        update["update_id"] = self.server.next_update_id()
        self.server.check_update(update)
        await self._deliver_fn(update)

    async def _send_message(
        self,
        *,
        thread_id: int | None = None,
        text: str | None = None,
        content: dict[str, Any] | None = None,
        caption: str | None = None,
        reply_to: StoredMessage | None = None,
    ) -> StoredMessage:
        message = self.server.store_user_message(
            self.chat_id,
            self.user_id,
            thread_id=thread_id,
            text=text,
            entities=_command_entities(text) if text is not None else (),
            content=content,
            caption=caption,
            reply_to=reply_to,
        )
        await self.deliver({"message": message.to_dict()})
        return message

    # ------------------------------------------------------------------ media, replies, edits

    async def _send_media(
        self,
        kind: str,
        *,
        caption: str | None = None,
        thread_id: int | None = None,
        reply_to: StoredMessage | None = None,
        media_group_id: str | None = None,
    ) -> StoredMessage:
        content = _media(kind, self.server.next_update_id())
        if media_group_id is not None:
            content["media_group_id"] = media_group_id
        return await self._send_message(
            content=content, caption=caption, thread_id=thread_id, reply_to=reply_to
        )

    async def _send_album(
        self, count: int, caption: str | None, thread_id: int | None
    ) -> list[StoredMessage]:
        """An album: `count` photos, each its own update with one media_group_id, as a
        client sends them; the caption is on the first item."""
        if not 2 <= count <= 10:
            raise ValueError("an album has 2-10 items")
        group = self.server.next_media_group_id()
        return [
            await self._send_media(
                "photo",
                caption=caption if i == 0 else None,
                thread_id=thread_id,
                media_group_id=group,
            )
            for i in range(count)
        ]

    async def edit(self, message: StoredMessage, text: str) -> StoredMessage:
        """Edit one of this person's text messages: the bot gets an edited_message update."""
        edited = self.server.edit_user_message(message, text=text)
        await self.deliver({"edited_message": edited.to_dict()})
        return edited

    async def edit_caption(self, message: StoredMessage, caption: str) -> StoredMessage:
        edited = self.server.edit_user_message(message, caption=caption)
        await self.deliver({"edited_message": edited.to_dict()})
        return edited

    # ------------------------------------------------------------------ inline buttons

    def _keyboard_message(self, label: str, thread_id: int | None) -> StoredMessage:
        """The newest bot message (in thread_id, if given) with an inline button `label`."""
        newest_keyboard: StoredMessage | None = None
        for message in reversed(self.chat.live_messages(thread_id)):
            buttons = message.inline_buttons() if message.from_bot else []
            if any(b.get("text") == label for b in buttons):
                return message
            if buttons and newest_keyboard is None:
                newest_keyboard = message
        if newest_keyboard is None:
            raise AssertionError(
                f"{self._who()} cannot click {label!r}: no bot message in chat {self.chat_id} "
                "has an inline keyboard"
            )
        labels = ", ".join(repr(b.get("text")) for b in newest_keyboard.inline_buttons())
        raise AssertionError(
            f"{self._who()} cannot click {label!r}: no bot message has that button; the newest "
            f"keyboard (message {newest_keyboard.message_id}, "
            f"{newest_keyboard.visible_text[:60]!r}) has {labels}"
        )

    async def _click(
        self, label: str, message: StoredMessage | int | None, thread_id: int | None
    ) -> CallbackAnswer | None:
        if isinstance(message, int):
            found = self.chat.messages.get(message)
            if found is None or found.deleted:
                raise AssertionError(f"chat {self.chat_id} has no message {message}")
            message = found
        target = message if message is not None else self._keyboard_message(label, thread_id)
        buttons = target.inline_buttons()
        button = next((b for b in buttons if b.get("text") == label), None)
        if button is None:
            labels = ", ".join(repr(b.get("text")) for b in buttons) or "(none)"
            raise AssertionError(
                f"{self._who()} cannot click {label!r}: message {target.message_id} "
                f"({target.visible_text[:60]!r}) has buttons {labels}"
            )
        if "callback_data" not in button:
            kinds = ", ".join(k for k in button if k != "text")
            raise AssertionError(f"button {label!r} is not a callback button ({kinds})")
        query_id = self.server.new_callback_query(target, self.user_id)
        self.last_callback_query_id = query_id
        await self.deliver(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.user,
                    "message": target.to_dict(),
                    "chat_instance": f"{self.chat_id * 7919 % 10**18}",
                    "data": button["callback_data"],
                }
            }
        )
        return self.server.callback_answers.get(query_id)

    # ------------------------------------------------------------------ reading

    def bot_messages(self, thread_id: int | None = None) -> list[StoredMessage]:
        """The bot's messages in this chat as currently shown (edits applied, deleted gone)."""
        return [m for m in self.chat.live_messages(thread_id) if m.from_bot]

    def messages(self, thread_id: int | None = None) -> list[str]:
        """Texts (or captions) of the bot's messages in this chat, oldest first."""
        return [
            m.visible_text
            for m in self.bot_messages(thread_id)
            if "forum_topic_created" not in m.content
        ]

    def last_text(self, thread_id: int | None = None) -> str | None:
        texts = self.messages(thread_id)
        return texts[-1] if texts else None

    def buttons(self, thread_id: int | None = None) -> list[str]:
        """Labels of the newest inline keyboard in this chat ([] if there is none)."""
        for message in reversed(self.bot_messages(thread_id)):
            if message.inline_buttons():
                return [str(b.get("text")) for b in message.inline_buttons()]
        return []

    async def wait_reply(
        self,
        after: int | None = None,
        timeout: float = 10.0,
    ) -> Request:
        """The first successful sendMessage/editMessageText to this chat after the mark.

        ``after`` defaults to the moment this person last delivered something.
        """
        mark = self._last_mark if after is None else after
        return await self.server.wait_for(
            lambda r: r.ok and r.method in REPLY_METHODS,
            timeout,
            after=mark,
            chat_id=self.chat_id,
        )

    def _who(self) -> str:
        return f"user {self.user_id}"


class TelegramUser(_Person):
    """A person in a private chat with the bot (built by FakeTelegram.user())."""

    def __init__(
        self,
        server: FakeTelegram,
        user_id: int,
        *,
        deliver: Deliver | None = None,
        phone_number: str | None = None,
    ) -> None:
        super().__init__(server, user_id, user_id, deliver)
        # A stable, obviously fake Russian mobile number derived from the id.
        self.phone_number = phone_number or f"+7999{user_id % 10**7:07d}"

    async def send(self, text: str, *, reply_to: StoredMessage | None = None) -> StoredMessage:
        """Type a text message (a leading /command gets its bot_command entity), optionally
        as a reply to a message of this chat."""
        if not text:
            raise ValueError("Telegram clients cannot send an empty text message")
        return await self._send_message(text=text, reply_to=reply_to)

    async def send_sticker(self) -> StoredMessage:
        """A message without text (for the bot's "please type something" paths)."""
        return await self._send_media("sticker")

    async def send_photo(
        self, caption: str | None = None, *, reply_to: StoredMessage | None = None
    ) -> StoredMessage:
        return await self._send_media("photo", caption=caption, reply_to=reply_to)

    async def send_document(self, caption: str | None = None) -> StoredMessage:
        return await self._send_media("document", caption=caption)

    async def send_voice(self) -> StoredMessage:
        return await self._send_media("voice")

    async def send_video_note(self) -> StoredMessage:
        return await self._send_media("video_note")

    async def send_file(
        self, file_name: str = "scan.pdf", mime_type: str = "application/pdf", size: int = 48213
    ) -> StoredMessage:
        """A document (file) with the name, type and size given (e.g. one too big)."""
        content = _media("document", self.server.next_update_id())
        content["document"].update(file_name=file_name, mime_type=mime_type, file_size=size)
        return await self._send_message(content=content)

    async def send_album(self, count: int = 3, caption: str | None = None) -> list[StoredMessage]:
        return await self._send_album(count, caption, None)

    async def send_location(
        self, latitude: float = 55.7558, longitude: float = 37.6173
    ) -> StoredMessage:
        return await self._send_message(
            content={"location": {"latitude": latitude, "longitude": longitude}}
        )

    async def share_contact(
        self,
        phone_number: str | None = None,
        user_id: int | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> StoredMessage:
        """Share a contact; by default this person's own (pass another user_id to fake one)."""
        own = self.user
        contact: dict[str, Any] = {
            "phone_number": phone_number or self.phone_number,
            "first_name": first_name or own["first_name"],
        }
        surname = last_name if last_name is not None else own.get("last_name")
        if surname:
            contact["last_name"] = surname
        contact["user_id"] = self.user_id if user_id is None else user_id
        return await self._send_message(content={"contact": contact})

    async def click(
        self, label: str, message: StoredMessage | int | None = None
    ) -> CallbackAnswer | None:
        """Press the inline button labelled exactly `label`.

        Looks at the newest bot message with an inline keyboard unless `message` (or its id) is
        given.  Returns the bot's answerCallbackQuery if it answered during delivery (always
        the case with feed_update; with polling use wait_for on answerCallbackQuery).
        """
        return await self._click(label, message, None)

    async def press(self, label: str) -> StoredMessage:
        """Press a reply-keyboard button: sends its text, or the contact/location it requests."""
        keyboard = self.chat.reply_keyboard
        if keyboard is None:
            raise AssertionError(
                f"{self._who()} cannot press {label!r}: no reply keyboard is shown"
            )
        buttons = [b for row in keyboard["keyboard"] for b in row]
        button = next((b for b in buttons if b.get("text") == label), None)
        if button is None:
            labels = ", ".join(repr(b.get("text")) for b in buttons)
            raise AssertionError(
                f"{self._who()} cannot press {label!r}: the reply keyboard has {labels}"
            )
        if button.get("request_contact"):
            return await self.share_contact(self.phone_number)
        if button.get("request_location"):
            return await self.send_location()
        return await self._send_message(text=label)

    def reply_keyboard(self) -> list[str] | None:
        """Labels of the reply keyboard shown now; None if none (e.g. after ReplyKeyboardRemove)."""
        keyboard = self.chat.reply_keyboard
        if keyboard is None:
            return None
        return [str(b.get("text")) for row in keyboard["keyboard"] for b in row]


class GroupMember(_Person):
    """A person writing in a supergroup (built by FakeTelegram.group_member())."""

    def __init__(
        self, server: FakeTelegram, chat_id: int, user_id: int, *, deliver: Deliver | None = None
    ) -> None:
        super().__init__(server, chat_id, user_id, deliver)

    async def send(
        self, text: str, thread_id: int | None = None, *, reply_to: StoredMessage | None = None
    ) -> StoredMessage:
        """Write in the group, optionally inside a forum topic and as a reply."""
        if not text:
            raise ValueError("Telegram clients cannot send an empty text message")
        return await self._send_message(text=text, thread_id=thread_id, reply_to=reply_to)

    async def send_photo(
        self,
        thread_id: int | None = None,
        caption: str | None = None,
        *,
        reply_to: StoredMessage | None = None,
    ) -> StoredMessage:
        return await self._send_media(
            "photo", caption=caption, thread_id=thread_id, reply_to=reply_to
        )

    async def send_media(
        self, kind: str, thread_id: int | None = None, caption: str | None = None
    ) -> StoredMessage:
        """A document, voice or sticker in the group (kind names it)."""
        return await self._send_media(kind, caption=caption, thread_id=thread_id)

    async def send_album(
        self, thread_id: int | None = None, count: int = 3, caption: str | None = None
    ) -> list[StoredMessage]:
        return await self._send_album(count, caption, thread_id)

    async def click(
        self,
        label: str,
        message: StoredMessage | int | None = None,
        thread_id: int | None = None,
    ) -> CallbackAnswer | None:
        """Press an inline button on the newest bot message (in thread_id, if given)."""
        return await self._click(label, message, thread_id)

    def _who(self) -> str:
        return f"group member {self.user_id} in chat {self.chat_id}"
