"""Consents per purpose (152-FZ art. 9 as amended in 2025: a separate document each).

Each purpose is its own text in the catalogs (`consent.doc.<purpose>`), shown as its own
message; what a person accepted is proven by the text's version and SHA-256.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Purpose(StrEnum):
    PROCESSING = "processing"  # the request itself: required for the checklist
    CRM_TRANSFER = "crm_transfer"  # to the company's CRM: required when one is configured
    MARKETING = "marketing"  # nurture follow-ups: opt-in, off by default
    DOCUMENTS = "documents"  # passport, SNILS and the like at the documents stage


# What stops when a consent is withdrawn: processing is the person's whole request, so its
# withdrawal erases the lead; the others stop only what depends on them.
ERASES_LEAD = frozenset({Purpose.PROCESSING})


@dataclass(frozen=True)
class Consent:
    id: int
    telegram_user_id: int
    lead_id: int | None
    purpose: Purpose
    version: str
    text_sha256: str
    language: str
    message_id: int | None
    given_at: datetime
    withdrawn_at: datetime | None
    withdrawn_by: str | None

    @property
    def live(self) -> bool:
        return self.withdrawn_at is None


def text_hash(text: str) -> str:
    """The SHA-256 of the exact text shown (UTF-8), hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
