"""Import pages of the organisation app (people and locations)."""

from assetgraph.ui.importing import ImportKind, ImportPages

from .importers import LocationImporter, PersonImporter

import_view = ImportPages(
    ImportKind("people", "People", PersonImporter),
    ImportKind("locations", "Locations", LocationImporter),
)
