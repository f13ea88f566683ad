"""CSV/XLSX/JSON imports of CIs (upserted by their class's identification key) and
relationships (by their two ends and type), planned and written in bulk.

See :mod:`assetgraph.cmdb.import_base` for the engine, :mod:`assetgraph.cmdb.import_cis` and
:mod:`assetgraph.cmdb.import_relationships` for the two importers.
"""

from __future__ import annotations

from .import_base import ClassCache, JsonInput, PlannedReport
from .import_cis import CIImporter
from .import_relationships import RelationshipImporter

__all__ = ["CIImporter", "ClassCache", "JsonInput", "PlannedReport", "RelationshipImporter"]
