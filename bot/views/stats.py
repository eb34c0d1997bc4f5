"""The numbers as staff read them: /stats, the daily digest, /find results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from html import escape

from bot.domain.funnel import STAGES, Funnel, Row, Stage
from bot.domain.periods import Period, PeriodError
from bot.i18n import Translator
from bot.storage.stats import Searchable

# /find answers with at most this many leads; more means the query is too vague.
FIND_LIMIT = 10
# Rows per slice: sources come from links anyone can make, and a message has 4096 chars.
SLICE_LIMIT = 10


def period_label(period: Period) -> str:
    if period.first == period.last:
        return period.first.isoformat()
    return f"{period.first.isoformat()} – {period.last.isoformat()}"


def stage_label(stage: Stage, t: Translator) -> str:
    return t(f"stats.stage.{stage}")


def duration(value: timedelta | None, t: Translator) -> str:
    if value is None:
        return t("stats.no_data")
    minutes = round(value.total_seconds() / 60)
    if minutes < 60:
        return t("stats.minutes", minutes=minutes)
    return t("stats.hours", hours=minutes // 60, minutes=minutes % 60)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _slice(name: str, row: Row, t: Translator) -> str:
    return t(
        "stats.slice",
        name=escape(name),
        new=row[Stage.NEW],
        target=row[Stage.TARGET],
        booked=row[Stage.BOOKED],
        attended=row[Stage.ATTENDED],
    )


def _slices(title: str, rows: list[tuple[str, Row]], t: Translator) -> list[str]:
    lines = ["", f"<b>{title}</b>"]
    lines += [_slice(name, row, t) for name, row in rows[:SLICE_LIMIT]]
    if len(rows) > SLICE_LIMIT:
        lines.append(t("stats.more", count=len(rows) - SLICE_LIMIT))
    return lines


def _verdict(verdict: str, t: Translator) -> str:
    if verdict in ("target", "nurture", "reject"):
        return t(f"staff.verdict.{verdict}")
    return escape(verdict)


def stats_text(
    funnel: Funnel,
    period: Period,
    managers: Mapping[int, str],
    t: Translator,
    *,
    title_key: str = "stats.title",
) -> str:
    lines = [f"<b>{t(title_key, period=period_label(period))}</b>", t("stats.cohort")]
    if funnel.total[Stage.NEW] == 0:
        return "\n".join([*lines, "", t("stats.empty")])
    lines.append("")
    lines += [f"{stage_label(stage, t)}: <b>{funnel.total[stage]}</b>" for stage in STAGES]
    lines += ["", f"<b>{t('stats.conversions')}</b>"]
    lines += [
        f"{stage_label(before, t)} → {stage_label(after, t)}: {_percent(share)}"
        for before, after, share in funnel.conversions()
    ]
    if funnel.by_verdict:
        lines += ["", f"<b>{t('stats.by_verdict')}</b>"]
        lines += [f"{_verdict(v, t)}: {count}" for v, count in funnel.by_verdict.items()]
    lines += _slices(t("stats.by_source"), list(funnel.by_source.items()), t)
    if funnel.by_owner:
        lines += _slices(t("stats.by_owner"), list(funnel.by_owner.items()), t)
    if funnel.by_sales_manager:
        named = [
            (managers.get(manager_id, f"#{manager_id}"), row)
            for manager_id, row in funnel.by_sales_manager.items()
        ]
        lines += _slices(t("stats.by_manager"), named, t)
    lines += [
        "",
        t("stats.median_take", value=duration(funnel.median_take, t)),
        t("stats.median_first_contact", value=duration(funnel.median_first_contact, t)),
    ]
    if funnel.breaches:
        kinds = ", ".join(f"{_breach(kind, t)}: {count}" for kind, count in funnel.breaches.items())
        lines.append(t("stats.breaches", count=sum(funnel.breaches.values()), kinds=kinds))
    else:
        lines.append(t("stats.no_breaches"))
    if funnel.erased:
        lines.append(t("stats.erased", count=funnel.erased))
    return "\n".join(lines)


def _breach(kind: str, t: Translator) -> str:
    if kind in ("take", "first_contact", "reply", "next_call"):
        return t(f"stats.breach.{kind}")
    return escape(kind)


def bad_period_text(error: PeriodError, text: str, command: str, t: Translator) -> str:
    reason = t(f"stats.bad_period.{error.code}", text=escape(text))
    return "\n".join([reason, t("stats.period_examples", command=command)])


def topic_link(chat_id: int | None, thread_id: int | None) -> str | None:
    """A t.me/c link to a forum topic; only supergroups (ids -100…) have one."""
    if chat_id is None or thread_id is None or not str(chat_id).startswith("-100"):
        return None
    return f"https://t.me/c/{str(chat_id).removeprefix('-100')}/{thread_id}"


def found_text(query: str, found: Sequence[Searchable], t: Translator) -> str:
    if not found:
        return t("find.nothing", query=escape(query))
    lines = [f"<b>{t('find.title', query=escape(query), count=len(found))}</b>"]
    for lead in found[:FIND_LIMIT]:
        parts = [t("staff.lead_number", id=lead.lead_id)]
        parts += [escape(value) for value in (lead.name, lead.phone) if value]
        if lead.verdict:
            parts.append(_verdict(lead.verdict, t))
        line = " · ".join(parts)
        link = topic_link(lead.staff_chat_id, lead.staff_thread_id)
        if link is not None:
            line += f' — <a href="{link}">{t("find.topic")}</a>'
        lines.append(line)
    if len(found) > FIND_LIMIT:
        lines.append(t("find.more", shown=FIND_LIMIT, count=len(found)))
    return "\n".join(lines)
