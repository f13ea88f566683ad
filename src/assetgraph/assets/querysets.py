"""Reads shared by the assets app's API, pages, exports and reports."""

# Everything an asset row shows (model and category, maker, place, holder, supplier), fetched
# in the same query: one definition for lists, exports, reports and detail pages.
ASSET_RELATED = (
    "model__category",
    "manufacturer",
    "location",
    "custodian",
    "assigned_location",
    "parent",
    "supplier",
)
