"""Export columns of CIs and relationships, shared by the API, the UI and the CLI.

They match the importers' columns, so an export can be edited and imported again.
"""

from __future__ import annotations

import json
from typing import Any

from assetgraph.core.attributes import public_values
from assetgraph.core.exporting import Column


def _dept(obj: Any) -> str:
    return (obj.code or obj.name) if obj is not None else ""


CI_COLUMNS: list[Column] = [
    ("class", lambda o: o.ci_class.name),
    ("name", lambda o: o.name),
    ("operational_status", lambda o: o.operational_status),
    ("environment", lambda o: o.environment),
    ("criticality", lambda o: o.criticality),
    ("owning_team", lambda o: _dept(o.owning_team)),
    ("support_group", lambda o: _dept(o.support_group)),
    ("location", lambda o: o.location.path if o.location else ""),
    ("description", lambda o: o.description),
    ("source", lambda o: o.source),
    ("redundancy_mode", lambda o: o.redundancy_mode),
    ("redundancy_value", lambda o: o.redundancy_value),
    ("planned_retirement", lambda o: o.planned_retirement),
    ("attributes", lambda o: json.dumps(public_values(o.attributes), sort_keys=True)),
]
RELATIONSHIP_COLUMNS: list[Column] = [
    ("source_class", lambda r: r.source.ci_class.name),
    ("source", lambda r: r.source.name),
    ("type", lambda r: r.type.name),
    ("target_class", lambda r: r.target.ci_class.name),
    ("target", lambda r: r.target.name),
    ("description", lambda r: r.description),
]
