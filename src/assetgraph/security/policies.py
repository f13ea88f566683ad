"""Policies as data: a scope (class and filter over current CIs) and a condition every CI in
scope must satisfy, evaluated on demand and on a schedule, with results, trend (the series of
runs) and exceptions (docs/security.md, "Policies").

Scope filter keys: a CI field (``environment``, ``criticality``, ``operational_status``,
``owning_team``), ``attr.<key>``, or ``service_tier`` (N: CIs a business service of tier ≤ N
depends on). Condition: one check, or ``{"all": [...]}`` / ``{"any": [...]}`` of checks:

- ``{"attribute": "encrypted", "equals": true}`` (also ``"in": [...]``, ``"exists": true``);
- ``{"eol": "os"}`` / ``"software"`` / ``"any"``: nothing of that kind past end of life;
- ``{"findings": {"severity_at_least": "high", "max": 0}}``: active findings at or above;
- ``{"software": {"deny": ["telnet*"]}}`` or ``{"software": {"allow": [...]}}``
  (product names, shell wildcards, case-insensitive);
- ``{"licences": {"deny": ["copyleft", "SSPL-1.0"]}}``: no SBOM component whose SPDX
  expression cannot be satisfied without a denied licence (``MIT OR GPL-2.0`` passes,
  ``MIT AND GPL-2.0`` fails).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from license_expression import (
    AND,
    OR,
    ExpressionError,
    LicenseSymbol,
    LicenseWithExceptionSymbol,
    get_spdx_licensing,
)

from assetgraph.accounts.permissions import restrict
from assetgraph.audit.services import record_event, snapshot
from assetgraph.cmdb.models import CI, SoftwareInstall, subclass_ids
from assetgraph.core.actor import Actor
from assetgraph.core.errors import ValidationFailed
from assetgraph.framework.crud import create_instance, delete_instance, update_instance
from assetgraph.impact.exposure import exposure_of

from .choices import ACTIVE_STATUSES, SEVERITY_ORDER, PolicyOutcomeChoices
from .eol import eol_report
from .models import Finding, Policy, PolicyException, PolicyResult, PolicyRun

CI_FIELDS = {"environment", "criticality", "operational_status", "owning_team", "ci_class"}
# SPDX licence id prefixes counted as copyleft ("copyleft" in a deny list).
COPYLEFT_PREFIXES = (
    "GPL-",
    "AGPL-",
    "LGPL-",
    "MPL-",
    "EPL-",
    "EUPL-",
    "OSL-",
    "CDDL-",
    "SSPL-",
    "CC-BY-SA-",
    "CPL-",
    "APSL-",
    "ODbL-",
)
CHECKS = {"attribute", "eol", "findings", "software", "licences", "all", "any"}
_LICENSING = get_spdx_licensing()


# ------------------------------------------------------------------------------ validation
def validate_policy(policy: Policy) -> None:
    """Refuse a scope filter or condition the evaluator would not understand (422 naming
    the field), so a saved policy always runs."""
    if not isinstance(policy.scope_filter, dict):
        raise ValidationFailed(
            "scope_filter: must be an object", fields={"scope_filter": ["not an object"]}
        )
    for key in policy.scope_filter:
        if key not in CI_FIELDS and key != "service_tier" and not key.startswith("attr."):
            raise ValidationFailed(
                f"scope_filter: unknown key {key!r}",
                fields={"scope_filter": [f"unknown key {key}"]},
            )
    _check_condition(policy.condition, "condition")


def _check_condition(condition: Any, where: str) -> None:
    if not isinstance(condition, dict) or len(condition) == 0:
        raise ValidationFailed(
            f"{where}: must be a non-empty object",
            fields={"condition": [f"{where}: not an object"]},
        )
    kind = next((k for k in condition if k in CHECKS), None)
    if kind is None:
        raise ValidationFailed(
            f"{where}: one of {', '.join(sorted(CHECKS))} expected",
            fields={"condition": [f"{where}: unknown check"]},
        )
    if kind in {"all", "any"}:
        parts = condition[kind]
        if not isinstance(parts, list) or not parts:
            raise ValidationFailed(
                f"{where}.{kind}: a non-empty list", fields={"condition": [f"{where}.{kind}"]}
            )
        for number, part in enumerate(parts):
            _check_condition(part, f"{where}.{kind}[{number}]")
    elif kind == "eol" and condition["eol"] not in {"os", "software", "any"}:
        raise ValidationFailed(
            f"{where}.eol: os, software or any", fields={"condition": [f"{where}.eol"]}
        )
    elif kind == "licences":
        denied = (
            (condition["licences"] or {}).get("deny")
            if isinstance(condition["licences"], dict)
            else None
        )
        if not isinstance(denied, list) or not denied:
            raise ValidationFailed(
                f"{where}.licences.deny: a list", fields={"condition": [f"{where}.licences"]}
            )
    elif kind == "software":
        rule = condition["software"]
        if not isinstance(rule, dict) or not ({"allow", "deny"} & set(rule)):
            raise ValidationFailed(
                f"{where}.software: allow or deny list", fields={"condition": [f"{where}.software"]}
            )


def create_policy(actor: Actor, values: Mapping[str, Any]) -> Policy:
    """Add a policy (validated: the evaluator understands its scope and condition)."""
    return create_instance(actor, Policy, values, validate=validate_policy)


def update_policy(
    actor: Actor, policy: Policy, changes: Mapping[str, Any], expected_etag: str | None = None
) -> Policy:
    """Change a policy."""
    return update_instance(
        actor, policy, changes, expected_etag=expected_etag, validate=validate_policy
    )


def delete_policy(actor: Actor, policy: Policy) -> None:
    """Delete a policy with its runs and exceptions."""
    delete_instance(actor, policy)


def _exception_values(actor: Actor, values: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(values)
    if "expires" in result and result["expires"] and result["expires"] <= timezone.localdate():
        raise ValidationFailed(
            "expires: must be in the future", fields={"expires": ["in the past"]}
        )
    return result


def create_exception(actor: Actor, values: Mapping[str, Any]) -> PolicyException:
    """Exempt a CI from a policy until a date; the approver is the caller."""
    data = _exception_values(actor, values)
    data.setdefault("approved_by", actor.user)
    return create_instance(actor, PolicyException, data)


def update_exception(
    actor: Actor,
    exception: PolicyException,
    changes: Mapping[str, Any],
    expected_etag: str | None = None,
) -> PolicyException:
    """Change an exception's reason or expiry."""
    return update_instance(
        actor, exception, _exception_values(actor, changes), expected_etag=expected_etag
    )


def delete_exception(actor: Actor, exception: PolicyException) -> None:
    """End an exception."""
    delete_instance(actor, exception)


# ------------------------------------------------------------------------------ evaluation
def scope_of(policy: Policy) -> list[CI]:
    """The current CIs a policy applies to."""
    cis = CI.objects.current().select_related("ci_class")
    if policy.scope_class_id is not None:
        cis = cis.filter(ci_class_id__in=subclass_ids(policy.scope_class_id))
    tier = None
    for key, value in policy.scope_filter.items():
        if key == "service_tier":
            tier = int(value)
        elif key.startswith("attr."):
            cis = cis.filter(**{f"attributes__{key[5:]}": value})
        elif key in {"owning_team", "ci_class"}:
            cis = cis.filter(**{f"{key}_id": value})
        else:
            cis = cis.filter(**{key: value})
    found = list(cis)
    if tier is not None:
        exposures = exposure_of([ci.pk for ci in found])
        found = [ci for ci in found if (exposures[ci.pk].best_tier or 99) <= tier]
    return found


class _Facts:
    """What the checks read, loaded once per run for the CIs in scope."""

    def __init__(self, cis: list[CI]) -> None:
        ids = [ci.pk for ci in cis]
        self.software: dict[int, list[tuple[str, str]]] = defaultdict(list)
        self.licences: dict[int, list[tuple[str, list[str]]]] = defaultdict(list)
        for ci, name, version, licences in SoftwareInstall.objects.filter(
            ci_id__in=ids
        ).values_list("ci_id", "product__name", "version", "evidence__licences"):
            self.software[ci].append((name, version))
            if licences:
                self.licences[ci].append((name, list(licences)))
        self.findings: dict[int, list[str]] = defaultdict(list)
        for ci, severity in Finding.objects.filter(
            ci_id__in=ids, status__in=ACTIVE_STATUSES
        ).values_list("ci_id", "severity"):
            self.findings[ci].append(severity)
        self.eol: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for row in eol_report(None, ci_ids=ids) if ids else []:
            if row.ci is not None and row.status == "past":
                self.eol[row.ci.pk].append((row.kind, f"{row.product} {row.version or ''}".strip()))


def _licence_ok(expression: str, denied: list[str]) -> bool:
    """Whether the SPDX expression can be satisfied without a denied licence."""
    try:
        parsed = _LICENSING.parse(expression, validate=False)
    except ExpressionError:
        return False
    if parsed is None:
        return True

    def allowed(node: Any) -> bool:
        if isinstance(node, LicenseWithExceptionSymbol):
            node = node.license_symbol
        if isinstance(node, LicenseSymbol):
            key = str(node.key)
            for rule in denied:
                if rule.lower() == "copyleft" and key.upper().startswith(
                    tuple(p.upper() for p in COPYLEFT_PREFIXES)
                ):
                    return False
                if rule.lower() == key.lower():
                    return False
            return True
        if isinstance(node, AND):
            return all(allowed(a) for a in node.args)
        if isinstance(node, OR):
            return any(allowed(a) for a in node.args)
        return True

    return allowed(parsed)


def _attribute(condition: dict[str, Any], ci: CI, facts: _Facts) -> str | None:
    key = str(condition["attribute"])
    value = getattr(ci, key, None) if key in CI_FIELDS else ci.attributes.get(key)
    if "equals" in condition and value != condition["equals"]:
        return f"{key} is {value!r}, not {condition['equals']!r}"
    if "in" in condition and value not in condition["in"]:
        return f"{key} is {value!r}, not one of {condition['in']!r}"
    if condition.get("exists") and value in (None, ""):
        return f"{key} is not set"
    return None


def _eol(condition: dict[str, Any], ci: CI, facts: _Facts) -> str | None:
    kinds = {"os", "software"} if condition["eol"] == "any" else {condition["eol"]}
    past = [what for kind, what in facts.eol.get(ci.pk, []) if kind in kinds]
    return f"past end of life: {', '.join(past)}" if past else None


def _findings(condition: dict[str, Any], ci: CI, facts: _Facts) -> str | None:
    rule = condition["findings"] or {}
    floor_name = str(rule.get("severity_at_least", "low"))
    floor = SEVERITY_ORDER.get(floor_name, 3)
    count = sum(1 for s in facts.findings.get(ci.pk, []) if SEVERITY_ORDER.get(s, 9) <= floor)
    if count > int(rule.get("max", 0)):
        return f"{count} active finding(s) at or above {floor_name}"
    return None


def _software(condition: dict[str, Any], ci: CI, facts: _Facts) -> str | None:
    rule = condition["software"]
    names = [name for name, _v in facts.software.get(ci.pk, [])]

    def listed(name: str, patterns: list[str]) -> bool:
        return any(fnmatch.fnmatch(name.lower(), p.lower()) for p in patterns)

    denied = sorted({n for n in names if "deny" in rule and listed(n, rule["deny"])})
    if denied:
        return f"denied software: {', '.join(denied)}"
    unlisted = sorted({n for n in names if "allow" in rule and not listed(n, rule["allow"])})
    if unlisted:
        return f"software not on the allow list: {', '.join(unlisted[:10])}"
    return None


def _licences(condition: dict[str, Any], ci: CI, facts: _Facts) -> str | None:
    denied = [str(d) for d in condition["licences"]["deny"]]
    bad = [
        f"{name} ({' AND '.join(licences)})"
        for name, licences in facts.licences.get(ci.pk, [])
        if not all(_licence_ok(expression, denied) for expression in licences)
    ]
    return f"denied licences: {', '.join(bad[:10])}" if bad else None


_HANDLERS = {
    "attribute": _attribute,
    "eol": _eol,
    "findings": _findings,
    "software": _software,
    "licences": _licences,
}


def _evaluate(condition: dict[str, Any], ci: CI, facts: _Facts) -> str | None:
    """None when ``ci`` satisfies ``condition``, else why not."""
    if "all" in condition:
        for part in condition["all"]:
            failure = _evaluate(part, ci, facts)
            if failure:
                return failure
        return None
    if "any" in condition:
        failures = [_evaluate(part, ci, facts) for part in condition["any"]]
        return None if any(f is None for f in failures) else "; ".join(f for f in failures if f)
    for key, handler in _HANDLERS.items():
        if key in condition:
            return handler(condition, ci, facts)
    return "unknown condition"


def evaluate_policy(
    actor: Actor, policy: Policy, *, trigger: str = "on demand", now: dt.datetime | None = None
) -> PolicyRun:
    """Evaluate one policy now: a run with its counts, and a result row per failing or
    exempt CI. Audited as an event on the policy."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        cis = scope_of(policy)
        facts = _Facts(cis)
        exempt = dict(
            PolicyException.objects.filter(policy=policy, expires__gte=today).values_list(
                "ci_id", "reason"
            )
        )
        run = PolicyRun.objects.create(
            policy=policy, evaluated_at=now, trigger=trigger[:20], in_scope=len(cis)
        )
        results = []
        for ci in cis:
            failure = _evaluate(policy.condition, ci, facts)
            if failure is None:
                run.passed += 1
            elif ci.pk in exempt:
                run.exempt += 1
                results.append(
                    PolicyResult(
                        run=run,
                        ci=ci,
                        outcome=PolicyOutcomeChoices.EXEMPT,
                        detail=f"{failure} (exempt: {exempt[ci.pk]})"[:500],
                    )
                )
            else:
                run.failed += 1
                results.append(
                    PolicyResult(
                        run=run, ci=ci, outcome=PolicyOutcomeChoices.FAIL, detail=failure[:500]
                    )
                )
        PolicyResult.objects.bulk_create(results, batch_size=2000)
        run.save(update_fields=["passed", "failed", "exempt"])
        record_event(
            actor,
            "evaluate",
            policy,
            before=None,
            after={
                "run": run.pk,
                "trigger": run.trigger,
                "in_scope": run.in_scope,
                "passed": run.passed,
                "failed": run.failed,
                "exempt": run.exempt,
                "policy": snapshot(policy)["name"],
            },
        )
    return run


def evaluate_all(actor: Actor, *, trigger: str = "schedule", user: Any = None) -> list[PolicyRun]:
    """Evaluate every enabled policy (the scheduled job), or those ``user`` may change."""
    policies = Policy.objects.filter(enabled=True)
    if user is not None:
        policies = restrict(policies, user, "change")
    return [evaluate_policy(actor, policy, trigger=trigger) for policy in policies]


def runs_as_of(policies: Iterable[Policy], when: dt.datetime) -> dict[int, PolicyRun | None]:
    """Each policy's latest run at or before ``when`` (evidence as of a past date)."""
    return {
        policy.pk: PolicyRun.objects.filter(policy=policy, evaluated_at__lte=when)
        .order_by("-evaluated_at", "-pk")
        .first()
        for policy in policies
    }
