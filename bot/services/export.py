"""/export (leads of a period as a CSV for Excel) and /find (leads by phone or name).

The CSV is UTF-8 with a BOM and `;` between fields: Excel in a Russian locale uses the
comma as the decimal separator, so it splits a double-clicked CSV on `;` (its list
separator) and reads it as UTF-8 only when the BOM says so. (A `sep=;` first line would
help other locales but shows up as a row in every other tool, so it is left out.)
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.checklist import Checklist, describe_answer
from bot.domain.lead_search import matches
from bot.domain.leads import Lead
from bot.domain.periods import Period
from bot.i18n import Translator
from bot.storage import leads
from bot.storage import stats as stats_storage
from bot.storage.db import Database
from bot.storage.stats import DeskFacts, Searchable
from bot.views.answer_words import media_words

DELIMITER = ";"
# Cells starting with these are formulas to a spreadsheet: a prospect's answer must not run.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportFile:
    filename: str
    data: bytes
    count: int


def safe_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


class Export:
    def __init__(self, db: Database, checklist: Checklist, t: Translator, zone: ZoneInfo) -> None:
        self._db = db
        self._checklist = checklist
        self._t = t
        self._zone = zone

    def _time(self, moment: datetime | None) -> str:
        return "" if moment is None else moment.astimezone(self._zone).strftime("%Y-%m-%d %H:%M")

    def _header(self) -> list[str]:
        fixed = [
            self._t(f"export.column.{name}")
            for name in (
                "lead",
                "created",
                "source",
                "status",
                "verdict",
                "score",
                "owner",
                "taken",
                "first_contact",
                "manager",
                "language",
            )
        ]
        language = self._t.language
        return fixed + [question.text.get(language) for question in self._checklist.questions]

    def _row(self, lead: Lead, desk: DeskFacts | None, manager: str | None) -> list[str]:
        language = self._t.language
        score = "" if lead.score is None else f"{lead.score}/{lead.max_score}"
        fixed = [
            str(lead.id),
            self._time(lead.created_at),
            lead.source,
            self._t(f"staff.status.{lead.status}"),
            "" if lead.verdict is None else self._t(f"staff.verdict.{lead.verdict}"),
            score,
            (desk.owner if desk else None) or "",
            self._time(desk.taken_at if desk else None),
            self._time(desk.first_contact_at if desk else None),
            manager or "",
            lead.language,
        ]
        answers = [
            describe_answer(
                question, lead.answers.get(question.id), language, media_words=media_words(self._t)
            )
            or ""
            for question in self._checklist.questions
        ]
        return fixed + [safe_cell(value) for value in answers]

    async def csv_file(self, period: Period) -> ExportFile:
        start, end = period.bounds(self._zone)
        rows: list[list[str]] = []
        async with self._db.read() as conn:
            names = await stats_storage.manager_names(conn)
            for lead_id in await stats_storage.created_leads(conn, start, end):
                lead = await leads.get(conn, lead_id)
                if lead is None:
                    continue
                desk = await stats_storage.desk_facts(conn, lead_id)
                manager = None if lead.manager_id is None else names.get(lead.manager_id)
                rows.append(self._row(lead, desk, manager))
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=DELIMITER, lineterminator="\r\n")
        writer.writerow(self._header())
        writer.writerows(rows)
        name = f"leads_{period.first.isoformat()}_{period.last.isoformat()}.csv"
        return ExportFile(name, buffer.getvalue().encode("utf-8-sig"), len(rows))

    async def find(self, query: str) -> list[Searchable]:
        async with self._db.read() as conn:
            candidates = await stats_storage.searchable(conn)
        return [lead for lead in candidates if matches(query, lead.name, lead.phone)]
