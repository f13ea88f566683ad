"""Forms for organisation pages (validation itself lives in the models and services)."""

from __future__ import annotations

from django import forms

from .models import Company, CostCentre, Department, Location, Person

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CompanyForm(forms.ModelForm[Company]):
    website = forms.URLField(required=False, assume_scheme="https")

    class Meta:
        model = Company
        fields = [
            "name",
            "is_supplier",
            "is_manufacturer",
            "is_service_provider",
            "website",
            "email",
            "phone",
            "notes",
        ]


class CostCentreForm(forms.ModelForm[CostCentre]):
    class Meta:
        model = CostCentre
        fields = ["code", "name", "active"]


class DepartmentForm(forms.ModelForm[Department]):
    class Meta:
        model = Department
        fields = ["name", "code", "parent", "cost_centre", "head"]


class LocationForm(forms.ModelForm[Location]):
    class Meta:
        model = Location
        fields = ["name", "kind", "parent", "address", "city", "postcode", "country", "notes"]


class PersonForm(forms.ModelForm[Person]):
    class Meta:
        model = Person
        fields = [
            "employee_number",
            "first_name",
            "last_name",
            "email",
            "job_title",
            "phone",
            "department",
            "cost_centre",
            "manager",
            "location",
            "status",
            "start_date",
            "end_date",
        ]
        widgets = {"start_date": DATE, "end_date": DATE}
