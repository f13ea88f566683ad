"""Business flags and figures: what ITAM, licences and finance know about a CI, asked by the
technical views (impact, root cause, change assessment, CI pages, maps) without importing
those apps.

Why a declaration: the technical apps sit below the business apps in the layers (``impact``
cannot import ``finance``), and the facts must never be copied into the CMDB. So each app
that knows a fact declares, in its ``resources.py``:

- ``FLAG_SOURCES``: :class:`FlagSource` s, each one kind of flag ("out of warranty", "no
  active support contract", "unlicensed software"…) with a function that answers for many
  CIs at once, as the caller may see them;
- ``BUSINESS_FIGURES``: a :class:`BusinessFigures` with the monthly cost of business
  services and the net book value of CIs' hardware (finance declares it);
- ``OUTAGE_PREVIEW``: what taking CIs out of service breaks (:class:`OutagePreview`; the
  impact app declares it), asked by business actions below it (retiring an asset).

:func:`assetgraph.framework.spec.discover` collects both; the readers below ask every source.
A source must be set-based (a few queries for any number of CIs, never one per CI) and must
apply its own permission check: a caller who may not see the evidence gets no flag. A
``None`` user is the system (the CLI without ``--user``) and sees every fact.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.utils import timezone

__all__ = [
    "MAX_IN",
    "BusinessFigures",
    "BusinessFlag",
    "FlagSource",
    "IdList",
    "Money",
    "OutagePreview",
    "ScannedCIs",
    "book_values",
    "business_flags",
    "chunked",
    "flag_kinds",
    "in_list_size",
    "money_totals",
    "outage_preview",
    "service_monthly_costs",
    "shared_read",
]

# At most this many ids in one ``IN (...)``: a sane plan on both databases, and the 2,000 CIs
# an impact answer asks flags about in one query per source. SQLite builds before 3.32 allow
# only 999 host parameters: :func:`in_list_size` then answers less.
MAX_IN = 2_000
_SQLITE_OLD_LIMIT = 999


@dataclass(frozen=True)
class BusinessFlag:
    """One business fact about one CI: its kind (``out_of_warranty``), a short label, the
    detail that makes it checkable ("warranty ended 2025-03-31") and a link to the evidence
    (a page path), when the caller may open one."""

    kind: str
    label: str
    detail: str
    evidence: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "label": self.label,
            "detail": self.detail,
            "evidence": self.evidence,
        }


FlagReader = Callable[[Any, Sequence[int], dt.date], dict[int, list[BusinessFlag]]]


@dataclass(frozen=True)
class FlagSource:
    """One kind of business flag: ``read(user, ci_pks, on)`` answers ``{ci pk: [flags]}`` for
    the CIs that carry it (others are absent). ``rule`` states the rule for the docs and the
    UI's tooltip."""

    kind: str
    label: str
    rule: str
    read: FlagReader
    order: int = 100


@dataclass(frozen=True)
class Money:
    """An amount in one currency (the base currency of finance's reports)."""

    amount: Decimal
    currency: str

    def as_dict(self) -> dict[str, str]:
        return {"amount": str(self.amount), "currency": self.currency}


def money_totals(amounts: Iterable[Money | None]) -> list[Money]:
    """One total per currency, sorted by currency (no conversion; ``None`` is skipped)."""
    by_currency: dict[str, Decimal] = {}
    for money in amounts:
        if money is not None:
            by_currency[money.currency] = by_currency.get(money.currency, Decimal(0)) + money.amount
    return [Money(total, currency) for currency, total in sorted(by_currency.items())]


@dataclass(frozen=True)
class BusinessFigures:
    """Money facts for the technical views, as the caller may see them (an empty answer
    when they may not see costs).

    ``service_monthly_cost(user, service_pks, on)``: the month's cost of each business
    service; ``book_value(user, ci_pks, on)``: the net book value of each CI's asset.
    """

    service_monthly_cost: Callable[[Any, Sequence[int], dt.date], dict[int, Money]]
    book_value: Callable[[Any, Sequence[int], dt.date], dict[int, Money]]
    notes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OutagePreview:
    """What taking some CIs out of service breaks, for a business action (retire, dispose,
    send for repair): the services that go down or degrade, the people affected, the
    redundancy groups that lose capacity, and whether the action needs a confirmation.

    ``services``: ``(id, name, tier, state)``; ``redundancy``: ``(id, name, members, members
    down, failures tolerated)``; ``reasons``: why a confirmation is needed (empty: none).
    """

    services: list[tuple[int, str, int, str]] = field(default_factory=list)
    people: int = 0
    redundancy: list[tuple[int, str, int, int, int]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    affected: int = 0

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.reasons)

    def as_dict(self) -> dict[str, Any]:
        return {
            "services": [
                {"id": i, "display": n, "criticality": t, "state": s}
                for i, n, t, s in self.services
            ],
            "people": self.people,
            "affected": self.affected,
            "redundancy_lost": [
                {"id": i, "display": n, "members": m, "members_down": d, "tolerates": t}
                for i, n, m, d, t in self.redundancy
            ],
            "needs_confirmation": self.needs_confirmation,
            "reasons": list(self.reasons),
        }


class _System:
    """The caller of system surfaces (the CLI without ``--user``): sees every fact."""

    is_active = True
    is_authenticated = True
    is_superuser = True
    pk = None


SYSTEM = _System()


def _caller(user: Any) -> Any:
    return SYSTEM if user is None else user


_SOURCES: list[FlagSource] = []
_FIGURES: list[BusinessFigures] = []
_PREVIEWS: list[Callable[[Any, Sequence[int]], OutagePreview]] = []


def reset() -> None:
    """Forget every declaration (called by ``discover`` before it reads the apps)."""
    _SOURCES.clear()
    _FIGURES.clear()
    _PREVIEWS.clear()


def declare(
    sources: Iterable[FlagSource],
    figures: BusinessFigures | None,
    preview: Callable[[Any, Sequence[int]], OutagePreview] | None = None,
) -> None:
    """Add one app's declarations (``discover`` calls it per app)."""
    _SOURCES.extend(sources)
    _SOURCES.sort(key=lambda s: (s.order, s.kind))
    if figures is not None:
        _FIGURES.append(figures)
    if preview is not None:
        _PREVIEWS.append(preview)


def outage_preview(user: Any, ci_pks: Iterable[int]) -> OutagePreview | None:
    """What taking ``ci_pks`` out of service breaks (the impact app declares it as
    ``OUTAGE_PREVIEW``), as ``user`` may see it; None when no app answers or no CI given."""
    pks = sorted({int(pk) for pk in ci_pks})
    if not pks or not _PREVIEWS:
        return None
    return _PREVIEWS[0](_caller(user), pks)


def flag_kinds() -> list[FlagSource]:
    """Every declared flag kind, in display order."""
    return list(_SOURCES)


class IdList(list[int]):
    """Integer keys for an ``__in`` lookup (``filter(pk__in=IdList(pks))``), still a list.

    Why: Django prepares every value of a plain list through the field, one call chain per
    value: 1.2 ms of CPU per 900 ids, where the query itself takes 0.5 ms, and the flag
    sources of one impact answer ask for a few thousand ids many times over. Here the values
    are checked to be integers once, and the lookup renders them as one parameter list
    (an expression to Django: ``resolve_expression``/``as_sql``) — on PostgreSQL as a single
    array parameter (``IN (SELECT unnest(%s::bigint[]))``).
    """

    contains_aggregate = False
    contains_over_clause = False
    contains_column_references = False

    def __init__(self, values: Iterable[int] = ()) -> None:
        super().__init__(int(v) for v in values)

    @classmethod
    def _checked(cls, values: list[int]) -> IdList:
        """An id list of values already checked (a slice of another): no second pass."""
        out = list.__new__(cls)
        list.extend(out, values)
        return out

    def resolve_expression(self, *args: Any, **kwargs: Any) -> IdList:
        return self

    # the rest of the expression protocol Django walks (subqueries relabel their aliases)
    def relabeled_clone(self, change_map: Any) -> IdList:
        return self

    def replace_expressions(self, replacements: Any) -> IdList:
        return self

    def get_source_expressions(self) -> list[Any]:
        return []

    def set_source_expressions(self, exprs: Any) -> None:
        assert not exprs

    def get_refs(self) -> set[Any]:
        return set()

    def get_group_by_cols(self) -> list[Any]:
        return []

    def flatten(self) -> Iterator[Any]:
        yield self

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        if not self:
            raise EmptyResultSet
        if connection.vendor == "postgresql":
            # one array parameter: psycopg parses a statement's placeholders on every
            # execution once it is too long to cache (~10 ms for 2,000 ``%s``)
            return "(SELECT unnest(%s::bigint[]))", [list(self)]
        return "(" + ", ".join(["%s"] * len(self)) + ")", list(self)


class ScannedCIs(IdList):
    """The CI ids one :func:`business_flags` call asks about, handed to every source.

    Why: the sources of one call read the same CIs — their visibility with their asset and
    their planned retirement (three CMDB flags), the same assets (warranty and end of life)
    — and an impact answer asks about 2,000 CIs: one read per source was most of its SQL.
    Through :func:`shared_read` a source reads such rows once per call; each source still
    applies its own permission check inside the shared read, so sharing never widens what a
    caller sees (the reads are keyed by what they read, and one call has one caller).
    """

    def __init__(self, values: Iterable[int] = ()) -> None:
        super().__init__(values)
        self.shared: dict[Any, Any] = {}


T = TypeVar("T")


def shared_read(pks: Sequence[int], key: Any, read: Callable[[], T]) -> T:
    """``read()``, once per :func:`business_flags` call for the same ``key`` (every call
    when ``pks`` is a plain list: a source called directly)."""
    memo = getattr(pks, "shared", None)
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    value: T = memo[key]
    return value


def in_list_size() -> int:
    """How many ids one ``IN (...)`` may hold on this connection: :data:`MAX_IN`, or less
    when the database allows fewer host parameters (SQLite's compile-time limit, read from
    the connection; a query leaves room for a few other parameters)."""
    if connection.vendor != "sqlite":
        return MAX_IN
    connection.ensure_connection()
    raw = connection.connection
    getlimit = getattr(raw, "getlimit", None)  # Python >= 3.11
    limit = getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if getlimit else _SQLITE_OLD_LIMIT
    return max(1, min(MAX_IN, int(limit) - 100))


def chunked(values: Sequence[int], size: int | None = None) -> Iterator[IdList]:
    """``values`` in lists of at most ``size`` (default :func:`in_list_size`) for ``pk__in``
    lookups (:class:`IdList`)."""
    size = size or in_list_size()
    items = values if isinstance(values, IdList) else IdList(values)
    for start in range(0, len(items), size):
        yield IdList._checked(items[start : start + size])


def business_flags(
    user: Any, ci_pks: Iterable[int], on: dt.date | None = None, kinds: Iterable[str] = ()
) -> dict[int, list[BusinessFlag]]:
    """Every declared flag of the CIs ``ci_pks`` the caller may see, by CI, in kind order
    (``kinds`` narrows to some kinds). CIs without a flag are absent."""
    pks = ScannedCIs(sorted({int(pk) for pk in ci_pks}))
    if not pks:
        return {}
    on = on or timezone.localdate()
    wanted = set(kinds)
    out: dict[int, list[BusinessFlag]] = {}
    for source in _SOURCES:
        if wanted and source.kind not in wanted:
            continue
        for pk, flags in source.read(_caller(user), pks, on).items():
            out.setdefault(pk, []).extend(flags)
    return out


def service_monthly_costs(
    user: Any, service_pks: Iterable[int], on: dt.date | None = None
) -> dict[int, Money]:
    """The month's cost of each business service, as the caller may see it ({} when no app
    declares figures or the caller may not see costs)."""
    pks = sorted({int(pk) for pk in service_pks})
    out: dict[int, Money] = {}
    if not pks:
        return out
    for figures in _FIGURES:
        out.update(figures.service_monthly_cost(_caller(user), pks, on or timezone.localdate()))
    return out


def book_values(user: Any, ci_pks: Iterable[int], on: dt.date | None = None) -> dict[int, Money]:
    """The net book value of each CI's asset on ``on`` (today), as the caller may see it."""
    pks = sorted({int(pk) for pk in ci_pks})
    out: dict[int, Money] = {}
    if not pks:
        return out
    for figures in _FIGURES:
        out.update(figures.book_value(_caller(user), pks, on or timezone.localdate()))
    return out
