"""Import page of the assets app."""

from assetgraph.ui.importing import ImportKind, ImportPages

from .importers import AssetImporter

import_view = ImportPages(ImportKind("assets", "Assets", AssetImporter))
