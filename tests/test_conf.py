"""Configuration from ASSETGRAPH_* variables: defaults, parsing, one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assetgraph import conf


def test_defaults(tmp_path: Path) -> None:
    config = conf.load({"ASSETGRAPH_DATA_DIR": str(tmp_path)})
    assert config.database["ENGINE"] == "assetgraph.core.backends.sqlite3"
    assert config.database["NAME"] == str(tmp_path / "assetgraph.sqlite3")
    assert "journal_mode=WAL" in config.database["OPTIONS"]["init_command"]
    assert config.debug is False
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50 and config.secret_key == key
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
    assert conf.load({"ASSETGRAPH_DATA_DIR": str(tmp_path)}).secret_key == key  # kept across runs


def test_task_backend_settings(tmp_path: Path) -> None:
    default = conf.load({"ASSETGRAPH_DATA_DIR": str(tmp_path)})
    assert (default.task_backend, default.redis_url, default.redis_prefix) == (
        "database",
        "redis://127.0.0.1:6379/0",
        "assetgraph",
    )
    redis = conf.load(
        {
            "ASSETGRAPH_DATA_DIR": str(tmp_path),
            "ASSETGRAPH_TASK_BACKEND": "Redis",
            "ASSETGRAPH_REDIS_URL": "redis://broker:6380/2",
            "ASSETGRAPH_REDIS_PREFIX": "site-a",
        }
    )
    assert (redis.task_backend, redis.redis_url, redis.redis_prefix) == (
        "redis",
        "redis://broker:6380/2",
        "site-a",
    )


def test_audit_settings(tmp_path: Path) -> None:
    config = conf.load({"ASSETGRAPH_DATA_DIR": str(tmp_path)})
    assert (config.audit_checkpoint_seconds, config.audit_syslog) == (60, "")
    assert config.audit_late_commit_seconds == 3600
    config = conf.load(
        {
            "ASSETGRAPH_DATA_DIR": str(tmp_path),
            "ASSETGRAPH_AUDIT_CHECKPOINT_SECONDS": "0",
            "ASSETGRAPH_AUDIT_SYSLOG": "tcp://logs.internal:601",
            "ASSETGRAPH_AUDIT_LATE_COMMIT_SECONDS": "7_200",
        }
    )
    assert (config.audit_checkpoint_seconds, config.audit_syslog) == (0, "tcp://logs.internal:601")
    assert config.audit_late_commit_seconds == 7200


def test_postgres_url(tmp_path: Path) -> None:
    db = conf.parse_database_url(
        "postgresql://app:s%40cret@db.internal:6543/assets?sslmode=require", tmp_path
    )
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "app",
        "s@cret",
        "db.internal",
        "6543",
        "assets",
    )
    assert db["OPTIONS"] == {"sslmode": "require"}


def test_postgres_urls_round_trip(tmp_path: Path) -> None:
    for url in (
        "postgresql://app:s%40c%2Fret@db.internal:6543/assets",
        "postgresql://root@%2Fvar%2Frun%2Fpostgresql:5432/root",
    ):
        db = conf.parse_database_url(url, tmp_path)
        assert conf.postgres_url(db, db["NAME"]) == url


def test_postgres_url_with_a_unix_socket_directory(tmp_path: Path) -> None:
    db = conf.parse_database_url("postgresql://root@%2FVar%2Frun%2Fpostgresql:5433/root", tmp_path)
    assert (db["USER"], db["HOST"], db["PORT"], db["NAME"]) == (
        "root",
        "/Var/run/postgresql",
        "5433",
        "root",
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ASSETGRAPH_DEBUG", "maybe", "ASSETGRAPH_DEBUG"),
        ("ASSETGRAPH_DATABASE_URL", "mysql://x/y", "ASSETGRAPH_DATABASE_URL"),
        ("ASSETGRAPH_DATABASE_URL", "postgresql://host", "ASSETGRAPH_DATABASE_URL"),
        ("ASSETGRAPH_TIME_ZONE", "Mars/Olympus", "ASSETGRAPH_TIME_ZONE"),
        ("ASSETGRAPH_BASE_URL", "ftp://x", "ASSETGRAPH_BASE_URL"),
        ("ASSETGRAPH_SECRET_KEY", "short", "ASSETGRAPH_SECRET_KEY"),
        ("ASSETGRAPH_ALLOWED_HOSTS", " , ", "ASSETGRAPH_ALLOWED_HOSTS"),
        ("ASSETGRAPH_ASSET_TAG_PATTERN", "AG-{serial}", "ASSETGRAPH_ASSET_TAG_PATTERN"),
        ("ASSETGRAPH_ASSET_TAG_PATTERN", "AG-FIXED", "ASSETGRAPH_ASSET_TAG_PATTERN"),
        ("ASSETGRAPH_AUDIT_CHECKPOINT_SECONDS", "often", "ASSETGRAPH_AUDIT_CHECKPOINT_SECONDS"),
        ("ASSETGRAPH_AUDIT_CHECKPOINT_SECONDS", "-1", "ASSETGRAPH_AUDIT_CHECKPOINT_SECONDS"),
        ("ASSETGRAPH_AUDIT_LATE_COMMIT_SECONDS", "0", "ASSETGRAPH_AUDIT_LATE_COMMIT_SECONDS"),
        ("ASSETGRAPH_AUDIT_SYSLOG", "syslog.example", "ASSETGRAPH_AUDIT_SYSLOG"),
        ("ASSETGRAPH_AUDIT_SYSLOG", "udp://host", "ASSETGRAPH_AUDIT_SYSLOG"),
        ("ASSETGRAPH_TRUSTED_PROXIES", "10.0.0.1, proxy.local", "ASSETGRAPH_TRUSTED_PROXIES"),
        ("ASSETGRAPH_TASK_BACKEND", "rabbitmq", "ASSETGRAPH_TASK_BACKEND"),
    ],
)
def test_bad_values_name_the_variable(
    tmp_path: Path, variable: str, value: str, message: str
) -> None:
    with pytest.raises(conf.ConfigError, match=message):
        conf.load({"ASSETGRAPH_DATA_DIR": str(tmp_path), variable: value})


def test_start_up_fails_with_one_clear_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ASSETGRAPH_DATA_DIR": str(tmp_path),
        "ASSETGRAPH_TIME_ZONE": "Mars/Olympus",
    }
    result = subprocess.run(
        [sys.executable, "-m", "assetgraph.cli", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "assetgraph: configuration error: "
        "ASSETGRAPH_TIME_ZONE='Mars/Olympus' is not an IANA time zone"
    ]


def test_production_hasher_is_argon2() -> None:
    from assetgraph import settings

    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_cli_help_and_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "assetgraph.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "audit verify" in result.stdout
    assert (
        subprocess.run(
            [sys.executable, "-m", "assetgraph.cli"], capture_output=True, timeout=60
        ).returncode
        == 2
    )
