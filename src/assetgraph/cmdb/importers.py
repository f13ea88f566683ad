"""CSV/XLSX/JSON imports of CIs (upserted by their class's identification key) and
relationships (by their two ends and type), planned and written in bulk.

Both are :class:`~assetgraph.framework.importing.BulkImporter` s (the streaming engine); see
:mod:`assetgraph.cmdb.import_cis` and :mod:`assetgraph.cmdb.import_relationships`.
"""

from __future__ import annotations

from .import_base import ClassCache
from .import_cis import CIImporter
from .import_relationships import RelationshipImporter

__all__ = ["CIImporter", "ClassCache", "RelationshipImporter"]
