"""What the finance commands share: the acting user, argument parsing, JSON output."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import CommandError

from assetgraph.accounts.permissions import restrict
from assetgraph.assets.models import Asset
from assetgraph.core.actor import Actor

from ...access import may_view_costs


def parse_date(value: str, name: str) -> dt.date:
    """An ISO date; a bad one is a usage error (exit 2)."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--{name}: not an ISO date (YYYY-MM-DD): {value!r}", returncode=2
        ) from None


def parse_month(value: str, name: str) -> dt.date:
    """``YYYY-MM`` as the first day of that month."""
    try:
        return dt.datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise CommandError(f"--{name}: not a month (YYYY-MM): {value!r}", returncode=2) from None


def parse_money(value: str, name: str) -> Decimal:
    """A decimal amount; a bad one is a usage error."""
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise CommandError(f"--{name}: not a number: {value!r}", returncode=2) from None
    if not amount.is_finite():
        raise CommandError(f"--{name}: not a number: {value!r}", returncode=2)
    return amount


def require_costs(actor: Actor) -> None:
    """Users acting with ``--user`` need ``view_cost`` on assets (exit 1 otherwise)."""
    if not actor.is_system and not may_view_costs(actor.user):
        raise CommandError("you may not view costs (view_cost on assets)", returncode=1)


def find_asset(actor: Actor, key: str) -> Asset:
    """An asset by tag or id that the actor may see (exit 1 when not found)."""
    base = Asset.objects.select_related("model__category", "disposal")
    if not actor.is_system:
        base = restrict(base, actor.user, "view")
    found = base.filter(asset_tag=key).first()
    if found is None and key.isdigit():
        found = base.filter(pk=int(key)).first()
    if found is None:
        raise CommandError(f"asset {key!r} not found", returncode=1)
    return found


def dump(data: Any) -> str:
    """JSON with Decimals and dates as strings."""
    return json.dumps(data, indent=2, default=str)
