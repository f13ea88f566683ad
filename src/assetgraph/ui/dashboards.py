"""Role dashboards: cards declared by the apps, chosen by the user's roles, pinned by the user.

Each app declares its cards in ``<app>/navigation.py`` (``DASHBOARD_CARDS``), so the shell
never imports a higher layer. A card names the built-in roles it is *for*: a user lands on the
cards of their roles plus the ones they pinned, and may pin any other card they are allowed to
see. Why not one dashboard for all: a helpdesk agent acts on acceptances and leavers, a NOC
engineer on CIs in maintenance and failed changes; showing both to both buries the work.

Counts are computed with the viewer's permissions (every card queries through ``restrict``),
and cached per user and audit revision: any write anywhere bumps the revision, so a cached
count is never older than the last write, and a page load that follows no write runs no card
query at all.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest

from assetgraph.accounts.permissions import has_perm

from .context_processors import dashboard_cards

CACHE_SECONDS = 300
ADMIN = "Admin"
EVERYONE = "*"


@dataclass(frozen=True)
class DashboardCard:
    """One card an app offers the dashboards.

    ``build(request)`` answers ``{"count", "url", "alert"?, "note"?, "rows"?}`` or ``None`` when
    the card does not apply to the viewer. ``rows`` (``label``, ``count``, ``url``) turn the
    card into a small chart with a table, each row a link to the filtered list. ``needs`` are
    the object types the viewer must be able to view for the card to be offered at all.
    """

    id: str
    label: str
    roles: tuple[str, ...]
    build: Callable[[Any], dict[str, Any] | None]
    needs: tuple[str, ...] = ()
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def offered_to(self, user: Any) -> bool:
        """Whether the viewer may see what the card counts (cheap: no query per card)."""
        return all(has_perm(user, object_type, "view") for object_type in self.needs)


@functools.cache
def all_cards() -> dict[str, DashboardCard]:
    """Every declared card by id, in app order (the first declaration of an id wins)."""
    cards: dict[str, DashboardCard] = {}
    for card in dashboard_cards():
        if isinstance(card, DashboardCard):
            cards.setdefault(card.id, card)
    return cards


def role_names(user: Any) -> set[str]:
    """The viewer's built-in role names; a superuser counts as Admin."""
    names = set(user.roles.values_list("name", flat=True))
    if user.is_superuser:
        names.add(ADMIN)
    return names


def cards_for_roles(roles: Iterable[str]) -> list[DashboardCard]:
    """The cards a user with these roles lands on (before permissions and pins); a card for
    ``EVERYONE`` is on every dashboard (its ``build`` answers None when it has nothing)."""
    wanted = set(roles) | {EVERYONE}
    return [card for card in all_cards().values() if wanted & set(card.roles)]


def compute(card: DashboardCard, request: HttpRequest, revision: int) -> dict[str, Any] | None:
    """The card's values for this viewer, cached per user, card and audit revision."""
    user = request.user
    key = f"ui:dashboard:{user.pk}:{card.id}:{revision}"
    cached = cache.get(key)
    if cached is not None:
        hit: dict[str, Any] | None = cached.get("value")
        return hit
    value = card.build(request) if card.offered_to(user) else None
    if value is not None:
        value = {
            "id": card.id,
            "label": card.label,
            "description": card.description,
            "alert": False,
            **value,
        }
        rows = value.get("rows") or []
        value["top"] = max((int(r["count"]) for r in rows), default=0)
    cache.set(key, {"value": value}, CACHE_SECONDS)
    return value
