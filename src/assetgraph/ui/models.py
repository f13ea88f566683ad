"""What a user keeps of a list page: the columns they chose and the filters they saved.

Why per user and in the database: people come back to the same lists every day ("my team's
laptops out of warranty"), on more than one browser. Keyed by the list's object type
(``org.person``), so renaming a page keeps them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ListLayout(models.Model):
    """The columns a user hides on one list (by label; a new column shows until hidden)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="list_layouts"
    )
    list_key = models.CharField(max_length=100)
    hidden_columns = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "list_key"], name="ui_list_layout_once")
        ]

    def __str__(self) -> str:
        return f"{self.list_key} columns of {self.user}"


class SavedFilter(models.Model):
    """A named query string of one list ("Laptops in London"), for its owner."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters"
    )
    list_key = models.CharField(max_length=100)
    name = models.CharField(max_length=100)
    query = models.CharField(max_length=2000, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "list_key", "name"], name="ui_saved_filter_name_once"
            )
        ]

    def __str__(self) -> str:
        return self.name
