"""The one NinjaAPI: ``/api/``, OpenAPI at ``/api/openapi.json``, docs at ``/api/docs``.

Every app's declared resources get the standard endpoints at ``/api/<app>/<path>/``
(``assetgraph.api.crud``); an app's ``api.py`` ``router`` adds what is not generic under
``/api/<app>/`` (and its ``ROUTERS``, ``[(prefix, router)]``, elsewhere). The platform's own
endpoints (audit events, accounts) come first.
"""

from assetgraph import __version__
from assetgraph.api import errors, validation
from assetgraph.api.accounts import router as accounts_router
from assetgraph.api.audit import router as audit_router
from assetgraph.api.auth import ActiveSessionAuth, BearerTokenAuth
from assetgraph.api.crud import build_router
from assetgraph.api.guard import DocumentGuard
from assetgraph.api.importjobs import router as jobs_router
from assetgraph.api.openapi import DocumentedAPI
from assetgraph.framework.spec import app_resources

from . import domain_modules

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
api.parser.guard = DocumentGuard(api)  # type: ignore[attr-defined]
errors.install(api)
validation.install(api, errors.error_response)
api.add_router("/audit", audit_router)
api.add_router("/accounts", accounts_router)
api.add_router("/jobs", jobs_router)

for label, module in domain_modules("api"):
    for resource in app_resources(label):
        if resource.out_schema is not None and resource.generate_api:
            api.add_router(resource.api_prefix, build_router(resource))
    custom = getattr(module, "router", None)
    if custom is not None:
        api.add_router(f"/{label}", custom)
    for prefix, extra in getattr(module, "ROUTERS", ()):
        api.add_router(prefix, extra)
