"""Change records (planned work on CIs) and blackout windows (when changes should not run).

A change names the CIs it touches and whether each is taken down; the impact of the change is
computed from the estate graph when asked (:mod:`assetgraph.changes.assessment`), never stored, so
it always reflects today's relationships and redundancy. State moves only through the
transition table of :mod:`assetgraph.changes.lifecycle` (``state`` is not editable).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from assetgraph.core.models import TimestampedModel

from .lifecycle import ChangeStateChoices, ChangeTypeChoices

# ``CHG00002``, ``chg2``, ``CHG-2``: the number people quote for a change.
_CHANGE_NUMBER = re.compile(r"^\s*CHG[-\s]?0*(\d+)\s*$", re.IGNORECASE)


def parse_change_number(text: str) -> int | None:
    """The id behind a change number (``CHG00002`` → 2), or None when ``text`` is not one.

    Why: people quote changes by number, in tickets and chat; every surface that names a
    change (pages, pickers, search, the CLI) takes the number as well as the id.
    """
    match = _CHANGE_NUMBER.match(str(text))
    return int(match.group(1)) if match else None


def change_number_condition(text: str) -> Q | None:
    """The filter a change number stands for (None when ``text`` is not one)."""
    pk = parse_change_number(text)
    return None if pk is None else Q(pk=pk)


class ChangeRecord(TimestampedModel):
    """A planned change: what is done, when, to which CIs, by whom, and where it stands."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    change_type = models.CharField(
        max_length=10, choices=ChangeTypeChoices.choices, default=ChangeTypeChoices.NORMAL
    )
    state = models.CharField(
        max_length=12,
        choices=ChangeStateChoices.choices,
        default=ChangeStateChoices.DRAFT,
        editable=False,
    )
    planned_start = models.DateTimeField(null=True, blank=True)
    planned_end = models.DateTimeField(null=True, blank=True)
    actual_start = models.DateTimeField(null=True, blank=True, editable=False)
    actual_end = models.DateTimeField(null=True, blank=True, editable=False)
    requester = models.ForeignKey(
        "org.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requested_changes",
    )
    owner = models.ForeignKey(
        "org.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="owned_changes"
    )
    team = models.ForeignKey(
        "org.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="changes",
        help_text="The team that implements the change.",
    )
    outcome = models.TextField(
        blank=True, editable=False, help_text="Why it failed or was cancelled."
    )
    cis = models.ManyToManyField("cmdb.CI", through="ChangeCI", related_name="changes")

    class Meta:
        db_table = "impact_changerecord"  # created by the impact app before changes was split out
        ordering = ["-planned_start", "-id"]
        verbose_name = "change"
        verbose_name_plural = "changes"
        indexes = [
            models.Index(fields=["planned_start", "planned_end"], name="impact_change_window_idx"),
            models.Index(fields=["state", "planned_start"], name="impact_change_state_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end__isnull=True)
                | Q(planned_start__isnull=True)
                | Q(planned_end__gt=F("planned_start")),
                name="impact_change_window_order",
            )
        ]

    def __str__(self) -> str:
        return f"CHG{self.pk or 0:05d} {self.title}"

    @property
    def number(self) -> str:
        """The human reference, ``CHG00042``."""
        return f"CHG{self.pk or 0:05d}"

    def clean(self) -> None:
        if self.planned_start and self.planned_end and self.planned_end <= self.planned_start:
            raise ValidationError({"planned_end": "must be after the planned start"})


class ChangeCI(models.Model):
    """A CI a change touches; ``takes_down`` says whether it is out of service meanwhile."""

    change = models.ForeignKey(ChangeRecord, on_delete=models.CASCADE, related_name="items")
    ci = models.ForeignKey("cmdb.CI", on_delete=models.PROTECT, related_name="change_items")
    takes_down = models.BooleanField(default=True)

    class Meta:
        db_table = "impact_changeci"
        ordering = ["change", "ci__name"]
        verbose_name = "changed CI"
        verbose_name_plural = "changed CIs"
        constraints = [
            models.UniqueConstraint(fields=["change", "ci"], name="impact_changeci_unique")
        ]

    def __str__(self) -> str:
        return f"{self.ci_id}{' (down)' if self.takes_down else ''}"


class BlackoutWindow(TimestampedModel):
    """A period in which changes should not run (month-end close, a launch, a holiday).

    With no scope it applies to every change; with a scope (services or any CIs) it applies to
    changes that touch or impact one of those CIs.
    """

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    scope = models.ManyToManyField(
        "cmdb.CI",
        blank=True,
        related_name="blackout_windows",
        db_table="impact_blackoutwindow_scope",
    )

    class Meta:
        db_table = "impact_blackoutwindow"
        ordering = ["start", "id"]
        verbose_name = "blackout window"
        verbose_name_plural = "blackout windows"
        indexes = [models.Index(fields=["start", "end"], name="impact_blackout_window_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="impact_blackout_window_order"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": "must be after the start"})
