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

import warnings
from typing import Any

from packageurl import PackageURL

from .base import DiscoveredItem, ParseError, SoftwareItem, load_json, load_xml, read_limited

SUPPORTED = ("1.4", "1.5", "1.6")
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
