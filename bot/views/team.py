"""The staff group's view of the sales team."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.viewings import COVERS_ALL, Manager, ManagerStatus, Site
from bot.i18n import Translator
from bot.keyboards.callbacks import AssignCb, ManagerAdminCb
from bot.views import Screen


class ManagerAction(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    REMOVE = "remove"


def manager_list_screen(team: Sequence[tuple[Manager, Site | None]], t: Translator) -> Screen:
    if not team:
        return Screen(t("team.empty"))
    lines = [f"<b>{t('team.title')}</b>"]
    rows = []
    for manager, site in team:
        covers = (
            t("team.covers_all")
            if COVERS_ALL in manager.covers
            else escape(", ".join(sorted(manager.covers)))
        )
        lines.append(
            t(
                "team.line",
                id=manager.id,
                name=escape(manager.display_name),
                status=t(f"team.status.{manager.status}"),
                site=escape(site.name) if site is not None else t("team.no_site"),
                zone=escape(manager.timezone),
                covers=covers,
                cap=manager.daily_cap if manager.daily_cap is not None else "—",
                weight=manager.weight,
            )
        )
        toggle = (
            ManagerAction.PAUSE if manager.status is ManagerStatus.ACTIVE else ManagerAction.RESUME
        )
        rows.append(
            [
                InlineKeyboardButton(
                    text=t(f"team.action.{toggle}", name=manager.display_name),
                    callback_data=ManagerAdminCb(m=manager.id, do=toggle).pack(),
                ),
                InlineKeyboardButton(
                    text=t("team.action.remove", name=manager.display_name),
                    callback_data=ManagerAdminCb(m=manager.id, do=ManagerAction.REMOVE).pack(),
                ),
            ]
        )
    lines.append(t("team.manager_usage"))
    return Screen("\n\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows))


def assign_keyboard(lead_id: int, team: Sequence[Manager], t: Translator) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            text=t("team.assign_to", name=manager.display_name),
            callback_data=AssignCb(lead=lead_id, m=manager.id).pack(),
        )
        for manager in team
        if manager.active
    ]
    return InlineKeyboardMarkup(
        inline_keyboard=[buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    )
