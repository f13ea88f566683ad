"""The operations resources, each declared once (see :mod:`assetgraph.framework.spec`).

No role but Admin holds any grant on them (roles.py): webhooks, rules, the SSRF allow list,
schedules, jobs and deliveries are for administrators only. Each user's notifications and
preferences are served by api.py and views.py, scoped to that user.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from assetgraph.core.actor import Actor
from assetgraph.framework.spec import Column, Resource

from . import forms, schemas, services
from .models import AllowedNetwork, Delivery, EventRule, Job, Schedule, Webhook


def _update_webhook_from_form(actor: Actor, webhook: Webhook, values: dict[str, Any]) -> Webhook:
    if not values.get("secret"):
        values = {k: v for k, v in values.items() if k != "secret"}  # keep the current one
    return services.update_webhook(actor, webhook, values)


WEBHOOK = Resource(
    model=Webhook,
    out_schema=schemas.WebhookOut,
    in_schema=schemas.WebhookIn,
    patch_schema=schemas.WebhookPatch,
    filter_schema=schemas.WebhookFilter,
    create=services.create_webhook,
    update=services.update_webhook,
    delete=services.delete_webhook,
    form_update=_update_webhook_from_form,
    orderings={"name": "name", "id": "pk"},
    default_ordering="name",
    select_related=("owner",),
    search_fields=("name", "url"),
    constraint_fields=("id", "name", "enabled"),
    tag="webhooks",
    form_class=forms.WebhookForm,
    columns=[
        Column("Name", lambda w: w.name, order="name", link=True),
        Column("URL", lambda w: w.url),
        Column("Enabled", lambda w: "Yes" if w.enabled else "No"),
        Column("Owner", lambda w: w.owner.get_username()),
    ],
    detail_fields=[
        ("URL", lambda w: w.url),
        ("Headers", lambda w: ", ".join(sorted(w.headers)) or "none"),
        ("Body", lambda w: "template" if w.body_template else "the event as JSON"),
        (
            "Signed",
            lambda w: "yes (Standard Webhooks, HMAC-SHA256)" if w.secret else "no secret set",
        ),
        ("Enabled", lambda w: "Yes" if w.enabled else "No"),
        ("Payloads as seen by", lambda w: w.owner.get_username()),
        ("Timeout", lambda w: f"{w.timeout_seconds} s"),
    ],
)

EVENT_RULE = Resource(
    model=EventRule,
    out_schema=schemas.EventRuleOut,
    in_schema=schemas.EventRuleIn,
    patch_schema=schemas.EventRulePatch,
    filter_schema=schemas.EventRuleFilter,
    create=services.create_rule,
    update=services.update_rule,
    delete=services.delete_rule,
    orderings={"name": "name", "id": "pk"},
    default_ordering="name",
    select_related=("webhook",),
    search_fields=("name", "object_type"),
    constraint_fields=("id", "name", "object_type", "webhook"),
    tag="event rules",
    path="rules",
    form_class=forms.EventRuleForm,
    columns=[
        Column("Name", lambda r: r.name, order="name", link=True),
        Column("Object type", lambda r: r.object_type),
        Column("Actions", lambda r: ", ".join(r.actions) or "any"),
        Column("Webhook", lambda r: r.webhook.name),
        Column("Enabled", lambda r: "Yes" if r.enabled else "No"),
    ],
    detail_fields=[
        ("Object type", lambda r: r.object_type),
        ("Actions", lambda r: ", ".join(r.actions) or "any"),
        ("Conditions", lambda r: r.conditions or "none"),
        ("Webhook", lambda r: r.webhook.name),
        ("Enabled", lambda r: "Yes" if r.enabled else "No"),
    ],
)

ALLOWED_NETWORK = Resource(
    model=AllowedNetwork,
    out_schema=schemas.AllowedNetworkOut,
    in_schema=schemas.AllowedNetworkIn,
    patch_schema=schemas.AllowedNetworkPatch,
    filter_schema=schemas.AllowedNetworkFilter,
    create=services.create_allowed_network,
    update=services.update_allowed_network,
    delete=services.delete_allowed_network,
    orderings={"cidr": "cidr", "id": "pk"},
    default_ordering="cidr",
    constraint_fields=("id", "cidr"),
    tag="webhook networks",
    path="networks",
    form_class=forms.AllowedNetworkForm,
    columns=[
        Column("Network", lambda n: n.cidr, order="cidr", link=True),
        Column("Note", lambda n: n.note),
    ],
    detail_fields=[("Network", lambda n: n.cidr), ("Note", lambda n: n.note)],
)

HISTORY_CAP = 10


def _history(schedule: Schedule) -> Any:
    """The schedule's latest runs; when there are more, says so and links to all of them."""
    jobs = list(schedule.jobs.all()[:HISTORY_CAP])
    if not jobs:
        return "no runs yet"
    text = "; ".join(f"#{j.pk} {j.state} {j.created:%Y-%m-%d %H:%M}" for j in jobs)
    total = schedule.jobs.count() if len(jobs) == HISTORY_CAP else len(jobs)
    if total <= len(jobs):
        return text
    url = reverse(JOB.url_name("list")) + f"?schedule_id={schedule.pk}"
    return {"url": url, "text": f"latest {len(jobs)} of {total} (all runs): {text}"}


SCHEDULE = Resource(
    model=Schedule,
    filter_schema=schemas.ScheduleFilter,
    out_schema=schemas.ScheduleOut,
    generate_api=False,
    pages=frozenset({"list", "detail"}),
    actions=("view", "change"),
    orderings={"name": "name", "next_run": "next_run", "id": "pk"},
    default_ordering="name",
    constraint_fields=("id", "name", "task"),
    columns=[
        Column("Name", lambda s: s.name, order="name", link=True),
        Column("Task", lambda s: s.task),
        Column("Runs", lambda s: s.get_every_display()),
        Column("Last run", lambda s: s.last_run or "never"),
        Column("Next run", lambda s: s.next_run if s.enabled else "disabled", order="next_run"),
    ],
    detail_fields=[
        ("Task", lambda s: s.task),
        ("Arguments", lambda s: s.arguments or "none"),
        ("Runs", lambda s: s.get_every_display()),
        ("Interval", lambda s: f"{s.interval_seconds} s" if s.interval_seconds else ""),
        ("At (UTC)", lambda s: s.at_time or ""),
        ("Last run", lambda s: s.last_run or "never"),
        ("Next run", lambda s: s.next_run if s.enabled else "disabled"),
        ("History", lambda s: _history(s)),
    ],
)

JOB = Resource(
    model=Job,
    filter_schema=schemas.JobFilter,
    out_schema=schemas.JobOut,
    generate_api=False,
    pages=frozenset({"list", "detail"}),
    actions=("view", "change"),
    orderings={"id": "pk", "created": "created"},
    default_ordering="-id",
    select_related=("schedule",),
    constraint_fields=("id", "task", "state", "user"),
    columns=[
        Column("Job", lambda j: f"#{j.pk}", order="id", link=True),
        Column("Task", lambda j: j.task),
        Column("State", lambda j: j.get_state_display()),
        Column("Attempts", lambda j: f"{j.attempts}/{j.max_attempts}"),
        Column("Created", lambda j: j.created, order="created"),
        Column("Error", lambda j: (j.error.splitlines() or [""])[-1][:120]),
    ],
    detail_fields=[
        ("Task", lambda j: j.task),
        ("Arguments", lambda j: j.arguments or "none"),
        ("State", lambda j: j.get_state_display()),
        ("Attempts", lambda j: f"{j.attempts} of {j.max_attempts}"),
        ("Schedule", lambda j: j.schedule.name if j.schedule else ""),
        ("Worker", lambda j: j.worker),
        ("Started", lambda j: j.started or ""),
        ("Finished", lambda j: j.finished or ""),
        ("Result", lambda j: j.result if j.result is not None else ""),
        ("Error", lambda j: j.error),
    ],
)

DELIVERY = Resource(
    model=Delivery,
    filter_schema=schemas.DeliveryFilter,
    out_schema=schemas.DeliveryOut,
    generate_api=False,
    pages=frozenset({"list", "detail"}),
    actions=("view",),
    orderings={"id": "pk"},
    default_ordering="-id",
    select_related=("webhook",),
    constraint_fields=("id", "webhook", "state"),
    columns=[
        Column("Delivery", lambda d: f"#{d.pk}", order="id", link=True),
        Column("Webhook", lambda d: d.webhook.name),
        Column("Event", lambda d: d.event_id),
        Column("State", lambda d: d.get_state_display()),
        Column("Attempts", lambda d: d.attempts),
        Column("Status", lambda d: d.status_code or ""),
        Column("Response", lambda d: f"{d.response_ms} ms" if d.response_ms is not None else ""),
    ],
    detail_fields=[
        ("Webhook", lambda d: d.webhook.name),
        ("Audit event", lambda d: d.event_id),
        ("State", lambda d: d.get_state_display()),
        ("Attempts", lambda d: d.attempts),
        ("Next attempt", lambda d: d.next_attempt),
        ("Last status", lambda d: d.status_code or ""),
        ("Response time", lambda d: f"{d.response_ms} ms" if d.response_ms is not None else ""),
        ("Error", lambda d: d.error),
        (
            "Attempts log",
            lambda d: "; ".join(
                f"{a.attempted:%H:%M:%S} {a.status_code or a.error} {a.response_ms} ms"
                for a in d.log.all()
            ),
        ),
    ],
)

RESOURCES = [WEBHOOK, EVENT_RULE, ALLOWED_NETWORK, SCHEDULE, JOB, DELIVERY]
