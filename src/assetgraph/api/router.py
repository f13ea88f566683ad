"""The one NinjaAPI: ``/api/``, OpenAPI at ``/api/openapi.json``, docs at ``/api/docs``."""

from assetgraph import __version__
from assetgraph.accounts.api import router as accounts_router
from assetgraph.assets.api import router as assets_router
from assetgraph.audit.api import router as audit_router
from assetgraph.cmdb.api import router as cmdb_router
from assetgraph.impact.api import router as impact_router
from assetgraph.org.api import router as org_router

from . import errors, validation
from .auth import ActiveSessionAuth, BearerTokenAuth
from .openapi import DocumentedAPI

api = DocumentedAPI(
    title="assetgraph API",
    version=__version__,
    description=(
        "IT asset management and CMDB. Authenticate with `Authorization: Bearer <token>` "
        "(create one under your profile) or the browser session (CSRF token required for writes). "
        'Errors are `{"error": {"code", "message", "fields"}}`; lists are cursor-paginated '
        "(`limit`, `cursor`, `ordering`); reads return an `ETag`, updates honour `If-Match`."
    ),
    auth=[BearerTokenAuth(), ActiveSessionAuth()],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    parser=validation.CheckedParser(),
)
errors.install(api)
validation.install(api, errors.error_response)
api.add_router("/audit", audit_router)
api.add_router("/accounts", accounts_router)
api.add_router("/org", org_router)
api.add_router("/assets", assets_router)
api.add_router("/cmdb", cmdb_router)
api.add_router("/impact", impact_router)
