"""What each built-in role may do with assets.

``checkout``/``checkin`` are separate actions so the Helpdesk can hand out and take back
hardware without being able to edit purchase data; ``view_cost`` shows purchase costs.
Audit campaigns: Compliance starts (``add``) and closes (``change``) them; Helpdesk and
Procurement may ``scan``; ``relocate`` on an asset moves a stray found by an audit.
"""

CATALOGUE = ["assets.category", "assets.assetmodel", "assets.customfield", "assets.kit"]
ASSET = "assets.asset"
CAMPAIGN = "assets.auditcampaign"
FULL = ["view", "add", "change", "delete"]
READ = ["view"]


def _read_all() -> dict[str, list[str]]:
    return dict.fromkeys([*CATALOGUE, ASSET, CAMPAIGN], READ)


ROLE_GRANTS: dict[str, dict[str, list[str]]] = {
    "Procurement": {
        **dict.fromkeys(CATALOGUE, FULL),
        ASSET: ["view", "add", "change", "view_cost", "checkout", "checkin", "relocate"],
        CAMPAIGN: ["view", "scan"],
    },
    "Helpdesk": {
        **_read_all(),
        ASSET: ["view", "checkout", "checkin", "relocate"],
        CAMPAIGN: ["view", "scan"],
    },
    "Compliance": {
        **_read_all(),
        ASSET: ["view", "view_cost", "relocate"],
        CAMPAIGN: ["view", "add", "change", "scan"],
    },
    "Finance": {**_read_all(), ASSET: ["view", "view_cost"]},
    "System Administrator": _read_all(),
    "IT Operations (NOC)": _read_all(),
    "DevOps": _read_all(),
    "Security": _read_all(),
    "Read-only": _read_all(),
}
