"""Enumerations of the CMDB."""

from django.db import models


class OperationalStatusChoices(models.TextChoices):
    """Where a CI is in its life; ``retired`` goes with a closed validity interval."""

    PLANNED = "planned", "Planned"
    BUILDING = "building", "Building"
    LIVE = "live", "Live"
    MAINTENANCE = "maintenance", "Maintenance"
    RETIRED = "retired", "Retired"


class EnvironmentChoices(models.TextChoices):
    """The environment a CI serves."""

    PRODUCTION = "production", "Production"
    STAGING = "staging", "Staging"
    TEST = "test", "Test"
    DEVELOPMENT = "development", "Development"
    DR = "dr", "Disaster recovery"


class CriticalityChoices(models.IntegerChoices):
    """Business criticality tier: 1 is the most critical."""

    TIER_1 = 1, "Tier 1 (mission critical)"
    TIER_2 = 2, "Tier 2 (business critical)"
    TIER_3 = 3, "Tier 3 (business operational)"
    TIER_4 = 4, "Tier 4 (administrative)"


class RedundancyModeChoices(models.TextChoices):
    """How many members of a group CI must be up (iTop's setting, plus *degraded*)."""

    DISABLED = "disabled", "Disabled (every member needed)"
    COUNT = "count", "At least n members up"
    PERCENT = "percent", "At least n % of members up"


class ImpactDirectionChoices(models.TextChoices):
    """Which way a failure travels along a relationship ``source → target``.

    ``forward``: a failure of the source impacts the target (a rack contains a server).
    ``reverse``: a failure of the target impacts the source (an application runs on a VM).
    ``none``: informational only (connected to, backed up by).
    """

    FORWARD = "forward", "Forward (source failure impacts target)"
    REVERSE = "reverse", "Reverse (target failure impacts source)"
    NONE = "none", "None (informational)"


class ClassSlug(models.TextChoices):
    """Built-in classes the code gives a meaning to, marked by ``CIClass.slug`` (set on the
    seeded classes by migration 0005); a rename of the class changes nothing."""

    BUSINESS_SERVICE = "business-service", "Business Service"
    APPLICATION = "application", "Application"
    # end-user devices (laptops, desktops and whatever an administrator puts below): what
    # they lose is a service their user loses, see docs/impact.md
    END_USER_DEVICE = "endpoint", "Endpoint"
