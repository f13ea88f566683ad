"""Django settings, built from :mod:`assetgraph.conf` (``ASSETGRAPH_*`` environment variables).

Operators never edit this file: every knob is an environment variable documented in
``docs/configuration.md``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import django_stubs_ext

from assetgraph import conf
from assetgraph.integrations import conf as integrations_conf

# Lets typed generics such as ``ModelForm[Person]`` and ``QuerySet[AuditEvent]`` work at run time.
django_stubs_ext.monkeypatch()

try:
    CONFIG = conf.load()
except conf.ConfigError as exc:  # one clear line, no traceback
    sys.exit(f"assetgraph: configuration error: {exc}")

DATA_DIR = CONFIG.data_dir
SECRET_KEY = CONFIG.secret_key
DEBUG = CONFIG.debug
ALLOWED_HOSTS = CONFIG.allowed_hosts
BASE_URL = CONFIG.base_url
CSRF_TRUSTED_ORIGINS = [BASE_URL]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "django_tasks",
    "assetgraph.core",
    "assetgraph.audit",
    "assetgraph.accounts",
    "assetgraph.org",
    "assetgraph.assets",
    "assetgraph.cmdb",
    "assetgraph.impact",
    "assetgraph.changes",
    "assetgraph.discovery",
    "assetgraph.licences",
    "assetgraph.stock",
    "assetgraph.finance",
    "assetgraph.security",
    "assetgraph.integrations",
    "assetgraph.api",
    "assetgraph.ui",
    "assetgraph.events",
    "assetgraph.demo",
    "assetgraph.framework",
]

MIDDLEWARE = [
    "assetgraph.events.observability.MetricsMiddleware",  # times everything below it
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "assetgraph.core.middleware.RequestIdMiddleware",
    "assetgraph.core.middleware.ContentSecurityPolicyMiddleware",
    "assetgraph.core.limits.UploadLimitMiddleware",  # before anything reads the body
    "assetgraph.api.validation.HostileInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "assetgraph.ui.viewer.ViewerMiddleware",  # who is looking, for "(hidden)" references
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "assetgraph.urls"
WSGI_APPLICATION = "assetgraph.wsgi.application"
# Called by each gunicorn worker before it accepts requests (``assetgraph serve``), by name:
# the core may not import the apps. Each prepares what a first request would otherwise pay.
WORKER_WARMUPS = ["assetgraph.impact.operations.prepare_worker"]
ASGI_APPLICATION = "assetgraph.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "assetgraph.ui.context_processors.navigation",
            ],
            # ``|when`` (every date on a page, in the reader's locale) without a {% load %}.
            "builtins": ["assetgraph.ui.templatetags.ui_tags"],
        },
    }
]

DATABASES = {"default": CONFIG.database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "ui:login"
LOGIN_REDIRECT_URL = "ui:dashboard"
LOGOUT_REDIRECT_URL = "ui:login"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = BASE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = 60 * 60 * 12
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = CONFIG.time_zone
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise expects it, even in finder mode
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files are served from the installed package by whitenoise's finder mode: no
# collectstatic step, so `pip install` + `assetgraph serve` is the whole deployment.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_MAX_AGE = 3600

FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": CONFIG.log_level},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# assetgraph's own knobs
ASSETGRAPH_API_PAGE_SIZE = 50
ASSETGRAPH_API_MAX_PAGE_SIZE = 1000
# Failed logins: per username *and* client address, and (more) per address alone.
ASSETGRAPH_LOGIN_FAILURES_BEFORE_LOCK = 5
ASSETGRAPH_LOGIN_ADDRESS_FAILURES_BEFORE_LOCK = 20
# What an import file may make a worker do (see core/limits.py and docs/imports.md).
ASSETGRAPH_IMPORT_MAX_FILE_SIZE = CONFIG.import_max_file_size
ASSETGRAPH_IMPORT_MAX_UNCOMPRESSED_SIZE = CONFIG.import_max_uncompressed_size
ASSETGRAPH_IMPORT_MAX_ROWS = CONFIG.import_max_rows
ASSETGRAPH_IMPORT_MAX_COLUMNS = CONFIG.import_max_columns
ASSETGRAPH_IMPORT_MAX_CELL_CHARS = CONFIG.import_max_cell_chars
# Reverse proxies whose X-Forwarded-For names the client (see core/clientaddr.py).
ASSETGRAPH_TRUSTED_PROXIES = CONFIG.trusted_proxies
ASSETGRAPH_LOGIN_LOCK_SECONDS = 30
ASSETGRAPH_LOGIN_LOCK_MAX_SECONDS = 3600
ASSETGRAPH_ASSET_TAG_PATTERN = CONFIG.asset_tag_pattern
# The audit chain's head is checkpointed into this signed file (see docs/audit.md).
ASSETGRAPH_AUDIT_CHECKPOINT_FILE = DATA_DIR / "audit-checkpoint.json"
ASSETGRAPH_AUDIT_CHECKPOINT_SECONDS = CONFIG.audit_checkpoint_seconds
ASSETGRAPH_AUDIT_SYSLOG = CONFIG.audit_syslog
ASSETGRAPH_AUDIT_LATE_COMMIT_SECONDS = CONFIG.audit_late_commit_seconds

# Operations (assetgraph.events, docs/operations.md)
ASSETGRAPH_WEBHOOK_ALLOWED_NETWORKS = CONFIG.webhook_allowed_networks
ASSETGRAPH_WEBHOOK_MAX_ATTEMPTS = 8
ASSETGRAPH_WEBHOOK_RETRY_BASE_SECONDS = 10.0
ASSETGRAPH_WEBHOOK_RETRY_MAX_SECONDS = 3600.0
ASSETGRAPH_JOB_RETRY_BASE_SECONDS = 30.0
ASSETGRAPH_WORKER_POLL_SECONDS = 1.0
ASSETGRAPH_WORKER_HEARTBEAT_SECONDS = 5.0
ASSETGRAPH_WORKER_STALE_SECONDS = 60.0
ASSETGRAPH_OPERATIONS_RETENTION_DAYS = 30
# Background work is Django tasks (the django-tasks backport, ADR 0014). Both backends keep the
# job table as the record of truth; "redis" adds the broker that wakes workers on any host.
ASSETGRAPH_TASK_BACKEND = CONFIG.task_backend
ASSETGRAPH_REDIS_URL = CONFIG.redis_url
ASSETGRAPH_REDIS_PREFIX = CONFIG.redis_prefix
TASKS: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": (
            "assetgraph.events.backends.RedisBackend"
            if CONFIG.task_backend == "redis"
            else "assetgraph.events.backends.DatabaseBackend"
        ),
        "OPTIONS": {},
    }
}
ASSETGRAPH_METRICS_TOKEN = CONFIG.metrics_token
ASSETGRAPH_BACKUP_DIR = DATA_DIR / "backups"
ASSETGRAPH_BACKUP_KEEP = CONFIG.backup_keep
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = CONFIG.email_host
EMAIL_PORT = CONFIG.email_port
EMAIL_HOST_USER = CONFIG.email_user
EMAIL_HOST_PASSWORD = CONFIG.email_password
EMAIL_USE_TLS = CONFIG.email_use_tls
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = CONFIG.email_from
if CONFIG.log_json:
    LOGGING["formatters"]["json"] = {"()": "assetgraph.core.jsonlog.JsonFormatter"}
    LOGGING["handlers"]["console"]["formatter"] = "json"

# Directory sync and LDAP login (assetgraph.integrations, docs/integrations.md).
try:
    ASSETGRAPH_DIRECTORY = integrations_conf.directory(os.environ)
    ASSETGRAPH_SCIM_GROUP_ROLES = integrations_conf.scim_group_roles(os.environ)
    AUTHENTICATION_BACKENDS = integrations_conf.authentication_backends(os.environ)
    _OIDC = integrations_conf.oidc(os.environ)
    ASSETGRAPH_OIDC = _OIDC.pop("ASSETGRAPH_OIDC")
    globals().update(_OIDC)  # mozilla-django-oidc's OIDC_* settings
except conf.ConfigError as exc:
    sys.exit(f"assetgraph: configuration error: {exc}")
