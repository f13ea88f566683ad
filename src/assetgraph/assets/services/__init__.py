"""Writes of the assets app. Every function runs in one transaction and audits itself.

Split by concern: ``catalogue`` (categories, models, custom fields), ``register`` (assets,
tags), ``lifecycle`` (transitions), ``custody`` (check-out/in, acceptance, offboarding) and
``kits``. Import from here; the submodules are an implementation detail.
"""

from .catalogue import (
    create_category,
    create_custom_field,
    create_model,
    delete_category,
    delete_custom_field,
    delete_model,
    update_category,
    update_custom_field,
    update_model,
)
from .custody import (
    check_in_asset,
    check_in_assets,
    check_out_asset,
    offboard_person,
    respond_to_acceptance,
)
from .kits import create_kit, delete_kit, issue_kit, update_kit
from .lifecycle import transition_asset
from .register import (
    create_asset,
    definitions_for,
    delete_asset,
    next_asset_tags,
    update_asset,
)

__all__ = [
    "check_in_asset",
    "check_in_assets",
    "check_out_asset",
    "create_asset",
    "create_category",
    "create_custom_field",
    "create_kit",
    "create_model",
    "definitions_for",
    "delete_asset",
    "delete_category",
    "delete_custom_field",
    "delete_kit",
    "delete_model",
    "issue_kit",
    "next_asset_tags",
    "offboard_person",
    "respond_to_acceptance",
    "transition_asset",
    "update_asset",
    "update_category",
    "update_custom_field",
    "update_kit",
    "update_model",
]
