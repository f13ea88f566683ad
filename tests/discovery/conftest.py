"""Discovery fixtures: real tool outputs under fixtures/ and a source per connector."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def sources(db: None, system: Any) -> dict[str, Any]:
    """One data source per connector (Ansible outranks nmap for the OS)."""
    from assetgraph.discovery import services

    return {
        "nmap": services.create_source(
            system, {"name": "nmap-dc1", "connector": "nmap", "priority": 200}
        ),
        "ansible": services.create_source(
            system, {"name": "ansible-prod", "connector": "ansible", "priority": 50}
        ),
        "cyclonedx": services.create_source(system, {"name": "sbom-ci", "connector": "cyclonedx"}),
        "ec2": services.create_source(
            system,
            {"name": "aws-prod", "connector": "ec2", "priorities": {"instance_type": 1}},
        ),
        "csv": services.create_source(system, {"name": "cmdb-csv", "connector": "csv"}),
    }
