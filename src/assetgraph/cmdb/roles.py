"""What each built-in role may do in the CMDB (Admin gets everything automatically)."""

READ = ["view"]
CMDB_TYPES = [
    "cmdb.ci",
    "cmdb.ciclass",
    "cmdb.classattribute",
    "cmdb.relationship",
    "cmdb.relationshiptype",
    "cmdb.softwareinstall",
    "cmdb.softwareproduct",
]


def _read_all() -> dict[str, list[str]]:
    return dict.fromkeys(CMDB_TYPES, READ)


# The people who run the estate record it: CIs, their links and installed software.
_OPERATE = {
    **_read_all(),
    "cmdb.ci": ["view", "add", "change"],
    "cmdb.relationship": ["view", "add", "change", "delete"],
    "cmdb.softwareinstall": ["view", "add", "change", "delete"],
    "cmdb.softwareproduct": ["view", "add"],
}

ROLE_GRANTS: dict[str, dict[str, list[str]]] = {
    "System Administrator": _OPERATE,
    "IT Operations (NOC)": _OPERATE,
    "DevOps": _OPERATE,
    "Security": _read_all(),
    "Compliance": _read_all(),
    "Read-only": _read_all(),
    "Helpdesk": _read_all(),
}
