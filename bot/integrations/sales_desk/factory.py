"""Picks the sales-desk client for SALES_DESK_FORMAT."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import httpx

from bot.integrations.sales_desk.amocrm import AmoCrmClient
from bot.integrations.sales_desk.base import SalesDeskClient, SalesDeskTarget
from bot.integrations.sales_desk.bitrix24 import Bitrix24Client
from bot.integrations.sales_desk.generic import GenericClient

Format = Literal["generic", "bitrix24", "amocrm"]


def build_client(
    format_: Format,
    url: str,
    secret: str,
    status_map: Mapping[str, str],
    http: httpx.AsyncClient,
) -> SalesDeskClient:
    target = SalesDeskTarget(url=url, secret=secret, status_map=dict(status_map))
    if format_ == "bitrix24":
        return Bitrix24Client(target, http)
    if format_ == "amocrm":
        return AmoCrmClient(target, http)
    return GenericClient(target, http)
