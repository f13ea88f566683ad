"""Django's SQLite backend with SQLite's real bound-parameter limit.

Django assumes SQLite's historic limit of 999 bound parameters, so ``bulk_create`` of a
17-column model sends 58 rows per INSERT. SQLite has allowed 32,766 since 3.32 (2020); using it
cuts the statements of a bulk import ~30-fold. Everything else is Django's backend unchanged.
"""

from __future__ import annotations

import sqlite3

from django.db.backends.sqlite3 import base, features

MODERN_LIMIT = 32_766
LEGACY_LIMIT = 999


class DatabaseFeatures(features.DatabaseFeatures):
    """Features with the parameter limit of the linked SQLite library."""

    max_query_params = MODERN_LIMIT if sqlite3.sqlite_version_info >= (3, 32) else LEGACY_LIMIT


class DatabaseWrapper(base.DatabaseWrapper):
    """The stock wrapper using :class:`DatabaseFeatures`."""

    features_class = DatabaseFeatures
