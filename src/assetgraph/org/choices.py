"""Enumerations of the organisation app."""

from django.db import models


class PersonStatusChoices(models.TextChoices):
    """Employment status: a leaver is still active until their end date."""

    ACTIVE = "active", "Active"
    LEAVING = "leaving", "Leaving"
    LEFT = "left", "Left"


class LocationKindChoices(models.TextChoices):
    """Levels of the location tree, outermost first."""

    REGION = "region", "Region"
    SITE = "site", "Site"
    BUILDING = "building", "Building"
    FLOOR = "floor", "Floor"
    ROOM = "room", "Room"


LOCATION_DEPTH = {kind: depth for depth, kind in enumerate(LocationKindChoices.values)}
