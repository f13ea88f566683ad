"""Forms of the operations pages (administrators: webhooks, rules, networks; everyone: their
notification preferences)."""

from __future__ import annotations

from django import forms

from .models import AllowedNetwork, EventRule, NotificationPreference, Webhook


class WebhookForm(forms.ModelForm[Webhook]):
    url = forms.URLField(max_length=500, assume_scheme="https")
    secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Signs each delivery (HMAC-SHA256); leave empty to keep the current one.",
    )

    class Meta:
        model = Webhook
        fields = ["name", "url", "headers", "body_template", "secret", "enabled", "timeout_seconds"]


class EventRuleForm(forms.ModelForm[EventRule]):
    class Meta:
        model = EventRule
        fields = ["name", "object_type", "actions", "conditions", "webhook", "enabled"]


class AllowedNetworkForm(forms.ModelForm[AllowedNetwork]):
    class Meta:
        model = AllowedNetwork
        fields = ["cidr", "note"]


class PreferencesForm(forms.ModelForm[NotificationPreference]):
    class Meta:
        model = NotificationPreference
        fields = ["in_app", "email", "digest"]
        labels = {
            "in_app": "Show notifications under the bell",
            "email": "Send them by e-mail",
            "digest": "Collect e-mails into one daily digest",
        }
