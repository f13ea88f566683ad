"""What runs where, for matching: the targets of the current CIs (installs by package URL,
by their distribution's source package, by repository, or by CPE; CI ``cpe`` attributes)
and the per-CI decisions the index cannot make alone (an NVD configuration's platform).
Reads only; :func:`services.run_matching` writes (docs/security.md, "Matching")."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from assetgraph.cmdb.models import CI, SoftwareInstall
from assetgraph.core.batching import in_batches

from .distros import SOURCE_TYPES, normal_distro
from .matching import (
    AdvisoryIndex,
    Match,
    ParsedPurl,
    Target,
    Why,
    cpe_key,
    package_key,
    parse_cpe,
    parse_purl,
)
from .nvdconfig import Fact
from .nvdconfig import evaluate as evaluate_configuration


@dataclass(frozen=True)
class Installed:
    """Where a target was found: its CI, its install (None for a CI attribute), the label a
    finding shows, and a note added to the reason (a binary matched as its source)."""

    ci: int
    install: int | None
    label: str
    note: str = ""


def load_targets(ci_ids: Iterable[int] | None = None) -> tuple[list[Target], dict[int, Installed]]:
    """What runs on the current CIs: each install by package URL (from discovery's package
    evidence; a distribution binary by its source package when the evidence names one) or,
    without one, by CPE vendor:product from its publisher and name; an install whose
    package URL names a repository also by that repository and revision; and each CI's
    ``cpe`` attribute (an OS or appliance). Refs: install pks, or -CI pk for a CPE."""
    installs = SoftwareInstall.objects.filter(ci__valid_to__isnull=True)
    cis = CI.objects.current().exclude(attributes__cpe=None).filter(attributes__has_key="cpe")
    if ci_ids is not None:
        wanted = list(ci_ids)
        installs = installs.filter(ci_id__in=wanted)
        cis = cis.filter(pk__in=wanted)
    targets: list[Target] = []
    where: dict[int, Installed] = {}
    releases: list[tuple[int, int, ParsedPurl, str]] = []  # target index, CI, purl, version
    for pk, ci, version, purl, publisher, name in (
        installs.order_by("pk")
        .values_list(
            "pk", "ci_id", "version", "evidence__purl", "product__publisher", "product__name"
        )
        .iterator(chunk_size=5000)
    ):
        parsed = parse_purl(purl) if purl else None
        if parsed is not None and parsed.repo:
            targets.append(Target(pk, "git", parsed.repo, parsed.revision))
        if parsed is not None and parsed.purl_type != "generic":
            target, note = package_target(pk, parsed, version)
            if not target.distro and parsed.purl_type in DISTRO_TYPES:
                releases.append((len(targets), ci, parsed, note))
            targets.append(target)
            where[pk] = Installed(ci, pk, purl, note)
        else:
            key = cpe_key(publisher, name)
            targets.append(Target(pk, "cpe", key, version))
            where[pk] = Installed(ci, pk, f"{publisher} {name} {version}".strip())
    _release_from_os(targets, releases)
    for pk, attributes in cis.values_list("pk", "attributes"):
        values = attributes.get("cpe")
        for text in values if isinstance(values, list) else [values]:
            parsed_cpe = parse_cpe(str(text or ""))
            if parsed_cpe is not None:
                _part, key, version = parsed_cpe
                targets.append(Target(-pk, "cpe", key, "" if version == "*" else version))
                where[-pk] = Installed(pk, None, str(text))
    return targets, where


# Package URL types of distributions whose advisories are per release.
DISTRO_TYPES = frozenset({"deb", "apk", "rpm"})


def package_target(pk: int, parsed: ParsedPurl, version: str) -> tuple[Target, str]:
    """The target of a package URL: a Debian or Alpine binary whose source package is known
    (the ``upstream`` qualifier) is matched as its source at the source's version (the
    binary's when the source's is not given), because those distributions' advisories name
    source packages; the note says which binary it was."""
    installed = parsed.version or version
    source = parsed.source
    if source is None or parsed.purl_type not in SOURCE_TYPES:
        return Target(pk, "purl", parsed.key, installed, parsed.distro), ""
    key = package_key(parsed.purl_type, parsed.namespace, source.name)
    source_version = source.version or installed
    note = (
        f"binary package {parsed.name} {installed} is built from source package "
        f"{source.name} {source_version}"
    )
    return Target(pk, "purl", key, source_version, parsed.distro), note


def _release_from_os(
    targets: list[Target], pending: list[tuple[int, int, ParsedPurl, str]]
) -> None:
    """The release of distribution packages whose package URL names none (Ansible's package
    facts): the CI's ``os`` and ``os_version`` attributes, when ``os`` names the package URL's
    distribution (``Debian`` 12.4 → ``debian-12``)."""
    if not pending:
        return
    systems: dict[int, tuple[str, str]] = {}
    for chunk in in_batches(sorted({ci for _i, ci, _p, _n in pending})):
        for pk, attributes in CI.objects.filter(pk__in=chunk).values_list("pk", "attributes"):
            attributes = attributes if isinstance(attributes, dict) else {}
            systems[pk] = (str(attributes.get("os") or ""), str(attributes.get("os_version") or ""))
    for index, ci, parsed, _note in pending:
        os_name, os_version = systems.get(ci, ("", ""))
        if os_version and parsed.namespace and os_name.lower().startswith(parsed.namespace):
            release = normal_distro(parsed.namespace, os_version)
            targets[index] = dataclasses.replace(targets[index], distro=release)


def _cpe_facts(targets: Iterable[Target], where: Mapping[int, Installed]) -> dict[int, list[Fact]]:
    """Per CI, what NVD configurations may name: its ``cpe`` attribute and its installs known
    by CPE vendor:product, with their versions (the platform part of an ``AND``)."""
    facts: dict[int, list[Fact]] = defaultdict(list)
    for target in targets:
        if target.kind == "cpe":
            installed = where[target.ref]
            origin = "CI cpe attribute" if installed.install is None else "installed"
            facts[installed.ci].append(
                Fact(target.key, target.version, f"{origin} {installed.label}")
            )
    return facts


def _decide_platform(why: Why, facts: list[Fact]) -> Why | None:
    """A conditional CPE match decided on its CI: the first configuration that holds gives
    the reason, naming what satisfied each node; None when none holds."""
    for condition in why.detail.get("conditions") or []:
        verdict = evaluate_configuration(condition["config"], facts)
        if verdict.holds:
            detail = {k: v for k, v in why.detail.items() if k != "conditions"}
            detail["cpe"] = condition["cpe"]
            detail["configuration"] = list(verdict.parts)
            text = f"{condition['text']}; configuration ({condition['config']['operator']}): "
            text += " | ".join(verdict.parts)
            return Why(text, detail, condition["fixed"])
    return None


def desired_matches(
    index: AdvisoryIndex,
    targets: list[Target],
    where: Mapping[int, Installed],
    unmet: list[int],
) -> dict[tuple[int, int, str], Match]:
    """The matches a run wants as findings, one per (advisory, CI, package key): a CPE match
    that needs a platform is kept only when its NVD configuration holds on the CI."""
    facts: dict[int, list[Fact]] | None = None
    desired: dict[tuple[int, int, str], Match] = {}
    for match in index.match(targets):
        installed = where[match.target.ref]
        key = (int(match.entry.advisory), installed.ci, match.target.key)
        if key in desired:
            continue
        if "conditions" in match.why.detail:
            facts = facts if facts is not None else _cpe_facts(targets, where)
            decided = _decide_platform(match.why, facts.get(installed.ci, []))
            if decided is None:
                unmet[0] += 1
                continue
            match = Match(match.entry, match.target, decided)
        desired[key] = match
    return desired
