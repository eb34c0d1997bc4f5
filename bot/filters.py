"""Filters shared by routers."""

from __future__ import annotations

from aiogram.filters import BaseFilter
from aiogram.types import Message

from bot.services.staff_desk import StaffDesk


class StaffMember(BaseFilter):
    """The message is in the staff group, from one of its members."""

    async def __call__(self, message: Message, staff: StaffDesk) -> bool:
        if staff.chat_id is None or message.chat.id != staff.chat_id:
            return False
        if message.sender_chat is not None:
            # Anonymous group admins post as the group itself.
            return message.sender_chat.id == staff.chat_id
        if message.from_user is None:
            return False
        return await staff.is_member(message.chat.id, message.from_user.id)
