"""Writes of the security app: advisory and exploit-data imports, matching runs that open,
refresh, close and reopen findings, the findings workflow and risk acceptance. Each runs in
one transaction and appends its audit events in it (docs/security.md).

End of life, policies and evidence have their own modules (``eol``, ``policies``,
``evidence``); they follow the same rules.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from assetgraph.accounts.permissions import authorize, has_perm
from assetgraph.audit.services import EventSpec, record_event, record_events, snapshot
from assetgraph.cmdb.models import CI
from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict, PermissionDenied, ValidationFailed
from assetgraph.impact.exposure import CIExposure, exposure_of

from .choices import ACTIVE_STATUSES, FindingStatusChoices, SeverityChoices
from .feeds import ParsedAdvisory, ParseOutcome
from .gitrefs import git_only
from .matching import AdvisoryIndex, AffectedEntry
from .models import Advisory, AffectedPackage, Finding
from .targets import desired_matches, load_targets

ADVISORY_TYPE = "security.advisory"
FINDING_TYPE = "security.finding"

# Days to fix a finding after it was first seen, by severity (docs/security.md, "SLA").
SLA_DAYS = {"critical": 15, "high": 30, "medium": 90, "low": 180, "none": 365, "unknown": 90}
# The score used when an advisory carries no CVSS vector (the middle of its band).
SEVERITY_SCORE = {"critical": 9.5, "high": 8.0, "medium": 5.5, "low": 2.0, "none": 0.0}
SEVERITY_SCORE["unknown"] = 5.0
TIER_FACTOR = {1: 1.3, 2: 1.15, 3: 1.0, 4: 0.9}
NO_SERVICE_FACTOR = 0.9
INTERNET_FACTOR = 1.3
KEV_FACTOR = 1.5
BANDS = ((70, "P1"), (45, "P2"), (25, "P3"), (0, "P4"))
# The product of the factors' maxima: dividing by it puts the worst case at exactly 100.
WORST = KEV_FACTOR * INTERNET_FACTOR * TIER_FACTOR[1]


# ------------------------------------------------------------------------------ advisories
@dataclass
class ImportResult:
    """What an advisory import did."""

    files: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    identifiers: list[str] = field(default_factory=list)
    # Advisories of the upload whose only evidence is GIT ranges (no ECOSYSTEM or SEMVER
    # range, no versions list): kept, but offline they match only a component at an
    # event's commit (docs/security.md, "GIT ranges").
    git_only: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "withdrawn": self.withdrawn,
            "git_only": len(self.git_only),
            "git_only_advisories": self.git_only[:100],
        }


def require(actor: Actor, object_type: str, action: str) -> None:
    """Fail with a 403 unless the actor holds ``action`` on ``object_type`` (bulk writes
    with no single instance to authorise; system actors pass)."""
    if actor.is_system:
        return
    if not has_perm(actor.user, object_type, action):
        raise PermissionDenied(f"you may not {action} {object_type}")


def _refuse(errors: Sequence[Mapping[str, str]]) -> ValidationFailed:
    fields: dict[str, list[str]] = defaultdict(list)
    for error in errors[:200]:
        fields[error["where"]].append(error["message"])
    first = errors[0]
    return ValidationFailed(
        f"{len(errors)} error(s); nothing was imported. First: {first['where']}: "
        f"{first['message']}",
        fields=fields,
    )


def import_advisories(actor: Actor, outcome: ParseOutcome) -> ImportResult:
    """Create or update the parsed advisories (by identifier), all or nothing.

    An unchanged record (same content hash) is left alone; a changed one is updated in
    place and its affected entries replaced; a withdrawn one is kept, marked, and no longer
    matched. Any file or record error refuses the whole upload (422 naming each).
    """
    require(actor, ADVISORY_TYPE, "add")
    if outcome.errors:
        raise _refuse(outcome.errors)
    latest: dict[str, ParsedAdvisory] = {}
    for parsed in outcome.advisories:
        current = latest.get(parsed.identifier)
        if current is None or (parsed.modified or _EPOCH) >= (current.modified or _EPOCH):
            latest[parsed.identifier] = parsed
    result = ImportResult(files=outcome.files)
    result.git_only = sorted(
        identifier
        for identifier, parsed in latest.items()
        if parsed.affected and all(git_only(a.ranges, a.versions) for a in parsed.affected)
    )
    with transaction.atomic():
        existing = {a.identifier: a for a in Advisory.objects.filter(identifier__in=list(latest))}
        specs: list[EventSpec] = []
        replaced: list[int] = []
        new_rows: list[tuple[Advisory, ParsedAdvisory]] = []
        for identifier, parsed in sorted(latest.items()):
            advisory = existing.get(identifier)
            if advisory is not None and advisory.content_hash == parsed.content_hash:
                result.unchanged += 1
                continue
            before = snapshot(advisory) if advisory is not None else None
            advisory = advisory or Advisory(identifier=identifier)
            _assign(advisory, parsed)
            try:
                advisory.full_clean(validate_unique=False)
            except Exception as exc:
                raise ValidationFailed(
                    f"{parsed.where}: {exc}", fields={parsed.where: [str(exc)]}
                ) from None
            created = advisory.pk is None
            advisory.save()
            if created:
                result.created += 1
            else:
                result.updated += 1
                replaced.append(advisory.pk)
            if advisory.withdrawn is not None:
                result.withdrawn += 1
            result.identifiers.append(identifier)
            new_rows.append((advisory, parsed))
            specs.append(
                EventSpec(
                    ADVISORY_TYPE,
                    advisory.pk,
                    "create" if created else "update",
                    before=before,
                    after=_audit_view(snapshot(advisory)),
                    object_repr=identifier,
                )
            )
        AffectedPackage.objects.filter(advisory_id__in=replaced).delete()
        AffectedPackage.objects.bulk_create(
            [
                AffectedPackage(
                    advisory=advisory,
                    kind=entry.kind,
                    key=entry.key,
                    ecosystem=entry.ecosystem,
                    distro=entry.distro,
                    ranges=entry.ranges,
                    versions=entry.versions,
                )
                for advisory, parsed in new_rows
                for entry in parsed.affected
            ],
            batch_size=2000,
        )
        record_events(actor, specs)
    return result


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _audit_view(state: dict[str, Any]) -> dict[str, Any]:
    """The audited state of an advisory without its long text (kept in the row)."""
    return {k: v for k, v in state.items() if k not in {"details", "references"}}


def _assign(advisory: Advisory, parsed: ParsedAdvisory) -> None:
    advisory.source = parsed.source
    advisory.aliases = parsed.aliases
    advisory.summary = parsed.summary
    advisory.details = parsed.details
    advisory.cvss_vector = parsed.cvss_vector[:300]
    advisory.cvss_score = parsed.cvss_score
    advisory.severity = parsed.severity
    advisory.published = parsed.published
    advisory.modified = parsed.modified
    advisory.withdrawn = parsed.withdrawn
    advisory.references = parsed.references
    advisory.content_hash = parsed.content_hash


def import_exploit_data(
    actor: Actor, *, kev: set[str] | None = None, epss: Mapping[str, float] | None = None
) -> int:
    """Mark advisories known exploited (a CISA KEV catalogue replaces the previous marks) and
    set EPSS probabilities, matching the CVE id or any alias. Returns advisories changed."""
    require(actor, ADVISORY_TYPE, "change")
    changed = 0
    with transaction.atomic():
        specs = []
        for advisory in Advisory.objects.all():
            names = set(advisory.names)
            before = {"known_exploited": advisory.known_exploited, "epss": advisory.epss}
            if kev is not None:
                advisory.known_exploited = bool(names & kev)
            if epss is not None:
                scores = [epss[n] for n in names if n in epss]
                advisory.epss = max(scores) if scores else advisory.epss
            after = {"known_exploited": advisory.known_exploited, "epss": advisory.epss}
            if after != before:
                advisory.save(update_fields=["known_exploited", "epss", "updated"])
                specs.append(
                    EventSpec(
                        ADVISORY_TYPE, advisory.pk, "update", before, after, advisory.identifier
                    )
                )
                changed += 1
        record_events(actor, specs)
    return changed


# ------------------------------------------------------------------------------ matching
@dataclass
class MatchSummary:
    """What a matching run did."""

    matched: int = 0
    created: int = 0
    refreshed: int = 0
    reopened: int = 0
    closed: int = 0
    expired_acceptances: int = 0
    # CPE matches dropped because the platform their NVD configuration needs is absent.
    platform_unmet: int = 0
    # Advisories in the run whose only evidence is GIT ranges: matched by commit only.
    git_only: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def load_index(advisory_ids: Iterable[int] | None = None) -> AdvisoryIndex:
    """The affected entries of every current (not withdrawn) advisory, indexed by key."""
    rows = AffectedPackage.objects.filter(advisory__withdrawn__isnull=True)
    if advisory_ids is not None:
        rows = rows.filter(advisory_id__in=list(advisory_ids))
    index = AdvisoryIndex()
    git_state: dict[str, bool] = {}
    for pk, advisory, kind, key, ecosystem, distro, ranges, versions in rows.order_by(
        "advisory_id", "pk"
    ).values_list("pk", "advisory_id", "kind", "key", "ecosystem", "distro", "ranges", "versions"):
        purl_type = kind if kind in {"cpe", "git"} else key.split("/", 1)[0]
        git_state[str(advisory)] = git_state.get(str(advisory), True) and git_only(
            ranges or [], versions or []
        )
        index.add(
            AffectedEntry(
                ref=pk,
                advisory=str(advisory),
                kind=kind,
                key=key,
                purl_type=purl_type,
                ecosystem=ecosystem,
                distro=distro,
                ranges=tuple(ranges or ()),
                versions=tuple(versions or ()),
            )
        )
    index.git_only = {advisory for advisory, only in git_state.items() if only}
    return index


def priority_of(advisory: Advisory, exposure: CIExposure | None) -> tuple[int, str, dict[str, Any]]:
    """The priority (0-100), its band and the explanation shown on the finding:
    ``round(100 * base/10 * exploit * exposure * criticality / worst)`` where ``worst`` is
    the product of the factors' maxima (1.5 * 1.3 * 1.3), so only a CVSS 10, known exploited,
    internet-exposed flaw under a tier-1 service scores 100."""
    if advisory.cvss_score is not None:
        base = advisory.cvss_score
        base_why = f"CVSS {advisory.cvss_score:g} ({advisory.cvss_vector})"
    else:
        base = SEVERITY_SCORE.get(advisory.severity, 5.0)
        base_why = f"no CVSS vector: {advisory.severity} counts as {base:g}"
    if advisory.known_exploited:
        exploit, exploit_why = KEV_FACTOR, "known exploited (KEV)"
    else:
        epss = advisory.epss or 0.0
        exploit = 1 + 0.5 * epss
        exploit_why = f"EPSS {epss:.3f}" if advisory.epss is not None else "no exploit data"
    internet = bool(exposure and exposure.internet_facing)
    exposure_factor = INTERNET_FACTOR if internet else 1.0
    tier = exposure.best_tier if exposure else None
    criticality = TIER_FACTOR.get(tier, NO_SERVICE_FACTOR) if tier else NO_SERVICE_FACTOR
    score = min(100, round(100 * base / 10 * exploit * exposure_factor * criticality / WORST))
    band = next(name for floor, name in BANDS if score >= floor)
    explanation = {
        "formula": "round(100 * base/10 * exploit * exposure * criticality / 2.535)",
        "base": {"value": base, "why": base_why},
        "exploit": {"value": round(exploit, 4), "why": exploit_why},
        "exposure": {
            "value": exposure_factor,
            "why": "a path reaches an internet-facing CI" if internet else "no internet path",
        },
        "criticality": {
            "value": criticality,
            "why": f"tier {tier} service depends on it" if tier else "no business service",
        },
        "score": score,
        "band": band,
    }
    return score, band, explanation


def _exposure_json(exposure: CIExposure | None, names: Mapping[int, str]) -> dict[str, Any]:
    if exposure is None:
        return {}
    return {
        "internet_path": [
            {"id": pk, "name": names.get(pk, str(pk))} for pk in exposure.internet_path
        ],
        "services": [
            {"id": s.pk, "name": s.name, "tier": s.tier, "depth": s.depth}
            for s in exposure.services
        ],
        "dependents": len(exposure.dependents),
    }


def run_matching(
    actor: Actor,
    *,
    ci_ids: Iterable[int] | None = None,
    advisory_ids: Iterable[int] | None = None,
    now: dt.datetime | None = None,
) -> MatchSummary:
    """Match what runs against the advisories and bring the findings in line: new matches
    open findings, existing ones are refreshed (version, reason, exposure, priority), a
    fixed one that matches again reopens, an active one that no longer matches closes
    itself (fixed version seen, software gone, or advisory withdrawn), and an accepted risk
    past its expiry reopens. ``ci_ids``/``advisory_ids`` limit the run (incremental)."""
    require(actor, FINDING_TYPE, "change")
    now = now or timezone.now()
    today = timezone.localdate(now)
    ci_scope = None if ci_ids is None else sorted({int(c) for c in ci_ids})
    adv_scope = None if advisory_ids is None else sorted({int(a) for a in advisory_ids})
    summary = MatchSummary()
    with transaction.atomic():
        index = load_index(adv_scope)
        targets, where = load_targets(ci_scope)
        unmet = [0]
        desired = desired_matches(index, targets, where, unmet)
        summary.platform_unmet = unmet[0]
        summary.matched = len(desired)
        summary.git_only = len(index.git_only)
        existing_qs = Finding.objects.select_related("advisory")
        if ci_scope is not None:
            existing_qs = existing_qs.filter(ci_id__in=ci_scope)
        if adv_scope is not None:
            existing_qs = existing_qs.filter(advisory_id__in=adv_scope)
        existing = {(f.advisory_id, f.ci_id, f.package_key): f for f in existing_qs}
        advisories = Advisory.objects.in_bulk({a for a, _c, _k in desired})
        ci_rows = {
            pk: (name, team)
            for pk, name, team in CI.objects.filter(
                pk__in={c for _a, c, _k in desired} | {c for _a, c, _k in existing}
            ).values_list("pk", "name", "owning_team_id")
        }
        exposures = exposure_of({c for _a, c, _k in desired})
        path_names = dict(
            CI.objects.filter(
                pk__in={p for e in exposures.values() for p in e.internet_path}
            ).values_list("pk", "name")
        )
        specs: list[EventSpec] = []
        creates: list[Finding] = []
        for key, match in desired.items():
            advisory_pk, ci_pk, package_key = key
            advisory = advisories[advisory_pk]
            installed = where[match.target.ref]
            exposure = exposures.get(ci_pk)
            score, band, explanation = priority_of(advisory, exposure)
            values = {
                "install_id": installed.install,
                "package": installed.label[:500],
                "installed_version": match.target.version[:200],
                "matched_by": match.entry.kind,
                "reason": f"{match.why.text}; {installed.note}"
                if installed.note
                else match.why.text,
                "match_detail": {**match.why.detail, "affected": match.entry.ref},
                "fixed_version": match.why.fixed[:200],
                "severity": advisory.severity,
                "cvss_score": advisory.cvss_score,
                "priority": score,
                "priority_band": band,
                "priority_explanation": explanation,
                "internet_exposed": bool(exposure and exposure.internet_facing),
                "service_tier": exposure.best_tier if exposure else None,
                "exposure": _exposure_json(exposure, path_names),
                "owner_id": ci_rows.get(ci_pk, ("", None))[1] or _service_owner(exposure),
                "last_seen": now,
            }
            finding = existing.pop(key, None)
            if finding is None:
                finding = Finding(
                    advisory_id=advisory_pk,
                    ci_id=ci_pk,
                    package_key=package_key,
                    first_seen=now,
                    due_date=today + dt.timedelta(days=SLA_DAYS.get(advisory.severity, 90)),
                    **values,
                )
                creates.append(finding)
                continue
            before = snapshot(finding)
            for name, value in values.items():
                setattr(finding, name, value)
            action = "refresh"
            if finding.status == FindingStatusChoices.FIXED:
                finding.status = FindingStatusChoices.OPEN
                finding.reopened_count += 1
                finding.resolved_at = None
                finding.resolution = ""
                action = "reopen"
                summary.reopened += 1
            elif (
                finding.status == FindingStatusChoices.RISK_ACCEPTED
                and finding.accepted_until is not None
                and finding.accepted_until < today
            ):
                finding.status = FindingStatusChoices.OPEN
                action = "acceptance_expired"
                summary.expired_acceptances += 1
            else:
                summary.refreshed += 1
            finding.save()
            after = snapshot(finding)
            if action != "refresh" or _material(before, after):
                specs.append(
                    EventSpec(FINDING_TYPE, finding.pk, action, before, after, str(finding))
                )
        Finding.objects.bulk_create(creates, batch_size=2000)
        summary.created = len(creates)
        for finding in creates:
            specs.append(
                EventSpec(FINDING_TYPE, finding.pk, "create", None, snapshot(finding), str(finding))
            )
        present = _present_keys(existing.values())
        for (_advisory_pk, ci_pk, package_key), finding in existing.items():
            if finding.status == FindingStatusChoices.FIXED:
                continue
            before = snapshot(finding)
            if finding.advisory.withdrawn is not None:
                resolution = "advisory withdrawn"
            elif (ci_pk, package_key) in present:
                version = present[(ci_pk, package_key)]
                resolution = f"fixed version {version} seen" if version else "no longer affected"
            else:
                resolution = "software no longer present"
            finding.status = FindingStatusChoices.FIXED
            finding.resolved_at = now
            finding.resolution = resolution[:300]
            finding.save()
            summary.closed += 1
            specs.append(
                EventSpec(
                    FINDING_TYPE, finding.pk, "auto_close", before, snapshot(finding), str(finding)
                )
            )
        record_events(actor, specs)
    return summary


def _service_owner(exposure: CIExposure | None) -> int | None:
    """Without an owning team on the CI: the owning team of its most critical dependent
    business service (the first with one)."""
    if exposure is None or not exposure.services:
        return None
    teams = dict(
        CI.objects.filter(pk__in=[s.pk for s in exposure.services]).values_list(
            "pk", "owning_team_id"
        )
    )
    return next((teams[s.pk] for s in exposure.services if teams.get(s.pk)), None)


def _material(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Whether a refresh changed more than the last-seen stamp (worth an audit event)."""
    ignore = {"last_seen", "updated"}
    return any(before.get(k) != after.get(k) for k in set(after) - ignore)


def _present_keys(findings: Iterable[Finding]) -> dict[tuple[int, str], str]:
    """(CI, package key) → installed version, for the CIs of ``findings``: tells a fixed
    version from software that is gone."""
    cis = {f.ci_id for f in findings}
    if not cis:
        return {}
    targets, where = load_targets(cis)
    return {(where[t.ref].ci, t.key): t.version for t in targets}


# ------------------------------------------------------------------------------ workflow
TRANSITIONS = {
    "open": {"in_progress", "fixed"},
    "in_progress": {"open", "fixed"},
    "risk_accepted": {"open", "in_progress"},
    "fixed": {"open"},
}


def set_finding_status(actor: Actor, finding: Finding, status: str, note: str = "") -> Finding:
    """Move a finding along the workflow (risk acceptance has its own service)."""
    if status == FindingStatusChoices.RISK_ACCEPTED:
        raise ValidationFailed(
            "status: accept a risk with its approver, reason and expiry",
            fields={"status": ["use the accept-risk action"]},
        )
    if status not in FindingStatusChoices.values:
        raise ValidationFailed(f"status: unknown status {status!r}", fields={"status": ["unknown"]})
    authorize(actor, "change", finding)
    if status == finding.status:
        return finding
    if status not in TRANSITIONS[finding.status]:
        raise Conflict(f"a {finding.get_status_display().lower()} finding cannot become {status}")
    with transaction.atomic():
        before = snapshot(finding)
        finding.status = status
        if status == FindingStatusChoices.FIXED:
            finding.resolved_at = timezone.now()
            finding.resolution = (note or "marked fixed")[:300]
        else:
            finding.resolved_at = None
            finding.resolution = ""
            finding.accepted_by = None
            finding.accepted_reason = ""
            finding.accepted_until = None
        finding.save()
        after = snapshot(finding)
        if note:
            after["note"] = note[:500]
        record_event(actor, "status", finding, before=before, after=after)
    return finding


def accept_risk(
    actor: Actor,
    finding: Finding,
    *,
    reason: str,
    until: dt.date,
    approver: Any = None,
) -> Finding:
    """Accept a finding's risk until a date, with its approver (the caller by default) and
    reason; the next matching run after the expiry reopens it."""
    authorize(actor, "change", finding)
    errors: dict[str, list[str]] = {}
    if not reason or not reason.strip():
        errors["reason"] = ["a reason is required"]
    if until <= timezone.localdate():
        errors["until"] = ["the expiry must be in the future"]
    approver = approver or actor.user
    if approver is None:
        errors["approver"] = ["an approver is required"]
    if finding.status == FindingStatusChoices.FIXED:
        errors["status"] = ["a fixed finding has no risk to accept"]
    if errors:
        name, messages = next(iter(errors.items()))
        raise ValidationFailed(f"{name}: {messages[0]}", fields=errors)
    with transaction.atomic():
        before = snapshot(finding)
        finding.status = FindingStatusChoices.RISK_ACCEPTED
        finding.accepted_by = approver
        finding.accepted_reason = reason.strip()
        finding.accepted_until = until
        finding.save()
        record_event(actor, "accept_risk", finding, before=before, after=snapshot(finding))
    return finding


def bulk_set_status(actor: Actor, findings: Iterable[Finding], status: str) -> int:
    """The same status change on many findings, all or nothing."""
    count = 0
    with transaction.atomic():
        for finding in findings:
            if finding.status != status:
                set_finding_status(actor, finding, status)
                count += 1
    return count


def severity_rank(severity: str) -> int:
    """0 for critical … 5 for unknown (sorting and thresholds)."""
    order = [c.value for c in SeverityChoices]
    return order.index(severity) if severity in order else len(order)


def active_statuses() -> tuple[str, ...]:
    """Statuses that still need work."""
    return ACTIVE_STATUSES
