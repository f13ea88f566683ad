"""The mount points: the one API and the UI's URLs, composed from every installed app's
declared resources (``resources.py``) and its own endpoints and pages (``api.py``,
``urls.py``). The only package that knows every app; nothing imports it but the root URLconf.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from django.apps import apps


def domain_modules(module: str) -> list[tuple[str, ModuleType | None]]:
    """``(app_label, <app>.<module> or None)`` for each installed assetgraph app, in
    ``INSTALLED_APPS`` order."""
    found: list[tuple[str, ModuleType | None]] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("assetgraph."):
            continue
        name = f"{config.name}.{module}"
        present = importlib.util.find_spec(name) is not None
        found.append((config.label, importlib.import_module(name) if present else None))
    return found
