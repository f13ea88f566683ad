"""CMDB health: completeness, correctness and compliance, per class and overall.

The measures (ServiceNow's, made exact; docs/discovery.md says the same):

* **completeness** of a CI = 60 x (required attributes filled / required) + 40 x
  (recommended filled / recommended), a part counting in full when the class has none of
  that kind. A class's completeness is the mean over its current CIs.
* **correctness** = 100 x (1 - CIs with a defect / CIs). Defects: *duplicate* (another
  current CI of the same class family with the same folded name — lower case, domain and
  punctuation dropped — or the same serial number or MAC address), *orphan* (no current
  relationship while the class policy expects one), *stale* (seen by a source, but by none
  for longer than the class's ``stale_after_days``, default 60).
* **compliance** = 100 x (CIs passing every applicable rule / CIs some rule applies to);
  100 when no rule applies.

Overall = each measure averaged over all CIs (classes weighted by their CI count).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max, Q
from django.utils import timezone

from assetgraph.cmdb.import_base import ClassCache
from assetgraph.cmdb.models import CI, Relationship

from .models import ClassPolicy, ComplianceRule, HealthSnapshot, Sighting

FIELDS = ("environment", "criticality", "owning_team", "support_group", "location")
DEFAULT_STALE_DAYS = 60
_FOLD = re.compile(r"[^a-z0-9]+")


def check_rule_terms(terms: Any, *, required: bool) -> str:
    """Why a compliance rule's condition/requirement is malformed ('' when fine)."""
    if not isinstance(terms, dict):
        return "an object of check → value"
    if required and not terms:
        return "at least one check"
    for key in terms:
        if not isinstance(key, str):
            return "an object of check → value"
        if key in FIELDS or (key.startswith("attr.") and len(key) > 5):
            continue
        if key == "asset.under_support":
            continue
        fields = ", ".join(FIELDS)
        return f"unknown check {key!r}: a CI field ({fields}), attr.<key> or asset.under_support"
    return ""


def fold_name(name: str) -> str:
    """The name as duplicates compare it: lower case, the first DNS label of a host name (an
    IP address stays whole), letters and digits only."""
    text = name.lower().strip()
    if any(c.isalpha() for c in text):
        text = text.split(".")[0]
    return _FOLD.sub("", text)


@dataclass
class ClassHealth:
    """The measures of one class (scores 0-100) and its offenders by defect."""

    name: str
    count: int = 0
    completeness_sum: float = 0.0
    defects: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    defective: set[int] = field(default_factory=set)
    applicable: int = 0
    failing: set[int] = field(default_factory=set)
    incomplete: list[int] = field(default_factory=list)

    def scores(self) -> dict[str, Any]:
        completeness = self.completeness_sum / self.count if self.count else 100.0
        correctness = 100.0 * (1 - len(self.defective) / self.count) if self.count else 100.0
        compliance = 100.0 * (1 - len(self.failing) / self.applicable) if self.applicable else 100.0
        return {
            "class": self.name,
            "cis": self.count,
            "completeness": round(completeness, 1),
            "correctness": round(correctness, 1),
            "compliance": round(compliance, 1),
            "duplicates": len(self.defects.get("duplicate", [])),
            "orphans": len(self.defects.get("orphan", [])),
            "stale": len(self.defects.get("stale", [])),
            "incomplete": len(self.incomplete),
            "non_compliant": len(self.failing),
        }


def _value(row: dict[str, Any], key: str, today: dt.date, warranty: dict[int, Any]) -> Any:
    if key.startswith("attr."):
        return row["attributes"].get(key[5:])
    if key == "asset.under_support":
        end = warranty.get(row["asset_id"]) if row["asset_id"] else None
        return bool(end and end >= today)
    return row[key if key in {"environment", "criticality"} else f"{key}_id"]


def _holds(terms: dict[str, Any], row: dict[str, Any], today: dt.date, warranty: Any) -> bool:
    for key, expected in terms.items():
        actual = _value(row, key, today, warranty)
        if expected == "*":
            if actual in (None, "", False):
                return False
        elif key == "asset.under_support":
            if bool(actual) != bool(expected):
                return False
        elif str(actual) != str(expected):
            return False
    return True


def completeness(definitions: list[Any], attrs: dict[str, Any]) -> float:
    """60 x required filled + 40 x recommended filled (a missing kind counts in full)."""
    required = [d.key for d in definitions if d.required]
    recommended = [d.key for d in definitions if d.recommended and not d.required]

    def share(keys: list[str]) -> float:
        if not keys:
            return 1.0
        return sum(1 for k in keys if attrs.get(k) not in (None, "")) / len(keys)

    return 60 * share(required) + 40 * share(recommended)


def compute(now: dt.datetime | None = None) -> dict[str, Any]:
    """Every measure, per class and overall, with the offending CI ids per class."""
    now = now or timezone.now()
    today = now.date()
    classes = ClassCache()
    policies = {p.ci_class_id: p for p in ClassPolicy.objects.all()}
    rules = list(ComplianceRule.objects.filter(active=True))
    rule_classes = {r.pk: set(classes.subclasses(r.ci_class_id)) for r in rules}
    rows = list(
        CI.objects.current().values(
            "id",
            "name",
            "ci_class_id",
            "attributes",
            "asset_id",
            *[f if f in {"environment", "criticality"} else f"{f}_id" for f in FIELDS],
        )
    )
    related: set[int] = set()
    for source, target in Relationship.objects.current().values_list("source_id", "target_id"):
        related.add(source)
        related.add(target)
    last_seen = dict(
        Sighting.objects.values("ci_id")
        .annotate(seen=Max("last_seen"))
        .values_list("ci_id", "seen")
    )
    warranty: dict[int, Any] = {}
    if any("asset.under_support" in {**r.condition, **r.requirement} for r in rules):
        from assetgraph.assets.models import Asset

        warranty = dict(
            Asset.objects.filter(~Q(warranty_end=None)).values_list("pk", "warranty_end")
        )
    health: dict[int, ClassHealth] = {}
    families: dict[tuple[int, str, str], list[int]] = defaultdict(list)
    for row in rows:
        class_id = row["ci_class_id"]
        entry = health.setdefault(class_id, ClassHealth(classes.by_id[class_id].name))
        entry.count += 1
        definitions = classes.definitions[class_id]
        required = [d.key for d in definitions if d.required]
        recommended = [d.key for d in definitions if d.recommended and not d.required]
        attrs = row["attributes"]
        req = (
            sum(1 for k in required if attrs.get(k) not in (None, "")) / len(required)
            if required
            else 1.0
        )
        rec = (
            sum(1 for k in recommended if attrs.get(k) not in (None, "")) / len(recommended)
            if recommended
            else 1.0
        )
        score = 60 * req + 40 * rec
        entry.completeness_sum += score
        if score < 100:
            entry.incomplete.append(row["id"])
        root = min(classes.lineage[class_id], key=lambda c: len(classes.lineage[c]))
        families[(root, "name", fold_name(row["name"]))].append(row["id"])
        for key in ("serial_number", "mac_address"):
            if attrs.get(key):
                families[(root, key, str(attrs[key]).strip().lower())].append(row["id"])
        policy = policies.get(class_id)
        if policy is not None and policy.expects_relationship and row["id"] not in related:
            entry.defects["orphan"].append(row["id"])
            entry.defective.add(row["id"])
        days = policy.stale_after_days if policy is not None else DEFAULT_STALE_DAYS
        seen = last_seen.get(row["id"])
        if seen is not None and seen < now - dt.timedelta(days=days):
            entry.defects["stale"].append(row["id"])
            entry.defective.add(row["id"])
        applicable = [
            r
            for r in rules
            if class_id in rule_classes[r.pk] and _holds(r.condition, row, today, warranty)
        ]
        entry.applicable += bool(applicable)
        if any(not _holds(r.requirement, row, today, warranty) for r in applicable):
            entry.failing.add(row["id"])
    by_id = {row["id"]: row["ci_class_id"] for row in rows}
    for (_root, _kind, value), ids in families.items():
        if len(ids) > 1 and value:
            for ci in set(ids):
                entry = health[by_id[ci]]
                if ci not in entry.defects["duplicate"]:
                    entry.defects["duplicate"].append(ci)
                entry.defective.add(ci)
    return _summarise(health)


def _summarise(health: dict[int, ClassHealth]) -> dict[str, Any]:
    per_class = {pk: h.scores() for pk, h in sorted(health.items(), key=lambda x: x[1].name)}
    total = sum(h.count for h in health.values())

    def weighted(measure: str) -> float:
        if not total:
            return 100.0
        return round(float(sum(s[measure] * s["cis"] for s in per_class.values())) / total, 1)

    overall = {
        "cis": total,
        "completeness": weighted("completeness"),
        "correctness": weighted("correctness"),
        "compliance": weighted("compliance"),
        **{
            k: sum(s[k] for s in per_class.values())
            for k in ("duplicates", "orphans", "stale", "incomplete", "non_compliant")
        },
    }
    offenders = {
        pk: {
            "duplicate": sorted(h.defects.get("duplicate", [])),
            "orphan": sorted(h.defects.get("orphan", [])),
            "stale": sorted(h.defects.get("stale", [])),
            "incomplete": sorted(h.incomplete),
            "non_compliant": sorted(h.failing),
        }
        for pk, h in health.items()
    }
    return {"overall": overall, "classes": per_class, "offenders": offenders}


def record_snapshot(
    result: dict[str, Any] | None = None, now: dt.datetime | None = None
) -> HealthSnapshot:
    """Keep today's scores for the trend (one row per day; a later call replaces it)."""
    now = now or timezone.now()
    result = result or compute(now)
    snapshot, _ = HealthSnapshot.objects.update_or_create(
        day=now.date(),
        defaults={
            "taken": now,
            "overall": result["overall"],
            "by_class": {str(k): v for k, v in result["classes"].items()},
        },
    )
    return snapshot


def trend(days: int = 90) -> list[dict[str, Any]]:
    """The recorded overall scores, oldest first."""
    since = timezone.now().date() - dt.timedelta(days=days)
    return [
        {"day": s.day.isoformat(), **s.overall}
        for s in HealthSnapshot.objects.filter(day__gte=since).order_by("day")
    ]
