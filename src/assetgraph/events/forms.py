"""Forms of the operations pages (administrators: webhooks, rules, networks; everyone: their
notification preferences)."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import AllowedNetwork, EventRule, NotificationPreference, Webhook
from .signing import generate_secret


class WebhookForm(forms.ModelForm[Webhook]):
    url = forms.URLField(max_length=500, assume_scheme="https")
    secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=(
            "Signs each delivery (Standard Webhooks, HMAC-SHA256): whsec_ and base64. "
            "Leave empty to keep the current one."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """A new webhook is offered a fresh secret, shown once so it can be copied to the
        receiver; an existing one's secret is never shown (a password field left empty)."""
        super().__init__(*args, **kwargs)
        if self.instance.pk is None and not self.is_bound:
            self.fields["secret"].widget = forms.TextInput()
            self.fields["secret"].initial = generate_secret()
            self.fields["secret"].help_text = (
                "A fresh Standard Webhooks secret: copy it to your receiver now, it is not "
                "shown again. Clear it to send unsigned deliveries."
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
