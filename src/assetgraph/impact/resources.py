"""Impact declares no models; it adds sections to other pages (see
:mod:`assetgraph.framework.spec`): the asset's CI with the services that depend on it, and on
the CI page the impact and root-cause links and the dependency map."""

from assetgraph.framework.spec import DetailSection

from .context import asset_ci_section
from .map_views import ci_map_section
from .preview import outage_preview
from .views import ci_impact_section

SECTIONS = [
    DetailSection("assets.asset", asset_ci_section),
    DetailSection("cmdb.ci", ci_impact_section),
    DetailSection("cmdb.ci", ci_map_section),
]
# What taking CIs out of service breaks, for business actions below impact (retiring an asset).
OUTAGE_PREVIEW = outage_preview
