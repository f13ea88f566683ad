"""CycloneDX SBOMs (spec 1.4, 1.5, 1.6; JSON or XML) → an application CI and its components.

The document is checked (JSON: ``bomFormat`` CycloneDX and ``specVersion``; XML: a
``<bom>`` root in the ``http://cyclonedx.org/schema/bom/1.x`` namespace, parsed with
``defusedxml`` so an XML bomb or external entity is refused; a version other than 1.4-1.6 is
refused by name) and read with ``cyclonedx-python-lib``. The application is
``metadata.component`` (name, version) or, when the SBOM has none, the run's scope; each
component (nested ones too) becomes a software install of that application with its
version, package URL (normalised by ``packageurl-python``), licences (SPDX ids, names or
expressions) and hashes (the component's own and its distribution references').
"""

from __future__ import annotations

import re
import warnings
from typing import Any

from packageurl import PackageURL

from .base import DiscoveredItem, ParseError, SoftwareItem, load_json, load_xml, read_limited

SUPPORTED = ("1.4", "1.5", "1.6")
# A git commit id (full, or abbreviated with both a digit and a letter: see security.gitrefs).
_COMMIT = re.compile(r"^(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{7,64}$")
NAMESPACE = "http://cyclonedx.org/schema/bom/"


def parse_cyclonedx(data: bytes | str, application: str = "") -> list[DiscoveredItem]:
    """The application of an SBOM (JSON or XML, told apart by the first character) with
    its components as software."""
    raw = read_limited(data)
    if raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<":
        bom, version = _from_xml(raw)
    else:
        bom, version = _from_json(raw)
    return _items(bom, version, application)


def _unsupported(version: str, where: str) -> ParseError:
    return ParseError(
        f"CycloneDX spec version {version or '(missing)'} is not supported; "
        f"use {', '.join(SUPPORTED)} (cyclonedx-py --spec-version 1.6)",
        where,
    )


def _from_xml(raw: bytes) -> tuple[Any, str]:
    """The BOM of an XML SBOM; the version is the namespace's (``…/schema/bom/1.5``)."""
    root = load_xml(raw)
    namespace, _, tag = root.tag.rpartition("}")
    if tag != "bom" or not namespace.lstrip("{").startswith(NAMESPACE):
        raise ParseError(
            f"not a CycloneDX SBOM: the root element is <{tag}> in namespace "
            f"{namespace.lstrip('{') or '(none)'}, not <bom> in {NAMESPACE}1.x",
            "<bom>",
        )
    version = namespace.lstrip("{").removeprefix(NAMESPACE)
    if version not in SUPPORTED:
        raise _unsupported(version, "<bom xmlns>")
    from cyclonedx.model.bom import Bom

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bom = Bom.from_xml(root)  # type: ignore[attr-defined]
    except Exception as exc:
        raise ParseError(f"not a valid CycloneDX {version} XML document ({exc})") from None
    return bom, version


def _from_json(raw: bytes) -> tuple[Any, str]:
    document = load_json(raw, "a CycloneDX SBOM")
    if not isinstance(document, dict) or document.get("bomFormat") != "CycloneDX":
        raise ParseError('not a CycloneDX SBOM: bomFormat is not "CycloneDX"', "bomFormat")
    version = str(document.get("specVersion", ""))
    if version not in SUPPORTED:
        raise _unsupported(version, "specVersion")
    from cyclonedx.model.bom import Bom

    try:
        with warnings.catch_warnings():
            # 1.4 SBOMs list their tools the pre-1.5 way; the library warns, we accept it
            warnings.simplefilter("ignore")
            bom = Bom.from_json(document)  # type: ignore[attr-defined]
    except Exception as exc:
        raise ParseError(f"not a valid CycloneDX {version} document ({exc})") from None
    return bom, version


def _items(bom: Any, version: str, application: str) -> list[DiscoveredItem]:
    root = bom.metadata.component
    name = (root.name if root is not None else "") or application
    if not name:
        raise ParseError(
            "the SBOM names no application (metadata.component); give one with --scope",
            "metadata.component",
        )
    software = [_component(c, f"components[{i}]") for i, c in enumerate(_walk(bom.components))]
    attributes: dict[str, Any] = {}
    if root is not None and root.version:
        attributes["version"] = root.version
    # Not the serial number nor the timestamp: cyclonedx-py writes new ones on every run
    # (and the library invents a serial when the file has none), so keeping them would turn
    # an unchanged project's regenerated SBOM into an update.
    facts: dict[str, Any] = {"sbom_spec": version, "components": len(software)}
    if root is not None and root.purl:
        facts["purl"] = str(root.purl)
    return [
        DiscoveredItem(
            ref=f"application {name}",
            ci_class="Application",
            name=name,
            attributes=attributes,
            identifiers={"name": name},
            facts=facts,
            software=software,
        )
    ]


def _walk(components: Any) -> list[Any]:
    found = []
    for component in components:
        found.append(component)
        found.extend(_walk(component.components))
    return found


def _licences(component: Any) -> list[str]:
    found = []
    for licence in component.licenses:
        value = getattr(licence, "value", None)  # an expression
        if value is None:
            value = getattr(licence, "id", None) or getattr(licence, "name", None)
        if value:
            found.append(str(value))
    return sorted(found)


def _hashes(component: Any) -> dict[str, str]:
    found = {str(h.alg.value): h.content for h in component.hashes}
    for reference in component.external_references:
        for digest in reference.hashes:
            found.setdefault(str(digest.alg.value), digest.content)
    return dict(sorted(found.items()))


def _component(component: Any, where: str) -> SoftwareItem:
    if not component.name:
        raise ParseError("a component without a name", where)
    purl = ""
    if component.purl is not None:
        try:
            purl = PackageURL.from_string(str(component.purl)).to_string()
        except ValueError as exc:
            raise ParseError(f"invalid package URL ({exc})", f"{where}.purl") from None
    purl = _with_evidence(purl, component)
    publisher = component.publisher or component.group or ""
    if not publisher and component.purl is not None:
        publisher = component.purl.namespace or component.purl.type or ""
    return SoftwareItem(
        name=component.name,
        version=component.version or "",
        publisher=str(publisher),
        purl=purl,
        licences=_licences(component),
        hashes=_hashes(component),
    )


def _properties(component: Any) -> dict[str, str]:
    return {str(p.name): str(p.value or "") for p in component.properties if p.name}


def _source_of(component: Any, purl_type: str) -> str:
    """The source package of a distribution binary from the component's properties, as
    syft's ``upstream`` qualifier writes it (``name`` or ``name@version``): Trivy's
    ``aquasecurity:trivy:SrcName`` with ``SrcEpoch``/``SrcVersion``/``SrcRelease``, syft's
    ``syft:metadata:source`` with ``sourceVersion`` (``originPackage`` for apk)."""
    props = _properties(component)
    name = props.get("aquasecurity:trivy:SrcName", "")
    if name:
        version = props.get("aquasecurity:trivy:SrcVersion", "")
        release = props.get("aquasecurity:trivy:SrcRelease", "")
        epoch = props.get("aquasecurity:trivy:SrcEpoch", "")
        if version and release:
            version = f"{version}-{release}"
        if version and epoch and epoch != "0":
            version = f"{epoch}:{version}"
        return f"{name}@{version}" if version else name
    key = "syft:metadata:originPackage" if purl_type == "apk" else "syft:metadata:source"
    name = props.get(key, "")
    version = props.get("syft:metadata:sourceVersion", "") if purl_type == "deb" else ""
    return f"{name}@{version}" if name and version else name


def _commit_of(component: Any, url: str) -> str:
    """The commit of a component built from a repository: the VCS reference's ``#commit``
    or ``@commit``, else a version that is a commit id, else its pedigree's first commit."""
    tail = url.rsplit("#", 1)[1] if "#" in url else url.rsplit("@", 1)[-1] if "@" in url else ""
    for candidate in (tail, str(component.version or "")):
        if _COMMIT.match(candidate.strip().lower()):
            return candidate.strip().lower()
    pedigree = getattr(component, "pedigree", None)
    for commit in getattr(pedigree, "commits", None) or []:
        if commit.uid and _COMMIT.match(str(commit.uid).lower()):
            return str(commit.uid).lower()
    return ""


def _vcs_url(component: Any) -> str:
    """``git+<repository>@<commit>`` from a ``vcs`` external reference that names a
    commit (the package URL ``vcs_url`` qualifier's form); empty without one."""
    for reference in component.external_references:
        if str(getattr(reference.type, "value", reference.type)) != "vcs":
            continue
        url = str(reference.url)
        commit = _commit_of(component, url)
        if commit:
            base = re.split(r"[#]", url, maxsplit=1)[0]
            if base.rsplit("@", 1)[-1].lower() == commit:
                base = base.rsplit("@", 1)[0]
            return f"{base if base.startswith('git+') else 'git+' + base}@{commit}"
    return ""


def _with_evidence(purl: str, component: Any) -> str:
    """The package URL with what the component says beside it, in the qualifiers matching
    reads (docs/security.md): a Debian or Alpine binary's source package as ``upstream``
    (unless the URL has one), and a repository commit as ``vcs_url`` (a component without a
    package URL gets ``pkg:generic/<name>@<version>`` to carry it)."""
    parsed = PackageURL.from_string(purl) if purl else None
    qualifiers = dict(parsed.qualifiers or {}) if parsed is not None else {}
    changed = False
    if parsed is not None and parsed.type in {"deb", "apk"} and "upstream" not in qualifiers:
        source = _source_of(component, parsed.type)
        if source:
            qualifiers["upstream"], changed = source, True
    vcs = _vcs_url(component) if "vcs_url" not in qualifiers else ""
    if vcs and (parsed is None or parsed.type not in {"github", "gitlab", "bitbucket"}):
        qualifiers["vcs_url"], changed = vcs, True
    if not changed:
        return purl
    if parsed is None:
        return PackageURL(
            "generic", None, component.name, component.version or None, qualifiers
        ).to_string()
    return parsed._replace(qualifiers=qualifiers).to_string()
