"""Forms of the assets pages (validation itself lives in the models and services)."""

from __future__ import annotations

from typing import Any

from django import forms

from assetgraph.core.attributes import AttributeType, clean_attributes, public_values
from assetgraph.core.errors import ValidationFailed
from assetgraph.org.choices import PersonStatusChoices
from assetgraph.org.models import Location, Person

from .choices import AssetSubstateChoices
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
    """Identity and purchase data; custom fields are :class:`CustomFieldsForm` beside it.

    Choosing another model re-renders the custom fields block over HTMX (the category, and
    so the field set, follows the model).
    """

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
        ]
        widgets = {"purchase_date": DATE, "warranty_end": DATE, "eol_date": DATE}

    def __init__(self, *args: Any, fields_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if fields_url:
            self.fields["model"].widget.attrs.update(
                {
                    "hx-get": fields_url,
                    "hx-target": "#custom-fields",
                    "hx-trigger": "change",
                    "hx-include": "closest form",
                }
            )


ATTRIBUTE_PREFIX = "attributes."
_PLACEHOLDERS = {
    AttributeType.IP: "192.0.2.10",
    AttributeType.CIDR: "10.0.0.0/24",
    AttributeType.MAC: "00:1a:2b:3c:4d:5e",
    AttributeType.VERSION: "1.2.3",
    AttributeType.REFERENCE: "#id",
}


def _attribute_input(definition: CustomField) -> forms.Field:
    """One typed input for a custom field. Values stay raw here: ``clean_attributes`` (the
    mechanism every surface shares) coerces and validates them."""
    kind = definition.type
    attrs: dict[str, Any] = {}
    widget: forms.Widget
    if kind == AttributeType.BOOLEAN:
        return forms.BooleanField(required=False, label=definition.label)
    if kind in (AttributeType.INTEGER, AttributeType.DECIMAL):
        attrs["step"] = "1" if kind == AttributeType.INTEGER else "any"
        if definition.minimum is not None:
            attrs["min"] = format(definition.minimum.normalize(), "f")
        if definition.maximum is not None:
            attrs["max"] = format(definition.maximum.normalize(), "f")
        widget = forms.NumberInput(attrs=attrs)
    elif kind == AttributeType.DATE:
        widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    elif kind == AttributeType.CHOICE:
        widget = forms.Select(choices=[("", "—"), *((c, c) for c in definition.choices)])
    elif kind == AttributeType.URL:
        widget = forms.URLInput(attrs={"placeholder": "https://"})
    else:
        if kind in _PLACEHOLDERS:
            attrs["placeholder"] = _PLACEHOLDERS[AttributeType(kind)]
        if kind == AttributeType.TEXT and definition.pattern:
            attrs["pattern"] = definition.pattern
        widget = forms.TextInput(attrs=attrs)
    return forms.CharField(required=False, label=definition.label, widget=widget, strip=True)


class CustomFieldsForm(forms.Form):
    """One typed input per custom field of a category (``attributes.<key>``).

    ``clean`` validates all of them at once with :func:`clean_attributes`, so every bad
    value is shown next to its own input; :attr:`raw_values` is what the service receives
    (it validates again, with the same code).
    """

    def __init__(
        self,
        *args: Any,
        definitions: list[CustomField],
        current: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", {})
        for key, value in public_values(current).items():
            kwargs["initial"].setdefault(ATTRIBUTE_PREFIX + key, value)
        super().__init__(*args, **kwargs)
        self.definitions = definitions
        for definition in definitions:
            form_field = _attribute_input(definition)
            form_field.help_text = definition.help_text
            self.fields[ATTRIBUTE_PREFIX + definition.key] = form_field
        self.raw_values: dict[str, Any] = {}

    def required_keys(self) -> set[str]:
        return {ATTRIBUTE_PREFIX + d.key for d in self.definitions if d.required}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        raw = {d.key: cleaned.get(ATTRIBUTE_PREFIX + d.key) for d in self.definitions}
        try:
            clean_attributes(self.definitions, raw)
        except ValidationFailed as exc:
            self.add_service_errors(exc.fields)
        self.raw_values = raw
        return cleaned

    def add_service_errors(self, errors: dict[str, list[str]]) -> bool:
        """Place ``attributes.<key>`` errors on their inputs; True if any was placed."""
        placed = False
        for name, messages in errors.items():
            if name in self.fields:
                for message in messages:
                    if message not in self.errors.get(name, []):
                        self.add_error(name, message)
                placed = True
        return placed


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
    # A choice, not free text: the substates a transition can land in (the service checks
    # which one fits the target state and names the field if it does not).
    substate = forms.ChoiceField(
        required=False,
        choices=[("", "—")] + [(c.value, c.label) for c in AssetSubstateChoices if c.value],
        help_text="Retiring: disposed, sold, donated, lost or stolen.",
    )
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    recipient = forms.CharField(required=False, label="Disposal: recipient")
    certificate_number = forms.CharField(required=False, label="Disposal: certificate number")
    proceeds = forms.DecimalField(required=False, label="Disposal: proceeds")
    currency = forms.CharField(required=False, max_length=3, label="Disposal: currency")
    confirm_impact = forms.BooleanField(
        required=False,
        label="I have read what depends on it: take it out of service anyway",
        help_text="Needed when a tier-1 service would go down or a redundancy group would lose "
        "its last spare.",
    )

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


class KitItemForm(forms.Form):
    """One line of a kit: a model, how many, or remove it."""

    model = forms.ModelChoiceField(AssetModel.objects.all(), required=False, label="Model")
    quantity = forms.IntegerField(min_value=1, max_value=1000, required=False, label="Quantity")
    remove = forms.BooleanField(required=False, label="Remove")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("model") is None and cleaned.get("quantity") and not cleaned.get("remove"):
            self.add_error("model", "choose the model of this line")
        return cleaned


KitItemFormSet = forms.formset_factory(KitItemForm, extra=3, max_num=100, validate_max=True)
