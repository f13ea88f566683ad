"""The SCIM discovery documents served: ServiceProviderConfig, ResourceTypes and Schemas
(RFC 7643 §5-§7). The schemas publish exactly the attributes assetgraph stores."""

from __future__ import annotations

from typing import Any

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
SPC = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
MAX_RESULTS = 200


def attribute(name: str, kind: str = "string", **extra: Any) -> dict[str, Any]:
    """One attribute definition with RFC 7643's defaults spelled out."""
    base: dict[str, Any] = {
        "name": name,
        "type": kind,
        "multiValued": False,
        "description": extra.pop("description", name),
        "required": False,
        "caseExact": False,
        "mutability": "readWrite",
        "returned": "default",
        "uniqueness": "none",
    }
    if kind in ("boolean", "complex", "integer", "decimal", "dateTime"):
        base.pop("caseExact")
    base.update(extra)
    return base


USER_ATTRIBUTES = [
    attribute("userName", required=True, uniqueness="server", description="Unique login name"),
    attribute(
        "name",
        "complex",
        subAttributes=[attribute("givenName"), attribute("familyName")],
        description="The person's name",
    ),
    attribute("title", description="Job title"),
    attribute(
        "emails",
        "complex",
        multiValued=True,
        subAttributes=[
            attribute("value", description="Email address"),
            attribute("type", canonicalValues=["work", "home", "other"]),
            attribute("primary", "boolean"),
        ],
        description="Email addresses; the primary (or first) one is the person's email",
    ),
    attribute("active", "boolean", description="False deactivates the person and offboards"),
]
ENTERPRISE_ATTRIBUTES = [
    attribute("employeeNumber", description="The person's employee number (their key)"),
    attribute("department", description="Department name (created when new)"),
]
GROUP_ATTRIBUTES = [
    attribute("displayName", required=True, description="Group name"),
    attribute(
        "members",
        "complex",
        multiValued=True,
        subAttributes=[
            attribute("value", mutability="immutable", description="id of the member"),
            attribute(
                "$ref",
                "reference",
                referenceTypes=["User", "Group"],
                mutability="immutable",
                caseExact=True,
            ),
            attribute("type", mutability="immutable", canonicalValues=["User", "Group"]),
        ],
        description="Members: Users or Groups",
    ),
]

SCHEMA_DEFINITIONS: dict[str, dict[str, Any]] = {
    USER: {
        "id": USER,
        "name": "User",
        "description": "User Account",
        "attributes": USER_ATTRIBUTES,
    },
    ENTERPRISE: {
        "id": ENTERPRISE,
        "name": "EnterpriseUser",
        "description": "Enterprise User",
        "attributes": ENTERPRISE_ATTRIBUTES,
    },
    GROUP: {"id": GROUP, "name": "Group", "description": "Group", "attributes": GROUP_ATTRIBUTES},
}


def schema_document(urn: str, base: str) -> dict[str, Any]:
    definition = SCHEMA_DEFINITIONS[urn]
    return {
        "schemas": [SCHEMA],
        **definition,
        "meta": {"resourceType": "Schema", "location": f"{base}/Schemas/{urn}"},
    }


def resource_types(base: str) -> list[dict[str, Any]]:
    return [
        {
            "schemas": [RESOURCE_TYPE],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "People",
            "schema": USER,
            "schemaExtensions": [{"schema": ENTERPRISE, "required": False}],
            "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/User"},
        },
        {
            "schemas": [RESOURCE_TYPE],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "Groups",
            "schema": GROUP,
            "schemaExtensions": [],
            "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/Group"},
        },
    ]


def service_provider_config(base: str) -> dict[str, Any]:
    return {
        "schemas": [SPC],
        "documentationUri": "https://github.com/assetgraph/assetgraph/blob/main/docs/integrations.md",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": True},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "An assetgraph API token with the provisioning scope",
                "primary": True,
            }
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": f"{base}/ServiceProviderConfig",
        },
    }
