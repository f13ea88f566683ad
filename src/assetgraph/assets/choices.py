"""Choice lists of the assets app: category kinds, lifecycle states and substates."""

from django.db import models


class CategoryKindChoices(models.TextChoices):
    """What kind of hardware a category holds (drives icons, reports and defaults)."""

    LAPTOP = "laptop", "Laptop"
    DESKTOP = "desktop", "Desktop"
    MONITOR = "monitor", "Monitor"
    PHONE = "phone", "Phone"
    TABLET = "tablet", "Tablet"
    SERVER = "server", "Server"
    NETWORK = "network", "Network device"
    STORAGE = "storage", "Storage"
    PERIPHERAL = "peripheral", "Peripheral"
    DOCK = "dock", "Docking station"
    HEADSET = "headset", "Headset"
    OTHER = "other", "Other"


class AssetStateChoices(models.TextChoices):
    """Top-level lifecycle states; substates refine ``in_stock`` and ``retired``."""

    ON_ORDER = "on_order", "On order"
    IN_STOCK = "in_stock", "In stock"
    IN_USE = "in_use", "In use"
    IN_REPAIR = "in_repair", "In repair"
    RETIRED = "retired", "Retired"
    MISSING = "missing", "Missing"


class AssetSubstateChoices(models.TextChoices):
    """Substates; each belongs to exactly one state (see ``lifecycle.SUBSTATES``)."""

    NONE = "", "—"
    AVAILABLE = "available", "Available"
    RESERVED = "reserved", "Reserved"
    DEFECTIVE = "defective", "Defective"
    DISPOSED = "disposed", "Disposed"
    SOLD = "sold", "Sold"
    DONATED = "donated", "Donated"
    LOST = "lost", "Lost"
    STOLEN = "stolen", "Stolen"


class AcceptanceChoices(models.TextChoices):
    """Whether the custodian accepted the asset (and the category's terms)."""

    NOT_REQUIRED = "not_required", "Not required"
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


class AuditCampaignStatusChoices(models.TextChoices):
    """A physical audit is open (scanning) until it is closed."""

    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class AuditResultChoices(models.TextChoices):
    """What a physical audit found for one expected asset or scanned tag."""

    PENDING = "pending", "Not scanned yet"
    FOUND = "found", "Found"
    MISSING = "missing", "Missing"
    UNEXPECTED = "unexpected", "Unexpected (registered elsewhere)"
    UNKNOWN = "unknown", "Unknown tag"
