"""CI classes with typed attributes, CIs, relationship types, relationships, software installs.

CIs and relationships are never deleted: retiring a CI or removing a relationship closes its
``[valid_from, valid_to)`` interval, so "as of T" is an interval query and the rest of the
state at T comes from the audit spine (see :mod:`assetgraph.cmdb.history`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone

from assetgraph.core.attributes import (
    AbstractAttributeDefinition,
    clean_attributes,
    public_values,
)
from assetgraph.core.errors import ValidationFailed
from assetgraph.core.models import TimestampedModel
from assetgraph.core.natural import NaturalSortKeyField

from .choices import (
    CriticalityChoices,
    EnvironmentChoices,
    ImpactDirectionChoices,
    OperationalStatusChoices,
    RedundancyModeChoices,
)

# Attribute keys indexed with expression indexes (the hot lookups of discovery and search).
HOT_KEYS = ("hostname", "ip_address", "serial_number")


class CIClass(TimestampedModel):
    """A kind of CI (Server, Database, …); a class inherits its parent's attributes.

    Classes are data: administrators add them without code or migrations.
    ``identification_key`` lists the attribute keys that identify a CI of the class on import
    (e.g. ``["serial_number"]`` or ``["hostname", "domain"]``); empty means the name.
    """

    name = models.CharField(max_length=100, unique=True)
    name_key = NaturalSortKeyField(source="name")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    description = models.TextField(blank=True)
    icon = models.CharField(max_length=50, default="box", help_text="A Bootstrap icon name.")
    is_group = models.BooleanField(
        default=False, help_text="CIs of this class group members and may set redundancy."
    )
    identification_key = models.JSONField(default=list, blank=True)
    builtin = models.BooleanField(default=False, editable=False)
    slug = models.SlugField(
        max_length=100,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="Marks a built-in class the code gives a meaning to (see ClassSlug); "
        "renaming the class leaves it in place.",
    )

    class Meta:
        ordering = ["name_key", "id"]
        verbose_name = "CI class"
        verbose_name_plural = "CI classes"
        # A class's subclasses in name order (the list filtered by parent).
        indexes = [models.Index(fields=["parent", "name_key", "id"], name="cmdb_class_parent_key")]

    def __str__(self) -> str:
        return self.name

    def lineage(self) -> list[CIClass]:
        """This class and its ancestors, nearest first (stops on a corrupt cycle)."""
        chain: list[CIClass] = []
        seen: set[int | None] = set()
        node: CIClass | None = self
        while node is not None and node.pk not in seen:
            chain.append(node)
            seen.add(node.pk)
            node = node.parent
        return chain

    def lineage_ids(self) -> list[int]:
        """Primary keys of this class and its ancestors."""
        return [c.pk for c in self.lineage() if c.pk is not None]

    def effective_attributes(self) -> list[ClassAttribute]:
        """Own and inherited attribute definitions, in display order."""
        return list(
            ClassAttribute.objects.filter(ci_class_id__in=self.lineage_ids()).order_by(
                "weight", "key"
            )
        )

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.pk is not None and self.parent_id is not None:
            node = self.parent
            while node is not None:
                if node.pk == self.pk:
                    errors["parent"] = "a class cannot inherit from itself"
                    break
                node = node.parent
        keys = self.identification_key
        if not isinstance(keys, list) or not all(isinstance(k, str) and k for k in keys):
            errors["identification_key"] = "a list of attribute keys"
        elif keys and "parent" not in errors:
            known = {
                d.key for d in ClassAttribute.objects.filter(ci_class_id__in=self.lineage_ids())
            }
            missing = [k for k in keys if k not in known]
            if missing:
                errors["identification_key"] = f"not attributes of this class: {', '.join(missing)}"
        if errors:
            raise ValidationError(errors)


ClassTree = Iterable[tuple[int, int | None]]


def subclass_ids(*class_ids: int, tree: ClassTree | None = None) -> list[int]:
    """The given classes and all their descendants: the one walk of the class tree.

    ``tree`` is the ``(pk, parent_id)`` pairs when the caller already read the class table
    (it is small: without it, one query).
    """
    pairs = CIClass.objects.values_list("pk", "parent_id") if tree is None else tree
    children: dict[int | None, list[int]] = {}
    for pk, parent in pairs:
        children.setdefault(parent, []).append(pk)
    found: list[int] = []
    seen: set[int] = set()
    queue = list(class_ids)
    while queue:
        current = queue.pop()
        if current in seen:
            continue
        seen.add(current)
        found.append(current)
        queue.extend(children.get(current, []))
    return found


def semantic_class_ids(slug: str, tree: ClassTree | None = None) -> list[int]:
    """The built-in class marked ``slug`` (a :class:`ClassSlug` value) and every class
    below it; empty if that class was deleted.

    Why a slug: the impact report and the asset page rely on what a "business service" or
    an "end-user device" is; administrators may rename those classes (or translate them)
    without changing it.
    """
    root = CIClass.objects.filter(slug=slug).values_list("pk", flat=True).first()
    return [] if root is None else subclass_ids(root, tree=tree)


class ClassAttribute(AbstractAttributeDefinition):
    """A typed attribute of a CI class, inherited by its subclasses."""

    ci_class = models.ForeignKey(CIClass, on_delete=models.PROTECT, related_name="attributes")

    class Meta:
        ordering = ["ci_class__name", "weight", "key"]
        verbose_name = "class attribute"
        verbose_name_plural = "class attributes"
        constraints = [
            models.UniqueConstraint(fields=["ci_class", "key"], name="cmdb_attribute_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.ci_class_id and self.ci_class.name}.{self.key}"

    def clean(self) -> None:
        super().clean()
        if self.ci_class_id is None or not self.key:
            return
        related = set(self.ci_class.lineage_ids()) | set(subclass_ids(self.ci_class_id))
        clash = (
            ClassAttribute.objects.filter(ci_class_id__in=related, key=self.key)
            .exclude(pk=self.pk)
            .select_related("ci_class")
            .first()
        )
        if clash is not None:
            raise ValidationError(
                {"key": f"{self.key!r} is already an attribute of {clash.ci_class.name}"}
            )


class CIQuerySet(models.QuerySet["CI"]):
    """Reads of CIs: current ones and the estate as of a time."""

    def current(self) -> CIQuerySet:
        """CIs whose validity interval is open (not retired)."""
        return self.filter(valid_to__isnull=True)

    def as_of(self, when: Any) -> CIQuerySet:
        """CIs that existed at ``when``: ``valid_from <= when < valid_to``."""
        return self.filter(valid_from__lte=when).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=when)
        )


class CI(TimestampedModel):
    """A configuration item: anything whose configuration and dependencies matter."""

    name = models.CharField(max_length=200)
    # "server2" before "server10", case-insensitive: what lists sort by (core.natural).
    name_key = NaturalSortKeyField(source="name")
    ci_class = models.ForeignKey(CIClass, on_delete=models.PROTECT, related_name="cis")
    operational_status = models.CharField(
        max_length=20,
        choices=OperationalStatusChoices.choices,
        default=OperationalStatusChoices.LIVE,
    )
    environment = models.CharField(
        max_length=20, choices=EnvironmentChoices.choices, default=EnvironmentChoices.PRODUCTION
    )
    criticality = models.PositiveSmallIntegerField(
        choices=CriticalityChoices.choices, default=CriticalityChoices.TIER_3
    )
    owning_team = models.ForeignKey(
        "org.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_cis",
    )
    support_group = models.ForeignKey(
        "org.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supported_cis",
    )
    location = models.ForeignKey(
        "org.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="cis"
    )
    description = models.TextField(blank=True)
    # A CI that is a piece of hardware is one record with its asset: ownership, custody, cost
    # and warranty live on the asset and are read through this link, never copied.
    asset = models.OneToOneField(
        "assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="ci"
    )
    attributes = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=50, blank=True, default="manual")
    first_seen = models.DateTimeField(null=True, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    redundancy_mode = models.CharField(
        max_length=10,
        choices=RedundancyModeChoices.choices,
        default=RedundancyModeChoices.DISABLED,
    )
    redundancy_value = models.PositiveIntegerField(null=True, blank=True)
    planned_retirement = models.DateField(
        "planned retirement",
        null=True,
        blank=True,
        help_text="The date this CI is planned to be decommissioned (change conflict checks "
        "and the business flags show it).",
    )
    valid_from = models.DateTimeField(default=timezone.now, editable=False)
    valid_to = models.DateTimeField(null=True, blank=True, editable=False)

    objects = CIQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "CI"
        verbose_name_plural = "CIs"
        indexes = [
            models.Index(fields=["name", "id"], name="cmdb_ci_name_idx"),
            # A class's current CIs in list order (natural name, then id: ADR 0015), so a keyset
            # page of one class walks the index instead of sorting the class.
            models.Index(
                fields=["ci_class", "name_key", "id"],
                name="cmdb_ci_current_class_key_idx",
                condition=Q(valid_to__isnull=True),
            ),
            # Current CIs in list order: the picker's prefix ranges and an unfiltered keyset
            # page walk it (without it, SQLite reads every current CI by valid_to and sorts).
            # (valid_to first: the planners then read "current" and the name range from one
            # index, where a partial index lost to the valid_to index on SQLite.)
            models.Index(fields=["valid_to", "name_key", "id"], name="cmdb_ci_current_key_idx"),
            models.Index(fields=["valid_from", "valid_to"], name="cmdb_ci_interval_idx"),
            models.Index(fields=["valid_to"], name="cmdb_ci_valid_to_idx"),
            *[
                models.Index(KeyTextTransform(k, "attributes"), name=f"cmdb_ci_{k}_idx")
                for k in HOT_KEYS
            ],
        ]

    def __str__(self) -> str:
        return self.name

    _definitions: list[ClassAttribute] | None = None
    _definitions_class: int | None = None

    def attribute_definitions(self) -> list[ClassAttribute]:
        """The effective attribute definitions of the CI's class (memoised per instance)."""
        if self._definitions is None or self._definitions_class != self.ci_class_id:
            self._definitions = self.ci_class.effective_attributes() if self.ci_class_id else []
            self._definitions_class = self.ci_class_id
        return self._definitions

    def use_definitions(self, definitions: list[ClassAttribute]) -> None:
        """Provide pre-fetched definitions (bulk paths validate many CIs of one class)."""
        self._definitions = definitions
        self._definitions_class = self.ci_class_id

    @property
    def is_current(self) -> bool:
        """Whether the CI exists now (not retired)."""
        return self.valid_to is None

    @property
    def public_attributes(self) -> dict[str, Any]:
        """Attribute values without internal sort keys."""
        return public_values(self.attributes)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.ci_class_id is not None:
            try:
                self.attributes = clean_attributes(
                    self.attribute_definitions(), public_values(self.attributes or {})
                )
            except ValidationFailed as exc:
                errors.update(exc.fields)
        errors.update(
            (k, [v])
            for k, v in redundancy_errors(
                self.redundancy_mode,
                self.redundancy_value,
                bool(self.ci_class_id and self.ci_class.is_group),
            ).items()
        )
        if self.valid_to is not None and self.valid_from and self.valid_to < self.valid_from:
            errors["valid_to"] = ["ends before it starts"]
        if self.first_seen and self.last_seen and self.last_seen < self.first_seen:
            errors["last_seen"] = ["before first seen"]
        if errors:
            raise ValidationError(errors)


def redundancy_errors(mode: str, value: int | None, is_group: bool) -> dict[str, str]:
    """Field errors of a redundancy setting (shared by the model and the import)."""
    if mode == RedundancyModeChoices.DISABLED:
        return {"redundancy_value": "leave empty when redundancy is disabled"} if value else {}
    if not is_group:
        return {"redundancy_mode": "only CIs of a group class (farm, cluster) have redundancy"}
    if value is None or value < 1:
        return {"redundancy_value": "at least 1"}
    if mode == RedundancyModeChoices.PERCENT and value > 100:
        return {"redundancy_value": "at most 100 (%)"}
    return {}


def group_state(mode: str, value: int | None, members: int, down: int) -> str:
    """``ok``, ``degraded`` or ``failed`` for a group with ``down`` of ``members`` failed.

    The group fails when ``down > members - min_up``; with members down but the minimum
    still met it is degraded (iTop has no such state).
    """
    if down <= 0:
        return "ok"
    if mode == RedundancyModeChoices.COUNT:
        min_up = min(value or members, members)
    elif mode == RedundancyModeChoices.PERCENT:
        min_up = -(-members * (value or 100) // 100)  # ceiling
    else:
        min_up = members
    return "failed" if down > members - min_up else "degraded"


class RelationshipType(TimestampedModel):
    """A kind of relationship, read ``source <name> target`` and ``target <reverse_name> source``.

    Types are data; ``allowed_pairs`` (``[[source_class_id, target_class_id], …]``, subclasses
    included) optionally restricts which classes it may connect.
    """

    name = models.CharField(max_length=100, unique=True)
    reverse_name = models.CharField(max_length=100)
    impact_direction = models.CharField(
        max_length=10, choices=ImpactDirectionChoices.choices, default=ImpactDirectionChoices.NONE
    )
    is_membership = models.BooleanField(
        default=False, help_text="Source is a member of the target group (redundancy applies)."
    )
    allowed_pairs = models.JSONField(default=list, blank=True)
    description = models.TextField(blank=True)
    builtin = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = "relationship type"
        verbose_name_plural = "relationship types"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        pairs = self.allowed_pairs
        if not isinstance(pairs, list) or not all(
            isinstance(p, list | tuple) and len(p) == 2 and all(isinstance(i, int) for i in p)
            for p in pairs
        ):
            raise ValidationError(
                {"allowed_pairs": "a list of [source class id, target class id] pairs"}
            )
        ids = {i for p in pairs for i in p}
        if ids:
            found = set(CIClass.objects.filter(pk__in=ids).values_list("pk", flat=True))
            if ids - found:
                missing = ", ".join(str(i) for i in sorted(ids - found))
                raise ValidationError({"allowed_pairs": f"unknown class id(s): {missing}"})

    def allows(self, source_class: CIClass, target_class: CIClass) -> bool:
        """Whether the type may connect CIs of these classes (ancestors' pairs count)."""
        if not self.allowed_pairs:
            return True
        sources, targets = set(source_class.lineage_ids()), set(target_class.lineage_ids())
        return any(s in sources and t in targets for s, t in self.allowed_pairs)


class RelationshipQuerySet(models.QuerySet["Relationship"]):
    """Reads of relationships: current ones and those as of a time."""

    def current(self) -> RelationshipQuerySet:
        return self.filter(valid_to__isnull=True)

    def as_of(self, when: Any) -> RelationshipQuerySet:
        return self.filter(valid_from__lte=when).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=when)
        )


class Relationship(TimestampedModel):
    """A typed, directed link ``source → target`` valid over ``[valid_from, valid_to)``.

    Cycles are allowed; duplicates among current relationships and self-links are not.
    """

    source = models.ForeignKey(CI, on_delete=models.PROTECT, related_name="outgoing")
    target = models.ForeignKey(CI, on_delete=models.PROTECT, related_name="incoming")
    type = models.ForeignKey(RelationshipType, on_delete=models.PROTECT, related_name="+")
    description = models.TextField(blank=True)
    valid_from = models.DateTimeField(default=timezone.now, editable=False)
    valid_to = models.DateTimeField(null=True, blank=True, editable=False)

    objects = RelationshipQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = "relationship"
        verbose_name_plural = "relationships"
        constraints = [
            models.UniqueConstraint(
                fields=["source", "target", "type"],
                condition=Q(valid_to__isnull=True),
                name="cmdb_relationship_unique_current",
            ),
            models.CheckConstraint(
                condition=~Q(source=F("target")), name="cmdb_relationship_not_self"
            ),
        ]
        indexes = [
            models.Index(
                fields=["source", "type"],
                name="cmdb_rel_current_source_idx",
                condition=Q(valid_to__isnull=True),
            ),
            models.Index(
                fields=["target", "type"],
                name="cmdb_rel_current_target_idx",
                condition=Q(valid_to__isnull=True),
            ),
            models.Index(fields=["valid_from", "valid_to"], name="cmdb_rel_interval_idx"),
            models.Index(fields=["valid_to"], name="cmdb_rel_valid_to_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.type} {self.target}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.source_id is not None and self.source_id == self.target_id:
            errors["target"] = "a CI cannot be related to itself"
        elif (
            self.source_id
            and self.target_id
            and self.type_id
            and not self.type.allows(self.source.ci_class, self.target.ci_class)
        ):
            errors["type"] = (
                f"{self.type.name!r} does not connect a {self.source.ci_class.name} "
                f"to a {self.target.ci_class.name}"
            )
        if errors:
            raise ValidationError(errors)


class SoftwareProduct(TimestampedModel):
    """A catalogue entry: one publisher's product, whatever spelling discovery reports."""

    publisher = models.CharField(max_length=200)
    name = models.CharField(max_length=200)
    key = models.CharField(max_length=400, unique=True, editable=False)

    class Meta:
        ordering = ["publisher", "name"]
        verbose_name = "software product"
        verbose_name_plural = "software products"

    def __str__(self) -> str:
        return f"{self.publisher} {self.name}".strip()


class SoftwareInstall(TimestampedModel):
    """A product installed on a CI (server, VM, endpoint) at a version."""

    ci = models.ForeignKey(CI, on_delete=models.PROTECT, related_name="software")
    product = models.ForeignKey(SoftwareProduct, on_delete=models.PROTECT, related_name="installs")
    version = models.CharField(max_length=100, blank=True)
    install_date = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=50, blank=True, default="manual")
    raw_publisher = models.CharField(max_length=200, blank=True)
    raw_name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["product__publisher", "product__name", "version"]
        verbose_name = "software install"
        verbose_name_plural = "software installs"
        constraints = [
            models.UniqueConstraint(fields=["ci", "product", "version"], name="cmdb_install_unique")
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.version}".strip()


def definitions_by_class(class_ids: Iterable[int]) -> dict[int, list[ClassAttribute]]:
    """Effective definitions for many classes in two queries (bulk paths)."""
    parents = dict(CIClass.objects.values_list("pk", "parent_id"))
    own: dict[int, list[ClassAttribute]] = {}
    for definition in ClassAttribute.objects.order_by("weight", "key"):
        own.setdefault(definition.ci_class_id, []).append(definition)
    result: dict[int, list[ClassAttribute]] = {}
    for class_id in class_ids:
        chain: list[ClassAttribute] = []
        node: int | None = class_id
        seen: set[int] = set()
        while node is not None and node not in seen:
            seen.add(node)
            chain.extend(own.get(node, []))
            node = parents.get(node)
        result[class_id] = sorted(chain, key=lambda d: (d.weight, d.key))
    return result
