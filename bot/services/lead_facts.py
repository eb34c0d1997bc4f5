"""Reads a lead with its manager, latest viewing and CRM id: what its JSON is made of."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.checklist import Checklist
from bot.domain.leads import LeadId
from bot.storage import appointments, leads, managers, sales_desk, sites
from bot.storage.db import Database
from bot.views.lead_json import LeadFacts, lead_json


class LeadReader:
    def __init__(self, db: Database, checklist: Checklist, language: str) -> None:
        self._db = db
        self._checklist = checklist
        self._language = language  # labels and rule texts in the staff language

    async def facts(self, lead_id: int) -> LeadFacts | None:
        async with self._db.read() as conn:
            lead = await leads.get(conn, LeadId(lead_id))
            if lead is None:
                return None
            manager = None if lead.manager_id is None else await managers.get(conn, lead.manager_id)
            appointment = await appointments.latest_for_lead(conn, lead.id)
            site = None if appointment is None else await sites.get(conn, appointment.site_id)
            crm_id = await sales_desk.crm_id(conn, lead.id)
        return LeadFacts(
            lead=lead, manager=manager, appointment=appointment, site=site, crm_id=crm_id
        )

    def json(self, facts: LeadFacts) -> dict[str, Any]:
        return lead_json(facts, self._checklist, self._language)

    async def snapshot(self, lead_id: int) -> Mapping[str, Any] | None:
        facts = await self.facts(lead_id)
        return None if facts is None else self.json(facts)
