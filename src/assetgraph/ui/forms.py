"""Forms of the UI shell: login and API token creation."""

from __future__ import annotations

from typing import Any

from django import forms


class LoginForm(forms.Form):
    """Username and password; throttling and messages live in the view."""

    username = forms.CharField(
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class TokenForm(forms.Form):
    """A new API token's name, write access and optional expiry."""

    name = forms.CharField(max_length=100)
    write_enabled = forms.BooleanField(required=False, label="Allow writes")
    expires_at = forms.DateTimeField(
        required=False,
        label="Expires at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    # Checked against accounts.services.token_scopes() by the service (a field error).
    scopes = forms.MultipleChoiceField(required=False, label="Scopes", choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from assetgraph.accounts.services import token_scopes

        self.fields["scopes"].choices = [(s, s) for s in token_scopes()]  # type: ignore[attr-defined]
