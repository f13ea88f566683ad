"""Forms for CMDB pages. A CI form grows one typed input per attribute of the CI's class;
validation itself lives in the model and services (errors come back as ``attributes.<key>``)."""

from __future__ import annotations

from typing import Any

from django import forms

from assetgraph.core.attributes import AttributeType, public_values

from .choices import OperationalStatusChoices
from .models import CI, CIClass, ClassAttribute, RelationshipType

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ATTRIBUTE_PREFIX = "attributes."


class CIClassForm(forms.ModelForm[CIClass]):
    identification_key = forms.CharField(
        required=False, help_text="Attribute keys identifying a CI on import, comma-separated."
    )

    class Meta:
        model = CIClass
        fields = ["name", "parent", "description", "icon", "is_group", "identification_key"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["identification_key"] = ", ".join(self.instance.identification_key)

    def clean_identification_key(self) -> list[str]:
        raw = self.cleaned_data.get("identification_key") or ""
        return [k.strip() for k in raw.split(",") if k.strip()]


class ClassAttributeForm(forms.ModelForm[ClassAttribute]):
    class Meta:
        model = ClassAttribute
        fields = [
            "ci_class",
            "key",
            "label",
            "type",
            "required",
            "recommended",
            "choices",
            "minimum",
            "maximum",
            "pattern",
            "reference_type",
            "help_text",
            "weight",
        ]


class RelationshipTypeForm(forms.ModelForm[RelationshipType]):
    class Meta:
        model = RelationshipType
        fields = ["name", "reverse_name", "impact_direction", "is_membership", "description"]


def attribute_field(definition: ClassAttribute) -> forms.Field:
    """A typed form input for one attribute definition."""
    common: dict[str, Any] = {
        "label": definition.label,
        "required": definition.required,
        "help_text": definition.help_text,
    }
    kind = definition.type
    if kind == AttributeType.BOOLEAN:
        return forms.NullBooleanField(**common)
    if kind == AttributeType.INTEGER:
        return forms.IntegerField(**common)
    if kind == AttributeType.DECIMAL:
        return forms.DecimalField(**common)
    if kind == AttributeType.DATE:
        return forms.DateField(widget=DATE, **common)
    if kind == AttributeType.CHOICE:
        return forms.ChoiceField(
            choices=[("", "—"), *[(c, c) for c in definition.choices]], **common
        )
    if kind == AttributeType.URL:
        return forms.URLField(assume_scheme="https", **common)
    return forms.CharField(**common)


class CIForm(forms.ModelForm[CI]):
    """The CI's own fields plus its class's attributes (as ``attributes.<key>``)."""

    class Meta:
        model = CI
        fields = [
            "name",
            "ci_class",
            "operational_status",
            "environment",
            "criticality",
            "owning_team",
            "support_group",
            "location",
            "description",
            "source",
            "redundancy_mode",
            "redundancy_value",
            "planned_retirement",
        ]
        widgets = {"planned_retirement": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args: Any, ci_class: CIClass | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ci_class = ci_class or (self.instance.ci_class if self.instance.pk else None)
        status = self.fields["operational_status"]
        assert isinstance(status, forms.ChoiceField)
        status.choices = [
            (value, label)
            for value, label in OperationalStatusChoices.choices
            if value != OperationalStatusChoices.RETIRED
        ]
        if self.ci_class is None:
            return
        self.initial.setdefault("ci_class", self.ci_class.pk)
        values = public_values(self.instance.attributes) if self.instance.pk else {}
        self.definitions = self.ci_class.effective_attributes()
        for definition in self.definitions:
            name = f"{ATTRIBUTE_PREFIX}{definition.key}"
            self.fields[name] = attribute_field(definition)
            if definition.key in values:
                self.initial[name] = values[definition.key]

    def service_values(self) -> dict[str, Any]:
        """Cleaned values for the service, attributes folded into one dict."""
        values: dict[str, Any] = {}
        attributes: dict[str, Any] = {}
        for name in self.fields:
            if name not in self.cleaned_data:
                continue
            value = self.cleaned_data[name]
            if name.startswith(ATTRIBUTE_PREFIX):
                attributes[name.removeprefix(ATTRIBUTE_PREFIX)] = (
                    None if value in ("", None) else value
                )
            else:
                values[name] = value
        values["attributes"] = attributes
        return values
