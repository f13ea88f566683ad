"""The person page's "What they hold" section: assets in their custody, each with its
acceptance state (a pending one shows its full link, to send by hand until notifications
e-mail it), plus the check-in-all action. (Their endpoints' CIs are the CMDB's section.)

Why on the person page: the helpdesk starts from the person (a leaver, a caller), not from an
asset; one page answers "what does Minh hold and what is still to accept".
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.ui.generic import link

from .choices import AcceptanceChoices
from .models import Asset, CustodyRecord

MAX_ROWS = 100


def person_holdings_section(request: HttpRequest, person: Any) -> dict[str, Any] | None:
    """Assets the person holds (as far as the viewer may see) and their acceptances."""
    user = request.user
    if not has_perm(user, "assets.asset", "view"):
        return None
    held = restrict(
        Asset.objects.filter(custodian=person).select_related("model"), user, "view"
    ).order_by("asset_tag")
    total = held.count()
    rows_of = list(held[:MAX_ROWS])
    open_records = {
        r.asset_id: r
        for r in CustodyRecord.objects.filter(
            asset__in=[a.pk for a in rows_of], checked_in_at__isnull=True
        )
    }
    rows = []
    pending = 0
    for asset in rows_of:
        record = open_records.get(asset.pk)
        acceptance: Any = ""
        if record is not None and record.acceptance != AcceptanceChoices.NOT_REQUIRED:
            acceptance = record.get_acceptance_display()
            if record.acceptance == AcceptanceChoices.PENDING and record.acceptance_token:
                pending += 1
                url = reverse("ui:assets:accept", args=[record.acceptance_token])
                acceptance = {
                    "copy_text": request.build_absolute_uri(url),
                    "id": f"accept-link-{record.pk}",
                    "text": "Pending",
                }
        rows.append(
            [
                link(asset, "ui:assets:asset_detail"),
                str(asset.model),
                record.checked_out_at.date() if record is not None else "",
                acceptance,
            ]
        )
    if not rows:
        return None
    actions = []
    if has_perm(user, "assets.asset", "checkin"):
        actions.append(
            {
                "label": "Check in all…",
                "url": reverse("ui:assets:person_custody", args=[person.pk]),
                "id": "check-in-all",
                "icon": "box-arrow-in-down",
            }
        )
    title = f"What they hold ({total})"
    if pending:
        title += f" · {pending} waiting for acceptance"
    return {
        "title": title,
        "id": "holdings",
        "headers": ["Asset", "Model", "Since", "Acceptance"],
        "rows": rows,
        "actions": actions,
        "more_url": reverse("ui:assets:person_custody", args=[person.pk])
        if total > MAX_ROWS
        else None,
    }
