"""The asset page's and the API's view of a CI from the graph: the business services that
depend on it, answered by the engine (:mod:`.dependents`), beside the CMDB facts."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from assetgraph.assets.models import Asset
from assetgraph.cmdb.context import visible_ci
from assetgraph.cmdb.querysets import visible_relationships
from assetgraph.ui.generic import link

from .dependents import DependentService, dependent_services


def service_dict(service: DependentService) -> dict[str, Any]:
    """A dependent service as the API shows it."""
    ci = service.ci
    return {
        "id": ci.pk,
        "display": str(ci),
        "criticality": ci.criticality,
        "state": service.state,
        "depth": service.depth,
    }


def asset_ci_section(request: HttpRequest, asset: Asset) -> dict[str, Any] | None:
    """The "Configuration item" section of the asset page, with the services that depend on it."""
    ci = visible_ci(request, asset)
    if ci is None:
        return None
    # Counted through the permission check: links to CIs the caller cannot see do not show.
    links = visible_relationships(request.user)
    outgoing = links.filter(source=ci).count()
    incoming = links.filter(target=ci).count()
    services = dependent_services(request.user, ci)
    return {
        "title": "Configuration item",
        "fields": [
            ("CI", link(ci, "ui:cmdb:ci_detail")),
            ("Class", str(ci.ci_class)),
            ("Status", ci.get_operational_status_display()),
            ("Relationships", f"{outgoing} outgoing, {incoming} incoming"),
        ],
        "headers": ["Business service that depends on it", "If it failed", "Criticality", "Hops"],
        "rows": [
            [link(s.ci, "ui:cmdb:ci_detail"), s.state, f"tier {s.ci.criticality}", s.depth]
            for s in services
        ],
    }


def asset_ci_summary(request: HttpRequest, asset: Asset) -> dict[str, Any] | None:
    """The API form of :func:`asset_ci_section`."""
    ci = visible_ci(request, asset)
    if ci is None:
        return None
    return {
        "ci": {"id": ci.pk, "display": str(ci)},
        "ci_class": str(ci.ci_class),
        "operational_status": ci.operational_status,
        "services": [service_dict(s) for s in dependent_services(request.user, ci)],
    }
