"""The documents' events, driven through the stand-in with a sales desk configured, reach the
CRM in bodies that match the published schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import SALES_DESK_SECRET
from tests.desk.conftest import OLGA, lead_manager
from tests.documents.conftest import open_deal
from tests.sales_desk.conftest import deliver_all
from tests.sales_desk.generic_receiver import GenericReceiver
from tests.sales_desk.test_event_schema import EVENT, problem

DOCUMENT_TYPES = {"deal.document_received", "deal.document_accepted", "deal.document_rejected"}


async def test_every_document_event_matches_the_schema(
    make_harness: Callable[..., Any], receiver: GenericReceiver, tmp_path: Path
) -> None:
    harness = await make_harness(sales_desk_url=receiver.url, sales_desk_secret=SALES_DESK_SECRET)
    deal = await open_deal(harness, "mortgage")
    olga = lead_manager(harness, OLGA, "Olga")
    await deal.prospect.send_photo()
    await deal.prospect.click("Bank approval")
    await deal.prospect.send_file("income.pdf")
    await deal.run_jobs()
    approval, income = deal.review_copies()
    await olga.click("✅ Принять", approval)
    await olga.click("❌ Отклонить ▸", income)
    await olga.click("другое", income)
    await olga.send("Needs the bank's stamp", thread_id=deal.thread)
    await deal.prospect.send_photo()  # the income statement again
    await deal.run_jobs()
    await olga.click("❌ Отклонить ▸", deal.review_copies()[-1])
    await olga.click("неполный", deal.review_copies()[-1])
    await olga.click("Отклонить без комментария")
    await deliver_all(harness)

    assert receiver.refusals == []
    bodies = [json.loads(r.body) for r in receiver.deliveries if r.type in DOCUMENT_TYPES]
    assert sorted(r.type for r in receiver.deliveries if r.type in DOCUMENT_TYPES) == sorted(
        ["deal.document_received"] * 3 + ["deal.document_accepted"] + ["deal.document_rejected"] * 2
    )
    assert [p for p in (problem(EVENT, body) for body in bodies) if p is not None] == []
    rejected = [json.dumps(b, ensure_ascii=False) for b in bodies]
    assert any("Needs the bank's stamp" in text for text in rejected)
