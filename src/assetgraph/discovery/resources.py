"""Discovery's resources, each declared once (see :mod:`assetgraph.framework.spec`):
sources, identification rules, class policies and compliance rules are data edited in the UI
and API; runs and the reconciliation queue are read here and written by discovery's own
endpoints (upload, resolve) in ``api.py`` and ``views.py``."""

from __future__ import annotations

from typing import Any

from assetgraph.framework.spec import Column, DetailSection, Resource

from . import jobs, schemas, services
from .models import (
    ClassPolicy,
    ComplianceRule,
    DataSource,
    DiscoveryRun,
    IdentificationRule,
    ReconciliationItem,
)
from .views import ci_discovery_section, queue_candidates_table, run_diff_table


def _keys(rule: IdentificationRule) -> str:
    return " + ".join(rule.attributes) if isinstance(rule.attributes, list) else ""


DATA_SOURCE = Resource(
    model=DataSource,
    filter_schema=schemas.DataSourceFilter,
    out_schema=schemas.DataSourceOut,
    in_schema=schemas.DataSourceIn,
    patch_schema=schemas.DataSourcePatch,
    create=services.create_source,
    update=services.update_source,
    delete=services.delete_source,
    orderings={"name": "name", "id": "pk"},
    default_ordering="name",
    search_fields=("name", "description"),
    constraint_fields=("id", "name", "connector"),
    form_fields=(
        "name",
        "connector",
        "description",
        "default_scope",
        "priority",
        "priorities",
        "may_create",
        "tag_rules",
    ),
    columns=[
        Column("Name", lambda s: s.name, order="name", link=True),
        Column("Connector", lambda s: s.get_connector_display()),
        Column("Priority", lambda s: s.priority),
        Column("Attribute priorities", lambda s: s.priorities or ""),
        Column("May create", lambda s: "Yes" if s.may_create else "No"),
    ],
    detail_fields=[
        ("Connector", lambda s: s.get_connector_display()),
        ("Default scope", lambda s: s.default_scope),
        ("Priority (lower wins)", lambda s: s.priority),
        ("Attribute priorities", lambda s: s.priorities),
        ("May create CIs", lambda s: "Yes" if s.may_create else "No"),
        ("Tag rules", lambda s: s.tag_rules),
        ("Description", lambda s: s.description),
    ],
    path="sources",
    tag="discovery sources",
)

IDENTIFICATION_RULE = Resource(
    model=IdentificationRule,
    filter_schema=schemas.IdentificationRuleFilter,
    out_schema=schemas.IdentificationRuleOut,
    in_schema=schemas.IdentificationRuleIn,
    patch_schema=schemas.IdentificationRulePatch,
    create=services.create_rule,
    update=services.update_rule,
    delete=services.delete_rule,
    orderings={"priority": "priority", "id": "pk"},
    default_ordering="priority",
    select_related=("ci_class",),
    constraint_fields=("id", "ci_class"),
    form_fields=("ci_class", "priority", "attributes", "active", "description"),
    columns=[
        Column("Class", lambda r: r.ci_class.name, link=True),
        Column("Priority", lambda r: r.priority, order="priority"),
        Column("Attributes", _keys),
        Column("Active", lambda r: "Yes" if r.active else "No"),
    ],
    detail_fields=[
        ("Class", lambda r: r.ci_class.name),
        ("Priority (tried in ascending order)", lambda r: r.priority),
        ("Attributes", _keys),
        ("Active", lambda r: "Yes" if r.active else "No"),
        ("Description", lambda r: r.description),
    ],
    path="rules",
    tag="identification rules",
)

CLASS_POLICY = Resource(
    model=ClassPolicy,
    filter_schema=schemas.PolicyFilter,
    out_schema=schemas.PolicyOut,
    in_schema=schemas.PolicyIn,
    patch_schema=schemas.PolicyPatch,
    create=services.create_policy,
    update=services.update_policy,
    delete=services.delete_policy,
    select_related=("ci_class",),
    constraint_fields=("id", "ci_class"),
    form_fields=(
        "ci_class",
        "stale_after_days",
        "expects_relationship",
        "retire_absent_after_days",
    ),
    columns=[
        Column("Class", lambda p: p.ci_class.name, link=True),
        Column("Stale after (days)", lambda p: p.stale_after_days),
        Column("Expects a relationship", lambda p: "Yes" if p.expects_relationship else "No"),
        Column("Retire when absent (days)", lambda p: p.retire_absent_after_days or "never"),
    ],
    detail_fields=[
        ("Class", lambda p: p.ci_class.name),
        ("Stale after (days)", lambda p: p.stale_after_days),
        ("Expects a relationship", lambda p: "Yes" if p.expects_relationship else "No"),
        ("Retire when absent (days)", lambda p: p.retire_absent_after_days or "never"),
    ],
    path="policies",
    tag="class policies",
)

COMPLIANCE_RULE = Resource(
    model=ComplianceRule,
    filter_schema=schemas.ComplianceRuleFilter,
    out_schema=schemas.ComplianceRuleOut,
    in_schema=schemas.ComplianceRuleIn,
    patch_schema=schemas.ComplianceRulePatch,
    create=services.create_compliance_rule,
    update=services.update_compliance_rule,
    delete=services.delete_compliance_rule,
    orderings={"name": "name", "id": "pk"},
    default_ordering="name",
    select_related=("ci_class",),
    search_fields=("name",),
    constraint_fields=("id", "name", "ci_class"),
    form_fields=("name", "ci_class", "condition", "requirement", "active"),
    columns=[
        Column("Rule", lambda r: r.name, order="name", link=True),
        Column("Class", lambda r: r.ci_class.name),
        Column("When", lambda r: r.condition or "always"),
        Column("Requires", lambda r: r.requirement),
        Column("Active", lambda r: "Yes" if r.active else "No"),
    ],
    detail_fields=[
        ("Class", lambda r: r.ci_class.name),
        ("When", lambda r: r.condition or "always"),
        ("Requires", lambda r: r.requirement),
        ("Active", lambda r: "Yes" if r.active else "No"),
    ],
    path="compliance-rules",
    tag="compliance rules",
)


def _progress(run: DiscoveryRun) -> str:
    found = jobs.progress_of(run)
    if found is None:
        return "done" if run.state != "running" else "starting"
    return f"{found.processed:,} of {found.total or '?'} items ({found.percent} %) — reload"


def _counts(run: DiscoveryRun) -> str:
    return ", ".join(f"{k} {v}" for k, v in run.counts().items() if v) or "nothing"


RUN = Resource(
    model=DiscoveryRun,
    filter_schema=schemas.RunFilter,
    out_schema=schemas.RunOut,
    actions=("view", "add"),
    orderings={"started": "started", "id": "pk"},
    default_ordering="-started",
    select_related=("source",),
    constraint_fields=("id", "source", "state"),
    pages=frozenset({"list", "detail", "history"}),
    generate_api=False,  # runs are started by POST /api/discovery/run; read in api.py
    # runs are never edited or deleted: the detail page's buttons point back to it
    url_names={
        "add": "ui:discovery:upload",
        "edit": "ui:discovery:discoveryrun_detail",
        "delete": "ui:discovery:discoveryrun_detail",
    },
    columns=[
        Column("Run", lambda r: f"#{r.pk}", link=True),
        Column("Source", lambda r: r.source.name),
        Column("Scope", lambda r: r.scope),
        Column("Started", lambda r: r.started, order="started"),
        Column("State", lambda r: r.get_state_display() + (" (dry run)" if r.dry_run else "")),
        Column("Counts", _counts),
    ],
    detail_fields=[
        ("Source", lambda r: r.source.name),
        ("File", lambda r: r.filename),
        ("Scope", lambda r: r.scope + (" (full scan)" if r.full_scan else "")),
        ("State", lambda r: r.get_state_display() + (" (dry run)" if r.dry_run else "")),
        ("Progress", _progress),
        ("Started", lambda r: r.started),
        ("Finished", lambda r: r.finished),
        ("Items", lambda r: r.items),
        ("Counts", _counts),
        ("Audit events", lambda r: r.events),
        ("Messages", lambda r: "\n".join(r.messages)),
    ],
    related_tables=[run_diff_table],
    path="runs",
    tag="discovery runs",
)


def _candidates(item: ReconciliationItem) -> Any:
    return ", ".join(str(c) for c in item.candidates.all())


QUEUE = Resource(
    model=ReconciliationItem,
    filter_schema=schemas.QueueItemFilter,
    out_schema=schemas.QueueItemOut,
    actions=("view", "change"),
    orderings={"created": "created", "id": "pk"},
    default_ordering="-created",
    select_related=("source", "ci_class"),
    prefetch_related=("candidates",),
    constraint_fields=("id", "source", "state"),
    pages=frozenset({"list", "detail", "history"}),
    generate_api=False,  # written by resolve/dismiss in api.py
    url_names={
        "edit": "ui:discovery:reconciliationitem_detail",
        "delete": "ui:discovery:reconciliationitem_detail",
    },
    columns=[
        Column("Item", lambda i: i.name, link=True),
        Column("Class", lambda i: i.ci_class.name),
        Column("Source", lambda i: i.source.name),
        Column("Rule", lambda i: i.rule),
        Column("Candidates", _candidates),
        Column("State", lambda i: i.get_state_display()),
    ],
    detail_fields=[
        ("Class", lambda i: i.ci_class.name),
        ("Source", lambda i: i.source.name),
        ("Ambiguous rule", lambda i: i.rule),
        ("Discovered", lambda i: i.item),
        ("State", lambda i: i.get_state_display()),
        ("Resolved as", lambda i: i.resolved_ci or ""),
    ],
    related_tables=[queue_candidates_table],
    path="queue",
    tag="reconciliation queue",
)

RESOURCES = [DATA_SOURCE, IDENTIFICATION_RULE, CLASS_POLICY, COMPLIANCE_RULE, RUN, QUEUE]
SECTIONS = [DetailSection("cmdb.ci", ci_discovery_section)]
