"""API schemas of discovery: ``XIn`` (create), ``XPatch``, ``XOut``, ``XFilter``."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal

from ninja import Field, FilterSchema, Schema
from pydantic import StringConstraints

from assetgraph.api.formats import NAME_PATTERN
from assetgraph.core.attributes import ATTRIBUTE_KEY_PATTERN

from .models import TAG_FIELDS, ConnectorChoices

#: The CI fields a data source's tag rules may fill (``models.TAG_FIELDS``).
if TYPE_CHECKING:
    TagField = str
else:
    TagField = Literal[TAG_FIELDS]
#: A value in a run's diff line: ``changes`` maps each field to its [before, after] pair
#: (either side may itself be a list, such as open ports); the other keys are plain values.
DiffValue = dict[str, list[Any]] | Any
#: A tag key a tag rule reads (not blank).
TagKey = Annotated[str, StringConstraints(pattern=NAME_PATTERN, max_length=128)]
#: An attribute key of an identification rule.
AttributeKey = Annotated[str, StringConstraints(pattern=ATTRIBUTE_KEY_PATTERN, max_length=63)]

# --- data sources ---


class DataSourceIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    connector: ConnectorChoices
    description: str = ""
    default_scope: str = Field("", max_length=200)
    priority: int = Field(100, ge=0)
    priorities: dict[AttributeKey, int] = Field(default_factory=dict)
    may_create: bool = True
    tag_rules: dict[TagField, list[TagKey]] = Field(default_factory=dict)


class DataSourcePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = None
    default_scope: str | None = Field(None, max_length=200)
    priority: int | None = Field(None, ge=0)
    priorities: dict[AttributeKey, int] | None = None
    may_create: bool | None = None
    tag_rules: dict[TagField, list[TagKey]] | None = None


class DataSourceOut(Schema):
    id: int
    name: str
    connector: str
    description: str
    default_scope: str
    priority: int
    priorities: dict[str, Any]
    may_create: bool
    tag_rules: dict[str, Any]


class DataSourceFilter(FilterSchema):
    connector: str | None = None


# --- identification rules ---


class IdentificationRuleIn(Schema):
    ci_class_id: int
    priority: int = Field(10, ge=0)
    attributes: list[AttributeKey] = Field(min_length=1)
    active: bool = True
    description: str = Field("", max_length=200)


class IdentificationRulePatch(Schema):
    priority: int | None = Field(None, ge=0)
    attributes: list[AttributeKey] | None = Field(None, min_length=1)
    active: bool | None = None
    description: str | None = Field(None, max_length=200)


class IdentificationRuleOut(Schema):
    id: int
    ci_class_id: int
    priority: int
    attributes: list[str]
    active: bool
    description: str


class IdentificationRuleFilter(FilterSchema):
    ci_class_id: int | None = None
    active: bool | None = None


# --- class policies ---


class PolicyIn(Schema):
    ci_class_id: int
    stale_after_days: int = Field(60, ge=0)
    expects_relationship: bool = False
    retire_absent_after_days: int | None = Field(None, ge=1)


class PolicyPatch(Schema):
    stale_after_days: int | None = Field(None, ge=0)
    expects_relationship: bool | None = None
    retire_absent_after_days: int | None = Field(None, ge=1)


class PolicyOut(Schema):
    id: int
    ci_class_id: int
    stale_after_days: int
    expects_relationship: bool
    retire_absent_after_days: int | None


class PolicyFilter(FilterSchema):
    ci_class_id: int | None = None


# --- compliance rules ---


class ComplianceRuleIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    ci_class_id: int
    condition: dict[str, Any] = Field(default_factory=dict)
    requirement: dict[str, Any]
    active: bool = True


class ComplianceRulePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    condition: dict[str, Any] | None = None
    requirement: dict[str, Any] | None = None
    active: bool | None = None


class ComplianceRuleOut(Schema):
    id: int
    name: str
    ci_class_id: int
    condition: dict[str, Any]
    requirement: dict[str, Any]
    active: bool


class ComplianceRuleFilter(FilterSchema):
    ci_class_id: int | None = None


# --- runs and the queue ---


class RunOut(Schema):
    id: int
    job_id: str
    source_id: int
    connector: str
    scope: str
    full_scan: bool
    dry_run: bool
    filename: str
    state: str
    started: dt.datetime
    finished: dt.datetime | None
    items: int
    created: int
    updated: int
    unchanged: int
    queued: int
    errors: int
    absent: int
    events: int
    messages: list[str]
    diff: list[dict[str, DiffValue]]

    @staticmethod
    def resolve_job_id(obj: Any) -> str:
        return str(obj.job_id.hex)


class RunFilter(FilterSchema):
    source_id: int | None = None
    state: str | None = None


class QueueItemOut(Schema):
    id: int
    name: str
    source_id: int
    ci_class_id: int
    rule: str
    state: str
    item: dict[str, Any]
    candidates: list[int]
    resolved_ci_id: int | None

    @staticmethod
    def resolve_candidates(obj: Any) -> list[int]:
        return sorted(c.pk for c in obj.candidates.all())


class QueueItemFilter(FilterSchema):
    state: str | None = None
    source_id: int | None = None


class ResolveIn(Schema):
    ci_id: int
