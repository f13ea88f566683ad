"""schemathesis.toml's per-operation settings take effect as CI runs schemathesis.

Why: a ``--checks all`` on the command line once overrode the file's per-operation
exemptions, so the queued uploads' "negative data rejection is off" (documented in
docs/api.md) was silently ignored, and CI failed on the false positive it names. This reads
the settings the way the runner (scripts/schemathesis_run.py) passes them."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _enabled(path: str, check: str) -> bool:
    import schemathesis
    from schemathesis.config import SchemathesisConfig

    spec = {
        "openapi": "3.1.0",
        "info": {"title": "settings", "version": "1"},
        "paths": {path: {"post": {"responses": {"202": {"description": "queued"}}}}},
    }
    config = SchemathesisConfig.from_path(str(ROOT / "schemathesis.toml"))
    schema = schemathesis.openapi.from_dict(spec, config=config)
    operation = schema[path]["POST"]
    checks = schema.config.checks_config_for(operation=operation, phase="fuzzing")
    return bool(checks.get_by_name(name=check).enabled)


@pytest.mark.parametrize(
    "path",
    ["/api/licences/usage/concurrency-file", "/api/org/import/{kind}", "/api/discovery/run"],
)
def test_queued_uploads_are_exempt_from_negative_data_rejection_only(path: str) -> None:
    assert not _enabled(path, "negative_data_rejection")
    assert _enabled(path, "positive_data_acceptance") and _enabled(path, "not_a_server_error")


def test_every_other_operation_keeps_every_check() -> None:
    assert _enabled("/api/org/people/", "negative_data_rejection")


def test_the_runner_selects_no_checks_on_the_command_line() -> None:
    """A command-line selection would override the file's per-operation settings."""
    runner = (ROOT / "scripts" / "schemathesis_run.py").read_text(encoding="utf-8")
    assert '"--checks"' not in runner
