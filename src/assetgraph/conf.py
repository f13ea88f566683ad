"""Runtime configuration read from ``ASSETGRAPH_*`` environment variables.

Everything an operator can set lives here, parsed once into a frozen :class:`Config`. A bad
value raises :class:`ConfigError` whose message is one line naming the variable, so start-up
fails loudly and clearly instead of half-working.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

PREFIX = "ASSETGRAPH_"
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


class ConfigError(Exception):
    """A configuration value is invalid; the message names the variable."""


@dataclass(frozen=True)
class Config:
    """The parsed configuration: one attribute per ``ASSETGRAPH_*`` variable."""

    data_dir: Path
    database: dict[str, Any]
    secret_key: str
    debug: bool
    allowed_hosts: list[str]
    time_zone: str
    base_url: str
    log_level: str
    asset_tag_pattern: str
    audit_checkpoint_seconds: int = 60
    audit_syslog: str = ""
    audit_late_commit_seconds: int = 3600
    trusted_proxies: tuple[str, ...] = ()
    import_max_file_size: int = 100 * 1024 * 1024
    import_max_uncompressed_size: int = 512 * 1024 * 1024
    import_max_rows: int = 1_000_000
    import_max_columns: int = 500
    import_max_cell_chars: int = 100_000
    webhook_allowed_networks: tuple[str, ...] = ()
    metrics_token: str = ""
    backup_keep: int = 7
    email_host: str = "localhost"
    email_port: int = 25
    email_user: str = ""
    email_password: str = ""
    email_use_tls: bool = False
    email_from: str = "assetgraph@localhost"
    log_json: bool = False
    task_backend: str = "database"
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "assetgraph"


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(PREFIX + name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"{PREFIX}{name}={raw!r} is not a boolean (use true/false, 1/0, yes/no)")


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(PREFIX + name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip().replace("_", ""))
    except ValueError:
        raise ConfigError(f"{PREFIX}{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise ConfigError(f"{PREFIX}{name}={raw!r} must be at least {minimum}")
    return value


_SIZE_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}


def _size(env: Mapping[str, str], name: str, default: int) -> int:
    """A byte count: ``1048576``, ``512K``, ``100M`` or ``2G`` (binary units)."""
    raw = env.get(PREFIX + name)
    if raw is None or raw.strip() == "":
        return default
    text = raw.strip().upper().removesuffix("B").replace("_", "")
    unit = text[-1:] if text[-1:] in _SIZE_UNITS else ""
    number = text[: len(text) - len(unit)].strip()
    if not number.isdigit() or int(number) < 1:
        raise ConfigError(f"{PREFIX}{name}={raw!r} is not a size (e.g. 100M, 512K, 1G, 1048576)")
    return int(number) * _SIZE_UNITS[unit]


def _syslog_target(env: Mapping[str, str]) -> str:
    """``/dev/log``-style socket paths or ``udp://host:port`` / ``tcp://host:port``."""
    raw = env.get(PREFIX + "AUDIT_SYSLOG", "").strip()
    if not raw or raw.startswith("/"):
        return raw
    parts = urlsplit(raw)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme not in {"udp", "tcp"} or not parts.hostname or port is None:
        raise ConfigError(
            f"{PREFIX}AUDIT_SYSLOG={raw!r} must be a socket path (/dev/log) "
            "or udp://host:port or tcp://host:port"
        )
    return raw


def _trusted_proxies(env: Mapping[str, str]) -> tuple[str, ...]:
    import ipaddress

    raw = env.get(PREFIX + "TRUSTED_PROXIES", "")
    entries = tuple(part.strip() for part in raw.split(",") if part.strip())
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ConfigError(
                f"{PREFIX}TRUSTED_PROXIES: {entry!r} is not an IP address or network"
            ) from None
    return entries


def _postgres_host(netloc: str, hostname: str | None) -> str:
    """The server's host name, or the directory of its Unix socket.

    A socket directory is written percent-encoded in the host's place, as libpq's own URIs do
    (``postgresql://user@%2Fvar%2Frun%2Fpostgresql/dbname``): on the database's own machine it
    skips the TCP stack, about half the time of each round trip. Kept as written (a path is
    case-sensitive; ``urlsplit``'s hostname is lower-cased).
    """
    written = netloc.rpartition("@")[2]
    if written[:3].upper() == "%2F":
        return unquote(written.split(":", 1)[0])
    return hostname or ""


def postgres_url(db: Mapping[str, Any], name: str) -> str:
    """A ``postgresql://`` URL for database ``name`` on the server of Django settings ``db``.

    The inverse of :func:`parse_database_url` for the parts a tool needs (``pg_dump``, a
    worker, an admin connection): user and password percent-encoded, a Unix-socket directory
    encoded in the host's place, and 127.0.0.1:5432 where the settings leave them empty.
    """
    user = quote(str(db.get("USER") or "postgres"), safe="")
    password = f":{quote(str(db['PASSWORD']), safe='')}" if db.get("PASSWORD") else ""
    host = str(db.get("HOST") or "127.0.0.1")
    host = quote(host, safe="") if host.startswith("/") else host
    return f"postgresql://{user}{password}@{host}:{db.get('PORT') or 5432}/{quote(name, safe='')}"


def parse_database_url(
    url: str, data_dir: Path, variable: str = PREFIX + "DATABASE_URL"
) -> dict[str, Any]:
    """Turn ``sqlite:///path`` or ``postgresql://user:pw@host:port/db`` into Django settings.

    SQLite runs in WAL mode with IMMEDIATE transactions so that concurrent writers queue on the
    busy timeout instead of failing with "database is locked" on lock upgrade.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    options = dict(parse_qsl(parts.query))
    if scheme == "sqlite":
        raw_path = unquote(parts.path)
        if parts.netloc or not raw_path or raw_path == "/":
            raise ConfigError(
                f"{variable}: a SQLite URL is sqlite:///relative.db or sqlite:////abs.db"
            )
        path = Path(raw_path[1:])
        if not path.is_absolute():
            path = data_dir / path
        return {
            "ENGINE": "assetgraph.core.backends.sqlite3",
            "NAME": str(path),
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000; "
                    "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
                ),
            },
            "TEST": {"NAME": str(data_dir / "test.sqlite3")},
        }
    if scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ConfigError(f"{variable}: a PostgreSQL URL needs a database name after the host")
        try:
            port = parts.port
        except ValueError as exc:
            raise ConfigError(f"{variable}: the port is not a number") from exc
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": _postgres_host(parts.netloc, parts.hostname),
            "PORT": str(port or ""),
            "CONN_MAX_AGE": int(options.pop("conn_max_age", "60")),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    raise ConfigError(f"{variable}: unsupported scheme {scheme!r} (use sqlite:// or postgresql://)")


def _secret_key(env: Mapping[str, str], data_dir: Path) -> str:
    """Return the configured key, or one generated on first run and kept in the data dir."""
    configured = env.get(PREFIX + "SECRET_KEY")
    if configured is not None:
        if len(configured) < 32:
            raise ConfigError(f"{PREFIX}SECRET_KEY is too short (at least 32 characters)")
        return configured
    key_file = data_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(50)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def load(env: Mapping[str, str] | None = None) -> Config:
    """Parse the environment into a :class:`Config`, creating the data directory if needed."""
    env = os.environ if env is None else env
    data_dir = Path(env.get(PREFIX + "DATA_DIR", "") or Path.home() / ".local/share/assetgraph")
    data_dir = data_dir.expanduser().resolve()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"{PREFIX}DATA_DIR={str(data_dir)!r} cannot be created: {exc.strerror}"
        ) from exc

    database = parse_database_url(
        env.get(PREFIX + "DATABASE_URL") or "sqlite:///assetgraph.sqlite3", data_dir
    )

    time_zone = env.get(PREFIX + "TIME_ZONE", "UTC")
    try:
        zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{PREFIX}TIME_ZONE={time_zone!r} is not an IANA time zone") from exc

    base_url = env.get(PREFIX + "BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    parsed = urlsplit(base_url)
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        raise ConfigError(f"{PREFIX}BASE_URL={base_url!r} must be an http(s) URL with a host")

    debug = _bool(env, "DEBUG", False)
    hosts_raw = env.get(PREFIX + "ALLOWED_HOSTS")
    if hosts_raw is None:
        allowed_hosts = sorted({"127.0.0.1", "localhost", "[::1]", parsed.hostname})
    else:
        allowed_hosts = [h.strip() for h in hosts_raw.split(",") if h.strip()]
        if not allowed_hosts:
            raise ConfigError(
                f"{PREFIX}ALLOWED_HOSTS is empty (a comma-separated list of host names)"
            )

    asset_tag_pattern = env.get(PREFIX + "ASSET_TAG_PATTERN", "AG-{seq:06d}")
    try:
        sample = asset_tag_pattern.format(seq=1)
    except (KeyError, IndexError, ValueError) as exc:
        hint = "must use only {seq}, e.g. AG-{seq:06d}"
        raise ConfigError(f"{PREFIX}ASSET_TAG_PATTERN={asset_tag_pattern!r} {hint}") from exc
    if sample == asset_tag_pattern.format(seq=2):
        raise ConfigError(f"{PREFIX}ASSET_TAG_PATTERN={asset_tag_pattern!r} must contain {{seq}}")

    log_level = env.get(PREFIX + "LOG_LEVEL", "INFO").upper()
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ConfigError(f"{PREFIX}LOG_LEVEL={log_level!r} is not a log level")

    return Config(
        data_dir=data_dir,
        database=database,
        secret_key=_secret_key(env, data_dir),
        debug=debug,
        allowed_hosts=allowed_hosts,
        time_zone=time_zone,
        base_url=base_url,
        log_level=log_level,
        asset_tag_pattern=asset_tag_pattern,
        audit_checkpoint_seconds=_int(env, "AUDIT_CHECKPOINT_SECONDS", 60),
        audit_syslog=_syslog_target(env),
        audit_late_commit_seconds=_int(env, "AUDIT_LATE_COMMIT_SECONDS", 3600, minimum=1),
        trusted_proxies=_trusted_proxies(env),
        import_max_file_size=_size(env, "IMPORT_MAX_FILE_SIZE", 100 * 1024 * 1024),
        import_max_uncompressed_size=_size(env, "IMPORT_MAX_UNCOMPRESSED_SIZE", 512 * 1024 * 1024),
        import_max_rows=_int(env, "IMPORT_MAX_ROWS", 1_000_000, minimum=1),
        import_max_columns=_int(env, "IMPORT_MAX_COLUMNS", 500, minimum=1),
        import_max_cell_chars=_int(env, "IMPORT_MAX_CELL_CHARS", 100_000, minimum=1),
        webhook_allowed_networks=_networks(env),
        metrics_token=env.get(PREFIX + "METRICS_TOKEN", ""),
        backup_keep=_int(env, "BACKUP_KEEP", 7, minimum=1),
        email_host=env.get(PREFIX + "EMAIL_HOST", "localhost"),
        email_port=_int(env, "EMAIL_PORT", 25, minimum=1),
        email_user=env.get(PREFIX + "EMAIL_USER", ""),
        email_password=env.get(PREFIX + "EMAIL_PASSWORD", ""),
        email_use_tls=_bool(env, "EMAIL_USE_TLS", False),
        email_from=env.get(PREFIX + "EMAIL_FROM", "assetgraph@localhost"),
        log_json=_bool(env, "LOG_JSON", False),
        task_backend=_task_backend(env),
        redis_url=env.get(PREFIX + "REDIS_URL", "redis://127.0.0.1:6379/0"),
        redis_prefix=env.get(PREFIX + "REDIS_PREFIX", "assetgraph").strip() or "assetgraph",
    )


def _task_backend(env: Mapping[str, str]) -> str:
    """``ASSETGRAPH_TASK_BACKEND``: ``database`` (the default, nothing extra) or ``redis``."""
    raw = env.get(PREFIX + "TASK_BACKEND", "database").strip().lower() or "database"
    if raw not in {"database", "redis"}:
        raise ConfigError(f"{PREFIX}TASK_BACKEND={raw!r} is not a task backend (database or redis)")
    return raw


def _networks(env: Mapping[str, str]) -> tuple[str, ...]:
    """``ASSETGRAPH_WEBHOOK_ALLOWED_NETWORKS``: CIDRs webhooks may reach despite the SSRF guard."""
    raw = env.get(PREFIX + "WEBHOOK_ALLOWED_NETWORKS", "")
    networks = tuple(part.strip() for part in raw.split(",") if part.strip())
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as exc:
            raise ConfigError(
                f"{PREFIX}WEBHOOK_ALLOWED_NETWORKS: {network!r} is not a network (CIDR)"
            ) from exc
    return networks
