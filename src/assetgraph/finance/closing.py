"""Period close: the monthly depreciation run.

Closing month M of a book computes, for every asset with a cost, the depreciation that
should be on the ledger by the end of M (its schedule's accumulated amount) and posts the
difference from what earlier closes posted. For an asset whose schedule did not change that
is exactly M's amount; when a profile, cost or date changed after an earlier close, the
difference includes the correction of the closed months, and it is posted in M — a closed
period is never rewritten. The postings are summed into journal lines per cost centre, GL
account pair (from the profile) and currency: a debit to the expense account and a credit to
accumulated depreciation.

Months close in order: a month at or before the book's latest closed month is refused (409).
The unique (book, period) constraint makes two concurrent closes of one month fail cleanly.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone

from assetgraph.accounts.permissions import authorize
from assetgraph.assets.models import Asset
from assetgraph.audit.services import record_event
from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict, ValidationFailed

from .books import ProfileIndex, asset_book, cost_centre_of
from .choices import BookChoices
from .models import ClosedPeriod, DepreciationPosting, JournalLine


@dataclass
class CloseResult:
    """A closed period with its journal lines."""

    closed: ClosedPeriod
    lines: list[JournalLine]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.closed.pk,
            "book": self.closed.book,
            "period": f"{self.closed.period:%Y-%m}",
            "closed_at": self.closed.closed_at,
            "closed_by": self.closed.closed_by,
            "asset_count": self.closed.asset_count,
            "lines": [journal_line_dict(line) for line in self.lines],
        }


def journal_line_dict(line: JournalLine) -> dict[str, Any]:
    """A journal line as plain data (also the CSV columns)."""
    return {
        "period": f"{line.closed_period.period:%Y-%m}",
        "book": line.closed_period.book,
        "cost_centre": line.cost_centre.code if line.cost_centre else "",
        "debit_account": line.expense_account,
        "credit_account": line.accumulated_account,
        "currency": line.currency,
        "amount": line.amount.normalize()
        if line.amount == 0
        else line.amount.quantize(Decimal("0.0001")),
        "correction": line.correction,
        "assets": line.asset_count,
    }


JOURNAL_COLUMNS = [
    (name, (lambda key: lambda line: journal_line_dict(line)[key])(name))
    for name in (
        "period",
        "book",
        "cost_centre",
        "debit_account",
        "credit_account",
        "currency",
        "amount",
        "correction",
        "assets",
    )
]


def _month_end(period: dt.date) -> dt.date:
    return period.replace(day=calendar.monthrange(period.year, period.month)[1])


def _check_order(period: dt.date, book: str) -> None:
    latest = ClosedPeriod.objects.filter(book=book).aggregate(latest=Max("period"))["latest"]
    if latest is not None and period <= latest:
        raise Conflict(
            f"period: {period:%Y-%m} is not after the latest closed month {latest:%Y-%m}; "
            "closed periods are locked, corrections go into the next open month",
            fields={"period": ["already closed or before a closed month"]},
        )


def close_period(actor: Actor, period: dt.date, book: str = BookChoices.BOOK) -> CloseResult:
    """Run the month's depreciation for every asset in ``book``, write the journal and lock
    the month; one audit event records the close and its totals."""
    if book not in BookChoices.values:
        raise ValidationFailed(
            f"book: use one of {BookChoices.values}", fields={"book": ["unknown book"]}
        )
    period = period.replace(day=1)
    end = _month_end(period)
    if period > timezone.localdate().replace(day=1):
        raise ValidationFailed(
            "period: a future month cannot be closed", fields={"period": ["in the future"]}
        )
    closed = ClosedPeriod(
        book=book, period=period, closed_at=timezone.now(), closed_by=str(actor.display)[:150]
    )
    authorize(actor, "add", closed)
    with transaction.atomic():
        _check_order(period, book)
        assets = list(
            Asset.objects.filter(cost__isnull=False)
            .exclude(currency="")
            .select_related(
                "model__category",
                "disposal",
                "custodian__cost_centre",
                "custodian__department__cost_centre",
            )
            .order_by("pk")
        )
        posted = dict(
            DepreciationPosting.objects.filter(closed_period__book=book)
            .values("asset")
            .annotate(total=Sum("amount"))
            .values_list("asset", "total")
        )
        index = ProfileIndex(book, [a.pk for a in assets])
        postings: list[DepreciationPosting] = []
        groups: dict[tuple[Any, str, str, str], list[Any]] = defaultdict(
            lambda: [Decimal(0), Decimal(0), 0, None]
        )
        for asset in assets:
            entry = asset_book(asset, book, index)
            target = entry.schedule.accumulated_as_of(end) if entry.schedule else Decimal(0)
            amount = target - Decimal(posted.get(asset.pk) or 0)
            if amount == 0:
                continue
            regular = (
                entry.schedule.amount_in_month(period.year, period.month)
                if entry.schedule
                else Decimal(0)
            )
            postings.append(
                DepreciationPosting(asset=asset, amount=amount, currency=asset.currency)
            )
            profile = entry.profile
            expense = profile.expense_account if profile else "6800"
            accumulated = profile.accumulated_account if profile else "1590"
            centre = cost_centre_of(asset, index.overrides.get(asset.pk))
            key = (getattr(centre, "pk", None), expense, accumulated, asset.currency)
            group = groups[key]
            group[0] += amount
            group[1] += amount - regular
            group[2] += 1
            group[3] = centre
        closed.asset_count = len(postings)
        try:
            with transaction.atomic():
                closed.save()
        except IntegrityError:
            raise Conflict(
                f"period: {period:%Y-%m} is already closed", fields={"period": ["already closed"]}
            ) from None
        for posting in postings:
            posting.closed_period = closed
        DepreciationPosting.objects.bulk_create(postings, batch_size=2000)
        lines = JournalLine.objects.bulk_create(
            [
                JournalLine(
                    closed_period=closed,
                    cost_centre=group[3],
                    expense_account=expense,
                    accumulated_account=accumulated,
                    currency=currency,
                    amount=group[0],
                    correction=group[1],
                    asset_count=group[2],
                )
                for (_, expense, accumulated, currency), group in sorted(
                    groups.items(), key=lambda item: (item[0][1], str(item[0][0] or ""), item[0][3])
                )
            ]
        )
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for line in lines:
            totals[line.currency] += line.amount
        record_event(
            actor,
            "close",
            closed,
            after={
                "book": book,
                "period": f"{period:%Y-%m}",
                "assets": closed.asset_count,
                "journal_lines": len(lines),
                "totals": {currency: str(total) for currency, total in sorted(totals.items())},
            },
        )
    return CloseResult(closed, lines)
