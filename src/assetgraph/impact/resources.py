"""Impact declares no models; it adds sections to the CI page: impact and root-cause links and
the dependency map (see :mod:`assetgraph.framework.spec`)."""

from assetgraph.framework.spec import DetailSection

from .map_views import ci_map_section
from .views import ci_impact_section

SECTIONS = [
    DetailSection("cmdb.ci", ci_impact_section),
    DetailSection("cmdb.ci", ci_map_section),
]
