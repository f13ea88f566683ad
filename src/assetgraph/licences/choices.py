"""Enumerations of the licences app: metrics, terms, version rights, scopes, statuses."""

from django.db import models


class MetricChoices(models.TextChoices):
    """How rights are counted (docs/licences.md explains each with a worked example)."""

    USER = "user", "Per named user"
    DEVICE = "device", "Per device"
    INSTALLATION = "installation", "Per installation"
    CORE = "core", "Per core"
    PROCESSOR = "processor", "Per processor"
    CONCURRENT = "concurrent", "Concurrent users"
    SITE = "site", "Site"
    ENTERPRISE = "enterprise", "Enterprise (unlimited)"
    SUBSCRIPTION = "subscription", "Subscription seats (SaaS)"


# Metrics whose rights are unlimited inside their scope: no quantity.
UNLIMITED_METRICS = frozenset({MetricChoices.SITE, MetricChoices.ENTERPRISE})
# Metrics whose seats are allocated to people (a device allocation makes no sense).
PERSON_METRICS = frozenset(
    {MetricChoices.USER, MetricChoices.CONCURRENT, MetricChoices.SUBSCRIPTION}
)
# Metrics whose seats go to devices.
DEVICE_METRICS = frozenset({MetricChoices.DEVICE, MetricChoices.INSTALLATION})
# Metrics counted on hardware (cores or processors), never allocated seat by seat.
HARDWARE_METRICS = frozenset({MetricChoices.CORE, MetricChoices.PROCESSOR})


class TermChoices(models.TextChoices):
    PERPETUAL = "perpetual", "Perpetual"
    SUBSCRIPTION = "subscription", "Subscription"


class VersionRightsChoices(models.TextChoices):
    THIS = "this", "This version only"
    DOWNGRADE = "downgrade", "This version and earlier (downgrade rights)"


class ScopeChoices(models.TextChoices):
    ORGANISATION = "organisation", "Whole organisation"
    DEPARTMENT = "department", "Department"
    LOCATION = "location", "Location (subtree)"


class StatusChoices(models.TextChoices):
    """The compliance status of one position row."""

    COMPLIANT = "compliant", "Compliant"
    UNDER = "under", "Under-licensed"
    OVER = "over", "Over-licensed"
    UNLICENSED = "unlicensed", "Unlicensed"
