"""What the head of sales and the staff group read when leads stop coming, and when
they come back."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot.domain.inflow import Basis, Diagnosis, Expectation, Reception, SourceShare
from bot.i18n import Translator


def _number(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


def _when(moment: datetime, now: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    if local.date() == now.astimezone(zone).date():
        return local.strftime("%H:%M")
    return local.strftime("%d.%m %H:%M")


def _expected(count: int, expected: Expectation, t: Translator) -> str:
    key = "watchdog.usual_floor" if expected.basis is Basis.FLOOR else "watchdog.usual"
    return t(key, count=count, usual=_number(expected.rate))


def _reception(reception: Reception, now: datetime, zone: ZoneInfo, t: Translator) -> list[str]:
    if not reception.answered:
        return [t("watchdog.check.telegram_silent")]
    if reception.webhook_url:
        lines = [
            t(
                "watchdog.check.webhook",
                url=escape(reception.webhook_url),
                pending=reception.pending,
            )
        ]
    else:
        lines = [t("watchdog.check.polling", pending=reception.pending)]
    if reception.last_error_at is not None:
        lines.append(
            t(
                "watchdog.check.webhook_error",
                when=_when(reception.last_error_at, now, zone),
                error=escape(reception.last_error or ""),
            )
        )
    return lines


def _source(share: SourceShare, t: Translator) -> str:
    source = escape(share.source)
    if share.usual is None:
        return t("watchdog.check.source_new", source=source, now=share.now)
    key = "watchdog.check.source_stopped" if share.stopped else "watchdog.check.source"
    return t(key, source=source, now=share.now, usual=_number(share.usual))


def drop_text(diagnosis: Diagnosis, zone: ZoneInfo, t: Translator) -> str:
    """The alert: the shortfall, then each thing that could explain it."""
    now = diagnosis.window_end
    lines = [
        t("watchdog.drop.title"),
        t(
            "watchdog.drop.window",
            start=_when(diagnosis.window_start, now, zone),
            end=_when(now, now, zone),
            expected=_expected(diagnosis.count, diagnosis.expected, t),
        ),
        "",
        t("watchdog.check.title"),
    ]
    if diagnosis.last_update_at is None:
        lines.append(t("watchdog.check.no_update"))
    else:
        minutes = max(0, int((now - diagnosis.last_update_at).total_seconds() // 60))
        lines.append(
            t(
                "watchdog.check.last_update",
                when=_when(diagnosis.last_update_at, now, zone),
                minutes=minutes,
            )
        )
    lines.extend(_reception(diagnosis.reception, now, zone, t))
    crm = t("watchdog.check.crm", pending=diagnosis.crm_pending, dead=diagnosis.crm_dead)
    if diagnosis.crm_oldest_at is not None:
        crm += t("watchdog.check.crm_oldest", when=_when(diagnosis.crm_oldest_at, now, zone))
    lines.append(crm)
    lines.append(t("watchdog.check.errors", count=diagnosis.errors))
    if diagnosis.sources:
        lines.append(t("watchdog.check.sources"))
        lines.extend(_source(share, t) for share in diagnosis.sources)
    else:
        lines.append(t("watchdog.check.no_sources"))
    return "\n".join(lines)


def recovery_text(
    count: int,
    expected: Expectation,
    since: datetime | None,
    now: datetime,
    zone: ZoneInfo,
    t: Translator,
) -> str:
    text = t("watchdog.recovered", expected=_expected(count, expected, t))
    if since is not None:
        text += "\n" + t("watchdog.recovered_since", since=_when(since, now, zone))
    return text
