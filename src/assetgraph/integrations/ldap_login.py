"""LDAP / Active Directory login (django-auth-ldap) with group-to-role mapping.

:class:`DirectoryBackend` reads the same ``ASSETGRAPH_DIRECTORY`` settings as the directory
sync: it finds the user under the user base by the ``username`` attribute, binds as them to
check the password, and then:

- creates the login on first sign-in through ``accounts`` (audited, no local password);
- grants the roles mapped from the user's groups (``ASSETGRAPH_LDAP_GROUP_ROLES``) and revokes
  mapped roles of groups they left; roles that no group maps are left alone;
- links the login to the person with the same employee number, if that person has none.

A deactivated login (a leaver) cannot sign in even with a valid directory password.
"""

from __future__ import annotations

from typing import Any

import ldap
from django.conf import settings as django_settings
from django_auth_ldap.backend import LDAPBackend
from django_auth_ldap.config import GroupOfNamesType, LDAPSearch, LDAPSettings

from assetgraph.accounts import services as account_services
from assetgraph.accounts.models import User
from assetgraph.core.actor import Actor
from assetgraph.org import services as org_services
from assetgraph.org.models import Person

from .role_mapping import follow_mapping

LOGIN_ACTOR = Actor.system("directory login")


def ldap_settings(config: dict[str, Any]) -> LDAPSettings:
    """django-auth-ldap's settings object built from ``ASSETGRAPH_DIRECTORY``."""
    result = LDAPSettings("AUTH_LDAP_", {})
    username_attr = config["attributes"]["username"]
    timeout = config.get("timeout_seconds", 10)
    result.SERVER_URI = config["uri"]
    result.BIND_DN = config.get("bind_dn", "")
    result.BIND_PASSWORD = config.get("bind_password", "")
    result.START_TLS = config.get("start_tls", False)
    result.CONNECTION_OPTIONS = {
        ldap.OPT_REFERRALS: 0,
        ldap.OPT_NETWORK_TIMEOUT: timeout,
        ldap.OPT_TIMEOUT: timeout,
    }
    result.USER_SEARCH = LDAPSearch(
        config["user_base"],
        ldap.SCOPE_SUBTREE,
        f"(&{config['user_filter']}({username_attr}=%(user)s))",
    )
    if config.get("group_base"):
        result.GROUP_SEARCH = LDAPSearch(
            config["group_base"], ldap.SCOPE_SUBTREE, config.get("group_filter") or ""
        )
        result.GROUP_TYPE = GroupOfNamesType()
    result.USER_ATTR_MAP = {}
    result.ALWAYS_UPDATE_USER = False  # every change to the login goes through accounts
    result.MIRROR_GROUPS = None
    result.FIND_GROUP_PERMS = False
    return result


def _first(ldap_user: Any, attribute: str) -> str:
    values = (ldap_user.attrs or {}).get(attribute) or (ldap_user.attrs or {}).get(
        attribute.lower()
    )
    return str(values[0]) if values else ""


class DirectoryBackend(LDAPBackend):  # type: ignore[misc]  # django-auth-ldap is untyped
    """Sign in against the directory; roles follow group membership."""

    @property
    def settings(self) -> LDAPSettings:
        if getattr(self, "_directory_settings", None) is None:
            self._directory_settings = ldap_settings(django_settings.ASSETGRAPH_DIRECTORY)
        return self._directory_settings

    @settings.setter
    def settings(self, value: LDAPSettings) -> None:
        self._directory_settings = value

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if not django_settings.ASSETGRAPH_DIRECTORY.get("uri"):
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_or_build_user(self, username: str, ldap_user: Any) -> tuple[User, bool]:
        """The existing login, or a new one created (and audited) through ``accounts``."""
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            mapping = django_settings.ASSETGRAPH_DIRECTORY["attributes"]
            user = account_services.create_user(
                LOGIN_ACTOR,
                username=username,
                password=None,
                email=_first(ldap_user, mapping["email"]),
                first_name=_first(ldap_user, mapping["first_name"]),
                last_name=_first(ldap_user, mapping["last_name"]),
            )
        return user, False

    def authenticate_ldap_user(self, ldap_user: Any, password: str) -> Any:
        user = super().authenticate_ldap_user(ldap_user, password)
        if user is None:
            return None
        if not user.is_active:
            return None
        config = django_settings.ASSETGRAPH_DIRECTORY
        mapped: dict[str, str] = config.get("group_roles") or {}
        if mapped:
            groups = {dn.lower() for dn in ldap_user.group_dns}
            follow_mapping(LOGIN_ACTOR, user, mapped, groups)
        number = _first(ldap_user, config["attributes"]["employee_number"])
        if number:
            person = Person.objects.filter(employee_number=number, user__isnull=True).first()
            if person is not None and not Person.objects.filter(user=user).exists():
                org_services.update_person(LOGIN_ACTOR, person, {"user": user})
        return user
