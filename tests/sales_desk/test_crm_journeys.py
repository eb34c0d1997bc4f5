"""A lead qualified in Telegram arrives in a Bitrix24-shaped and an amoCRM-shaped CRM,
and its card shows the CRM's id."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import Harness
from tests.handlers.flows import serious_buyer
from tests.sales_desk.amocrm_receiver import DEFAULT_TOKEN, AmoCrmReceiver
from tests.sales_desk.bitrix24_receiver import Bitrix24Receiver
from tests.sales_desk.conftest import deliver_all
from tests.viewings.conftest import write_sites
from tests.viewings.test_booking import pick


async def test_bitrix24_gets_the_lead_and_its_viewing(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    async with Bitrix24Receiver() as portal:
        harness: Harness = await make_harness(
            sites_path=write_sites(tmp_path),
            sales_desk_url=portal.url,
            sales_desk_format="bitrix24",
            sales_desk_status_map="target=NEW,reject=JUNK",
        )
        user = harness.prospect(language_code="en", username="anna_k")
        await serious_buyer(user)
        await pick(user, "Mon 23", "10:00")
        await deliver_all(harness)

        [(crm_id, fields)] = portal.leads.items()
        assert fields["NAME"] == "Anna"
        assert fields["PHONE"][0]["VALUE"] == "+79161234567"
        assert fields["PHONE"][0]["VALUE_TYPE"] == "MOBILE"
        assert fields["IM"][0]["VALUE_TYPE"] == "TELEGRAM"
        assert fields["SOURCE_DESCRIPTION"] == "vk_spring"
        assert fields["UTM_SOURCE"] == "vk_spring"
        assert (fields["ORIGINATOR_ID"], fields["ORIGIN_ID"]) == ("leadsieve", "1")
        assert fields["STATUS_ID"] == "NEW"
        assert "8\u2009500\u2009000" in fields["COMMENTS"]
        comments = [c["COMMENT"] for c in portal.comments[crm_id]]
        assert any("Sales office" in comment for comment in comments)
        assert portal.unknown_fields == []
        lead = await harness.lead()
        assert lead is not None
        assert f"CRM: №{crm_id}" in harness.card(lead.staff_thread_id)


async def test_amocrm_gets_the_lead_with_its_contact(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    async with AmoCrmReceiver() as account:
        harness: Harness = await make_harness(
            sites_path=write_sites(tmp_path),
            sales_desk_url=account.url,
            sales_desk_secret=DEFAULT_TOKEN,
            sales_desk_format="amocrm",
            sales_desk_status_map="target=41000001",
        )
        user = harness.prospect(language_code="en")
        await serious_buyer(user)
        await pick(user, "Mon 23", "10:00")
        await deliver_all(harness)

        [stored] = account.leads.values()
        assert stored.field_value("UTM_SOURCE") == "vk_spring"
        assert set(stored.tags) == {"target", "vk_spring"}
        assert stored.status_id == 41000001
        [contact] = account.contacts.values()
        assert "+79161234567" in contact.phones
        notes = account.notes_for(stored.id)
        assert any("8\u2009500\u2009000" in note for note in notes)
        assert any("Sales office" in note for note in notes)
        assert account.rate_violations == 0
        lead = await harness.lead()
        assert lead is not None
        assert f"CRM: №{stored.id}" in harness.card(lead.staff_thread_id)
