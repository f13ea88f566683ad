"""Security and compliance: advisories matched to what runs, end of life, exposure through the
dependency graph, findings, policies and audit evidence (docs/security.md)."""

from django.apps import AppConfig


class SecurityConfig(AppConfig):
    """App config for :mod:`assetgraph.security`."""

    name = "assetgraph.security"
    label = "security"
    verbose_name = "Security"
