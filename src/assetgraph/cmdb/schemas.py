"""API schemas of the CMDB: ``XIn`` (create), ``XPatch``, ``XOut``, ``XFilter``.

The filter schemas serve the API list endpoints and the HTMX list pages alike.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.db.models import Q
from ninja import Field, FilterLookup, FilterSchema, Schema

from assetgraph.api.formats import NAME_PATTERN
from assetgraph.api.schemas import Ref
from assetgraph.core.attributes import ATTRIBUTE_KEY_PATTERN, AttributeType, public_values

from .choices import (
    CriticalityChoices,
    EnvironmentChoices,
    ImpactDirectionChoices,
    OperationalStatusChoices,
    RedundancyModeChoices,
)

# --- classes and attributes ---

#: An allowed (source class id, target class id) pair of a relationship type.
ClassPair = Annotated[list[int], Field(min_length=2, max_length=2)]


class CIClassIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    parent_id: int | None = None
    description: str = ""
    icon: str = Field("box", max_length=50)
    is_group: bool = False
    identification_key: list[str] = []


class CIClassPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    parent_id: int | None = None
    description: str | None = None
    icon: str | None = Field(None, max_length=50)
    is_group: bool | None = None
    identification_key: list[str] | None = None


class CIClassOut(Schema):
    id: int
    name: str
    parent: Ref | None
    description: str
    icon: str
    is_group: bool
    identification_key: list[str]
    builtin: bool
    slug: str | None = Field(
        None, description="built-in meaning (business-service, endpoint…), kept on rename"
    )


class CIClassFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["name__icontains", "description__icontains"])] = Field(
        None, description="Search by name or description"
    )
    parent_id: int | None = None
    is_group: bool | None = None


class ClassAttributeIn(Schema):
    ci_class_id: int
    key: str = Field(min_length=1, max_length=63, pattern=ATTRIBUTE_KEY_PATTERN)
    label: str = Field(min_length=1, max_length=100)
    type: AttributeType
    required: bool = False
    recommended: bool = False
    choices: list[str] = []
    minimum: float | None = None
    maximum: float | None = None
    pattern: str = Field("", max_length=200)
    reference_type: str = Field("", max_length=100)
    help_text: str = Field("", max_length=200)
    weight: int = Field(100, ge=0)


class ClassAttributePatch(Schema):
    label: str | None = Field(None, min_length=1, max_length=100)
    type: AttributeType | None = None
    required: bool | None = None
    recommended: bool | None = None
    choices: list[str] | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = Field(None, max_length=200)
    reference_type: str | None = Field(None, max_length=100)
    help_text: str | None = Field(None, max_length=200)
    weight: int | None = Field(None, ge=0)


class ClassAttributeOut(Schema):
    id: int
    ci_class: Ref
    key: str
    label: str
    type: str
    required: bool
    recommended: bool
    choices: list[str]
    minimum: float | None
    maximum: float | None
    pattern: str
    reference_type: str
    help_text: str
    weight: int


class ClassAttributeFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["key__icontains", "label__icontains"])] = Field(
        None, description="Search by key or label"
    )
    ci_class_id: int | None = None
    type: AttributeType | None = None


# --- relationship types ---


class RelationshipTypeIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    reverse_name: str = Field(min_length=1, max_length=100)
    impact_direction: ImpactDirectionChoices = ImpactDirectionChoices.NONE
    is_membership: bool = False
    allowed_pairs: list[ClassPair] = []
    description: str = ""


class RelationshipTypePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    reverse_name: str | None = Field(None, min_length=1, max_length=100)
    impact_direction: ImpactDirectionChoices | None = None
    is_membership: bool | None = None
    allowed_pairs: list[ClassPair] | None = None
    description: str | None = None


class RelationshipTypeOut(Schema):
    id: int
    name: str
    reverse_name: str
    impact_direction: str
    is_membership: bool
    allowed_pairs: list[list[int]]
    description: str
    builtin: bool


class RelationshipTypeFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["name__icontains", "reverse_name__icontains"])] = Field(
        None, description="Search by name"
    )
    impact_direction: ImpactDirectionChoices | None = None


# --- CIs ---


class CIIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    ci_class_id: int
    operational_status: OperationalStatusChoices = OperationalStatusChoices.LIVE
    environment: EnvironmentChoices = EnvironmentChoices.PRODUCTION
    criticality: CriticalityChoices = CriticalityChoices.TIER_3
    owning_team_id: int | None = None
    support_group_id: int | None = None
    location_id: int | None = None
    asset_id: int | None = Field(None, description="The asset this CI is (hardware): one record")
    description: str = ""
    attributes: dict[str, Any] = {}
    source: str = Field("manual", max_length=50)
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    redundancy_mode: RedundancyModeChoices = RedundancyModeChoices.DISABLED
    redundancy_value: int | None = Field(None, ge=0)
    planned_retirement: dt.date | None = Field(None, description="Planned decommissioning date")


class CIPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    ci_class_id: int | None = None
    operational_status: OperationalStatusChoices | None = None
    environment: EnvironmentChoices | None = None
    criticality: CriticalityChoices | None = None
    owning_team_id: int | None = None
    support_group_id: int | None = None
    location_id: int | None = None
    asset_id: int | None = None
    description: str | None = None
    attributes: dict[str, Any] | None = Field(
        None, description="Partial: keys given are set (null clears), others are kept."
    )
    source: str | None = Field(None, max_length=50)
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    redundancy_mode: RedundancyModeChoices | None = None
    redundancy_value: int | None = Field(None, ge=0)
    planned_retirement: dt.date | None = None


class CIOut(Schema):
    id: int
    name: str
    ci_class: Ref
    operational_status: str
    environment: str
    criticality: int
    owning_team: Ref | None
    support_group: Ref | None
    location: Ref | None
    asset: Ref | None
    description: str
    attributes: dict[str, Any]
    source: str
    first_seen: dt.datetime | None
    last_seen: dt.datetime | None
    redundancy_mode: str
    redundancy_value: int | None
    planned_retirement: dt.date | None
    valid_from: dt.datetime
    valid_to: dt.datetime | None

    @staticmethod
    def resolve_attributes(obj: Any) -> dict[str, Any]:
        if isinstance(obj, dict):  # already shaped by cmdb.reads
            return dict(obj["attributes"])
        return public_values(obj.attributes)

    @staticmethod
    def resolve_asset(obj: Any, context: Any) -> Any:
        if isinstance(obj, dict):  # already shaped (and visibility-checked) by cmdb.reads
            return obj["asset"]
        from .context import visible_asset

        return visible_asset((context or {}).get("request"), getattr(obj, "asset", None))


class CIFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["name__icontains", "description__icontains"])] = Field(
        None, description="Search by name or description"
    )
    ci_class_id: int | None = Field(None, description="Class (subclasses included)")
    operational_status: OperationalStatusChoices | None = None
    environment: EnvironmentChoices | None = None
    criticality: CriticalityChoices | None = None
    owning_team_id: int | None = None
    support_group_id: int | None = None
    location_id: int | None = None

    def filter_ci_class_id(self, value: int | None) -> Q:
        if value is None:
            return Q()
        from .models import subclass_ids

        return Q(ci_class_id__in=subclass_ids(value))


# --- relationships ---


class RelationshipIn(Schema):
    source_id: int
    target_id: int
    type_id: int
    description: str = ""


class RelationshipPatch(Schema):
    description: str | None = None


class RelationshipTypeRef(Schema):
    id: int
    name: str
    reverse_name: str
    impact_direction: str
    is_membership: bool


class RelationshipOut(Schema):
    id: int
    source: Ref
    target: Ref
    type: RelationshipTypeRef
    description: str
    valid_from: dt.datetime
    valid_to: dt.datetime | None


class RelationshipFilter(FilterSchema):
    source_id: int | None = None
    target_id: int | None = None
    type_id: int | None = None
    ci_id: int | None = Field(None, description="Either end")

    def filter_ci_id(self, value: int | None) -> Q:
        return Q() if value is None else Q(source_id=value) | Q(target_id=value)


class NeighbourOut(Schema):
    """One relationship seen from a CI: the verb as read from it and the CI at the other end."""

    id: int
    direction: str
    verb: str
    type: RelationshipTypeRef
    ci: Ref
    ci_class: str
    description: str
    valid_from: dt.datetime
    valid_to: dt.datetime | None


# --- software ---


class SoftwareInstallIn(Schema):
    publisher: str = Field(min_length=1, max_length=200, pattern=NAME_PATTERN)
    product: str = Field(min_length=1, max_length=200)
    version: str = Field("", max_length=100)
    install_date: dt.date | None = None
    source: str = Field("manual", max_length=50)


class SoftwareProductOut(Schema):
    id: int
    publisher: str
    name: str
    key: str


class SoftwareInstallOut(Schema):
    id: int
    ci: Ref
    product: SoftwareProductOut
    version: str
    install_date: dt.date | None
    source: str
    raw_publisher: str
    raw_name: str


# --- diff ---


class CIBrief(Schema):
    id: int
    name: str
    ci_class: str

    @staticmethod
    def resolve_ci_class(obj: Any) -> str:
        return str(obj.ci_class)


class FieldChange(Schema):
    field: str
    old: Any = None
    new: Any = None


class CIChange(Schema):
    ci: CIBrief
    changes: list[FieldChange]


class RelationshipBrief(Schema):
    id: int
    source: Ref
    type: str
    target: Ref

    @staticmethod
    def resolve_type(obj: Any) -> str:
        return str(obj.type)


class DiffOut(Schema):
    cis_added: list[CIBrief]
    cis_retired: list[CIBrief]
    cis_changed: list[CIChange]
    relationships_added: list[RelationshipBrief]
    relationships_removed: list[RelationshipBrief]


class CIBulkUpdateIn(Schema):
    """The same partial update for several CIs (all or nothing; errors name each CI)."""

    cis: list[int] = Field(min_length=1, max_length=1000)
    changes: CIPatch
