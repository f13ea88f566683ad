"""Examples of the API's key schemas, published in ``/api/openapi.json``.

They are what ``/api/docs`` pre-fills and what a client author reads first, so they show a
realistic request rather than ``"string"``. They live in one place (not on each app's schema)
because they are documentation of the document: ``tests/api/test_openapi_client.py`` checks
that each names a published component and validates against it, so a schema change that
makes an example wrong fails a test instead of misleading a reader.
"""

from __future__ import annotations

import copy
from typing import Any

SCHEMA_EXAMPLES: dict[str, dict[str, Any]] = {
    "PersonIn": {
        "employee_number": "E1042",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada.lovelace@example.com",
        "job_title": "Platform engineer",
        "department_id": 3,
        "location_id": 2,
        "start_date": "2024-03-01",
    },
    "AssetIn": {
        "model_id": 7,
        "asset_tag": "LAP-00042",
        "serial_number": "5CG1234XYZ",
        "state": "in_stock",
        "location_id": 2,
        "purchase_date": "2025-01-15",
        "cost": "1249.00",
        "currency": "EUR",
        "warranty_end": "2028-01-15",
    },
    "AssetPatch": {"location_id": 5, "notes": "moved to the Lyon office"},
    "CheckoutIn": {"to_person_id": 12, "expected_return": "2026-06-30", "notes": "new starter"},
    "CIIn": {
        "name": "db-prod-01",
        "ci_class_id": 4,
        "environment": "production",
        "criticality": 2,
        "attributes": {"ram_gb": 64, "os": "Debian 12"},
    },
    "RelationshipIn": {"source_id": 18, "target_id": 4, "type_id": 1},
    "ImpactIn": {"cis": [4, "db-prod-01"], "max_depth": 6, "limit": 50},
    "TokenIn": {"name": "inventory sync", "write_enabled": True, "scopes": []},
}


def add_examples(document: dict[str, Any]) -> None:
    """Publish each example on its component (OpenAPI 3.1 ``examples``), in place."""
    components = document.get("components", {}).get("schemas", {})
    for name, example in SCHEMA_EXAMPLES.items():
        if name in components:
            components[name]["examples"] = [copy.deepcopy(example)]
