"""What each built-in role may do with organisation data."""

READ = ["view"]
ORG_TYPES = ["org.person", "org.department", "org.costcentre", "org.location", "org.company"]


def _read_all() -> dict[str, list[str]]:
    return dict.fromkeys(ORG_TYPES, READ)


ROLE_GRANTS: dict[str, dict[str, list[str]]] = {
    "Procurement": {**_read_all(), "org.company": ["view", "add", "change", "delete"]},
    "Finance": {**_read_all(), "org.costcentre": ["view", "add", "change", "delete"]},
    "Helpdesk": {**_read_all(), "org.person": ["view", "add", "change"]},
    "Compliance": _read_all(),
    "System Administrator": {**_read_all(), "org.location": ["view", "add", "change"]},
    "IT Operations (NOC)": _read_all(),
    "DevOps": _read_all(),
    "Security": _read_all(),
    "Read-only": _read_all(),
}
