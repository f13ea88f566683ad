"""What each built-in role may do with licences.

Procurement buys licences and Compliance answers for them: both manage the catalogue,
entitlements and allocations, see costs (``view_cost``) and may reveal licence keys
(``view_key``). Finance reads everything and sees costs, never keys. The Helpdesk allocates and
reclaims seats (``add``/``change`` on allocations, ``change`` on SaaS usage to release an
idle console seat) and reads licences without their costs.
System Administrators maintain the catalogue's normalisation rules and the core-factor table
(they know the estate's software and hardware) and read the rest. Security and Read-only read.
"""

CATALOGUE = [
    "licences.publisher",
    "licences.productfamily",
    "licences.product",
    "licences.suite",
    "licences.normalisationrule",
    "licences.corefactor",
]
ENTITLEMENT = "licences.entitlement"
ALLOCATION = "licences.allocation"
EVIDENCE = ["licences.saasusage", "licences.concurrencysample", "licences.productmapping"]
FULL = ["view", "add", "change", "delete"]
READ = ["view"]


def _read_all() -> dict[str, list[str]]:
    return dict.fromkeys([*CATALOGUE, ENTITLEMENT, ALLOCATION, *EVIDENCE], READ)


_MANAGE: dict[str, list[str]] = {
    **dict.fromkeys(CATALOGUE, FULL),
    ENTITLEMENT: [*FULL, "view_cost", "view_key"],
    ALLOCATION: ["view", "add", "change"],
    **{key: ["view", "add", "change"] for key in EVIDENCE},
}

ROLE_GRANTS: dict[str, dict[str, list[str]]] = {
    "Procurement": _MANAGE,
    "Compliance": _MANAGE,
    "Finance": {**_read_all(), ENTITLEMENT: ["view", "view_cost"]},
    "Helpdesk": {
        **_read_all(),
        ALLOCATION: ["view", "add", "change"],
        "licences.saasusage": ["view", "change"],  # release idle SaaS seats
    },
    "System Administrator": {
        **_read_all(),
        "licences.normalisationrule": FULL,
        "licences.corefactor": FULL,
        "licences.productmapping": ["view", "change"],
    },
    "Security": _read_all(),
    "Read-only": _read_all(),
}
