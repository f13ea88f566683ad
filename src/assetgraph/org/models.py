"""People, departments, cost centres, locations (a tree) and companies."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from assetgraph.core.models import TimestampedModel
from assetgraph.core.natural import NaturalSortKeyField

from .choices import LOCATION_DEPTH, LocationKindChoices, PersonStatusChoices

PATH_SEPARATOR = " / "


class Company(TimestampedModel):
    """An external organisation: supplier, manufacturer and/or service provider."""

    name = models.CharField(max_length=200, unique=True)
    # "Acme 2" before "Acme 10", case-insensitive: what lists sort by (core.natural).
    name_key = NaturalSortKeyField(source="name")
    is_supplier = models.BooleanField(default=False)
    is_manufacturer = models.BooleanField(default=False)
    is_service_provider = models.BooleanField(default=False)
    website = models.URLField(blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name_key", "id"]
        verbose_name_plural = "companies"

    def __str__(self) -> str:
        return self.name

    @property
    def roles(self) -> list[str]:
        """The company's roles as words, for display."""
        flags = [
            (self.is_supplier, "supplier"),
            (self.is_manufacturer, "manufacturer"),
            (self.is_service_provider, "service provider"),
        ]
        return [label for flag, label in flags if flag]


class CostCentre(TimestampedModel):
    """A cost centre costs are booked to (finance owns the code list)."""

    code = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=200)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "cost centre"
        verbose_name_plural = "cost centres"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Department(TimestampedModel):
    """A department or team; teams nest under departments via ``parent``."""

    name = models.CharField(max_length=200)
    name_key = NaturalSortKeyField(source="name")
    code = models.CharField(max_length=30, unique=True, null=True, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    cost_centre = models.ForeignKey(
        CostCentre, null=True, blank=True, on_delete=models.PROTECT, related_name="departments"
    )
    head = models.ForeignKey(
        "Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="heads"
    )

    class Meta:
        ordering = ["name_key", "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"), "parent", name="org_department_unique_name_in_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk == self.pk and self.pk is not None:
                raise ValidationError({"parent": "a department cannot be inside itself"})
            ancestor = ancestor.parent


class Location(TimestampedModel):
    """A node of the location tree: region → site → building → floor → room.

    ``path`` (``"EMEA / London / HQ"``) is derived from the ancestors' names, kept current by
    the service on rename and move; it is the import upsert key and makes subtree queries a
    prefix match.
    """

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=LocationKindChoices.choices)
    # "server2" before "server10", case-insensitive: what lists sort by (core.natural).
    name_key = NaturalSortKeyField(source="name")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=600, unique=True, editable=False)
    address = models.TextField(blank=True)
    city = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code")
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="org_location_unique_name_in_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.path or self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if PATH_SEPARATOR.strip() in self.name:
            errors["name"] = "a location name cannot contain '/'"
        if self.parent is not None:
            if (
                self.kind
                and self.parent.kind
                and LOCATION_DEPTH[self.kind] <= LOCATION_DEPTH[self.parent.kind]
            ):
                errors["kind"] = f"a {self.kind} cannot sit inside a {self.parent.kind}"
            ancestor: Location | None = self.parent
            while ancestor is not None:
                if self.pk is not None and ancestor.pk == self.pk:
                    errors["parent"] = "a location cannot be inside itself"
                    break
                ancestor = ancestor.parent
        if self.country and (
            len(self.country) != 2 or not self.country.isalpha() or not self.country.isupper()
        ):
            errors["country"] = "use a two-letter upper-case ISO code, e.g. GB"
        if errors:
            raise ValidationError(errors)

    def compute_path(self) -> str:
        """The path from the root to this location, by names."""
        prefix = f"{self.parent.path}{PATH_SEPARATOR}" if self.parent is not None else ""
        return f"{prefix}{self.name}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.path = self.compute_path()
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class Person(TimestampedModel):
    """An employee or contractor: the custodian of assets and the member of teams."""

    employee_number = models.CharField(max_length=64, unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    # Last name, then first name, natural and case-insensitive ("de Vries" with "De Vries").
    name_key = NaturalSortKeyField(source=("last_name", "first_name"))
    email = models.EmailField(blank=True)
    job_title = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="people"
    )
    cost_centre = models.ForeignKey(
        CostCentre, null=True, blank=True, on_delete=models.PROTECT, related_name="people"
    )
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="people"
    )
    status = models.CharField(
        max_length=20, choices=PersonStatusChoices.choices, default=PersonStatusChoices.ACTIVE
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )

    class Meta:
        ordering = ["name_key", "id"]
        verbose_name_plural = "people"
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="org_person_name_idx"),
            models.Index(Lower("email"), name="org_person_email_idx"),
            models.Index(fields=["status"], name="org_person_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def full_name(self) -> str:
        """First and last name."""
        return str(self)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = "the end date is before the start date"
        if self.status == PersonStatusChoices.LEFT and not self.end_date:
            errors["end_date"] = "a person who has left needs an end date"
        if self.manager_id is not None and self.pk is not None:
            seen: set[int] = set()
            boss = self.manager
            while boss is not None and boss.pk not in seen:
                if boss.pk == self.pk:
                    errors["manager"] = "a person cannot manage themselves, directly or indirectly"
                    break
                seen.add(boss.pk)
                boss = boss.manager
        if errors:
            raise ValidationError(errors)
