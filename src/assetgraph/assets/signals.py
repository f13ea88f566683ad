"""Signals of the asset lifecycle and location, for the apps above assets (which assets may
not import).

``asset_retired`` is sent inside the transaction of a transition that retires an asset
(``retire``, ``decommission``, ``report_lost_or_stolen``), with ``actor``, ``asset`` and
``transition``: the CMDB retires the asset's CI in the same transaction (one record, two
halves; docs/both-layers.md). A receiver that raises rolls the retirement back.
"""

from __future__ import annotations

from django.dispatch import Signal

asset_retired = Signal()

# Sent inside the transaction of every transition (``actor``, ``asset``, ``transition``): the
# CMDB puts the CI of an asset sent for repair in maintenance, and back live on its return.
asset_transitioned = Signal()

# Sent inside the transaction that changed an asset's registered location (``actor``,
# ``asset``): its CI moves with it (one location for the one record).
asset_relocated = Signal()
