"""Choices of the security app."""

from django.db import models


class SeverityChoices(models.TextChoices):
    """Severity bands of CVSS v3/v4 (FIRST's qualitative rating scale)."""

    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"
    NONE = "none", "None"
    UNKNOWN = "unknown", "Unknown"


SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "none": 4, "unknown": 5}


class AdvisorySourceChoices(models.TextChoices):
    """The feed format an advisory came from."""

    OSV = "osv", "OSV"
    NVD = "nvd", "NVD CVE 2.0"


class MatchKindChoices(models.TextChoices):
    """How an affected entry identifies software: a package URL, a CPE, or a source
    repository (an OSV GIT range, matched by commit)."""

    PURL = "purl", "Package URL"
    CPE = "cpe", "CPE"
    GIT = "git", "Git repository"


class FindingStatusChoices(models.TextChoices):
    """The finding workflow (docs/security.md, "Findings")."""

    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    RISK_ACCEPTED = "risk_accepted", "Risk accepted"
    FIXED = "fixed", "Fixed"


ACTIVE_STATUSES = ("open", "in_progress")


class EndOfLifeStatusChoices(models.TextChoices):
    """Where a release cycle stands against its end-of-life date."""

    SUPPORTED = "supported", "Supported"
    NEARING = "nearing", "Nearing end of life"
    PAST = "past", "Past end of life"
    UNKNOWN = "unknown", "Unknown"


class PolicyOutcomeChoices(models.TextChoices):
    """The outcome of a policy for one CI."""

    PASS = "pass", "Pass"
    FAIL = "fail", "Fail"
    EXEMPT = "exempt", "Exempt"
