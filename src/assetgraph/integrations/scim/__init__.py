"""SCIM 2.0 (RFC 7643, RFC 7644) Users and Groups under ``/scim/v2/`` for identity providers."""
