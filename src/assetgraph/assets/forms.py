"""Forms of the assets pages (validation itself lives in the models and services)."""

from __future__ import annotations

from typing import Any

from django import forms

from assetgraph.org.choices import PersonStatusChoices
from assetgraph.org.models import Location, Person

from .lifecycle import TRANSITIONS
from .models import Asset, AssetModel, Category, CustomField, Kit

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CategoryForm(forms.ModelForm[Category]):
    class Meta:
        model = Category
        fields = [
            "name",
            "kind",
            "requires_acceptance",
            "acceptance_terms",
            "audit_interval_months",
        ]


class AssetModelForm(forms.ModelForm[AssetModel]):
    class Meta:
        model = AssetModel
        fields = [
            "name",
            "model_number",
            "category",
            "manufacturer",
            "default_warranty_months",
            "eol_months",
            "specs",
        ]


class CustomFieldForm(forms.ModelForm[CustomField]):
    class Meta:
        model = CustomField
        fields = [
            "key",
            "label",
            "type",
            "categories",
            "required",
            "recommended",
            "choices",
            "minimum",
            "maximum",
            "pattern",
            "help_text",
            "weight",
        ]


class KitForm(forms.ModelForm[Kit]):
    class Meta:
        model = Kit
        fields = ["name", "description"]


class AssetForm(forms.ModelForm[Asset]):
    """Identity and purchase data; custom fields as a JSON object (``{"ram_gb": 32}``)."""

    asset_tag = forms.CharField(
        max_length=50, required=False, help_text="Leave blank to generate one."
    )

    class Meta:
        model = Asset
        fields = [
            "asset_tag",
            "name",
            "model",
            "serial_number",
            "location",
            "supplier",
            "order_number",
            "invoice_number",
            "purchase_date",
            "cost",
            "currency",
            "warranty_end",
            "eol_date",
            "notes",
            "attributes",
        ]
        widgets = {"purchase_date": DATE, "warranty_end": DATE, "eol_date": DATE}
        help_texts = {"attributes": 'Custom fields as JSON, e.g. {"ram_gb": 32}.'}


class CheckoutForm(forms.Form):
    """Exactly one target; the service enforces it and names the fields."""

    to_person = forms.ModelChoiceField(
        Person.objects.exclude(status=PersonStatusChoices.LEFT), required=False, label="Person"
    )
    to_location = forms.ModelChoiceField(Location.objects.all(), required=False, label="Location")
    to_asset = forms.ModelChoiceField(
        Asset.objects.none(), required=False, label="Asset (e.g. a workstation)"
    )
    expected_return = forms.DateField(required=False, widget=DATE)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, asset: Asset, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["to_asset"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Asset.objects.exclude(pk=asset.pk).exclude(state="retired")


class CheckinForm(forms.Form):
    condition_notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    defective = forms.BooleanField(required=False, label="Returned defective")


class TransitionForm(forms.Form):
    """A lifecycle transition; disposal fields apply to retirements that need a record."""

    transition = forms.ChoiceField(choices=[])
    substate = forms.CharField(required=False, help_text="e.g. disposed, sold, lost")
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    recipient = forms.CharField(required=False, label="Disposal: recipient")
    certificate_number = forms.CharField(required=False, label="Disposal: certificate number")
    proceeds = forms.DecimalField(required=False, label="Disposal: proceeds")
    currency = forms.CharField(required=False, max_length=3, label="Disposal: currency")

    def __init__(self, *args: Any, names: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["transition"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(n, TRANSITIONS[n].label) for n in names]


class IssueKitForm(forms.Form):
    people = forms.ModelMultipleChoiceField(
        Person.objects.exclude(status=PersonStatusChoices.LEFT), label="New hires"
    )
    expected_return = forms.DateField(required=False, widget=DATE)
