"""Export columns of assets and the catalogue, shared by the API, the UI and the CLI.

Asset columns match the importer's, so an export can be edited and re-imported. Cost columns
are added only for those who may see costs (``view_cost``); the CLI, which has the database,
always gets them.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from assetgraph.accounts.permissions import has_perm
from assetgraph.core.attributes import public_values
from assetgraph.core.exporting import Column


def _name(obj: Any) -> str:
    return str(obj) if obj is not None else ""


def _attributes(obj: Any) -> str:
    values = public_values(obj.attributes)
    return "; ".join(f"{k}={v}" for k, v in sorted(values.items()))


ASSET_COLUMNS: list[Column] = [
    ("asset_tag", lambda o: o.asset_tag),
    ("serial_number", lambda o: o.serial_number),
    ("model", lambda o: o.model.name),
    ("manufacturer", lambda o: o.manufacturer.name),
    ("name", lambda o: o.name),
    ("state", lambda o: o.state),
    ("substate", lambda o: o.substate),
    ("location", lambda o: o.location.path if o.location else ""),
    ("custodian", lambda o: o.custodian.employee_number if o.custodian else ""),
    ("supplier", lambda o: _name(o.supplier)),
    ("order_number", lambda o: o.order_number),
    ("invoice_number", lambda o: o.invoice_number),
    ("purchase_date", lambda o: o.purchase_date),
    ("warranty_end", lambda o: o.warranty_end),
    ("eol_date", lambda o: o.eol_date),
    ("expected_return", lambda o: o.expected_return),
    ("notes", lambda o: o.notes),
    ("attributes", _attributes),
]
COST_COLUMNS: list[Column] = [
    ("cost", lambda o: o.cost),
    ("currency", lambda o: o.currency),
]
ASSET_COLUMNS_WITH_COST: list[Column] = ASSET_COLUMNS[:-2] + COST_COLUMNS + ASSET_COLUMNS[-2:]


def asset_columns(request: HttpRequest | None) -> list[Column]:
    """The asset export columns this caller may see: with costs only under ``view_cost``
    (``None``: the CLI, which has the database, gets them)."""
    if request is None or has_perm(request.user, "assets.asset", "view_cost"):
        return ASSET_COLUMNS_WITH_COST
    return ASSET_COLUMNS


MODEL_COLUMNS: list[Column] = [
    ("id", lambda o: o.pk),
    ("name", lambda o: o.name),
    ("model_number", lambda o: o.model_number),
    ("category", lambda o: o.category.name),
    ("manufacturer", lambda o: o.manufacturer.name),
    ("default_warranty_months", lambda o: o.default_warranty_months),
    ("eol_months", lambda o: o.eol_months),
]
CATEGORY_COLUMNS: list[Column] = [
    ("id", lambda o: o.pk),
    ("name", lambda o: o.name),
    ("kind", lambda o: o.kind),
    ("requires_acceptance", lambda o: o.requires_acceptance),
]
