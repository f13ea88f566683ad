"""Normalising raw software names from discovery to catalogue entries.

Discovery reports ``"Microsoft Corporation" / "Microsoft Office Professional Plus 2019
(x64)"`` on one host and ``"MICROSOFT CORP." / "Office Professional Plus 2019"`` on the next;
licence and vulnerability matching need one product. The rules are deliberately simple and
predictable: case and punctuation folded, legal-entity suffixes dropped, known publisher
aliases mapped, the publisher's name, architecture and dotted version numbers stripped from
the product.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LEGAL_SUFFIXES = frozenset(
    {
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "ltd",
        "limited",
        "llc",
        "gmbh",
        "ag",
        "sa",
        "plc",
        "bv",
        "srl",
        "oy",
        "ab",
    }
)
# Folded publisher spelling -> catalogue publisher.
PUBLISHER_ALIASES: dict[str, str] = {
    "microsoft": "Microsoft",
    "msft": "Microsoft",
    "oracle": "Oracle",
    "oracle america": "Oracle",
    "apache software foundation": "Apache Software Foundation",
    "the apache software foundation": "Apache Software Foundation",
    "apache": "Apache Software Foundation",
    "adobe": "Adobe",
    "adobe systems": "Adobe",
    "google": "Google",
    "mozilla": "Mozilla",
    "mozilla foundation": "Mozilla",
    "vmware": "VMware",
    "broadcom": "Broadcom",
    "red hat": "Red Hat",
    "redhat": "Red Hat",
    "canonical": "Canonical",
    "postgresql global development group": "PostgreSQL Global Development Group",
    "postgresql": "PostgreSQL Global Development Group",
    "the postgresql global development group": "PostgreSQL Global Development Group",
    "cisco": "Cisco",
    "cisco systems": "Cisco",
    "ibm": "IBM",
    "international business machines": "IBM",
    "sap": "SAP",
    "sap se": "SAP",
}
_ARCH = frozenset({"x64", "x86", "x8664", "amd64", "arm64", "64bit", "32bit", "64", "32"})
_VERSION = re.compile(r"^v?\d+(\.\d+)+[a-z0-9]*$")
_PARENS = re.compile(r"\([^)]*\)|\[[^]]*\]")
_PUNCT = re.compile(r"[^\w\s.-]+")


@dataclass(frozen=True)
class NormalisedProduct:
    """The catalogue identity of a raw publisher/product pair."""

    publisher: str
    name: str
    key: str


def _fold(text: str) -> str:
    return " ".join(_PUNCT.sub(" ", text.lower()).replace(",", " ").split())


def _strip_suffixes(words: list[str]) -> list[str]:
    while len(words) > 1 and words[-1].strip(".") in LEGAL_SUFFIXES:
        words = words[:-1]
    return words


def normalise_publisher(raw: str) -> tuple[str, str]:
    """``(display name, key)`` of a publisher: ``"Microsoft Corp."`` → ``("Microsoft", …)``."""
    words = _strip_suffixes([w.strip(".") for w in _fold(raw).split() if w.strip(".")])
    folded = " ".join(words)
    if folded in PUBLISHER_ALIASES:
        display = PUBLISHER_ALIASES[folded]
        return display, _fold(display)
    original = [w for w in re.split(r"\s+", raw.strip().rstrip(".,")) if w]
    while len(original) > 1 and original[-1].lower().strip(".,") in LEGAL_SUFFIXES:
        original = original[:-1]
    return " ".join(original).rstrip(",") or raw.strip(), folded


def normalise_product(raw_publisher: str, raw_name: str) -> NormalisedProduct:
    """Map a raw publisher and product name to its catalogue identity."""
    publisher, publisher_key = normalise_publisher(raw_publisher)
    text = _PARENS.sub(" ", raw_name)
    words = [w for w in text.replace(",", " ").split() if w]
    folded = [_fold(w).replace("-", "").replace(".", "") for w in words]
    keep: list[str] = []
    for word, fold in zip(words, folded, strict=True):
        if _VERSION.match(word.lower()) or fold in _ARCH or not fold:
            continue
        keep.append(word)
    prefix = publisher.split()
    if len(keep) > len(prefix) and [w.lower() for w in keep[: len(prefix)]] == [
        p.lower() for p in prefix
    ]:
        keep = keep[len(prefix) :]
    name = " ".join(keep) or raw_name.strip()
    return NormalisedProduct(publisher, name, f"{publisher_key}|{_fold(name)}")
