"""Two replicas on one database: every reminder, CRM delivery and card happens once, and
when one replica dies the other takes its jobs over after the lease's ttl."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.jobs import job_lease
from bot.services.event_pipe import consumer_lease
from bot.services.leases import Leases
from bot.storage import leases as lease_rows
from bot.storage import sales_desk
from tests.conftest import SALES_DESK_SECRET, STAFF_CHAT, Harness
from tests.fakegram import FakeTelegram
from tests.handlers.flows import serious_buyer
from tests.sales_desk.generic_receiver import GenericReceiver
from tests.scale.conftest import Replicas, until, within

MANAGERS = range(7101, 7201)  # 100 managers: 100 agendas due on Monday morning
AGENDA = "Your appointments for"


def write_team(tmp_path: Path) -> Path:
    lines = [
        "sites:",
        "  - code: central",
        "    name: Sales office",
        "    address: 12 Embankment St",
        "    timezone: Europe/Moscow",
        "managers:",
    ]
    for telegram_id in MANAGERS:
        lines += [
            f"  - telegram_id: {telegram_id}",
            f"    name: Manager {telegram_id}",
            "    site: central",
            "    language: en",
        ]
    path = tmp_path / "sites.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def team_replicas(replicas: Replicas, tmp_path: Path) -> tuple[Harness, Harness]:
    """Two replicas whose 100 managers' agendas are planned, all due at Monday 09:30."""
    sites = write_team(tmp_path)
    a = await replicas.start(sites_path=sites)
    b = await replicas.start(sites_path=sites)
    await a.app.run_job("reminders")  # Sunday noon: plans Monday's agendas, nothing is due
    assert agendas(replicas.telegram) == {}
    replicas.clock.advance(hours=21, minutes=30)  # Monday 09:30 Moscow
    return a, b


def agendas(telegram: FakeTelegram) -> dict[int, int]:
    """How many agendas each manager got."""
    got: dict[int, int] = {}
    for telegram_id in MANAGERS:
        count = sum(AGENDA in (r.params.get("text") or "") for r in telegram.sent(telegram_id))
        if count:
            got[telegram_id] = count
    return got


Renew = Callable[[], Awaitable[None]]


def stop_heartbeat(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> Renew:
    """The replica died or stalled: its leases are renewed no more. Returns the renewal
    itself, for a replica that comes back.

    The heartbeat beats on the real clock, the leases expire on the test's, which stands
    still between advances: a beat just after an advance would keep a dead replica's lease
    for another ttl, and the live replica would never take it over.
    """
    renew = harness.app.leases.renew

    async def no_beat() -> None:
        return None

    monkeypatch.setattr(harness.app.leases, "renew", no_beat)
    return renew


class StuckPass:
    """A replica's pass that holds a lease and never gets on: the replica hung or died.

    Another replica's pass may hold the lease for a moment when this one starts (its worker
    looks every few seconds; on PostgreSQL a pass spans several round trips): the take is
    tried again until the lease is free, as the stuck replica's own worker would have.
    """

    def __init__(self, leases: Leases, name: str) -> None:
        self._leases = leases
        self._name = name
        self._entered = asyncio.Event()
        self._end = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Returns once the lease is held here; fails if it never is, or the pass failed."""
        self._task = task = asyncio.create_task(self._run())
        entered = asyncio.create_task(self._entered.wait())
        try:
            await within(
                f"the lease {self._name} held by the stuck pass",
                asyncio.wait({task, entered}, return_when=asyncio.FIRST_COMPLETED),
            )
            if task.done():
                task.result()  # raises what ended the pass before it held the lease
            assert self._entered.is_set()
        except BaseException:
            task.cancel()
            raise
        finally:
            entered.cancel()

    async def _run(self) -> None:
        while True:
            async with self._leases.hold(self._name) as held:
                if held:
                    self._entered.set()
                    await self._end.wait()
                    return
            await asyncio.sleep(0.02)  # another replica's pass has it; it lets go soon

    async def end(self) -> None:
        self._end.set()
        assert self._task is not None
        await within(f"the stuck pass on {self._name} to let go", self._task)


async def test_100_due_reminders_are_sent_once_by_two_replicas(
    replicas: Replicas, tmp_path: Path
) -> None:
    a, b = await team_replicas(replicas, tmp_path)
    for _ in range(3):  # both alarms ring at once, again and again
        await asyncio.gather(a.app.run_job("reminders"), b.app.run_job("reminders"))
    assert agendas(replicas.telegram) == dict.fromkeys(MANAGERS, 1)


async def test_without_leases_two_replicas_would_send_reminders_twice(
    replicas: Replicas, tmp_path: Path
) -> None:
    # What the leases prevent, so the test above can fail: both passes read the same rows.
    a, b = await team_replicas(replicas, tmp_path)
    await asyncio.gather(a.app.reminders.run_due(), b.app.reminders.run_due())
    assert max(agendas(replicas.telegram).values()) == 2


async def test_a_replica_that_dies_holding_the_reminders_is_taken_over_after_the_ttl(
    replicas: Replicas, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = await team_replicas(replicas, tmp_path)
    stop_heartbeat(a, monkeypatch)
    dead = StuckPass(a.app.leases, "reminders")
    await dead.start()

    await b.app.run_job("reminders")
    assert agendas(replicas.telegram) == {}  # held by A, which will never send them
    replicas.clock.advance(seconds=a.app.leases.ttl.total_seconds() - 1)
    await b.app.run_job("reminders")
    assert agendas(replicas.telegram) == {}

    replicas.clock.advance(seconds=1)  # A's lease has expired: nobody renewed it
    await b.app.run_job("reminders")
    assert agendas(replicas.telegram) == dict.fromkeys(MANAGERS, 1)
    await dead.end()


async def test_a_pass_that_lost_its_lease_stops_and_the_new_holder_sends_the_rest(
    replicas: Replicas, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = await team_replicas(replicas, tmp_path)
    renew_a = stop_heartbeat(a, monkeypatch)  # until A comes back below
    counter = itertools.count(1)
    mark = replicas.telegram.mark()
    pass_a = asyncio.create_task(a.app.run_job("reminders"))
    # A is a third of the way through when it stalls past the ttl ...
    await replicas.telegram.wait_for(
        lambda r: AGENDA in (r.params.get("text") or "") and next(counter) == 30, after=mark
    )
    replicas.clock.advance(seconds=a.app.leases.ttl.total_seconds() + 1)
    # ... B takes the job over, and A's heartbeat finds out.
    taken = StuckPass(b.app.leases, "reminders")
    await taken.start()
    await renew_a()
    await within("A's pass to stop", pass_a)

    sent_by_a = sum(agendas(replicas.telegram).values())
    assert 30 <= sent_by_a < len(MANAGERS)  # A stopped between two reminders
    await taken.end()
    await b.app.run_job("reminders")
    assert agendas(replicas.telegram) == dict.fromkeys(MANAGERS, 1)


async def qualified_leads(replicas: Replicas, count: int, **settings: object) -> list[Harness]:
    """`count` prospects qualify at once, alternately through each of two replicas."""
    a = await replicas.start(**settings)
    b = await replicas.start(**settings)
    users = [
        (a if n % 2 else b).prospect(2001 + n, language_code="en", first_name=f"P{n}")
        for n in range(count)
    ]
    await asyncio.gather(*(serious_buyer(user) for user in users))
    return [a, b]


async def settled(apps: list[Harness]) -> bool:
    for harness in apps:
        await harness.passes_done()
        if any((await harness.app.pipe.lag()).values()):
            return False
    async with apps[0].app.db.read() as conn:
        return (await sales_desk.backlog(conn, 0)).pending == 0


async def test_crm_deliveries_go_out_once_while_two_replicas_work(
    replicas: Replicas, receiver: GenericReceiver
) -> None:
    apps = await qualified_leads(
        replicas, 8, sales_desk_url=receiver.url, sales_desk_secret=SALES_DESK_SECRET
    )
    await until(lambda: settled(apps))

    assert receiver.duplicates == 0
    ids = [delivery.webhook_id for delivery in receiver.deliveries]
    assert len(ids) == len(set(ids))
    qualified = [
        d.payload["data"]["lead_id"] for d in receiver.deliveries if d.type == "lead.qualified"
    ]
    assert sorted(qualified) == list(range(1, 9))
    async with apps[0].app.db.read() as conn:
        assert (await sales_desk.backlog(conn, 0)).dead == 0


def cards(telegram: FakeTelegram, lead_id: int) -> int:
    return sum(
        f"лид #{lead_id}\n" in (r.params.get("text") or "")
        for r in telegram.sent(STAFF_CHAT, "sendMessage")
    )


async def test_each_lead_gets_one_card_and_one_topic_while_both_replicas_drain(
    replicas: Replicas,
) -> None:
    apps = await qualified_leads(replicas, 8)
    for _ in range(3):
        await asyncio.gather(*(harness.app.pipe.drain() for harness in apps))
    await until(lambda: settled(apps))

    telegram = replicas.telegram
    assert [cards(telegram, lead_id) for lead_id in range(1, 9)] == [1] * 8
    assert len(telegram.sent(STAFF_CHAT, "createForumTopic")) == 8


async def test_a_card_waits_for_a_dead_replicas_lease_then_is_posted_once(
    replicas: Replicas, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = await replicas.start()
    b = await replicas.start()
    stop_heartbeat(a, monkeypatch)
    dead = StuckPass(a.app.leases, consumer_lease("staff_card"))
    await dead.start()
    await serious_buyer(b.prospect(2001, language_code="en"))
    await b.app.pipe.drain()
    assert cards(replicas.telegram, 1) == 0  # A holds the card consumer and is gone

    replicas.clock.advance(seconds=b.app.leases.ttl.total_seconds() + 1)
    # B's drain looks again shortly on its own, and now gets the lease.
    await replicas.telegram.wait_for(
        lambda r: r.method == "sendMessage" and "лид #1\n" in (r.params.get("text") or ""),
        chat_id=STAFF_CHAT,
    )
    await until(lambda: settled([a, b]))
    assert cards(replicas.telegram, 1) == 1
    await dead.end()


async def test_a_drain_that_met_a_busy_consumer_catches_up_when_it_is_let_go(
    replicas: Replicas,
) -> None:
    a = await replicas.start()
    b = await replicas.start()
    busy = StuckPass(a.app.leases, consumer_lease("staff_card"))
    await busy.start()  # A's card consumer is mid-pass and has already read the log
    await serious_buyer(b.prospect(2001, language_code="en"))
    assert cards(replicas.telegram, 1) == 0
    await busy.end()  # A finishes without the new event; B looks again and posts the card
    await until(lambda: settled([a, b]))
    assert cards(replicas.telegram, 1) == 1


async def test_one_replica_on_its_own_takes_each_lease_and_lets_it_go(
    replicas: Replicas,
) -> None:
    a = await replicas.start()
    await serious_buyer(a.prospect(2001, language_code="en"))
    await until(lambda: settled([a]))
    assert cards(replicas.telegram, 1) == 1
    assert consumer_lease("staff_card") not in a.app.leases.held_here
    async with a.app.db.read() as conn:
        assert await lease_rows.get(conn, consumer_lease("staff_card")) is None


async def test_crm_deliveries_wait_for_a_dead_replicas_lease_then_go_out_once(
    replicas: Replicas, receiver: GenericReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm = {"sales_desk_url": receiver.url, "sales_desk_secret": SALES_DESK_SECRET}
    a = await replicas.start(**crm)
    b = await replicas.start(**crm)
    a.app.sales_desk.worker.stop()  # A dies in the middle of a delivery pass
    stop_heartbeat(a, monkeypatch)
    dead = StuckPass(a.app.leases, "sales_desk")
    await dead.start()

    await serious_buyer(b.prospect(2001, language_code="en"))
    await within("B's event passes", b.app.pipe.idle())
    async with b.app.db.read() as conn:
        assert (await sales_desk.backlog(conn, 0)).pending > 0  # queued by B ...
    assert receiver.deliveries == []  # ... but the outbox is A's until its lease expires

    replicas.clock.advance(seconds=a.app.leases.ttl.total_seconds() + 1)
    await until(lambda: settled([a, b]))  # B's worker looks again every second
    assert receiver.duplicates == 0
    assert [d.type for d in receiver.deliveries].count("lead.qualified") == 1
    await dead.end()


async def test_every_scheduled_job_is_skipped_while_another_replica_holds_its_lease(
    replicas: Replicas,
) -> None:
    a = await replicas.start()
    b = await replicas.start()
    names = b.app.job_names
    assert {"reminders", "staff_cards", "desk_timers", "digest", "retention"} <= set(names)
    for name in names:
        lease = job_lease(name)
        if lease is None:  # the event consumers: each takes its own lease (tests above)
            continue
        busy = StuckPass(a.app.leases, lease)
        await busy.start()
        assert await b.app.run_job(name) is False, name
        await busy.end()
        assert await b.app.run_job(name) is True, name
