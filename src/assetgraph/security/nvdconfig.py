"""NVD CVE 2.0 ``configurations``: the "running on/with" conditions (docs/security.md,
"NVD configurations").

A configuration is a tree of one level: ``nodes`` combined by the configuration's
``operator`` (``AND``, or ``OR`` when absent), each node a list of ``cpeMatch`` combined by
the node's ``operator``, and ``negate`` on a node or configuration inverts it. A cpeMatch
with ``vulnerable: false`` names a platform (an OS, hardware, a runtime) that must be present
for the vulnerable product to be affected. :func:`normalise` keeps a configuration in a
compact form at import; :func:`evaluate` decides it against what one CI runs. Pure Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .matching import cpe_checks, parse_cpe


class ConfigurationError(ValueError):
    """A configuration that is not NVD CVE 2.0 (``where`` names the node and cpeMatch)."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


def bounds_of(match: dict[str, Any], criteria: str, version: str) -> dict[str, Any]:
    """One cpeMatch's version condition: an exact version from the criteria, else its
    ``versionStart…``/``versionEnd…`` bounds."""
    start = match.get("versionStartIncluding") or match.get("versionStartExcluding") or ""
    end = match.get("versionEndIncluding") or match.get("versionEndExcluding") or ""
    return {
        "criteria": criteria,
        "start": str(start),
        "start_incl": "versionStartIncluding" in match,
        "end": str(end),
        "end_incl": "versionEndIncluding" in match,
        **({"exact": version} if version != "*" else {}),
    }


def _operator(value: Any, where: str) -> str:
    text = str(value or "OR").upper()
    if text not in {"AND", "OR"}:
        raise ConfigurationError(where, f"operator: must be AND or OR, not {value!r}")
    return text


def normalise(configuration: Any, where: str) -> dict[str, Any]:
    """A configuration in the stored form: ``{"operator", "negate", "nodes": [{"operator",
    "negate", "cpe": [{"key", "criteria", bounds…, "vulnerable"}]}]}``."""
    if not isinstance(configuration, dict):
        raise ConfigurationError(where, "a configuration is an object")
    nodes = configuration.get("nodes") or []
    if not isinstance(nodes, list):
        raise ConfigurationError(where, "nodes: must be a list")
    found = []
    for position, node in enumerate(nodes):
        here = f"{where} nodes[{position}]"
        if not isinstance(node, dict) or not isinstance(node.get("cpeMatch") or [], list):
            raise ConfigurationError(here, "cpeMatch: must be a list")
        cpes = []
        for number, match in enumerate(node.get("cpeMatch") or []):
            if not isinstance(match, dict):
                raise ConfigurationError(f"{here} cpeMatch[{number}]", "must be an object")
            criteria = str(match.get("criteria", ""))
            parsed = parse_cpe(criteria)
            if parsed is None:
                raise ConfigurationError(
                    f"{here} cpeMatch[{number}]", f"criteria: not a CPE 2.3 name: {criteria[:100]}"
                )
            _part, key, version = parsed
            cpes.append(
                {
                    "key": key,
                    **bounds_of(match, criteria, version),
                    "vulnerable": bool(match.get("vulnerable")),
                }
            )
        found.append(
            {
                "operator": _operator(node.get("operator"), here),
                "negate": bool(node.get("negate")),
                "cpe": cpes,
            }
        )
    return {
        "operator": _operator(configuration.get("operator"), where),
        "negate": bool(configuration.get("negate")),
        "nodes": found,
    }


def unconditional(configuration: dict[str, Any], node: dict[str, Any]) -> bool:
    """Whether a vulnerable cpeMatch of ``node`` affects wherever it runs: the configuration
    is satisfied by that cpeMatch alone (an OR of nodes, or a single node; nothing negated;
    its node an OR)."""
    alone = configuration["operator"] == "OR" or len(configuration["nodes"]) == 1
    return alone and not configuration["negate"] and not node["negate"] and node["operator"] == "OR"


@dataclass(frozen=True)
class Fact:
    """Something on a CI that a cpeMatch may name: a CPE ``vendor:product`` key, its
    version, and where it was read (the CI's ``cpe`` attribute, an install)."""

    key: str
    version: str
    label: str


@dataclass(frozen=True)
class Verdict:
    """A configuration decided for one CI, and each node's part of the reason."""

    holds: bool
    parts: tuple[str, ...]


def _cpe_fact(cpe: dict[str, Any], facts: list[Fact]) -> tuple[Fact, list[str]] | None:
    for fact in facts:
        if fact.key == cpe["key"]:
            checks = cpe_checks(cpe, fact.version)
            if checks is not None:
                return fact, checks
    return None


def _node(node: dict[str, Any], facts: list[Fact]) -> tuple[bool, str]:
    hits: list[str] = []
    misses: list[str] = []
    for cpe in node["cpe"]:
        found = _cpe_fact(cpe, facts)
        if found is None:
            misses.append(cpe["criteria"])
            continue
        fact, checks = found
        bound = f" ({', '.join(checks)})" if checks else ""
        hits.append(f"{cpe['criteria']}{bound} by {fact.label}")
    inner = bool(hits) if node["operator"] == "OR" else not misses and bool(node["cpe"])
    holds = not inner if node["negate"] else inner
    role = "vulnerable" if any(c["vulnerable"] for c in node["cpe"]) else "platform"
    if inner:
        said = "; ".join(hits)
    else:
        said = "none of " + ", ".join(misses[:5]) + (" …" if len(misses) > 5 else "")
    prefix = f"{role}{' (negated)' if node['negate'] else ''}"
    return holds, f"{prefix}: {said}"


def evaluate(configuration: dict[str, Any], facts: list[Fact]) -> Verdict:
    """NVD's semantics on one CI's facts: a cpeMatch holds when a fact of its key satisfies
    its version condition; a node is the OR (or AND) of its cpeMatch, inverted by its
    ``negate``; the configuration is the AND (or OR) of its nodes, inverted by ``negate``."""
    results = [_node(node, facts) for node in configuration["nodes"]]
    values = [holds for holds, _ in results]
    inner = all(values) if configuration["operator"] == "AND" else any(values)
    holds = not inner if configuration["negate"] else inner
    return Verdict(holds and bool(values), tuple(text for _, text in results))
