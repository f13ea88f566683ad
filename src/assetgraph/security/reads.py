"""Reads of the security app: overdue findings, findings by service, the dashboard's counts
and the blast radius of an advisory. Every read takes the caller and filters with
``restrict`` (hidden objects are absent)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from assetgraph.accounts.permissions import restrict
from assetgraph.cmdb.models import CI

from .choices import ACTIVE_STATUSES, SEVERITY_ORDER
from .models import Advisory, Finding, PolicyRun

AGE_BUCKETS = ((7, "0-7 days"), (30, "8-30 days"), (90, "31-90 days"), (None, "over 90 days"))


def visible(queryset: QuerySet[Any], user: Any, action: str = "view") -> QuerySet[Any]:
    """``queryset`` as ``user`` may see it; everything for the system (``user`` None: the
    CLI without ``--user`` and scheduled jobs, which act as the system)."""
    return queryset if user is None else restrict(queryset, user, action)


def overdue_q() -> Q:
    """Active findings whose SLA due date has passed."""
    return Q(status__in=ACTIVE_STATUSES, due_date__lt=timezone.localdate())


def is_overdue(finding: Finding) -> bool:
    """Whether one finding is active and past its due date."""
    return bool(
        finding.status in ACTIVE_STATUSES
        and finding.due_date is not None
        and finding.due_date < timezone.localdate()
    )


def findings_of_service(service: str) -> list[int]:
    """Findings whose CI a business service depends on (by the service's id or name), as
    recorded by the last matching run's exposure."""
    ids: list[int] = []
    wanted = service.strip().lower()
    for pk, exposure in Finding.objects.values_list("pk", "exposure"):
        for item in (exposure or {}).get("services", []):
            if str(item.get("id")) == wanted or str(item.get("name", "")).lower() == wanted:
                ids.append(pk)
                break
    return ids


def visible_findings(user: Any) -> QuerySet[Finding]:
    """The findings the user may view, with what lists show."""
    return visible(Finding.objects.select_related("advisory", "ci", "owner", "accepted_by"), user)


def dashboard(user: Any) -> dict[str, Any]:
    """Counts for the security dashboard: active findings by severity, status, age and
    service, overdue and internet-exposed counts, and the policies' latest runs."""
    findings = visible_findings(user)
    active = findings.filter(status__in=ACTIVE_STATUSES)
    by_severity = Counter(dict.fromkeys(SEVERITY_ORDER, 0))
    by_severity.update(active.values_list("severity", flat=True))
    by_status = Counter(findings.values_list("status", flat=True))
    today = timezone.localdate()
    by_age: Counter[str] = Counter({label: 0 for _d, label in AGE_BUCKETS})
    services: dict[str, Counter[str]] = defaultdict(Counter)
    visible_cis = set(visible(CI.objects.all(), user).values_list("pk", flat=True))
    for first_seen, severity, exposure in active.values_list("first_seen", "severity", "exposure"):
        age = (today - timezone.localdate(first_seen)).days
        label = next(lbl for days, lbl in AGE_BUCKETS if days is None or age <= days)
        by_age[label] += 1
        for item in (exposure or {}).get("services", []):
            if item.get("id") in visible_cis:
                services[str(item.get("name"))][severity] += 1
    by_service = sorted(
        ({"service": name, "total": sum(c.values()), **dict(c)} for name, c in services.items()),
        key=lambda row: (-sum(services[str(row["service"])].values()), str(row["service"])),
    )[:15]
    return {
        "by_severity": dict(by_severity),
        "by_status": dict(by_status),
        "by_age": dict(by_age),
        "by_service": by_service,
        "overdue": active.filter(overdue_q()).count(),
        "internet_exposed": active.filter(internet_exposed=True).count(),
    }


def latest_runs(user: Any) -> list[dict[str, Any]]:
    """Each visible policy's latest run."""
    from .models import Policy

    rows = []
    for policy in visible(Policy.objects.all(), user):
        run = PolicyRun.objects.filter(policy=policy).first()
        rows.append(
            {
                "id": policy.pk,
                "policy": policy.name,
                "failed": run.failed if run else None,
                "passed": run.passed if run else None,
                "exempt": run.exempt if run else None,
                "evaluated_at": run.evaluated_at.isoformat() if run else None,
            }
        )
    return rows


def blast_radius(user: Any, advisory: Advisory) -> dict[str, Any]:
    """Every visible CI an advisory touches (its findings' CIs and everything depending on
    them) and the business services among them, with tiers."""
    findings = visible_findings(user).filter(advisory=advisory).exclude(status="fixed")
    affected_ids = set(findings.values_list("ci_id", flat=True))
    from assetgraph.impact.exposure import exposure_of

    exposures = exposure_of(affected_ids)
    dependent_ids = {pk for e in exposures.values() for pk in e.dependents}
    shown = visible(CI.objects.filter(pk__in=affected_ids | dependent_ids), user)
    names = {pk: (name, cls) for pk, name, cls in shown.values_list("pk", "name", "ci_class__name")}
    services: dict[int, dict[str, Any]] = {}
    for exposure in exposures.values():
        for service in exposure.services:
            if service.pk in names:
                services.setdefault(
                    service.pk, {"id": service.pk, "name": service.name, "tier": service.tier}
                )
    cis = [
        {
            "id": pk,
            "name": names[pk][0],
            "class": names[pk][1],
            "role": "affected" if pk in affected_ids else "depends on an affected CI",
            "internet_facing": bool(exposures.get(pk) and exposures[pk].internet_facing),
        }
        for pk in sorted(names, key=lambda p: (p not in affected_ids, names[p][0]))
    ]
    return {
        "advisory": advisory.identifier,
        "findings": findings.count(),
        "cis": cis,
        "services": sorted(services.values(), key=lambda s: (s["tier"], s["name"])),
        "internet_exposed": findings.filter(internet_exposed=True).count(),
    }


def advisory_by_name(user: Any, name: str) -> Advisory | None:
    """A visible advisory by identifier or alias (CVE-… finds its GHSA record too)."""
    advisories: QuerySet[Advisory] = (
        restrict(Advisory.objects.all(), user, "view") if user else Advisory.objects.all()
    )
    found = advisories.filter(identifier__iexact=name).first()
    if found is not None:
        return found
    wanted = name.strip().upper()
    for advisory in advisories.filter(aliases__icontains=wanted):
        if wanted in (a.upper() for a in advisory.aliases):
            return advisory
    return None


def sort_by_severity(rows: list[Finding]) -> list[Finding]:
    """Most severe first, then by priority."""
    return sorted(rows, key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), -f.priority))
