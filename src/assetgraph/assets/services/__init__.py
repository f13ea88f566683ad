"""Writes of the assets app. Every function runs in one transaction and audits itself.

Split by concern: ``catalogue`` (categories, models, custom fields), ``register`` (assets,
tags), ``lifecycle`` (transitions), ``custody`` (check-out/in, acceptance, offboarding),
``kits`` and ``audits`` (physical audit campaigns). Import from here; the submodules are an
implementation detail.
"""

from .audits import (
    close_audit_campaign,
    relocate_audited_asset,
    scan_asset_tag,
    start_audit_campaign,
)
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
    "close_audit_campaign",
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
    "relocate_audited_asset",
    "respond_to_acceptance",
    "scan_asset_tag",
    "start_audit_campaign",
    "transition_asset",
    "update_asset",
    "update_category",
    "update_custom_field",
    "update_kit",
    "update_model",
]
