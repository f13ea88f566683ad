"""Small template helpers for the UI."""

from __future__ import annotations

from typing import Any

from django import template

from assetgraph.ui.dates import when

register = template.Library()

# ``{{ value|when }}``: every date and time on a page, in the reader's locale (ui.dates).
register.filter("when", when)


@register.filter
def lookup(mapping: Any, key: str) -> Any:
    """``{{ dict|lookup:name }}``: a dict value by a variable key (None when absent)."""
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None
