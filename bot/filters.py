"""Filters shared by routers."""

from __future__ import annotations

from typing import Any, ClassVar

from aiogram.filters import BaseFilter
from aiogram.types import CallbackQuery, Message

from bot.i18n import Translations
from bot.router_gates import IN_STAFF_CHAT, Needs
from bot.services.staff_desk import StaffDesk
from bot.services.team import Team


class StaffMember(BaseFilter):
    """The message is in the staff group, from one of its members."""

    needs: ClassVar[Needs] = IN_STAFF_CHAT

    async def __call__(self, message: Message, staff: StaffDesk) -> bool:
        if staff.chat_id is None or message.chat.id != staff.chat_id:
            return False
        if message.sender_chat is not None:
            # Anonymous group admins post as the group itself.
            return message.sender_chat.id == staff.chat_id
        if message.from_user is None:
            return False
        return await staff.is_member(message.chat.id, message.from_user.id)


class StaffPress(BaseFilter):
    """A button pressed in the staff group by one of its members."""

    needs: ClassVar[Needs] = IN_STAFF_CHAT

    async def __call__(self, query: CallbackQuery, staff: StaffDesk) -> bool:
        message = query.message
        if staff.chat_id is None or message is None or message.chat.id != staff.chat_id:
            return False
        return await staff.is_member(message.chat.id, query.from_user.id)


class IsManager(BaseFilter):
    """From a sales manager (not removed); adds `manager` and their translator `mt`."""

    async def __call__(
        self, event: Message | CallbackQuery, team: Team, translations: Translations
    ) -> bool | dict[str, Any]:
        if event.from_user is None:
            return False
        manager = await team.by_user(event.from_user.id)
        if manager is None:
            return False
        return {"manager": manager, "mt": translations.get(manager.language)}
