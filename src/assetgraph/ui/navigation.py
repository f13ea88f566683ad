"""The shell's own dashboard cards: the audit chain and the users (its navigation links are
in ``context_processors.SHELL_NAVIGATION``, so ``SECTIONS`` is empty here)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from assetgraph.accounts.permissions import restrict

from .context_processors import NavItem
from .dashboards import DashboardCard

SECTIONS: list[tuple[str, list[NavItem]]] = []


def audit_chain(request: Any) -> dict[str, Any]:
    """Whether the hash chain still holds the last signed checkpoint, and what is unsealed.

    A cheap check (two indexed lookups), not ``audit verify``'s full walk: the full walk reads
    every event and belongs to the CLI and the scheduled job.
    """
    from assetgraph.audit.checkpoint import database_identity, hash_at, read_checkpoint
    from assetgraph.audit.models import AuditEvent

    stored = read_checkpoint()
    checkpoint = stored.checkpoint
    unsealed = AuditEvent.objects.filter(chain_seq__isnull=True).count()
    if stored.problem:
        note, alert = stored.problem, True
    elif checkpoint is None or checkpoint.database != database_identity():
        note, alert = "no checkpoint yet: run `assetgraph audit checkpoint`", False
    elif hash_at(checkpoint.chain_seq) != checkpoint.hash:
        note, alert = (
            f"chain position {checkpoint.chain_seq} no longer matches its checkpoint",
            True,
        )
    else:
        note, alert = f"intact at the checkpoint of {checkpoint.written_at[:16]}", False
    if unsealed:
        note += f"; {unsealed} event(s) waiting to be sealed"
    return {
        "count": "Broken" if alert else "OK",
        "note": note,
        "url": reverse("ui:audit_log"),
        "alert": alert,
    }


def users(request: Any) -> dict[str, Any]:
    """Active logins, with the ones that need an administrator: locked out, without a role,
    deactivated."""
    from assetgraph.accounts.models import LoginThrottle, User

    visible = restrict(User.objects.all(), request.user, "view")
    active = visible.filter(is_active=True)
    locked = LoginThrottle.objects.filter(
        key__startswith="pair:", locked_until__gt=timezone.now()
    ).count()
    base = reverse("ui:user_list")
    return {
        "count": active.count(),
        "note": "active users",
        "url": base,
        "rows": [
            {
                "label": "Without a role",
                "count": active.filter(roles__isnull=True).count(),
                "url": base + "?" + urlencode({"status": "norole"}),
            },
            {
                "label": "Deactivated",
                "count": visible.filter(is_active=False).count(),
                "url": base + "?" + urlencode({"status": "inactive"}),
            },
            {"label": "Sign-ins locked out now", "count": locked, "url": base},
        ],
        "chart": False,
    }


DASHBOARD_CARDS = [
    DashboardCard(
        "audit-chain",
        "Audit chain",
        ("Admin", "Compliance", "Security"),
        audit_chain,
        needs=("audit.auditevent",),
        description="whether the tamper-evident audit trail still matches its checkpoint",
    ),
    DashboardCard(
        "users",
        "Users",
        ("Admin",),
        users,
        needs=("accounts.user",),
        description="active, without a role, deactivated, locked out",
    ),
]
