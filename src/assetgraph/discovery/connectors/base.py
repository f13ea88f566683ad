"""What every connector produces: discovered items in the CMDB's vocabulary.

A connector only *reads*: it turns one file into :class:`DiscoveredItem` s (class name,
name, attribute values, identifiers, facts, software, related items) or raises
:class:`ParseError` naming the element or row that is wrong. Nothing is written until the
whole file parsed, so a bad file writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Bigger files are refused before parsing (a run of 50,000 hosts' facts is ~1 GB as a
# tree, but a single uploaded file above this is not a discovery export).
MAX_FILE_BYTES = 512 * 1024 * 1024


class ParseError(ValueError):
    """The file is not a valid export of its format; ``where`` names the element or row."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.text = message


@dataclass
class SoftwareItem:
    """A package or component installed on (or part of) the item."""

    name: str
    version: str = ""
    publisher: str = ""
    purl: str = ""
    licences: list[str] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)


@dataclass
class Relation:
    """A relationship from the item to another discovered item (by its ``ref``)."""

    type_name: str
    target_ref: str


@dataclass
class DiscoveredItem:
    """One thing a source saw.

    ``ref`` identifies it within the file (for relations and error messages); ``attributes``
    are class attribute values; ``identifiers`` the values identification rules may use
    (``mac_address`` and ``ip_address`` may hold lists); ``facts`` are extra discovered
    values kept with their provenance; ``fields`` are CI fields set by rules
    (``environment``, ``owning_team`` …, by code or name).
    """

    ref: str
    ci_class: str
    name: str
    attributes: dict[str, Any] = field(default_factory=dict)
    identifiers: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)
    software: list[SoftwareItem] | None = None
    relations: list[Relation] = field(default_factory=list)
    hardware: bool = False
    # Attribute keys tried after the class's rules when the connector knows little else
    # (package facts alone: the host name).
    fallback: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (the queue keeps it for the person who resolves it)."""
        return {
            "ref": self.ref,
            "class": self.ci_class,
            "name": self.name,
            "attributes": self.attributes,
            "identifiers": self.identifiers,
            "fields": self.fields,
        }


def read_limited(data: bytes | str) -> bytes:
    """The file's bytes, refusing anything past :data:`MAX_FILE_BYTES`."""
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_FILE_BYTES:
        raise ParseError(f"file larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    return raw


def load_xml(raw: bytes) -> Any:
    """Parse XML with defusedxml: entity declarations (billion laughs, external entities)
    are refused by name, a broken file names its line and column."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError as XMLParseError
    from defusedxml.ElementTree import fromstring

    try:
        return fromstring(raw, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ParseError(
            f"refused: {type(exc).__name__} (entity declarations are not allowed)"
        ) from None
    except XMLParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise ParseError(f"broken XML ({exc})", f"line {line} column {column}") from None


def load_json(data: bytes | str, what: str) -> Any:
    """Parse JSON, naming the line and column of a syntax error (a truncated file)."""
    import json

    raw = read_limited(data)
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise ParseError(f"not UTF-8 text; expected {what} JSON") from None
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"not valid JSON ({exc.msg}); expected {what}", f"line {exc.lineno} column {exc.colno}"
        ) from None


def normal_mac(value: str) -> str:
    """``AA-BB-…`` / ``aabb.ccdd…`` → ``aa:bb:cc:dd:ee:ff`` (empty when not a MAC)."""
    digits = "".join(c for c in value.lower() if c in "0123456789abcdef")
    if len(digits) != 12 or digits == "0" * 12:
        return ""
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))
