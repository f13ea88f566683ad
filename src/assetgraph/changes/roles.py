"""What each built-in role may do with change records and blackout windows.

The people who run the estate plan and carry out changes: IT Operations, System
Administrators and DevOps create changes, move them along the lifecycle and manage blackout
windows. Everyone else who reads the CMDB (Security, Compliance, Helpdesk, Read-only) reads
changes and blackouts, so they can see what is planned and why a service was down. Deleting
is only for drafts (the service refuses anything further along) and stays with the operators.
"""

CHANGE_TYPES = ["changes.changerecord", "changes.blackoutwindow"]
_READ = {key: ["view"] for key in CHANGE_TYPES}
_MANAGE = {key: ["view", "add", "change", "delete"] for key in CHANGE_TYPES}

ROLE_GRANTS: dict[str, dict[str, list[str]]] = {
    "System Administrator": _MANAGE,
    "IT Operations (NOC)": _MANAGE,
    "DevOps": _MANAGE,
    "Security": _READ,
    "Compliance": _READ,
    "Helpdesk": _READ,
    "Read-only": _READ,
}
