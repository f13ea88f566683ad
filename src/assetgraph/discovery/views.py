"""Discovery pages that are not generic (namespace ``ui:discovery``): start a run (upload),
the CMDB health dashboard and its drill-down, unmanaged and missing hardware, resolving a
queued item, and the CI page's "Discovery" section (where each value came from)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from assetgraph.accounts.http import AuthedRequest
from assetgraph.accounts.permissions import get_object_or_404, has_perm, restrict
from assetgraph.assets.models import AssetModel
from assetgraph.cmdb.models import CI
from assetgraph.core.actor import ui_actor
from assetgraph.core.errors import NotFound, ServiceError
from assetgraph.core.errors import PermissionDenied as DomainPermissionDenied
from assetgraph.ui.capping import cap_rows, export_section
from assetgraph.ui.generic import link
from assetgraph.ui.pickers import SELECT_LIMIT, PickerWidget

from . import assets, health, jobs, services
from .models import (
    AttributeObservation,
    DataSource,
    DiscoveryRun,
    ReconciliationItem,
    Sighting,
)

MEASURES = ("duplicate", "orphan", "stale", "incomplete", "non_compliant")


def _require(request: AuthedRequest, object_type: str, action: str = "view") -> None:
    if not has_perm(request.user, object_type, action):
        raise PermissionDenied(f"you may not {action} {object_type}")


def _ci_link(ci: CI) -> dict[str, str] | str:
    return link(ci, "ui:cmdb:ci_detail")


# --- related tables and the CI section --------------------------------------------------------


# Diff entries shown on a run's page; more say "Showing 200 of N" and link to all (issue 17).
DIFF_CAP = 200
DIFF_COLUMNS = [
    ("item", lambda row: row[0]),
    ("outcome", lambda row: row[1]),
    ("changed", lambda row: row[2]),
]


def _diff_rows(run: DiscoveryRun) -> list[list[Any]]:
    """Each diff entry as (item, outcome, changed fields)."""
    rows = []
    for entry in run.diff or []:
        changes = entry.get("changes") or {}
        rows.append(
            [
                entry.get("ref", entry.get("key", "")),
                entry.get("action", ""),
                ", ".join(sorted(changes)) if isinstance(changes, dict) else "",
            ]
        )
    return rows


def run_diff_table(request: HttpRequest, run: DiscoveryRun) -> dict[str, Any] | None:
    """A run page's diff: what each item did (created, updated with changes, queued); capped,
    saying so, with the full list and its export."""
    if not run.diff:
        return None
    full = reverse("ui:discovery:run_diff", args=[run.pk])
    shown = cap_rows(request, "diff", _diff_rows(run), DIFF_CAP, base_url=full)
    return {
        "title": "Diff",
        "headers": ["Item", "Outcome", "Changed"],
        "rows": shown.rows,
        "total": shown.total,
        "more_url": shown.full_url or None,
        "export_url": shown.export_url,
    }


@login_required
def run_diff(request: AuthedRequest, pk: int) -> HttpResponse:
    """A run's whole diff, paged (``?offset=``), and its export (``?only=diff&format=csv``)."""
    try:
        run = get_object_or_404(DiscoveryRun.objects.all(), request.user, "view", pk=pk)
    except NotFound as exc:
        raise Http404 from exc
    except DomainPermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc
    rows = _diff_rows(run)
    exported = export_section(request, "diff", rows, DIFF_COLUMNS, f"discovery-run-{run.pk}-diff")
    if exported is not None:
        return exported
    base = reverse("ui:discovery:run_diff", args=[run.pk])
    shown = cap_rows(request, "diff", rows, DIFF_CAP, base_url=base, alone=True)
    table = {"title": "Diff", "headers": ["Item", "Outcome", "Changed"], "rows": shown.rows}
    context = {
        "title": f"Diff of {run}",
        "capped": shown,
        "back_url": reverse("ui:discovery:discoveryrun_detail", args=[run.pk]),
        "tables": [table],
    }
    return render(request, "discovery/page.html", context)


def queue_candidates_table(request: HttpRequest, item: ReconciliationItem) -> dict[str, Any] | None:
    """A queued item's candidate CIs, each with the page that resolves the item as it."""
    visible = restrict(item.candidates.all(), request.user, "view").select_related("ci_class")
    can = item.state == "open" and has_perm(request.user, "discovery.reconciliationitem", "change")
    rows = []
    for ci in visible:
        action: Any = ""
        if can:
            url = reverse("ui:discovery:queue_resolve", args=[item.pk, ci.pk])
            action = {"text": "Resolve as this CI…", "url": url}
        rows.append([_ci_link(ci), ci.ci_class.name, ci.public_attributes, action])
    return {"title": "Candidates", "headers": ["CI", "Class", "Attributes", ""], "rows": rows}


def ci_discovery_section(request: HttpRequest, ci: CI) -> dict[str, Any] | None:
    """The CI page's "Discovery" section: each value's source and last-seen time."""
    if not has_perm(request.user, "discovery.datasource", "view"):
        return None
    sightings = {s.source_id: s for s in Sighting.objects.filter(ci=ci).select_related("source")}
    observations = list(
        AttributeObservation.objects.filter(ci=ci).select_related("source").order_by("key")
    )
    if not observations and not sightings:
        return None
    rows: list[list[Any]] = []
    for obs in observations:
        seen = sightings.get(obs.source_id) if obs.source_id else None
        holder = "manual (wins until released)" if obs.manual else (obs.source or "—")
        value = obs.value if not isinstance(obs.value, list | dict) else f"{len(obs.value)} entries"
        rows.append([obs.key, value, str(holder), seen.last_seen if seen else ""])
    for sighting in sightings.values():
        absent = (
            f" — absent since {sighting.absent_since:%Y-%m-%d}" if sighting.absent_since else ""
        )
        rows.append(
            ["(seen by)", sighting.scope or "", f"{sighting.source}{absent}", sighting.last_seen]
        )
    return {
        "title": "Discovery: where each value came from",
        "headers": ["Attribute", "Value", "Source", "Last seen"],
        "rows": rows,
    }


# --- starting a run ----------------------------------------------------------------------------


class UploadForm(forms.Form):
    """Start a discovery run from a file."""

    source = forms.ModelChoiceField(queryset=DataSource.objects.none())
    file = forms.FileField(help_text="nmap XML, Ansible facts JSON, CycloneDX JSON, EC2 JSON, CSV")
    scope = forms.CharField(required=False, max_length=200)
    full_scan = forms.BooleanField(
        required=False, help_text="Everything of this scope that the file lacks becomes absent."
    )
    dry_run = forms.BooleanField(required=False, initial=True, help_text="Preview only.")


@login_required
def upload(request: AuthedRequest) -> HttpResponse:
    """Upload a file and queue its run (a dry run by default) for the worker; the run's page
    shows its progress, then its outcome."""
    _require(request, "discovery.discoveryrun", "add")
    form = UploadForm(request.POST or None, request.FILES or None)
    form.fields["source"].queryset = restrict(DataSource.objects.all(), request.user)  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            run = jobs.start_run(
                ui_actor(request),
                form.cleaned_data["source"],
                uploaded.read(),
                scope=form.cleaned_data["scope"],
                full_scan=form.cleaned_data["full_scan"],
                dry_run=form.cleaned_data["dry_run"],
                filename=uploaded.name or "",
                background=True,
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            return HttpResponseRedirect(reverse("ui:discovery:discoveryrun_detail", args=[run.pk]))
    return render(
        request,
        "discovery/page.html",
        {
            "title": "Run discovery",
            "intro": "Feed a file from a scanner or inventory. Re-running the same file "
            "changes nothing; a file with any error writes nothing.",
            "form": form,
            "submit": "Run",
        },
    )


# --- health ------------------------------------------------------------------------------------


def _sparkline(points: list[float]) -> str:
    if len(points) < 2:
        return ""
    marks = "▁▂▃▄▅▆▇█"
    low, high = min(points), max(points)
    span = (high - low) or 1
    return "".join(marks[int((p - low) / span * (len(marks) - 1))] for p in points)


@login_required
def health_dashboard(request: AuthedRequest) -> HttpResponse:
    """Completeness, correctness and compliance per class and overall, with the trend."""
    _require(request, "cmdb.ci")
    result = health.compute()
    overall = result["overall"]
    history = health.trend()
    cards = [
        {"label": "CIs", "value": overall["cis"]},
        {
            "label": "Completeness",
            "value": f"{overall['completeness']} %",
            "note": _sparkline([h["completeness"] for h in history]),
        },
        {
            "label": "Correctness",
            "value": f"{overall['correctness']} %",
            "note": f"{overall['duplicates']} duplicates, {overall['orphans']} orphans, "
            f"{overall['stale']} stale",
        },
        {
            "label": "Compliance",
            "value": f"{overall['compliance']} %",
            "note": f"{overall['non_compliant']} CIs break a rule",
        },
    ]

    def drill(class_id: int, measure: str, count: int) -> Any:
        if not count:
            return 0
        url = reverse("ui:discovery:health_offenders", args=[class_id, measure])
        return {"text": str(count), "url": url}

    rows = [
        [
            s["class"],
            s["cis"],
            f"{s['completeness']} %",
            f"{s['correctness']} %",
            f"{s['compliance']} %",
            drill(pk, "duplicate", s["duplicates"]),
            drill(pk, "orphan", s["orphans"]),
            drill(pk, "stale", s["stale"]),
            drill(pk, "incomplete", s["incomplete"]),
            drill(pk, "non_compliant", s["non_compliant"]),
        ]
        for pk, s in result["classes"].items()
    ]
    trend_rows = [
        [h["day"], f"{h['completeness']} %", f"{h['correctness']} %", f"{h['compliance']} %"]
        for h in reversed(history[-14:])
    ]
    return render(
        request,
        "discovery/page.html",
        {
            "title": "CMDB health",
            "intro": "Measured now over the current CIs; the trend keeps one snapshot a day "
            "(docs/discovery.md says how each measure is computed).",
            "cards": cards,
            "story": _story(overall, history),
            "tables": [
                {
                    "title": "By class",
                    "headers": [
                        "Class",
                        "CIs",
                        "Completeness",
                        "Correctness",
                        "Compliance",
                        "Duplicates",
                        "Orphans",
                        "Stale",
                        "Incomplete",
                        "Non-compliant",
                    ],
                    "rows": rows,
                },
                {
                    "title": "Trend",
                    "headers": ["Day", "Completeness", "Correctness", "Compliance"],
                    "rows": trend_rows,
                    "empty": "No snapshot yet (assetgraph discover health --record).",
                },
            ],
        },
    )


def _story(overall: dict[str, Any], history: list[dict[str, Any]]) -> str:
    """One sentence on where health is heading and what to fix first."""
    if not history:
        return ""
    first = history[0]
    delta = round(overall["correctness"] - first["correctness"], 1)
    worst = max(("duplicates", "orphans", "stale"), key=lambda k: overall[k])
    direction = "up" if delta > 0 else "down" if delta < 0 else "flat"
    return (
        f"Correctness is {direction} {abs(delta)} points since {first['day']}; "
        f"the biggest remaining defect is {worst} ({overall[worst]} CIs)."
    )


# CIs per page behind a health number; more say "Showing 500 of N" (issue 17).
OFFENDERS_CAP = 500
OFFENDER_COLUMNS = [
    ("id", lambda ci: ci.pk),
    ("name", lambda ci: ci.name),
    ("class", lambda ci: ci.ci_class.name),
    ("source", lambda ci: ci.source),
]


@login_required
def health_offenders(request: AuthedRequest, class_id: int, measure: str) -> HttpResponse:
    """The CIs behind one number of the dashboard."""
    _require(request, "cmdb.ci")
    if measure not in MEASURES:
        raise Http404("unknown measure")
    result = health.compute()
    ids = result["offenders"].get(class_id, {}).get(measure, [])
    section = "offenders"

    def visible(chunk: list[int]) -> Any:
        return restrict(CI.objects.filter(pk__in=chunk), request.user).select_related("ci_class")

    every = (ci for i in range(0, len(ids), 500) for ci in visible(ids[i : i + 500]))
    exported = export_section(request, section, every, OFFENDER_COLUMNS, f"health-{measure}")
    if exported is not None:
        return exported
    shown = cap_rows(request, section, ids, OFFENDERS_CAP)
    cis = visible(shown.rows)
    return render(
        request,
        "discovery/page.html",
        {
            "title": f"{measure.replace('_', ' ').capitalize()} CIs",
            "capped": shown,
            "back_url": request.path if shown.full else "",
            "tables": [
                {
                    "title": f"{len(ids)} CIs",
                    "headers": ["CI", "Class", "Source"],
                    "rows": [[_ci_link(ci), ci.ci_class.name, ci.source] for ci in cis],
                }
            ],
        },
    )


# --- assets meet discovery ------------------------------------------------------------------------


# Unmanaged devices per page; more say "Showing 500 of N", page and export (issue 17).
UNMANAGED_CAP = 500
UNMANAGED_COLUMNS = [
    ("id", lambda ci: ci.pk),
    ("name", lambda ci: ci.name),
    ("class", lambda ci: ci.ci_class.name),
    ("serial_number", lambda ci: ci.attributes.get("serial_number") or ""),
    ("source", lambda ci: ci.source),
]


@login_required
def unmanaged_list(request: AuthedRequest) -> HttpResponse:
    """Discovered hardware with no asset: make it an asset, or link it by serial number."""
    _require(request, "cmdb.ci")
    can = has_perm(request.user, "assets.asset", "add") and has_perm(
        request.user, "cmdb.ci", "change"
    )
    # The model to make an asset of: a drop-down while short, else a type-ahead picker (never
    # a list cut at some length without saying so).
    visible_models = restrict(AssetModel.objects.all(), request.user)
    models = [(m.pk, str(m)) for m in visible_models[: SELECT_LIMIT + 1]]
    many_models = len(models) > SELECT_LIMIT
    every = assets.unmanaged(request.user)
    exported = export_section(request, "unmanaged", every, UNMANAGED_COLUMNS, "unmanaged")
    if exported is not None:
        return exported
    shown = cap_rows(request, "unmanaged", every, UNMANAGED_CAP)
    rows = []
    for ci in shown.rows:
        serial = ci.attributes.get("serial_number") or ""
        make = (
            {
                "post": reverse("ui:discovery:make_asset", args=[ci.pk]),
                "label": "Make asset",
                "selects": [] if many_models else [("model", models)],
                "picker": PickerWidget("assets.assetmodel", visible_models).render(
                    "model", None, attrs={"id": f"model-{ci.pk}", "class": "form-control"}
                )
                if many_models
                else "",
            }
            if can and models
            else ""
        )
        link_action = (
            {
                "post": reverse("ui:discovery:link_asset", args=[ci.pk]),
                "label": "Link by serial",
                "selects": [],
            }
            if can and serial
            else ""
        )
        rows.append([_ci_link(ci), ci.ci_class.name, serial, ci.source, make, link_action])
    return render(
        request,
        "discovery/page.html",
        {
            "title": "Unmanaged hardware",
            "intro": "Hardware discovery has seen that no asset in the register stands for.",
            "capped": shown,
            "back_url": request.path if shown.full else "",
            "tables": [
                {
                    "title": f"{shown.total} devices",
                    "headers": ["CI", "Class", "Serial", "Source", "", ""],
                    "rows": rows,
                }
            ],
        },
    )


def _ci_for_change(request: AuthedRequest, pk: int) -> CI:
    try:
        return get_object_or_404(CI.objects.current(), request.user, "change", pk=pk)
    except NotFound as exc:
        raise Http404 from exc
    except DomainPermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc


@login_required
@require_POST
def make_asset(request: AuthedRequest, pk: int) -> HttpResponse:
    """One action: register the CI as an asset of the chosen model and link them."""
    ci = _ci_for_change(request, pk)
    try:
        model = restrict(AssetModel.objects.all(), request.user).get(
            pk=int(request.POST.get("model", "0"))
        )
        asset = assets.make_asset(ui_actor(request), ci, model)
    except (AssetModel.DoesNotExist, ValueError):
        messages.error(request, "model: choose a model")
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{ci} is now asset {asset.asset_tag}.")
    return HttpResponseRedirect(reverse("ui:discovery:unmanaged"))


@login_required
@require_POST
def link_asset(request: AuthedRequest, pk: int) -> HttpResponse:
    """One action: link the CI to the asset with its serial number."""
    ci = _ci_for_change(request, pk)
    try:
        asset = assets.link_by_serial(ui_actor(request), ci)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{ci} is linked to {asset}.")
    return HttpResponseRedirect(reverse("ui:discovery:unmanaged"))


@login_required
def missing_list(request: AuthedRequest) -> HttpResponse:
    """Registered assets discovery no longer sees: where a physical audit starts."""
    _require(request, "assets.asset")
    try:
        days = max(1, int(request.GET.get("days", assets.MISSING_AFTER_DAYS)))
    except ValueError:
        days = assets.MISSING_AFTER_DAYS
    may_audit = has_perm(request.user, "assets.auditcampaign", "add")

    def where(asset: Any) -> Any:
        # the physical audit of the asset's location starts from here (prefilled)
        if asset.location_id is None:
            return "—"
        if not may_audit:
            return str(asset.location)
        url = reverse("ui:assets:audit_start") + f"?location={asset.location_id}"
        return {"url": url, "text": f"{asset.location}: start a physical audit"}

    rows = [
        [
            link(asset, "ui:assets:asset_detail"),
            _ci_link(ci),
            asset.get_state_display(),
            where(asset),
            seen,
        ]
        for asset, ci, seen in assets.missing(request.user, days)
    ]
    return render(
        request,
        "discovery/page.html",
        {
            "title": "Missing assets",
            "intro": f"Assets whose CI no source has seen for {days} days (?days=N to change).",
            "tables": [
                {
                    "title": f"{len(rows)} assets",
                    "headers": ["Asset", "CI", "State", "Location", "Last seen"],
                    "rows": rows,
                }
            ],
        },
    )


# --- the queue ----------------------------------------------------------------------------------


@login_required
def queue_resolve(request: AuthedRequest, pk: int, ci_pk: int) -> HttpResponse:
    """Confirm (GET) and apply (POST) that a queued item is this candidate CI."""
    try:
        item = get_object_or_404(ReconciliationItem.objects.all(), request.user, "change", pk=pk)
        ci = get_object_or_404(item.candidates.all(), request.user, "change", pk=ci_pk)
    except NotFound as exc:
        raise Http404 from exc
    except DomainPermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc
    if request.method == "POST":
        try:
            services.resolve_item(ui_actor(request), item, ci)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{item.name} is {ci}; later runs update it.")
        return HttpResponseRedirect(reverse("ui:discovery:reconciliationitem_detail", args=[pk]))
    return render(
        request,
        "discovery/page.html",
        {
            "title": f"Resolve {item.name} as {ci}?",
            "intro": "Its discovered values are written to this CI and later runs of the source "
            "update it. The other candidates are left alone.",
            "form": forms.Form(),
            "submit": "Resolve",
        },
    )


@login_required
def queue_add(request: AuthedRequest) -> HttpResponse:
    """Queue items come from runs: start one."""
    return HttpResponseRedirect(reverse("ui:discovery:upload"))


def discovery_urls() -> list[URLPattern]:
    """The pages above (the generic list/detail/form pages come from resources.py)."""
    return [
        path("runs/new/", upload, name="upload"),
        # the generic list pages link "Add" here: a run is added by uploading a file; queue
        # items are added by runs only
        path("runs/add/", upload, name="discoveryrun_add"),
        path("runs/<int:pk>/diff/", run_diff, name="run_diff"),
        path("queue/add/", queue_add, name="reconciliationitem_add"),
        path("health/", health_dashboard, name="health"),
        path("health/<int:class_id>/<str:measure>/", health_offenders, name="health_offenders"),
        path("unmanaged/", unmanaged_list, name="unmanaged"),
        path("unmanaged/<int:pk>/make-asset/", make_asset, name="make_asset"),
        path("unmanaged/<int:pk>/link/", link_asset, name="link_asset"),
        path("missing/", missing_list, name="missing"),
        path("queue/<int:pk>/resolve/<int:ci_pk>/", queue_resolve, name="queue_resolve"),
    ]
