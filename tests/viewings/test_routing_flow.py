"""Leads nobody covers go to the staff group to assign by hand; a manager working in
another time zone than the site sees both times."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import STAFF_CHAT, Harness
from tests.handlers.flows import serious_buyer
from tests.viewings.conftest import ANNA
from tests.viewings.test_booking import documents, pick

SITES = """
sites:
  - code: central
    name: Sales office
    address: 12 Embankment St
    timezone: Europe/Moscow
managers:
  - telegram_id: {anna}
    name: Anna Petrova
    site: central
    timezone: Asia/Yekaterinburg
    hours: mon-fri 12-21
    covers: [{covers}]
    language: en
"""


async def make(make_harness: Callable[..., Any], tmp_path: Path, covers: str) -> Harness:
    path = tmp_path / "sites.yaml"
    path.write_text(SITES.format(anna=ANNA, covers=covers), encoding="utf-8")
    harness: Harness = await make_harness(sites_path=path)
    return harness


async def test_nobody_eligible_goes_to_staff_for_assigning_by_hand(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    harness = await make(make_harness, tmp_path, covers="city_centre")
    user = harness.prospect(language_code="en")
    await serious_buyer(user)  # wants Park Vista, which Anna does not cover
    assert "A manager will call you" in (user.last_text() or "")
    lead = await harness.lead()
    assert lead is not None and lead.manager_id is None and lead.route_code == "no_eligible"

    card = harness.telegram.bot_messages(STAFF_CHAT)[-1]
    assert "Менеджер не назначен (ни один менеджер не ведёт этот запрос)" in card.visible_text
    staff = harness.staff_member()
    await staff.click("→ Anna Petrova", card)

    assert any("handed to you" in m.visible_text for m in harness.telegram.bot_messages(ANNA))
    assert "Choose a day" in (user.last_text() or "")
    card = harness.telegram.bot_messages(STAFF_CHAT)[-1]
    assert "Anna Petrova (назначен вручную)" in card.visible_text
    # The one-tap hand-over buttons are gone; the desk's own buttons stay.
    assert not any(b["text"].startswith("→") for b in card.inline_buttons())


async def test_manager_in_another_zone_sees_both_times(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    harness = await make(make_harness, tmp_path, covers='"*"')
    user = harness.prospect(language_code="en")
    await serious_buyer(user)
    # Her 12-21 in Yekaterinburg is 10-19 in Moscow, where the site is.
    await pick(user, "Mon 23", "10:00")
    assert any("Mon, 23 November, 10:00" in text for text in user.messages())
    [message] = documents(harness, ANNA)
    assert "Mon, 23 November, 12:00 (Asia/Yekaterinburg, UTC+05:00)" in message.visible_text
    assert "At the site that is Mon, 23 November, 10:00 (Europe/Moscow" in message.visible_text
