"""API schemas of the integrations app (names prefixed: OpenAPI names are global)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import FilterSchema, Schema


class DirectorySyncRunOut(Schema):
    id: int
    started: dt.datetime
    finished: dt.datetime | None
    state: str
    trigger: str
    user_id: int | None
    seen: int
    created_count: int
    updated_count: int
    deactivated_count: int
    unchanged_count: int
    diff: list[dict[str, Any]]
    errors: list[dict[str, Any]]


class DirectorySyncRunFilter(FilterSchema):
    state: str | None = None
    trigger: str | None = None


class DirectorySyncIn(Schema):
    dry_run: bool = False


class OffboardingAssetOut(Schema):
    id: int
    asset_tag: str
    name: str
    model: str


class OffboardingSeatOut(Schema):
    id: int
    entitlement_id: int
    entitlement: str
    quantity: int


class OffboardingOut(Schema):
    id: int
    person_id: int
    person: str
    employee_number: str
    state: str
    started: dt.datetime
    finished: dt.datetime | None
    sync_run_id: int | None
    assets_at_start: int
    seats_at_start: int
    return_list: list[OffboardingAssetOut]
    reclaim_list: list[OffboardingSeatOut]


class OffboardingFilter(FilterSchema):
    state: str | None = None
    person_id: int | None = None


class InventoryFilter(Schema):
    environment: str | None = None
    ci_class: str | None = None
    status: str | None = None
    location: str | None = None
    search: str | None = None
    vars: str | None = None
