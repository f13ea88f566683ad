"""The security app's resources, each declared once (see :mod:`assetgraph.framework.spec`).

Policies and policy exceptions are plain resources (generated API and pages). Advisories,
findings, end-of-life cycles and evidence packages are written only by their use-case
services (imports, matching runs, the workflow, exports), so they have their own endpoints
(``api.py``) and pages (``views.py``); their declarations give the registry, permissions and
History.
"""

from __future__ import annotations

from assetgraph.framework.spec import Column, Resource
from assetgraph.ui.generic import link

from . import flags as security_flags
from . import policies, schemas
from .models import Advisory, EndOfLifeCycle, EvidencePackage, Finding, Policy, PolicyException
from .views import policy_results_table, policy_runs_table

ADVISORY = Resource(
    model=Advisory,
    actions=("view", "add", "change"),
    search_fields=("identifier", "summary"),
    constraint_fields=("id", "identifier", "severity", "source"),
    pages=frozenset(),
    url_names={"list": "ui:security:advisory_list", "detail": "ui:security:advisory_detail"},
    cli_name="advisories",
)
FINDING = Resource(
    model=Finding,
    actions=("view", "change"),
    search_fields=("advisory__identifier", "package"),
    constraint_fields=("id", "severity", "status", "ci", "owner", "advisory"),
    audit_references={"advisory": "security.advisory", "ci": "cmdb.ci"},
    pages=frozenset(),
    url_names={"list": "ui:security:finding_list", "detail": "ui:security:finding_detail"},
    cli_name="findings",
)
EOL_CYCLE = Resource(
    model=EndOfLifeCycle,
    actions=("view", "add", "change"),
    search_fields=("cycle", "product__slug"),
    constraint_fields=("id", "product"),
    pages=frozenset(),
    url_names={"list": "ui:security:eol"},
    cli_name="eol-cycles",
)
EVIDENCE = Resource(
    model=EvidencePackage,
    actions=("view", "add"),
    constraint_fields=("id", "requested_by"),
    pages=frozenset(),
    url_names={"list": "ui:security:evidence"},
    cli_name="evidence-packages",
)
POLICY = Resource(
    model=Policy,
    out_schema=schemas.SecurityPolicyOut,
    in_schema=schemas.SecurityPolicyIn,
    patch_schema=schemas.SecurityPolicyPatch,
    filter_schema=schemas.SecurityPolicyFilter,
    create=policies.create_policy,
    update=policies.update_policy,
    delete=policies.delete_policy,
    path="policies",
    api_path="policies",
    tag="security",
    select_related=("scope_class",),
    orderings={"name": "name", "id": "pk"},
    default_ordering="name",
    search_fields=("name",),
    constraint_fields=("id", "name", "severity"),
    columns=[
        Column("Policy", lambda p: p.name, order="name", link=True),
        Column("Scope", lambda p: str(p.scope_class or "all CIs")),
        Column("Severity", lambda p: p.get_severity_display()),
        Column("Enabled", lambda p: "Yes" if p.enabled else "No"),
    ],
    detail_fields=[
        ("Description", lambda p: p.description),
        ("Scope class", lambda p: str(p.scope_class or "all CIs")),
        ("Scope filter", lambda p: p.scope_filter),
        ("Condition", lambda p: p.condition),
        ("Severity", lambda p: p.get_severity_display()),
        ("Enabled", lambda p: "Yes" if p.enabled else "No"),
    ],
    related_tables=[policy_runs_table, policy_results_table],
    form_fields=(
        "name",
        "description",
        "scope_class",
        "scope_filter",
        "condition",
        "severity",
        "enabled",
    ),
    cli_name="policies",
)
POLICY_EXCEPTION = Resource(
    model=PolicyException,
    out_schema=schemas.SecurityExceptionOut,
    in_schema=schemas.SecurityExceptionIn,
    patch_schema=schemas.SecurityExceptionPatch,
    filter_schema=schemas.SecurityExceptionFilter,
    create=policies.create_exception,
    update=policies.update_exception,
    delete=policies.delete_exception,
    path="policy-exceptions",
    api_path="policy-exceptions",
    tag="security",
    select_related=("policy", "ci", "approved_by"),
    orderings={"expires": "expires", "id": "pk"},
    default_ordering="expires",
    constraint_fields=("id", "policy", "ci"),
    audit_references={"policy": "security.policy", "ci": "cmdb.ci"},
    columns=[
        Column("Policy", lambda e: link(e.policy, "ui:security:policy_detail")),
        Column("CI", lambda e: link(e.ci, "ui:cmdb:ci_detail")),
        Column("Reason", lambda e: e.reason, link=True),
        Column("Expires", lambda e: e.expires, order="expires"),
        Column("Approved by", lambda e: e.approved_by.username if e.approved_by_id else ""),
    ],
    detail_fields=[
        ("Policy", lambda e: link(e.policy, "ui:security:policy_detail")),
        ("CI", lambda e: link(e.ci, "ui:cmdb:ci_detail")),
        ("Reason", lambda e: e.reason),
        ("Expires", lambda e: e.expires),
        ("Approved by", lambda e: e.approved_by.username if e.approved_by_id else ""),
    ],
    form_fields=("policy", "ci", "reason", "expires"),
    cli_name="policy-exceptions",
)

RESOURCES = [ADVISORY, FINDING, EOL_CYCLE, EVIDENCE, POLICY, POLICY_EXCEPTION]
# Business flag for the technical views (impact, root cause, changes, CI pages, maps).
FLAG_SOURCES = security_flags.FLAG_SOURCES
