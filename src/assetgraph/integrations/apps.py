"""Identity and ecosystem: directory sync (LDAP / Active Directory) into ``org`` people with
joiner/mover/leaver handling and offboarding, LDAP login with group-to-role mapping, and the
Ansible inventory (docs/integrations.md)."""

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """App config for :mod:`assetgraph.integrations`."""

    name = "assetgraph.integrations"
    label = "integrations"
    verbose_name = "Integrations"
