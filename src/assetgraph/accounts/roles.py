"""Built-in roles and the permission set each one holds, contributed by every app.

Each app may define a ``roles.py`` module with ``ROLE_GRANTS``:
``{role: {object_type: [actions]}}``.
:func:`builtin_grants` merges them; ``sync_builtin_roles`` (run after every migrate) makes the
database match, so the documented permission sets are the enforced ones.
"""

from __future__ import annotations

import importlib
from collections import defaultdict

from django.apps import apps

from assetgraph.core import registry

ADMIN = "Admin"
ROLE_DESCRIPTIONS: dict[str, str] = {
    ADMIN: "Everything on every object type, including users, roles and permissions.",
    "Procurement": "Buys things: suppliers, catalogue, assets and licences, with their costs.",
    "Finance": "Costs and cost centres; sees asset costs; reads the audit trail of spend.",
    "Helpdesk": "People-facing work: people; checks assets out and in; licence seats; offboarding.",
    "Compliance": "Reads everything, incl. the audit trail; asset audits; manages licences; "
    "exports audit evidence.",
    "System Administrator": "Runs the infrastructure: CIs, relationships, software, locations.",
    "IT Operations (NOC)": "Watches services and incidents: maintains CIs and relationships.",
    "DevOps": "Builds and deploys applications: maintains CIs and relationships.",
    "Security": "Owns vulnerability findings and security policies; reads the CMDB and the audit "
    "trail.",
    "Read-only": "Views organisation data; no changes, no audit trail.",
    "Self-service": "Every employee: sees what they hold; requests from the catalogue for "
    "themselves; approves their reports' requests.",
    "Discovery Agent": "A scanner's service account: runs discovery, which writes CIs.",
}

# Grants of the apps that have no ``roles.py`` of their own (infrastructure apps).
ROLE_GRANTS: dict[str, dict[str, list[str]]] = {
    "Compliance": {"audit.auditevent": ["view"]},
    "Security": {"audit.auditevent": ["view"]},
    "Finance": {"audit.auditevent": ["view"]},
}


def builtin_grants() -> dict[str, dict[str, list[str]]]:
    """The merged ``{role: {object_type: [actions]}}`` of every installed app; Admin gets all."""
    merged: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for config in apps.get_app_configs():
        if not config.name.startswith("assetgraph."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.roles")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.roles":
                raise
            continue
        for role, grants in getattr(module, "ROLE_GRANTS", {}).items():
            if role not in ROLE_DESCRIPTIONS:
                raise ValueError(f"{config.name}.roles names unknown role {role!r}")
            for object_type, actions in grants.items():
                merged[role][object_type].update(actions)
    for entry in registry.all_types():
        merged[ADMIN][entry.key].update(entry.actions)
    return {
        role: {ot: sorted(acts) for ot, acts in sorted(merged.get(role, {}).items())}
        for role in ROLE_DESCRIPTIONS
    }


def roles_markdown() -> str:
    """The documented permission sets, rendered as the table in ``docs/roles.md``."""
    lines = ["| Role | Object type | Actions |", "|---|---|---|"]
    for role, grants in builtin_grants().items():
        for object_type, actions in grants.items():
            lines.append(f"| {role} | `{object_type}` | {', '.join(actions)} |")
    return "\n".join(lines) + "\n"
