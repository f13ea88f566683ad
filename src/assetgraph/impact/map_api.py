"""The dependency-map endpoint: ``GET /api/impact/map/{ci_id}`` as Cytoscape JSON, Graphviz
DOT or GraphML (``format=``), with the same options as the map page."""

from __future__ import annotations

import json
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, Query, Router, Schema

from assetgraph.api.crud import require_view
from assetgraph.api.formats import ID_LIST_PATTERN

from .maps import (
    DEFAULT_DEPTH,
    DEFAULT_LIMIT,
    MAX_DEPTH,
    MAX_LIMIT,
    MIN_DEPTH,
    MIN_LIMIT,
    MapOptions,
    build_map,
    parse_classes,
    to_dot,
    to_graphml,
    to_json,
)

map_router = Router(tags=["dependency maps"])


class MapQuery(Schema):
    depth: int = Field(DEFAULT_DEPTH, ge=MIN_DEPTH, le=MAX_DEPTH)
    direction: Literal["up", "down", "both"] = "both"
    classes: str | None = Field(
        None, pattern=ID_LIST_PATTERN, description="Comma-separated CI class ids to show"
    )
    limit: int = Field(DEFAULT_LIMIT, ge=MIN_LIMIT, le=MAX_LIMIT)
    impact: bool = Field(True, description="Colour what the centre's failure takes down")
    format: Literal["json", "dot", "graphml"] = "json"
    download: bool = False


@map_router.get(
    "/{int:ci_id}",
    summary="The neighbourhood of a CI (JSON for Cytoscape, DOT or GraphML)",
    response={200: dict[str, Any]},
    # ``format=dot`` and ``format=graphml`` answer files, not JSON: the document says so.
    openapi_extra={
        "responses": {
            200: {
                "content": {
                    "text/vnd.graphviz": {"schema": {"type": "string"}},
                    "application/graphml+xml": {"schema": {"type": "string"}},
                }
            }
        }
    },
)
def dependency_map(request: HttpRequest, ci_id: int, query: Query[MapQuery]) -> Any:
    """Only CIs the caller may view appear; a hidden or retired centre is a 404. Past
    ``limit`` nodes the map is cut (``truncated``) and the rest is summarised per class in
    ``clusters``."""
    require_view(request, "cmdb.ci")
    options = MapOptions(
        depth=query.depth,
        direction=query.direction,
        classes=parse_classes(query.classes),
        limit=query.limit,
        impact=query.impact,
    )
    result = build_map(request.user, ci_id, options)
    if query.format == "json" and not query.download:
        # Plain JSON: hundreds of nodes need no second validation pass through pydantic.
        return JsonResponse(to_json(result))
    if query.format == "json":
        body: str | bytes = json.dumps(to_json(result), indent=2, default=str)
        content_type, extension = "application/json", "json"
    elif query.format == "dot":
        body, content_type, extension = to_dot(result), "text/vnd.graphviz; charset=utf-8", "dot"
    else:
        body, content_type, extension = to_graphml(result), "application/graphml+xml", "graphml"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="map-ci-{result.centre.pk}.{extension}"'
    )
    return response
