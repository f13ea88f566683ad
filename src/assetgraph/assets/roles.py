"""What each built-in role may do with assets.

``checkout``/``checkin`` are separate actions so the Helpdesk can hand out and take back
hardware without being able to edit purchase data; ``view_cost`` shows purchase costs.
"""

CATALOGUE = ["assets.category", "assets.assetmodel", "assets.customfield", "assets.kit"]
ASSET = "assets.asset"
FULL = ["view", "add", "change", "delete"]
READ = ["view"]


def _read_all() -> dict[str, list[str]]:
    return dict.fromkeys([*CATALOGUE, ASSET], READ)


ROLE_GRANTS: dict[str, dict[str, list[str]]] = {
    "Procurement": {
        **dict.fromkeys(CATALOGUE, FULL),
        ASSET: ["view", "add", "change", "view_cost", "checkout", "checkin"],
    },
    "Helpdesk": {**_read_all(), ASSET: ["view", "checkout", "checkin"]},
    "Compliance": {**_read_all(), ASSET: ["view", "view_cost"]},
    "Finance": {**_read_all(), ASSET: ["view", "view_cost"]},
    "System Administrator": _read_all(),
    "IT Operations (NOC)": _read_all(),
    "DevOps": _read_all(),
    "Security": _read_all(),
    "Read-only": _read_all(),
}
