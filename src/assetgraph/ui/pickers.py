"""Type-ahead pickers: every reference input searches instead of listing every option.

Why: a drop-down of every person, asset or CI stops working long before a million CIs (the
page renders every option, and a capped list silently drops the rest). A picker asks
``/pick/<object_type>/?q=…`` for at most :data:`PICK_LIMIT` suggestions among the objects
the user may view (the same ``restrict`` as every other surface, so a hidden object is never
suggested) and shows enough to tell two apart (the resource's ``picker_detail``: a person's
e-mail, department and employee number).

Short lists stay drop-downs (fewer than :data:`SELECT_LIMIT` visible options): they are
quicker to use and need no script. The widget is plain HTML enhanced by ``ui/picker.js``
(a file: the CSP forbids inline scripts and styles).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import EmptyResultSet
from django.db import models
from django.db.models import Q
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import reverse

from assetgraph.accounts.http import AuthedRequest
from assetgraph.accounts.permissions import has_perm
from assetgraph.api.crud import prime_references
from assetgraph.core import registry
from assetgraph.core.natural import NaturalSortKeyField, prefix_ranges
from assetgraph.framework.spec import Resource, resource_for

# Suggestions per request; the widget says "more…" when there are more.
PICK_LIMIT = 20
# A reference input with more visible options than this becomes a type-ahead picker.
SELECT_LIMIT = 100
# "Anywhere in the name" matching starts at this many characters.
MIN_CONTAINS = 3
# Above this many rows (estimated), a type with an indexed name key is searched by the start
# of its name only: the word and "anywhere" passes would scan the table on every keystroke.
SCAN_LIMIT = 100_000
_ID = re.compile(r"^#?(\d+)$")
_NAME_ID = re.compile(r"^(?P<name>.*?)\s*#(?P<pk>\d+)\s*$")


@dataclass(frozen=True)
class Suggestion:
    """One suggestion: the object's id, its name, the line that tells it apart, and the token
    the free-text inputs (impact, root cause, change CIs) take (``name #id``)."""

    id: int
    text: str
    detail: str
    token: str


def pickable(object_type: str) -> Resource | None:
    """The declared resource behind ``object_type`` when it can be searched (None otherwise)."""
    resource = resource_for(object_type)
    if resource is None or not resource.search_fields:
        return None
    return resource


def _words_condition(fields: tuple[str, ...], words: list[str], lookup: str) -> Q:
    """Every word matches one of the fields (``"lan tran"`` finds first name + last name)."""
    condition = Q()
    for word in words:
        either = Q()
        for name in fields:
            either |= Q(**{f"{name}__{lookup}": word})
        condition &= either
    return condition


def search(
    request: HttpRequest, resource: Resource, text: str, limit: int = PICK_LIMIT
) -> tuple[list[Any], bool]:
    """Visible objects matching ``text``, best first: an id or a declared reference
    (``CHG00002``), then prefix matches, then matches anywhere. Returns (objects, more).

    Each pass is one query cut at ``limit + 1`` rows, so the cost does not grow with the
    estate's size beyond the database's scan for the words.
    """
    queryset = resource.queryset(request).select_related(*resource.picker_related)
    ordering = resource.orderings.get(resource.default_ordering, "pk")
    queryset = queryset.order_by(ordering, "pk")
    text = text.strip()
    if not text:
        rows = list(queryset[: limit + 1])
        return rows[:limit], len(rows) > limit
    exact = Q()
    id_match = _ID.match(text) or _NAME_ID.match(text)
    if id_match:
        exact |= Q(pk=int(id_match.group(id_match.lastindex or 1)))
    if resource.reference_lookup is not None and (found := resource.reference_lookup(text)):
        exact |= found
    words = text.split()
    found_rows: list[Any] = []
    if exact:
        found_rows = list(queryset.filter(exact)[: limit + 1])
    key = _name_key(resource)
    if key is not None and len(found_rows) <= limit:
        found_rows += _key_prefix_rows(queryset, key, text, limit + 1 - len(found_rows), found_rows)
    # The word passes scan the table: only when the indexed pass left room, "anywhere in the
    # text" only from three characters (one or two letters anywhere match nearly all), and not
    # at all on a table too large to scan per keystroke when the key answered the prefix.
    lookups: tuple[str, ...] = ("istartswith", "icontains")
    if len(text) < MIN_CONTAINS:
        lookups = ("istartswith",)
    if (
        key is not None
        and len(found_rows) <= limit
        and _estimated_rows(resource.model) > SCAN_LIMIT
    ):
        lookups = ()
    for lookup in lookups:
        if len(found_rows) > limit:
            break
        seen = [obj.pk for obj in found_rows]
        more = queryset.filter(_words_condition(resource.search_fields, words, lookup))
        found_rows += list(more.exclude(pk__in=seen)[: limit + 1 - len(found_rows)])
    return found_rows[:limit], len(found_rows) > limit


def _estimated_rows(model: type[models.Model]) -> int:
    """The table's size, estimated by its highest id (one index read; a count would scan)."""
    highest = model._default_manager.order_by("-pk").values_list("pk", flat=True).first()
    return int(highest or 0)


def _name_key(resource: Resource) -> NaturalSortKeyField | None:
    """The resource's indexed natural key of a searched field (a CI's ``name_key``), if any."""
    for field in resource.model._meta.concrete_fields:
        if (
            isinstance(field, NaturalSortKeyField)
            and len(field.sources) == 1
            and field.sources[0] in resource.search_fields
        ):
            return field
    return None


def _key_prefix_rows(
    queryset: models.QuerySet[Any],
    key: NaturalSortKeyField,
    text: str,
    wanted: int,
    seen: list[Any],
) -> list[Any]:
    """The first ``wanted`` objects whose name starts with ``text``, in key order, read from
    the key's index range by range (``core.natural.prefix_ranges``): at a million CIs this
    costs what it costs at a hundred, where ``istartswith`` on the name scans the table."""
    ranges, check = prefix_ranges(text)
    found: list[Any] = []
    exclude = [obj.pk for obj in seen]
    name = key.sources[0]
    for low, high in ranges:
        rows = queryset.filter(**{f"{key.attname}__gte": low, f"{key.attname}__lt": high})
        if check:
            rows = rows.filter(**{f"{name}__istartswith": text})
        if exclude:
            rows = rows.exclude(pk__in=exclude)
        found += list(rows.order_by(key.attname, "pk")[: wanted - len(found)])
        if len(found) >= wanted:
            break
    return found


def suggestion(resource: Resource, obj: Any) -> Suggestion:
    """How a picker shows one object."""
    detail = resource.picker_detail(obj) if resource.picker_detail is not None else ""
    text = str(obj)
    return Suggestion(obj.pk, text, detail, f"{text} #{obj.pk}")


@login_required
def pick(request: AuthedRequest, object_type: str) -> JsonResponse:
    """``GET /pick/<object_type>/?q=…``: suggestions as JSON (404 for a type the user may not
    view, like every other surface)."""
    resource = pickable(object_type)
    if resource is None or not has_perm(request.user, resource.key, "view"):
        raise Http404
    try:
        limit = max(1, min(int(request.GET.get("limit", PICK_LIMIT)), 50))
    except ValueError:
        limit = PICK_LIMIT
    rows, more = search(request, resource, request.GET.get("q", "")[:200], limit)
    prime_references(request.user, resource.model, rows)  # hidden references: one query a type
    results = [suggestion(resource, obj).__dict__ for obj in rows]
    return JsonResponse({"results": results, "more": more})


def pick_url(object_type: str) -> str:
    return reverse("ui:pick", args=[object_type])


class PickerWidget(forms.Widget):
    """A type-ahead input for one reference (``multiple``: several, shown as removable chips).

    Renders the chosen object's name, not its id; the id travels in a hidden input. Without
    JavaScript the current value is kept (the page still submits).
    """

    template_name = "ui/widgets/picker.html"

    def __init__(
        self,
        object_type: str,
        queryset: models.QuerySet[Any],
        multiple: bool = False,
        attrs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(attrs)
        self.object_type = object_type
        self.queryset = queryset
        self.allow_multiple_selected = multiple

    def id_for_label(self, id_: str) -> str:
        return f"{id_}_search" if id_ else id_

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        if self.allow_multiple_selected and hasattr(data, "getlist"):
            return [v for v in data.getlist(name) if v]
        return data.get(name)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False if self.allow_multiple_selected else name not in data

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        values = value if isinstance(value, (list, tuple)) else [value]
        pks = [int(v) for v in values if str(v).strip().isdigit()]
        chosen = list(self.queryset.filter(pk__in=pks)) if pks else []
        context["widget"].update(
            {
                "url": pick_url(self.object_type),
                "multiple": self.allow_multiple_selected,
                # The chosen object by name (its detail line is for suggestions only).
                "chosen": [Suggestion(obj.pk, str(obj), "", "") for obj in chosen],
                "label": registry.get(self.object_type).label
                if registry.find(self.object_type)
                else "",
            }
        )
        return context


def use_pickers(form: forms.BaseForm, memo: dict[str, bool] | None = None) -> None:
    """Swap the drop-downs of long reference lists for type-ahead pickers.

    Called by ``prepare_form`` after the choices were limited to what the user may view; a
    list of at most :data:`SELECT_LIMIT` options stays a drop-down. ``memo`` (one per
    request) keeps the answer per choice list, so a formset asks once, not once per row.
    """
    for form_field in form.fields.values():
        if not isinstance(form_field, forms.ModelChoiceField) or form_field.queryset is None:
            continue
        key = registry.object_type_key(form_field.queryset.model)
        declared = resource_for(key)
        if declared is not None and declared.select_related:
            # A drop-down's labels are the options' names, which may name a related object
            # (a budget: its cost centre): joined once, not one query per option.
            form_field.queryset = form_field.queryset.select_related(*declared.select_related)
        if pickable(key) is None:
            continue
        try:
            sql = str(form_field.queryset.query)
        except EmptyResultSet:  # an empty queryset (``.none()``): a drop-down of nothing
            continue
        if memo is not None and sql in memo:
            long_list = memo[sql]
        else:
            sample = form_field.queryset.values_list("pk", flat=True)[: SELECT_LIMIT + 1]
            long_list = len(sample) > SELECT_LIMIT
            if memo is not None:
                memo[sql] = long_list
        if not long_list:
            continue
        multiple = isinstance(form_field, forms.ModelMultipleChoiceField)
        widget = PickerWidget(key, form_field.queryset, multiple, form_field.widget.attrs)
        widget.is_required = form_field.required
        form_field.widget = widget


__all__ = [
    "PICK_LIMIT",
    "SELECT_LIMIT",
    "PickerWidget",
    "Suggestion",
    "pick",
    "pickable",
    "search",
    "suggestion",
    "use_pickers",
]


class TextPickerWidget(forms.Textarea):
    """A free-text list of references (one per line: ``name #id``, an id or an exact name)
    with type-ahead: the chosen suggestion replaces the line being typed. The text stays
    the value, so pasting a list from a ticket still works."""

    template_name = "ui/widgets/text_picker.html"

    def __init__(self, object_type: str, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(
            {
                **(attrs or {}),
                "autocomplete": "off",
                "role": "combobox",
                "aria-autocomplete": "list",
                "aria-expanded": "false",
            }
        )
        self.object_type = object_type

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        widget["url"] = pick_url(self.object_type)
        widget["attrs"]["class"] = f"{widget['attrs'].get('class', '')} picker-input".strip()
        widget["attrs"]["aria-controls"] = f"{widget['attrs'].get('id', name)}_list"
        return context
