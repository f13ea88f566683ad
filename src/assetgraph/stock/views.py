"""UI pages of the stock app (filled in below)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def asset_maintenance_section(request: HttpRequest, asset: Any) -> dict[str, Any] | None:
    return None


def storeroom_stock_table(request: HttpRequest, room: Any) -> dict[str, Any] | None:
    return None
