"""Choice lists of the stock app."""

from django.db import models


class StockKindChoices(models.TextChoices):
    """How an item is used: lent and returned, used up, or built into an asset."""

    ACCESSORY = "accessory", "Accessory"
    CONSUMABLE = "consumable", "Consumable"
    COMPONENT = "component", "Component"


class MovementReasonChoices(models.TextChoices):
    """Why stock moved; every ledger line has exactly one."""

    RECEIVED = "received", "Received"
    ISSUED = "issued", "Issued"
    RETURNED = "returned", "Returned"
    TRANSFERRED = "transferred", "Transferred"
    COUNTED = "counted", "Counted (adjustment)"
    WRITTEN_OFF = "written_off", "Written off"


class ApprovalChoices(models.TextChoices):
    """Who approves requests of a catalogue entry."""

    MANAGER = "manager", "The requester's manager"
    HELPDESK = "helpdesk", "The helpdesk"
    NONE = "none", "Nobody (approved on submission)"


class RequestStateChoices(models.TextChoices):
    """Where a self-service request stands (see ``requests.TRANSITIONS``)."""

    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    FULFILLED = "fulfilled", "Fulfilled"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


class ReservationStateChoices(models.TextChoices):
    """A booking is open until it is picked up (the check-out closes it) or cancelled."""

    BOOKED = "booked", "Booked"
    PICKED_UP = "picked_up", "Picked up"
    CANCELLED = "cancelled", "Cancelled"


class MaintenanceKindChoices(models.TextChoices):
    """What was done to an asset."""

    REPAIR = "repair", "Repair"
    UPGRADE = "upgrade", "Upgrade"
    INSPECTION = "inspection", "Inspection"
    WARRANTY_CLAIM = "warranty_claim", "Warranty claim"
