"""What each built-in role may do with the integrations.

Running a directory sync (``run``) is for administrators only: it creates, changes and
deactivates people. The Helpdesk, who handle offboarding, read sync runs and work the
offboardings (``add`` starts one by hand; ``change`` checks in the return list and reclaims
the seats). Compliance and Security read both; nobody else sees them.
"""

SYNC_RUN = "integrations.directorysyncrun"
OFFBOARDING = "integrations.offboarding"

ROLE_GRANTS: dict[str, dict[str, list[str]]] = {
    "Helpdesk": {SYNC_RUN: ["view"], OFFBOARDING: ["view", "add", "change"]},
    "Compliance": {SYNC_RUN: ["view"], OFFBOARDING: ["view"]},
    "Security": {SYNC_RUN: ["view"], OFFBOARDING: ["view"]},
}
