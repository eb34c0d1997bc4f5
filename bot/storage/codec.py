"""How domain values are written to and read from SQLite columns."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.domain.checklist import Localized
from bot.domain.scoring import Reason, Verdict


def dump_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored")
    return value.astimezone(UTC).isoformat()


def load_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(value).astimezone(UTC)


def dump_reasons(reasons: tuple[Reason, ...]) -> str:
    return json.dumps(
        [
            {
                "kind": reason.kind,
                "verdict": reason.verdict,
                "rule_id": reason.rule_id,
                "text": None if reason.text is None else localized_to_dict(reason.text),
                "score": reason.score,
                "threshold": reason.threshold,
                "points": reason.points,
            }
            for reason in reasons
        ],
        ensure_ascii=False,
    )


def load_reasons(raw: str) -> tuple[Reason, ...]:
    items: list[dict[str, Any]] = json.loads(raw)
    return tuple(
        Reason(
            kind=item["kind"],
            verdict=Verdict(item["verdict"]),
            rule_id=item["rule_id"],
            text=None if item["text"] is None else localized_from_dict(item["text"]),
            score=item["score"],
            threshold=item["threshold"],
            # Reasons stored before points rules existed have no "points".
            points=item.get("points"),
        )
        for item in items
    )


def localized_to_dict(text: Localized) -> dict[str, str]:
    return dict(text.texts)


def localized_from_dict(raw: dict[str, str]) -> Localized:
    return Localized(texts=raw)
