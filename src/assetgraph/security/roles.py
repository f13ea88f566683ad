"""What each built-in role may do in the security app.

Security owns vulnerability management and policies: it imports advisories and exploit data,
works findings (status changes, risk acceptance), maintains end-of-life data, policies and
their exceptions, and exports evidence. Compliance reads everything and exports audit
evidence (``add`` on evidence packages). System Administrators and DevOps see the findings on
what they run; Read-only sees nothing here.
"""

ADVISORY = "security.advisory"
FINDING = "security.finding"
EOL = "security.endoflifecycle"
POLICY = "security.policy"
EXCEPTION = "security.policyexception"
EVIDENCE = "security.evidencepackage"
ALL = [ADVISORY, FINDING, EOL, POLICY, EXCEPTION, EVIDENCE]
FULL = ["view", "add", "change", "delete"]

ROLE_GRANTS: dict[str, dict[str, list[str]]] = {
    "Security": {
        ADVISORY: ["view", "add", "change"],
        FINDING: ["view", "change"],
        EOL: ["view", "add", "change"],
        POLICY: FULL,
        EXCEPTION: FULL,
        EVIDENCE: ["view", "add"],
    },
    "Compliance": {**{key: ["view"] for key in ALL}, EVIDENCE: ["view", "add"]},
    "System Administrator": {ADVISORY: ["view"], FINDING: ["view"], EOL: ["view"]},
    "DevOps": {ADVISORY: ["view"], FINDING: ["view"], EOL: ["view"]},
}
