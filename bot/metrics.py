"""What the bot counts for an operator's Prometheus: updates, Bot API calls, queue backlogs,
reminders due, missed time limits and database time.

Every collector lives in a registry of its own per application (never prometheus-client's
global one), so two applications in one process (tests, replicas) never mix their figures.
Counters and histograms are fed as things happen; the backlog gauges are set from short
SELECTs just before each scrape (bot/storage/gauges.py), so they are never stale.
"""

from __future__ import annotations

from enum import StrEnum

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest

from bot.storage.gauges import Snapshot

__all__ = ["CONTENT_TYPE", "Metrics", "TelegramOutcome"]

CONTENT_TYPE = CONTENT_TYPE_LATEST

# Handling an update is mostly waiting for Telegram and the database: milliseconds to seconds.
_UPDATE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# A Bot API call: tens of milliseconds, more under flood control; getUpdates waits up to 30 s.
_TELEGRAM_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# One unit of work on the database: sub-millisecond on SQLite, more over a network.
_DATABASE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


class TelegramOutcome(StrEnum):
    OK = "ok"
    FLOOD = "flood"  # a 429 with retry_after
    ERROR = "error"  # any other refusal, or no answer at all


class Metrics:
    """The application's collectors; pass it to whatever records a figure."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.updates = Counter(
            "leadsieve_updates", "Telegram updates handled, by kind", ["kind"], registry=r
        )
        self.update_seconds = Histogram(
            "leadsieve_update_seconds",
            "Time to handle one update, by kind",
            ["kind"],
            buckets=_UPDATE_BUCKETS,
            registry=r,
        )
        self.telegram_requests = Counter(
            "leadsieve_telegram_requests",
            "Bot API calls by method and outcome (ok, flood = 429, error)",
            ["method", "outcome"],
            registry=r,
        )
        self.telegram_seconds = Histogram(
            "leadsieve_telegram_seconds",
            "Time of one Bot API call, by method",
            ["method"],
            buckets=_TELEGRAM_BUCKETS,
            registry=r,
        )
        self.outbox_pending = Gauge(
            "leadsieve_outbox_pending",
            "Items of a durable queue not yet carried out",
            ["queue"],
            registry=r,
        )
        self.outbox_oldest_seconds = Gauge(
            "leadsieve_outbox_oldest_seconds",
            "Age of the oldest item a durable queue still has to carry out (0 when empty)",
            ["queue"],
            registry=r,
        )
        self.reminders_due = Gauge(
            "leadsieve_reminders_due",
            "Pending reminders whose time has come",
            registry=r,
        )
        self.sla_breaches = Gauge(
            "leadsieve_sla_breaches",
            "Open desk time limits that are past due",
            registry=r,
        )
        self.database_seconds = Histogram(
            "leadsieve_db_seconds",
            "Time of one unit of work on the database",
            buckets=_DATABASE_BUCKETS,
            registry=r,
        )

    def observe_update(self, kind: str, seconds: float) -> None:
        self.updates.labels(kind=kind).inc()
        self.update_seconds.labels(kind=kind).observe(seconds)

    def observe_telegram(self, method: str, outcome: TelegramOutcome, seconds: float) -> None:
        self.telegram_requests.labels(method=method, outcome=outcome.value).inc()
        self.telegram_seconds.labels(method=method).observe(seconds)

    def observe_database(self, seconds: float) -> None:
        self.database_seconds.observe(seconds)

    def set_snapshot(self, snapshot: Snapshot) -> None:
        """The scrape-time figures read from the database."""
        for item in snapshot.queues:
            self.outbox_pending.labels(queue=item.queue).set(item.pending)
            self.outbox_oldest_seconds.labels(queue=item.queue).set(item.oldest_seconds)
        self.reminders_due.set(snapshot.reminders_due)
        self.sla_breaches.set(snapshot.sla_breaches)

    def render(self) -> bytes:
        """The Prometheus text exposition of every figure."""
        return generate_latest(self.registry)
