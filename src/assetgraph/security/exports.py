"""Export columns of findings (CSV/XLSX for auditors; formula cells are escaped by the
shared writer)."""

from __future__ import annotations

from typing import Any

from .reads import is_overdue


def _ci(f: Any) -> str:
    return str(f.ci.name)


FINDING_COLUMNS: list[tuple[str, Any]] = [
    ("id", lambda f: f.pk),
    ("advisory", lambda f: f.advisory.identifier),
    ("aliases", lambda f: " ".join(f.advisory.aliases)),
    ("ci", _ci),
    ("package", lambda f: f.package),
    ("installed_version", lambda f: f.installed_version),
    ("fixed_version", lambda f: f.fixed_version),
    ("why", lambda f: f.reason),
    ("severity", lambda f: f.severity),
    ("cvss", lambda f: f.cvss_score),
    ("priority", lambda f: f.priority),
    ("band", lambda f: f.priority_band),
    ("internet_exposed", lambda f: "yes" if f.internet_exposed else "no"),
    ("service_tier", lambda f: f.service_tier),
    ("owner", lambda f: str(f.owner or "")),
    ("status", lambda f: f.status),
    ("first_seen", lambda f: f.first_seen),
    ("due_date", lambda f: f.due_date),
    ("overdue", lambda f: "yes" if is_overdue(f) else "no"),
    ("resolved_at", lambda f: f.resolved_at),
    ("resolution", lambda f: f.resolution),
    ("accepted_by", lambda f: f.accepted_by.username if f.accepted_by_id else ""),
    ("accepted_reason", lambda f: f.accepted_reason),
    ("accepted_until", lambda f: f.accepted_until),
]
