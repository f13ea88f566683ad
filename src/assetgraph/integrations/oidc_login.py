"""Single sign-on with OpenID Connect (mozilla-django-oidc): the authorization code flow with
PKCE, state and nonce, the ID token's signature, issuer, audience and expiry checked.

:class:`SingleSignOnBackend` creates the login just in time through ``accounts`` (audited),
maps a claim (``groups`` by default) to roles — roles the mapping names follow the claim at
every sign-in, others are left alone — and links the login to the person with the same
employee number (claim) or, failing that, the one person with the same email.
"""

from __future__ import annotations

import logging
from typing import Any

import jwt
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from assetgraph.accounts import services as account_services
from assetgraph.accounts.models import User
from assetgraph.core.actor import Actor
from assetgraph.org import services as org_services
from assetgraph.org.models import Person

from .role_mapping import follow_mapping

LOGGER = logging.getLogger(__name__)
SSO_ACTOR = Actor.system("single sign-on")


def _claim_values(claims: dict[str, Any], name: str) -> set[str]:
    value = claims.get(name)
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {str(v) for v in value}
    return set()


class SingleSignOnBackend(OIDCAuthenticationBackend):  # type: ignore[misc]  # untyped library
    """Sign in with the configured OpenID Connect provider."""

    @property
    def config(self) -> dict[str, Any]:
        return dict(settings.ASSETGRAPH_OIDC)

    def authenticate(self, request: Any, **kwargs: Any) -> Any:
        if not self.config.get("enabled"):
            return None
        try:
            return super().authenticate(request, **kwargs)
        except SuspiciousOperation as exc:  # bad signature, nonce, issuer, audience…
            LOGGER.warning("single sign-on refused: %s", exc)
            return None

    def _verify_jws(self, payload: str, key: Any) -> dict[str, Any]:
        """The signature (the algorithm pinned), then issuer, audience and expiry."""
        header = jwt.get_unverified_header(payload)
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation("the ID token is not signed with the expected algorithm")
        try:
            decoded: dict[str, Any] = jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=self.config.get("issuer") or None,
                options={"require": ["exp", "iat", "sub"]},
            )
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"ID token refused: {exc}") from exc
        return decoded

    def get_username(self, claims: dict[str, Any]) -> str:
        name = claims.get(self.config["username_claim"]) or claims.get("sub") or ""
        return str(name)[:150]

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        username = self.get_username(claims)
        if not username:
            return User.objects.none()
        return User.objects.filter(username__iexact=username)

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(self.get_username(claims))

    def create_user(self, claims: dict[str, Any]) -> Any:
        """A just-in-time login (no local password), then roles and person as on update."""
        user = account_services.create_user(
            SSO_ACTOR,
            username=self.get_username(claims),
            password=None,
            email=str(claims.get("email") or ""),
            first_name=str(claims.get("given_name") or "")[:150],
            last_name=str(claims.get("family_name") or "")[:150],
        )
        return self.update_user(user, claims)

    def update_user(self, user: User, claims: dict[str, Any]) -> Any:
        if not user.is_active:
            raise SuspiciousOperation("this login is deactivated")
        mapping: dict[str, str] = self.config.get("claim_roles") or {}
        if mapping:
            values = _claim_values(claims, self.config["roles_claim"])
            follow_mapping(SSO_ACTOR, user, mapping, values)
        self._link_person(user, claims)
        return user

    def _link_person(self, user: User, claims: dict[str, Any]) -> None:
        if Person.objects.filter(user=user).exists():
            return
        number = str(claims.get(self.config["employee_number_claim"]) or "")
        person = None
        if number:
            person = Person.objects.filter(employee_number=number, user__isnull=True).first()
        email = str(claims.get("email") or "")
        if person is None and email:
            matches = list(Person.objects.filter(email__iexact=email, user__isnull=True)[:2])
            person = matches[0] if len(matches) == 1 else None
        if person is not None:
            org_services.update_person(SSO_ACTOR, person, {"user": user})
