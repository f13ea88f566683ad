"""Which profile depreciates an asset in a book, from which date, and its schedule.

Resolution per asset and book, first match wins: the asset's own override
(:class:`AssetFinance` ``book_profile``/``tax_profile``), the profile of its model, the
profile of its category. The start is the asset's override, else the in-service date (first
deployment) or the purchase date, as the profile says. An asset with no cost, no profile or
no start date has no schedule, and the reason says which.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from assetgraph.assets.models import Asset

from . import conf
from .choices import BookChoices, StartBasisChoices
from .depreciation import DepreciationError, DepreciationSpec, Schedule, build_schedule, dispose
from .models import AssetFinance, DepreciationProfile


@dataclass(frozen=True)
class AssetBook:
    """An asset's depreciation in one book: the schedule, or why there is none."""

    asset: Asset
    book: str
    profile: DepreciationProfile | None
    start: dt.date | None
    spec: DepreciationSpec | None
    schedule: Schedule | None
    reason: str = ""

    @property
    def currency(self) -> str:
        return self.asset.currency or ""


class ProfileIndex:
    """Every profile of a book, indexed by model and category, and the asset overrides:
    loaded once so a register of thousands of assets costs two queries, not two per asset."""

    def __init__(self, book: str, asset_ids: Iterable[int] | None = None) -> None:
        self.book = book
        profiles = list(DepreciationProfile.objects.filter(book=book))
        self.by_model = {p.asset_model_id: p for p in profiles if p.asset_model_id}
        self.by_category = {p.category_id: p for p in profiles if p.category_id}
        overrides = AssetFinance.objects.select_related(
            "book_profile", "tax_profile", "cost_centre", "company"
        )
        if asset_ids is not None:
            overrides = overrides.filter(asset_id__in=list(asset_ids))
        self.overrides = {o.asset_id: o for o in overrides}

    def profile_for(self, asset: Asset) -> DepreciationProfile | None:
        override = self.overrides.get(asset.pk)
        if override is not None:
            own = override.book_profile if self.book == BookChoices.BOOK else override.tax_profile
            if own is not None:
                return own
        found = self.by_model.get(asset.model_id)
        if found is None:
            found = self.by_category.get(asset.model.category_id)
        return found


def depreciation_start(
    asset: Asset, profile: DepreciationProfile, override: AssetFinance | None
) -> dt.date | None:
    """The date depreciation starts: the override, else in-service or purchase date."""
    if override is not None and override.depreciation_start:
        return override.depreciation_start
    if profile.start_basis == StartBasisChoices.PURCHASE:
        return asset.purchase_date
    return asset.deployed_date


def asset_book(asset: Asset, book: str, index: ProfileIndex | None = None) -> AssetBook:
    """The asset's depreciation in ``book`` (``asset.model`` and ``asset.disposal`` are read;
    select them for many assets)."""
    index = index or ProfileIndex(book, [asset.pk])
    profile = index.profile_for(asset)
    if asset.cost is None or not asset.currency:
        return AssetBook(asset, book, profile, None, None, None, "no cost recorded")
    if profile is None:
        return AssetBook(
            asset, book, None, None, None, None, f"no {book} profile for its model or category"
        )
    override = index.overrides.get(asset.pk)
    start = depreciation_start(asset, profile, override)
    if start is None:
        basis = (
            "purchase date"
            if profile.start_basis == StartBasisChoices.PURCHASE
            else "in-service date"
        )
        return AssetBook(asset, book, profile, None, None, None, f"no {basis} yet")
    salvage = override.salvage if override is not None else None
    spec = profile.spec(
        Decimal(asset.cost), start, asset.currency, salvage, conf.fiscal_year_start_month()
    )
    try:
        disposal = getattr(asset, "disposal", None)
        if disposal is not None and disposal.disposed_on >= start:
            proceeds = disposal.proceeds if disposal.proceeds is not None else Decimal(0)
            schedule = dispose(spec, disposal.disposed_on, Decimal(proceeds))
        else:
            schedule = build_schedule(spec)
    except DepreciationError as exc:
        return AssetBook(asset, book, profile, start, spec, None, str(exc))
    return AssetBook(asset, book, profile, start, spec, schedule)


def asset_books(assets: Iterable[Asset], book: str) -> Iterator[AssetBook]:
    """:func:`asset_book` for many assets with one profile load."""
    assets = list(assets)
    index = ProfileIndex(book, [a.pk for a in assets])
    for asset in assets:
        yield asset_book(asset, book, index)


def cost_centre_of(asset: Asset, override: AssetFinance | None) -> object | None:
    """The cost centre an asset is booked to: its own, else its custodian's, else the
    custodian's department's (None: unallocated)."""
    if override is not None and override.cost_centre_id:
        return override.cost_centre
    person = asset.custodian
    if person is None:
        return None
    if person.cost_centre_id:
        return person.cost_centre
    department = person.department
    return department.cost_centre if department is not None and department.cost_centre_id else None
