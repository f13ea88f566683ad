"""The one permission check: ``restrict(queryset, user, action)`` and its helpers.

Every surface (UI, API, search, exports, reports, impact results) narrows querysets with
:func:`restrict`. A user's grants come from enabled ``ObjectPermission`` rows assigned directly
or through roles; a grant may carry constraints (filters) that limit which objects it covers.
Objects outside every grant are invisible: surfaces answer 404, never 403.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.db.models import Q

from assetgraph.core import registry
from assetgraph.core.actor import Actor
from assetgraph.core.errors import NotFound, PermissionDenied, ValidationFailed

M = TypeVar("M", bound=models.Model)
_CACHE_ATTR = "_assetgraph_grants"
# A grant list containing None means "unconstrained".
Grants = dict[tuple[str, str], list[list[dict[str, Any]] | None]]


def _grants(user: Any) -> Grants:
    cached: Grants | None = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    from .models import ObjectPermission

    grants: Grants = defaultdict(list)
    rows = (
        ObjectPermission.objects.filter(enabled=True)
        .filter(Q(users=user) | Q(roles__users=user))
        .distinct()
        .values_list("object_types", "actions", "constraints")
    )
    for object_types, actions, constraints in rows:
        normalised = _as_list(constraints)
        for object_type in object_types:
            for action in actions:
                grants[(object_type, action)].append(normalised)
    setattr(user, _CACHE_ATTR, dict(grants))
    return dict(grants)


def clear_cache(user: Any) -> None:
    """Forget cached grants (after roles or permissions change within a request)."""
    for attr in (_CACHE_ATTR, _SEEN_ATTR):
        if hasattr(user, attr):
            delattr(user, attr)


def _as_list(constraints: Any) -> list[dict[str, Any]] | None:
    if constraints in (None, {}, []):
        return None
    if isinstance(constraints, dict):
        return [constraints]
    return list(constraints)


def _active(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def has_perm(user: Any, object_type: str, action: str) -> bool:
    """Whether the user holds ``action`` on ``object_type`` for at least some objects."""
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    return bool(_grants(user).get((object_type, action)))


def sees_all(user: Any, model: type[models.Model] | str, action: str = "view") -> bool:
    """Whether ``restrict`` would leave every object of the type: lets callers skip a subquery
    for the common, unconstrained case."""
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    key = model if isinstance(model, str) else registry.object_type_key(model)
    return any(g is None for g in _grants(user).get((key, action), ()))


def restrict_related(
    queryset: models.QuerySet[M],
    path: str,
    related: type[models.Model],
    user: Any,
    action: str = "view",
    *,
    keep_null: bool = False,
) -> models.QuerySet[M]:
    """Narrow ``queryset`` to rows whose ``path`` points at a ``related`` object the user may
    ``action`` (one ``IN (subquery)`` in SQL, none when the user sees every such object).

    For surfaces that list one type's rows about another type's objects (a campaign's items
    about assets), so a constraint on the other type is honoured there too. ``keep_null``
    keeps rows that point at nothing.
    """
    if sees_all(user, related, action):
        return queryset
    visible = Q(**{f"{path}__in": restrict(related._default_manager.all(), user, action)})
    if keep_null:
        visible |= Q(**{f"{path}__isnull": True})
    return queryset.filter(visible)


def restrict(queryset: models.QuerySet[M], user: Any, action: str = "view") -> models.QuerySet[M]:
    """Narrow ``queryset`` to the objects ``user`` may perform ``action`` on."""
    if not _active(user):
        return queryset.none()
    if user.is_superuser:
        return queryset
    key = registry.object_type_key(queryset.model)
    grants = _grants(user).get((key, action))
    if not grants:
        return queryset.none()
    if any(g is None for g in grants):
        return queryset
    condition = Q()
    distinct = False
    for grant in grants:
        assert grant is not None
        for constraint in grant:
            q, many = _constraint_q(queryset.model, constraint, user)
            condition |= q
            distinct = distinct or many
    narrowed = queryset.filter(condition)
    return narrowed.distinct() if distinct else narrowed


_SEEN_ATTR = "_assetgraph_seen"


def can_view(user: Any, obj: models.Model) -> bool:
    """Whether ``user`` may see ``obj``: the rule for showing a reference by name.

    Unconstrained grants (and no grant at all) answer without a query; a constrained grant
    asks the database once per object and remembers the answer on the user for the request.
    """
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    key = registry.object_type_key(obj)
    grants = _grants(user).get((key, "view"))
    if not grants:
        return False
    if any(g is None for g in grants):
        return True
    seen: dict[tuple[str, Any], bool] = getattr(user, _SEEN_ATTR, None) or {}
    if (key, obj.pk) not in seen:
        model = type(obj)
        seen[(key, obj.pk)] = restrict(model._default_manager.filter(pk=obj.pk), user).exists()
        setattr(user, _SEEN_ATTR, seen)
    return seen[(key, obj.pk)]


def prime_visibility(user: Any, model: type[models.Model], pks: Iterable[Any]) -> None:
    """Answer :func:`can_view` for many objects of one type in one query (a list page's
    references), so rendering them costs no query per row."""
    if not _active(user) or user.is_superuser:
        return
    key = registry.object_type_key(model)
    grants = _grants(user).get((key, "view"))
    if not grants or any(g is None for g in grants):
        return  # answered without a query anyway
    seen: dict[tuple[str, Any], bool] = getattr(user, _SEEN_ATTR, None) or {}
    wanted = {pk for pk in pks if pk is not None and (key, pk) not in seen}
    if not wanted:
        return
    visible = set(
        restrict(model._default_manager.filter(pk__in=wanted), user).values_list("pk", flat=True)
    )
    for pk in wanted:
        seen[(key, pk)] = pk in visible
    setattr(user, _SEEN_ATTR, seen)


def _resolve_tokens(value: Any, user: Any) -> Any:
    tokens = registry.constraint_tokens()
    if isinstance(value, str) and value in tokens:
        return tokens[value](user)
    if isinstance(value, list):
        return [_resolve_tokens(v, user) for v in value]
    return value


def _constraint_q(
    model: type[models.Model], constraint: dict[str, Any], user: Any
) -> tuple[Q, bool]:
    q = Q()
    many = False
    for path, value in constraint.items():
        spec = parse_constraint_key(model, path)
        many = many or spec.crosses_many
        q &= Q(**{spec.orm_path: _resolve_tokens(value, user)})
    return q, many


@dataclass(frozen=True)
class ConstraintKey:
    """A validated constraint key: the ORM lookup path and whether it crosses a to-many link."""

    orm_path: str
    crosses_many: bool


def parse_constraint_key(model: type[models.Model], key: str) -> ConstraintKey:
    """Validate ``field[__subfield]*[__lookup]`` against the type's whitelist and real fields.

    Raises ``ValueError`` naming the problem. Never passes unvalidated keys to the ORM.
    """
    entry = registry.for_model(model)
    allowed = set(entry.constraint_fields) if entry else set()
    parts = key.split("__")
    lookup = "exact"
    if len(parts) > 1 and parts[-1] in registry.CONSTRAINT_LOOKUPS:
        lookup = parts.pop()
    field_path = "__".join(parts)
    if field_path not in allowed:
        raise ValueError(
            f"{key!r}: {field_path!r} is not a constrainable field of "
            f"{registry.object_type_key(model)} (allowed: {', '.join(sorted(allowed)) or 'none'})"
        )
    current: type[models.Model] = model
    crosses_many = False
    for i, part in enumerate(parts):
        try:
            model_field = current._meta.get_field(part)
        except FieldDoesNotExist as exc:
            raise ValueError(f"{key!r}: {part!r} is not a field") from exc
        if model_field.is_relation:
            crosses_many = crosses_many or bool(model_field.many_to_many or model_field.one_to_many)
            if i < len(parts) - 1:
                related = model_field.related_model
                assert isinstance(related, type)
                current = related
        elif i < len(parts) - 1:
            raise ValueError(f"{key!r}: {part!r} has no sub-fields")
    return ConstraintKey(orm_path=f"{field_path}__{lookup}", crosses_many=crosses_many)


def validate_constraints(object_types: Iterable[str], constraints: Any) -> None:
    """Check a permission's constraints against every object type it names.

    Raises :class:`ValidationFailed` on the ``constraints`` field with a precise message.
    """
    if constraints in (None, {}, []):
        return
    items = [constraints] if isinstance(constraints, dict) else constraints
    if not isinstance(items, list) or not all(isinstance(i, dict) and i for i in items):
        raise ValidationFailed(
            "constraints must be an object or a list of non-empty objects",
            fields={"constraints": ["must be an object or a list of non-empty objects"]},
        )
    tokens = registry.constraint_tokens()
    for object_type in object_types:
        entry = registry.find(object_type)
        if entry is None:
            raise ValidationFailed(
                f"unknown object type {object_type!r}",
                fields={"object_types": [f"unknown: {object_type}"]},
            )
        for item in items:
            for key, value in item.items():
                try:
                    parse_constraint_key(entry.model, key)
                except ValueError as exc:
                    raise ValidationFailed(str(exc), fields={"constraints": [str(exc)]}) from exc
                for v in value if isinstance(value, list) else [value]:
                    if isinstance(v, str) and v.startswith("$") and v not in tokens:
                        message = f"unknown token {v!r} (known: {', '.join(sorted(tokens))})"
                        raise ValidationFailed(message, fields={"constraints": [message]})
                    if not isinstance(v, str | int | float | bool) and v is not None:
                        message = f"{key!r}: values must be strings, numbers, booleans or null"
                        raise ValidationFailed(message, fields={"constraints": [message]})


def get_object_or_404(
    queryset: models.QuerySet[M], user: Any, action: str = "view", **lookup: Any
) -> M:
    """Fetch one object the user may act on, or raise :class:`NotFound` (hidden = absent).

    When the user can *see* the object but lacks ``action`` on it, raise
    :class:`PermissionDenied` instead: the object's existence is no secret to them.
    """
    try:
        return restrict(queryset, user, action).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        pass
    if action != "view" and restrict(queryset, user, "view").filter(**lookup).exists():
        raise PermissionDenied(f"you may not {action} this {queryset.model._meta.verbose_name}")
    raise NotFound(f"{queryset.model._meta.verbose_name} not found")


def authorize(actor: Actor, action: str, instance: models.Model, *, after: bool = False) -> None:
    """Inside a service: fail unless the actor may perform ``action`` on ``instance`` as it is.

    Called on the object's current state before a change and, with ``after=True``, on its new
    state (so a constrained user cannot move an object outside their constraint: that is a
    403, since they saw the object). System actors pass.
    """
    if actor.is_system:
        return
    user = actor.user
    key = registry.object_type_key(instance)
    if not has_perm(user, key, action):
        if (
            has_perm(user, key, "view")
            and restrict(type(instance)._default_manager.all(), user, "view")
            .filter(pk=instance.pk)
            .exists()
        ):
            raise PermissionDenied(f"you may not {action} this {instance._meta.verbose_name}")
        if action == "add":
            raise PermissionDenied(f"you may not add a {instance._meta.verbose_name}")
        raise NotFound(f"{instance._meta.verbose_name} not found")
    if instance.pk is None:
        return
    manager = type(instance)._default_manager
    if not restrict(manager.all(), user, action).filter(pk=instance.pk).exists():
        if after or action == "add":
            raise PermissionDenied(
                f"your permissions do not allow a {instance._meta.verbose_name} like this"
            )
        if restrict(manager.all(), user, "view").filter(pk=instance.pk).exists():
            noun = instance._meta.verbose_name
            raise PermissionDenied(
                f"your permissions do not allow this {noun} to be {_past(action)}"
            )
        raise NotFound(f"{instance._meta.verbose_name} not found")


def _past(action: str) -> str:
    return {"change": "changed like this", "delete": "deleted", "add": "added"}.get(action, action)
