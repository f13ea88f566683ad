"""Template context shared by every page: the navigation, filtered by permission."""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from assetgraph.accounts.permissions import has_perm


@dataclass(frozen=True)
class NavItem:
    """One navigation link and the object type whose view permission shows it."""

    label: str
    url_name: str
    object_type: str
    icon: str


# The shell's own sections; domain apps add theirs in ``<app>/navigation.py`` (``SECTIONS``).
SHELL_NAVIGATION: list[tuple[str, list[NavItem]]] = [
    (
        "Organisation",
        [
            NavItem("People", "ui:org:person_list", "org.person", "people"),
            NavItem("Departments", "ui:org:department_list", "org.department", "diagram-3"),
            NavItem("Cost centres", "ui:org:costcentre_list", "org.costcentre", "cash-coin"),
            NavItem("Locations", "ui:org:location_list", "org.location", "geo-alt"),
            NavItem("Companies", "ui:org:company_list", "org.company", "building"),
        ],
    ),
    (
        "Administration",
        [
            NavItem("Users", "ui:user_list", "accounts.user", "person-badge"),
            NavItem("Roles and permissions", "ui:role_list", "accounts.role", "shield-lock"),
            NavItem("API tokens", "ui:token_list", "accounts.apitoken", "key"),
            NavItem("Audit log", "ui:audit_log", "audit.auditevent", "journal-text"),
        ],
    ),
]


@functools.cache
def all_sections() -> list[tuple[str, list[NavItem]]]:
    """Organisation first, then each installed app's sections, Administration last."""
    sections = SHELL_NAVIGATION[:1]
    for config in apps.get_app_configs():
        if config.name.startswith("assetgraph."):
            try:
                module = importlib.import_module(f"{config.name}.navigation")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.navigation":
                    raise
                continue
            sections.extend(module.SECTIONS)
    return sections + SHELL_NAVIGATION[1:]


@functools.cache
def dashboard_cards() -> list[Any]:
    """Each installed app's ``navigation.DASHBOARD_CARDS``: ``ui.dashboards.DashboardCard``
    declarations (id, the roles it is for, and a ``build(request)`` that counts with the
    viewer's permissions; see ``ui.dashboards``)."""
    cards: list[Any] = []
    for config in apps.get_app_configs():
        if config.name.startswith("assetgraph."):
            try:
                module = importlib.import_module(f"{config.name}.navigation")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.navigation":
                    raise
                continue
            cards.extend(getattr(module, "DASHBOARD_CARDS", ()))
    return cards


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Sections and links the current user may see."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": []}
    sections = []
    for title, items in all_sections():
        links = []
        for item in items:
            if not has_perm(user, item.object_type, "view"):
                continue
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:
                continue
            links.append(
                {
                    "label": item.label,
                    "url": url,
                    "icon": item.icon,
                    "active": False,
                }
            )
        # The one link whose address is the longest prefix of this page is active
        # (/changes/blackouts/ is "Blackout windows", not also "Changes" at /changes/).
        matching = [link for link in links if request.path.startswith(str(link["url"]))]
        if matching:
            max(matching, key=lambda link: len(str(link["url"])))["active"] = True
        if links:
            sections.append({"title": title, "links": links})
    return {"navigation": sections}
