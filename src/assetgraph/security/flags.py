"""The security app's business flag for the technical views (declared in ``resources.py``).

Rule (docs/both-layers.md): a CI is flagged ``known_vulnerabilities`` when it has findings
the caller may see in status *open* or *in progress* (risk-accepted and fixed ones are not
counted). The detail gives their number, the highest severity and the most urgent finding's
advisory and priority; the flag links to the CI's findings list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.urls import reverse

from assetgraph.accounts.permissions import has_perm
from assetgraph.framework.flags import BusinessFlag, FlagSource, chunked

from .choices import FindingStatusChoices
from .reads import visible_findings

ACTIVE = (FindingStatusChoices.OPEN, FindingStatusChoices.IN_PROGRESS)
SEVERITY_ORDER = ("critical", "high", "medium", "low", "none", "unknown")


def known_vulnerabilities(
    user: Any, pks: Sequence[int], on: dt.date
) -> dict[int, list[BusinessFlag]]:
    if not has_perm(user, "security.finding", "view"):
        return {}
    by_ci: dict[int, list[tuple[int, str, str]]] = {}
    for chunk in chunked(pks):
        rows = (
            visible_findings(user)
            .filter(ci_id__in=chunk, status__in=ACTIVE)
            .values_list("ci_id", "priority", "severity", "advisory__identifier")
        )
        for ci, priority, severity, advisory in rows:
            by_ci.setdefault(ci, []).append((priority, severity, advisory))
    listing = reverse("ui:security:finding_list")
    out: dict[int, list[BusinessFlag]] = {}
    for ci, found in by_ci.items():
        worst = min(
            (s for _, s, _ in found),
            key=lambda s: SEVERITY_ORDER.index(s) if s in SEVERITY_ORDER else len(SEVERITY_ORDER),
        )
        priority, _, advisory = max(found)
        out[ci] = [
            BusinessFlag(
                "known_vulnerabilities",
                "Known vulnerabilities",
                f"{len(found)} open finding(s), highest severity {worst}; most urgent {advisory} "
                f"(priority {priority})",
                f"{listing}?ci_id={ci}&status=open",
            )
        ]
    return out


FLAG_SOURCES = [
    FlagSource(
        "known_vulnerabilities",
        "Known vulnerabilities",
        "The CI has open or in-progress security findings.",
        known_vulnerabilities,
        order=35,
    )
]
