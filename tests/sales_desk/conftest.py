"""A bot wired to a sales-desk receiver on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SALES_DESK_SECRET as SECRET
from tests.conftest import Harness
from tests.sales_desk.generic_receiver import GenericReceiver
from tests.viewings.conftest import write_sites


@pytest.fixture
async def desk(
    make_harness: Callable[..., Any], receiver: GenericReceiver, tmp_path: Path
) -> Harness:
    """The office of the viewing tests, pushing to the generic receiver."""
    harness: Harness = await make_harness(
        sites_path=write_sites(tmp_path),
        sales_desk_url=receiver.url,
        sales_desk_secret=SECRET,
    )
    return harness


async def deliver_all(harness: Harness) -> int:
    """What the delivery worker does when woken, until nothing is due."""
    return await harness.app.sales_desk.deliver_due()
