"""The reconciliation engine: discovered items in, a plan of CI writes out.

For each item (see docs/discovery.md): resolve its class, identify it (:mod:`.identify`),
then

* ambiguous → queued for a person (nothing written to any CI);
* new → a CI created from the item's attributes (if the source may create);
* matched → each attribute reconciled by precedence (:func:`decide`), facts compared,
  software installs compared, relationships added when missing;
* matched, reporting exactly what this source last put in place, on a CI nobody changed
  since → only seen (its digest matches; see :meth:`Planner._skip_same`, ADR 0017).

Planning reads in bulk and writes nothing; :mod:`.writer` applies a plan in one transaction
through the bulk path. A run with any item error writes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, F, OuterRef, Q

from assetgraph.audit.services import json_value
from assetgraph.cmdb.choices import CriticalityChoices, EnvironmentChoices
from assetgraph.cmdb.import_base import ClassCache
from assetgraph.cmdb.import_cis import DEFAULTS, PLANNED, AttributeRules
from assetgraph.cmdb.models import CI, CIClass
from assetgraph.core.batching import in_batches
from assetgraph.framework.importing import RowError
from assetgraph.org.models import Department

from .connectors.base import DiscoveredItem
from .identify import Identifier, fingerprint, identifiers_with_attributes
from .models import (
    AttributeObservation,
    ClassPolicy,
    DataSource,
    QueueStateChoices,
    ReconciliationItem,
    Sighting,
)
from .software import SoftwarePlan, plan_software

Progress = Callable[[int, int | None], None]
# CI fields a source may set (through tag rules): attname → how the value is resolved.
FIELD_KEYS = ("owning_team_id", "support_group_id", "environment", "criticality")
DIFF_LIMIT = 1_000


@dataclass(slots=True)
class ObservationWrite:
    """Provenance to record: (ci id or placeholder, key) → value, source, manual, fact."""

    ci: int
    key: str
    value: Any
    source_id: int | None
    manual: bool = False
    fact: bool = False
    existing: int | None = None  # the observation's pk when it exists


@dataclass
class Plan:
    """What a run would write."""

    creates: list[tuple[DiscoveredItem, tuple[Any, ...]]] = field(default_factory=list)
    updates: list[tuple[int, str, tuple[Any, ...], dict[str, list[Any]]]] = field(
        default_factory=list
    )
    unchanged: list[int] = field(default_factory=list)
    queued: list[tuple[DiscoveredItem, int, str, list[int]]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    observations: list[ObservationWrite] = field(default_factory=list)
    item_ci: dict[str, int] = field(default_factory=dict)  # ref → ci id (<0: created slot)
    relations: list[tuple[int, int, int]] = field(default_factory=list)  # source, target, type
    software: SoftwarePlan = field(default_factory=SoftwarePlan)
    seen: set[int] = field(default_factory=set)
    diff: list[dict[str, Any]] = field(default_factory=list)
    # After writing: the ids of the CIs created or changed (for the after-run hooks).
    changed: set[int] = field(default_factory=set)
    # The digest of each reconciled item's report (ci id or placeholder → digest), stored
    # with the sighting; CIs where some reported value was declined keep none.
    digests: dict[int, str] = field(default_factory=dict)
    contested: set[int] = field(default_factory=set)
    # Matched CIs whose report equals the last one (same digest, CI unchanged since): not
    # reconciled again, only seen.
    same: set[int] = field(default_factory=set)

    def counts(self) -> dict[str, int]:
        created = {i for i in self.item_ci.values() if i < 0}
        return {
            "created": len(created),
            "updated": len(self.updates),
            "unchanged": len(self.unchanged),
            "queued": len(self.queued),
            "errors": len(self.errors),
        }

    def note(self, entry: dict[str, Any]) -> None:
        if len(self.diff) < DIFF_LIMIT:
            self.diff.append(entry)


@dataclass(frozen=True, slots=True)
class Observed:
    """A stored observation as planning reads it (no model instance: thousands per run)."""

    pk: int
    value: Any
    source_id: int | None
    manual: bool


def placeholder(slot: int) -> int:
    """The stand-in id of the ``slot``-th created CI (negative; real ids come at write)."""
    return -(slot + 1)


class Planner:
    """Plans one run of one source."""

    def __init__(self, source: DataSource, now: dt.datetime) -> None:
        self.source = source
        self.now = now
        self.classes = ClassCache()
        self.rules = {pk: AttributeRules(defs) for pk, defs in self.classes.definitions.items()}
        self.identifier = Identifier(self.classes)
        self.plan = Plan()
        self._class_keys: dict[int, list[str]] = {}
        self.stale_days = dict(ClassPolicy.objects.values_list("ci_class_id", "stale_after_days"))
        self.teams: dict[str, int] = {}
        for pk, code, name in Department.objects.values_list("pk", "code", "name"):
            self.teams.setdefault(str(name).lower(), pk)
            if code:
                self.teams.setdefault(str(code).lower(), pk)
        self.priorities: dict[int, DataSource] = {s.pk: s for s in DataSource.objects.all()}
        # What people decided for items once ambiguous: fingerprint → the CI it is.
        self.resolved: dict[str, int] = dict(
            ReconciliationItem.objects.filter(
                source=source, state=QueueStateChoices.RESOLVED, resolved_ci__valid_to__isnull=True
            ).values_list("fingerprint", "resolved_ci_id")
        )

    # -- items --------------------------------------------------------------------------------

    def run(self, items: list[DiscoveredItem], progress: Progress | None = None) -> Plan:
        """Plan every item (matched CIs are read in chunks)."""
        resolved: list[tuple[DiscoveredItem, int | None]] = []
        for item in items:
            resolved.append((item, self._class_id(item)))
        matches: list[tuple[DiscoveredItem, int, int | None]] = []
        for number, (item, class_id) in enumerate(resolved, start=1):
            if class_id is None:
                continue
            ci_id = self._identify(item, class_id)
            if ci_id is not None:
                matches.append((item, class_id, ci_id))
            if progress is not None and number % 500 == 0:
                progress(number, len(items))
        self._reconcile(self._skip_same(matches))
        self._relations(items)
        for ci in self.plan.contested:
            self.plan.digests.pop(ci, None)
        return self.plan

    # -- unchanged reports --------------------------------------------------------------------

    def digest(self, item: DiscoveredItem, class_id: int) -> str | None:
        """A hash of what the item reports, as reconciliation reads it (with the class's
        attribute keys and the resolved CI fields, so a new class attribute or team counts
        as a change). None for items with relations: their targets are identified anew."""
        if item.relations:
            return None
        keys = self._class_keys.get(class_id)
        if keys is None:
            keys = self._class_keys[class_id] = sorted(self.rules[class_id].keys)
        software = (
            None
            if item.software is None
            else [
                (s.name, s.version, s.publisher, s.purl, s.licences, s.hashes)
                for s in item.software
            ]
        )
        text = _canonical(
            [
                class_id,
                keys,
                item.ci_class,
                item.name,
                item.attributes,
                item.identifiers,
                item.facts,
                self._fields(item),
                software,
                item.hardware,
            ]
        )
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()

    def _skip_same(
        self, matches: list[tuple[DiscoveredItem, int, int | None]]
    ) -> list[tuple[DiscoveredItem, int, int | None]]:
        """The matches to reconcile: those whose report differs from the one this source
        last put wholly in place, or whose CI someone changed since (the CI row, or any of
        its observations, written after this source last saw it, or its number of installs
        changed). The others are only seen. A stored digest is ``report:installs``."""
        digests: dict[int, str] = {}
        for item, class_id, ci in matches:
            assert ci is not None
            digest = self.digest(item, class_id)
            if digest is not None:
                digests[ci] = digest
        self.plan.digests.update(digests)
        stored: dict[int, str] = {}
        newer = AttributeObservation.objects.filter(
            ci_id=OuterRef("ci_id"), since__gt=OuterRef("last_seen")
        )
        for chunk in in_batches(sorted(digests)):
            stored.update(
                Sighting.objects.filter(
                    source=self.source, ci_id__in=chunk, ci__updated__lte=F("last_seen")
                )
                .exclude(digest="")
                .filter(~Exists(newer))
                .values_list("ci_id", "digest")
            )
        candidates = [ci for ci, digest in stored.items() if digest.startswith(f"{digests[ci]}:")]
        installs = install_counts(candidates)
        remaining = []
        for match in matches:
            ci = match[2]
            assert ci is not None
            if ci in stored and stored[ci] == f"{digests[ci]}:{installs.get(ci, 0)}":
                self.plan.same.add(ci)
                self.plan.unchanged.append(ci)
            else:
                remaining.append(match)
        return remaining

    def _class_id(self, item: DiscoveredItem) -> int | None:
        ci_class = self.classes.by_name.get(item.ci_class.lower())
        if ci_class is None:
            self.plan.errors.append(f"{item.ref}: class: unknown CI class {item.ci_class!r}")
            return None
        return ci_class.pk

    def _identify(self, item: DiscoveredItem, class_id: int) -> int | None:
        """The matched CI id, a placeholder for a planned create, or None (queued/error)."""
        keys = {k for rule in self.identifier.rules_for(class_id) for k in rule.keys}
        identifiers = identifiers_with_attributes(
            item.identifiers, item.attributes, item.name, keys
        )
        match = self.identifier.identify(class_id, identifiers, item.fallback)
        if match.ambiguous and (decided := self.resolved.get(fingerprint(item))) is not None:
            match.ci_id, match.candidates = decided, [decided]
        if match.ambiguous:
            label = match.rule.label if match.rule else ""
            real = [c for c in match.candidates if c > 0]
            if len(real) < len(match.candidates):
                self.plan.errors.append(
                    f"{item.ref}: identity: the file describes this {item.ci_class} twice"
                )
                return None
            self.plan.queued.append((item, class_id, label, real))
            self.plan.note({"ref": item.ref, "action": "queued", "rule": label, "ci": real})
            return None
        if match.ci_id is not None:
            if match.ci_id < 0 or match.ci_id in self.plan.seen:
                self.plan.errors.append(
                    f"{item.ref}: identity: the file describes this {item.ci_class} twice"
                )
                return None
            self.plan.seen.add(match.ci_id)
            self.plan.item_ci[item.ref] = match.ci_id
            return match.ci_id
        if not self.source.may_create:
            self.plan.skipped.append(f"{item.ref}: not created ({self.source} may not create CIs)")
            return None
        self._create(item, class_id, identifiers)
        return None

    # -- values -------------------------------------------------------------------------------

    def _clean(
        self, item: DiscoveredItem, class_id: int, given: dict[str, Any], current: dict[str, Any]
    ) -> dict[str, Any] | None:
        rules = self.rules[class_id]
        known = {k: v for k, v in given.items() if k in rules.keys}
        try:
            return rules.clean(known, current)
        except RowError as exc:
            self.plan.errors.append(f"{item.ref}: {exc.text()}")
            return None

    def _fields(self, item: DiscoveredItem) -> dict[str, Any]:
        """CI field values from the item's rule-mapped fields (unknown teams are skipped)."""
        values: dict[str, Any] = {}
        for name, raw in item.fields.items():
            text = str(raw).strip()
            if name in {"owning_team", "support_group"}:
                team = self.teams.get(text.lower())
                if team is not None:
                    values[f"{name}_id"] = team
            elif name == "environment":
                for value, label in EnvironmentChoices.choices:
                    if text.lower() in {value, str(label).lower(), value[:4]}:
                        values["environment"] = value
            elif name == "criticality":
                for tier, _label in CriticalityChoices.choices:
                    if text.lower().removeprefix("tier").strip(" -") == str(tier):
                        values["criticality"] = tier
        return values

    def _create(self, item: DiscoveredItem, class_id: int, identifiers: dict[str, Any]) -> None:
        attributes = self._clean(item, class_id, item.attributes, {})
        if attributes is None:
            return
        values = dict(DEFAULTS)
        values.update(
            name=item.name[:200],
            ci_class_id=class_id,
            attributes=attributes,
            source=self.source.name[:50],
        )
        values.update(self._fields(item))
        slot = len(self.plan.creates)
        ci = placeholder(slot)
        self.plan.creates.append((item, tuple(values[c] for c in PLANNED)))
        self.plan.item_ci[item.ref] = ci
        if (digest := self.digest(item, class_id)) is not None:
            self.plan.digests[ci] = digest
        self.identifier.remember(class_id, identifiers, ci)
        for key, value in attributes.items():
            if not key.startswith("_"):
                self.plan.observations.append(ObservationWrite(ci, key, value, self.source.pk))
        for key, value in self._fields(item).items():
            self.plan.observations.append(ObservationWrite(ci, key, value, self.source.pk))
        for key, value in item.facts.items():
            self.plan.observations.append(
                ObservationWrite(ci, f"fact.{key}", value, self.source.pk, fact=True)
            )
        if item.software is not None:
            plan_software(self.plan.software, ci, item.software, self.source, {})
        self.plan.note({"ref": item.ref, "action": "create", "class": item.ci_class})

    # -- reconciliation of matched CIs --------------------------------------------------------

    def _reconcile(self, matches: list[tuple[DiscoveredItem, int, int | None]]) -> None:
        ids = [ci for _, _, ci in matches if ci is not None]
        rows: dict[int, dict[str, Any]] = {}
        observations: dict[tuple[int, str], Observed] = {}
        sightings: dict[tuple[int, int], dt.datetime] = {}
        for chunk in in_batches(ids):
            for row in CI.objects.filter(pk__in=chunk).values():
                rows[row["id"]] = dict(row)
            rows_ = AttributeObservation.objects.filter(ci_id__in=chunk).values_list(
                "pk", "ci_id", "key", "value", "source_id", "manual"
            )
            for pk, ci_id, key, value, source_id, manual in rows_.iterator(chunk_size=10_000):
                observations[(ci_id, key)] = Observed(pk, value, source_id, manual)
            for ci, source, seen in Sighting.objects.filter(ci_id__in=chunk).values_list(
                "ci_id", "source_id", "last_seen"
            ):
                sightings[(ci, source)] = seen
        installs = (
            _installs_by_ci(ids, self.source.name)
            if any(i.software is not None for i, _, _ in matches)
            else {}
        )
        for item, class_id, matched in matches:
            assert matched is not None
            ci = matched
            self._reconcile_one(item, class_id, rows[ci], observations, sightings)
            if item.software is not None:
                plan_software(
                    self.plan.software, ci, item.software, self.source, installs.get(ci, {})
                )

    def _holder_stale(self, ci: int, class_id: int, holder: int | None, sightings: Any) -> bool:
        if holder is None:
            return False
        seen = sightings.get((ci, holder))
        days = self.stale_days.get(class_id, 60)
        return seen is None or seen < self.now - dt.timedelta(days=days)

    def decide(
        self,
        ci: int,
        class_id: int,
        key: str,
        new: Any,
        current: Any,
        obs: Observed | None,
        sightings: Any,
    ) -> bool:
        """Whether this source writes ``new`` over ``current`` (recording provenance).

        A value nobody recorded that differs, or one changed since discovery wrote it, is a
        person's edit: it wins (marked manual) until an administrator releases it.
        """
        me = self.source.pk
        if new == current:
            if obs is None:
                self.plan.observations.append(ObservationWrite(ci, key, new, me))
            return False
        if obs is None:
            if current in (None, ""):
                self.plan.observations.append(ObservationWrite(ci, key, new, me))
                return True
            self.plan.observations.append(ObservationWrite(ci, key, current, None, manual=True))
            self.plan.contested.add(ci)
            return False
        if obs.manual:
            self.plan.contested.add(ci)
            return False
        if obs.value != current:
            self.plan.observations.append(
                ObservationWrite(ci, key, current, None, manual=True, existing=obs.pk)
            )
            self.plan.contested.add(ci)
            return False
        holder = self.priorities.get(obs.source_id) if obs.source_id else None
        wins = (
            obs.source_id in (None, me)
            or holder is None
            or self.source.priority_of(key) <= holder.priority_of(key)
            or self._holder_stale(ci, class_id, obs.source_id, sightings)
        )
        if wins:
            self.plan.observations.append(ObservationWrite(ci, key, new, me, existing=obs.pk))
        else:
            self.plan.contested.add(ci)
        return wins

    def _reconcile_one(
        self,
        item: DiscoveredItem,
        item_class: int,
        row: dict[str, Any],
        observations: dict[tuple[int, str], Observed],
        sightings: Any,
    ) -> None:
        ci, class_id = row["id"], row["ci_class_id"]
        changes: dict[str, list[Any]] = {}
        values = dict(row)
        if class_id != item_class and class_id in self.classes.lineage[item_class]:
            # The item knows more (a server where nmap saw a computer): the CI becomes it.
            changes["ci_class"] = [class_id, item_class]
            class_id = values["ci_class_id"] = item_class
        current_attrs = {k: v for k, v in row["attributes"].items() if not k.startswith("_")}
        cleaned = self._clean(item, class_id, item.attributes, current_attrs)
        if cleaned is None:
            return
        given = {k: v for k, v in cleaned.items() if k in item.attributes}
        wanted = dict(current_attrs)
        for key, value in given.items():
            if self.decide(
                ci,
                class_id,
                key,
                value,
                current_attrs.get(key),
                observations.get((ci, key)),
                sightings,
            ):
                wanted[key] = value
        new_attrs = self._clean(item, class_id, {}, wanted) if wanted != current_attrs else None
        if new_attrs is not None:
            values["attributes"] = new_attrs
            changes["attributes"] = [json_value(row["attributes"]), json_value(new_attrs)]
        for attname, value in self._fields(item).items():
            if self.decide(
                ci,
                class_id,
                attname,
                value,
                row[attname],
                observations.get((ci, attname)),
                sightings,
            ):
                values[attname] = value
                changes[attname.removesuffix("_id")] = [row[attname], value]
        for key, value in item.facts.items():
            obs = observations.get((ci, f"fact.{key}"))
            if obs is not None and obs.value == value:
                continue
            holder = self.priorities.get(obs.source_id) if obs and obs.source_id else None
            if (
                holder is not None
                and holder.pk != self.source.pk
                and self.source.priority_of(key) > holder.priority_of(key)
            ):
                self.plan.contested.add(ci)
                continue
            self.plan.observations.append(
                ObservationWrite(
                    ci,
                    f"fact.{key}",
                    value,
                    self.source.pk,
                    fact=True,
                    existing=obs.pk if obs else None,
                )
            )
            changes[f"facts.{key}"] = [obs.value if obs else None, value]
        if not changes:
            self.plan.unchanged.append(ci)
            return
        self.plan.updates.append((ci, row["name"], tuple(values[c] for c in PLANNED), changes))
        self.plan.note({"ref": item.ref, "action": "update", "ci": ci, "changes": changes})

    # -- relationships ------------------------------------------------------------------------

    def _relations(self, items: list[DiscoveredItem]) -> None:
        from assetgraph.cmdb.models import Relationship, RelationshipType

        types = {t.name.lower(): t.pk for t in RelationshipType.objects.all()}
        wanted: list[tuple[int, int, int]] = []
        for item in items:
            source = self.plan.item_ci.get(item.ref)
            for relation in item.relations:
                target = self.plan.item_ci.get(relation.target_ref)
                type_id = types.get(relation.type_name.lower())
                if source is None or target is None or type_id is None:
                    continue
                wanted.append((source, target, type_id))
        existing: set[tuple[int, int, int]] = set()
        known = sorted({s for s, _, _ in wanted if s > 0})
        for chunk in in_batches(known):
            existing.update(
                Relationship.objects.current()
                .filter(source_id__in=chunk)
                .values_list("source_id", "target_id", "type_id")
            )
        self.plan.relations = [r for r in dict.fromkeys(wanted) if r not in existing]


def install_counts(ids: list[int]) -> dict[int, int]:
    """How many software installs (any source) each of these CIs has (an index-only count)."""
    from django.db.models import Count

    from assetgraph.cmdb.models import SoftwareInstall

    found: dict[int, int] = {}
    for chunk in in_batches(sorted(ids)):
        found.update(
            SoftwareInstall.objects.filter(ci_id__in=chunk)
            .values("ci_id")
            .annotate(n=Count("id"))
            .values_list("ci_id", "n")
        )
    return found


def _canonical(value: Any) -> str:
    """Stable JSON text of a report (keys sorted; anything else as its text)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _installs_by_ci(ids: list[int], source_name: str) -> dict[int, dict[tuple[int, str], int]]:
    """This source's current installs of these CIs: ci → (product, version) → install id."""
    from assetgraph.cmdb.models import SoftwareInstall

    found: dict[int, dict[tuple[int, str], int]] = {}
    for chunk in in_batches(ids):
        rows = SoftwareInstall.objects.filter(Q(ci_id__in=chunk), source=source_name[:50])
        for pk, ci, product, version in rows.values_list("pk", "ci_id", "product_id", "version"):
            found.setdefault(ci, {})[(product, version)] = pk
    return found


def class_names() -> dict[str, int]:
    """Class name (lower case) → id."""
    return {name.lower(): pk for pk, name in CIClass.objects.values_list("pk", "name")}
