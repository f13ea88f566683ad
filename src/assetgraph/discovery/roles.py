"""What each built-in role may do with discovery.

The people who run the estate (System Administrators, IT Operations, DevOps) run discovery,
work the reconciliation queue and maintain sources, identification rules, class policies and
compliance rules. Security, Compliance and Read-only see the runs, rules and queue. The
Discovery Agent role is a scanner's service account: a write-enabled API token of a user
holding only this role is a discovery-scoped token (it runs discovery and nothing else).
"""

from assetgraph.cmdb.roles import CMDB_TYPES

DISCOVERY_TYPES = [
    "discovery.datasource",
    "discovery.identificationrule",
    "discovery.classpolicy",
    "discovery.compliancerule",
    "discovery.discoveryrun",
    "discovery.reconciliationitem",
]
_READ = {key: ["view"] for key in DISCOVERY_TYPES}
_MANAGE = {
    **{key: ["view", "add", "change", "delete"] for key in DISCOVERY_TYPES},
    "discovery.discoveryrun": ["view", "add"],
    "discovery.reconciliationitem": ["view", "change"],
}
_AGENT = {
    **{key: ["view"] for key in CMDB_TYPES},
    "cmdb.ci": ["view", "add", "change"],
    "cmdb.relationship": ["view", "add"],
    "cmdb.softwareinstall": ["view", "add", "delete"],
    "cmdb.softwareproduct": ["view", "add"],
    "discovery.datasource": ["view"],
    "discovery.discoveryrun": ["view", "add"],
}

ROLE_GRANTS: dict[str, dict[str, list[str]]] = {
    "System Administrator": _MANAGE,
    "IT Operations (NOC)": _MANAGE,
    "DevOps": _MANAGE,
    "Discovery Agent": _AGENT,
    "Security": _READ,
    "Compliance": _READ,
    "Read-only": _READ,
}
