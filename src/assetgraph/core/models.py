"""Abstract base models shared by every domain app."""

from __future__ import annotations

from django.db import models


class TimestampedModel(models.Model):
    """Adds ``created``/``updated`` stamps; the audit spine holds who and what changed."""

    created = models.DateTimeField(auto_now_add=True, editable=False)
    updated = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        abstract = True
