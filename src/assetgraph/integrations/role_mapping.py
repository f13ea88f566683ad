"""Group-to-role mapping, one mechanism for every identity source.

LDAP groups (``ASSETGRAPH_LDAP_GROUP_ROLES``), OIDC claim values
(``ASSETGRAPH_OIDC_CLAIM_ROLES``) and SCIM Groups (``ASSETGRAPH_SCIM_GROUP_ROLES``) are each a
JSON object from a membership key to a role name, and a login's memberships grant the roles
their keys map to. What differs is how a source revokes:

- LDAP and OIDC see every membership at each sign-in, so a role their mapping names follows
  the memberships (:func:`follow_mapping`): granted when a mapped group is there, revoked when
  none is; roles the mapping does not name are left alone.
- SCIM sees one group change at a time and a role may have come from elsewhere, so it
  revokes only the roles it granted itself (``integrations.scim.roles``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from assetgraph.accounts import services as account_services
from assetgraph.core.actor import Actor


def mapped_roles(mapping: Mapping[str, str], memberships: Iterable[str]) -> set[str]:
    """The roles ``mapping`` grants for ``memberships`` (keys compared as given: callers
    normalise case the way their source does)."""
    keys = set(memberships)
    return {role for key, role in mapping.items() if key in keys}


def follow_mapping(
    actor: Actor, user: Any, mapping: Mapping[str, str], memberships: Iterable[str]
) -> None:
    """Make the roles ``mapping`` names match ``memberships``; leave every other role."""
    if not mapping:
        return
    granted = mapped_roles(mapping, memberships)
    managed = set(mapping.values())
    current = set(user.roles.values_list("name", flat=True))
    wanted = (current - managed) | granted
    if wanted != current:
        account_services.set_user_roles(actor, user, wanted)
