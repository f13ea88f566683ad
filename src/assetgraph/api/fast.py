"""Response bodies built from an output schema's own fields, without validating them again.

Why: running a large response back through its pydantic schema (a summarised impact holds a
few hundred nested objects, a CI page a hundred rows with five references each) cost a third
of the request; hand-written dicts were faster but described the response a second time and
drifted from the schema. :func:`dump` compiles, once per schema class, a function that builds
exactly the schema's fields from a source object, the way ninja reads it:

* a field's value comes from ``sources[Schema][name]`` when given — a function of the object
  or a dotted attribute path — for source types the schema does not describe (e.g. a report
  dataclass), else from the schema's own
  ``resolve_<name>`` (ninja's resolvers, with ``context`` when they take it), else from the
  object's attribute or a dict's key (the field's alias when it has one; dotted aliases walk
  attributes); a missing attribute falls back to the field's default;
* a nested schema (``Ref`` and the like) is built by its own compiled function, also inside
  lists (``list[Ref]``, ``list[list[PathStepOut]]``) and optionals (``Ref | None``); a
  related manager or queryset under a list field is read;
* other values pass through as they are (``float`` fields are made floats, as pydantic
  does): the JSON renderer (:func:`render`, the API's own) writes dates, decimals and choices.

The contract test (``tests/api/test_contract.py``) validates every endpoint's responses
against the published OpenAPI document, so a body built here cannot drift from the schema.
"""

from __future__ import annotations

import operator
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.db.models import Manager, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Schema
from ninja.renderers import JSONRenderer
from pydantic import BaseModel

# Per schema, where some fields read from: a function of the object, or a dotted attribute path.
Sources = Mapping[type[BaseModel], Mapping[str, Callable[[Any], Any] | str]]
Dumper = Callable[[Any, Any], dict[str, Any]]

_NO_SOURCES: Sources = {}
_RENDERER = JSONRenderer()


class RefValue:
    """A reference already resolved to its id and text (for rows read without joins): it
    reads like the object to any schema — ``.id``/``.pk``, and ``str()`` is the display.

    Under a reference-shaped schema (exactly ``id`` and ``display``, like ``Ref``) its body
    is built once, here, and shared by every row naming the same object.
    """

    __slots__ = ("body", "display", "id")

    def __init__(self, pk: Any, display: str) -> None:
        self.id = pk
        self.display = display
        self.body = {"id": pk, "display": display}

    @property
    def pk(self) -> Any:
        return self.id

    def __str__(self) -> str:
        return self.display

    def __repr__(self) -> str:
        return f"RefValue({self.id!r}, {self.display!r})"


class _Compiled:
    """A schema's dumper, filled in once compiled (so self-referencing schemas work)."""

    __slots__ = ("function",)

    def __init__(self) -> None:
        self.function: Dumper | None = None

    def __call__(self, obj: Any, context: Any) -> dict[str, Any]:
        assert self.function is not None
        return self.function(obj, context)


_CACHE: dict[tuple[type[BaseModel], int], tuple[_Compiled, Sources]] = {}


def dumper(schema: type[BaseModel], sources: Sources | None = None) -> Dumper:
    """The compiled ``(obj, context) -> dict`` of ``schema`` (cached per schema and sources)."""
    sources = _NO_SOURCES if sources is None else sources
    key = (schema, id(sources))
    found = _CACHE.get(key)
    if found is not None:
        return found[0]
    compiled = _Compiled()
    _CACHE[key] = (compiled, sources)  # keeps ``sources`` alive, so its id stays unique
    compiled.function = _compile(schema, sources)
    return compiled


def dump(
    schema: type[BaseModel], obj: Any, context: Any = None, sources: Sources | None = None
) -> dict[str, Any]:
    """``obj`` as the dict ``schema`` describes (see the module docstring)."""
    return dumper(schema, sources)(obj, context)


def dump_many(
    schema: type[BaseModel],
    objs: Iterable[Any],
    context: Any = None,
    sources: Sources | None = None,
) -> list[dict[str, Any]]:
    """Each object as the dict ``schema`` describes."""
    function = dumper(schema, sources)
    return [function(obj, context) for obj in objs]


def render(request: HttpRequest | None, data: Any, status: int = 200) -> HttpResponse:
    """Send a built body with the API's JSON renderer (same encoder and content type as
    ninja's own responses), without a validation pass."""
    content = _RENDERER.render(request, data, response_status=status)  # type: ignore[arg-type]
    media = f"{_RENDERER.media_type}; charset={_RENDERER.charset}"
    return HttpResponse(content, status=status, content_type=media)


# --- compilation -------------------------------------------------------------------------------


class _Names:
    """Unique local names for one generated function."""

    def __init__(self, namespace: dict[str, Any]) -> None:
        self.namespace = namespace
        self.count = 0

    def bind(self, prefix: str, value: Any) -> str:
        """A name for ``value`` in the generated function's globals."""
        self.count += 1
        name = f"_{prefix}{self.count}"
        self.namespace[name] = value
        return name

    def local(self) -> str:
        """A fresh local variable name."""
        self.count += 1
        return f"_v{self.count}"


def _nested(schema: type[BaseModel], sources: Sources) -> Dumper:
    """The nested schema's dumper: its compiled function itself when ready (one call less
    per object), else the holder (a schema that contains itself)."""
    holder = dumper(schema, sources)
    assert isinstance(holder, _Compiled)
    return holder.function or holder


def _convert(annotation: Any, read: str, names: _Names, sources: Sources) -> str:
    """An expression turning the field value read by ``read`` into its JSON-ready form."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            value = names.local()
            inner = _convert(members[0], value, names, sources)
            if inner == value:
                return read
            return f"(None if ({value} := {read}) is None else {inner})"
        if all(_convert(a, "x", names, sources) == "x" for a in members):
            return read
        raise TypeError(f"{annotation}: a union of schemas needs a resolver returning a dict")
    if origin in (list, tuple, set, frozenset, typing.Sequence, Sequence):
        args = typing.get_args(annotation)
        item = names.local()
        inner = _convert(args[0], item, names, sources) if args else item
        items = names.bind("items", _items)
        if inner == item:
            return f"{items}({read})"
        return f"[{inner} for {item} in {items}({read})]"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        nested = names.bind("nest", _nested(annotation, sources))
        if tuple(annotation.model_fields) == ("id", "display") and not sources.get(annotation):
            value, ref = names.local(), names.bind("RefValue", RefValue)
            return f"({value}.body if type({value} := {read}) is {ref} else {nested}({value}, c))"
        return f"{nested}({read}, c)"
    if annotation is float:  # as pydantic does: 5 becomes 5.0
        return f"float({read})"
    return read


def _items(value: Any) -> Any:
    """A list field's value as a list (a related manager or queryset is read)."""
    if isinstance(value, Manager):
        return list(value.all())
    if isinstance(value, QuerySet):
        return list(value)
    return value


def _resolver(schema: type[BaseModel], name: str) -> tuple[Callable[..., Any], bool] | None:
    """Ninja's ``resolve_<name>`` of the schema: the function and whether it takes context."""
    resolvers = getattr(schema, "_ninja_resolvers", {}) if issubclass(schema, Schema) else {}
    resolver = resolvers.get(name)
    if resolver is None:
        return None
    return resolver._func, resolver._takes_context


def _compile(schema: type[BaseModel], sources: Sources) -> Dumper:
    """Generate the dumper of ``schema``: one dict expression per kind of source (objects,
    dicts), so a body costs what a hand-written dict costs."""
    namespace: dict[str, Any] = {}
    names = _Names(namespace)
    own_sources = sources.get(schema, {})
    by_attribute: list[str] = []
    by_key: list[str] = []
    for name, field in schema.model_fields.items():
        key = field.alias or name
        required = field.is_required()
        default = None if required else field.get_default(call_default_factory=True)
        source = own_sources.get(name)
        if isinstance(source, str):  # a dotted attribute path
            read_attribute = read_key = "o." + source
        elif source is not None:
            read_attribute = read_key = f"{names.bind('src', source)}(o)"
        elif (found := _resolver(schema, name)) is not None:
            function, takes_context = found
            call = names.bind("res", function)
            read_attribute = read_key = f"{call}(o, context=c)" if takes_context else f"{call}(o)"
        else:
            fallback = "" if required else names.bind("default", default)
            if "." in key:
                read_attribute = f"{names.bind('get', operator.attrgetter(key))}(o)"
            elif not required:
                read_attribute = f"getattr(o, {key!r}, {fallback})"
            elif key.isidentifier():
                read_attribute = f"o.{key}"
            else:
                read_attribute = f"getattr(o, {key!r})"
            read_key = f"o[{key!r}]" if required else f"o.get({key!r}, {fallback})"
        by_attribute.append(
            f"{name!r}: {_convert(field.annotation, read_attribute, names, sources)}"
        )
        by_key.append(f"{name!r}: {_convert(field.annotation, read_key, names, sources)}")
    source_code = (
        "def _dump(o, c):\n"
        "    if type(o) is dict:\n"
        f"        return {{{', '.join(by_key)}}}\n"
        f"    return {{{', '.join(by_attribute)}}}\n"
    )
    exec(source_code, namespace)  # noqa: S102 - built from schema field names, never from data
    dump_function: Dumper = namespace["_dump"]
    return dump_function
