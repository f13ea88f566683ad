"""Physical audits: start a campaign at a location, scan tags, relocate strays, close.

Starting snapshots the expected list (the visible, not retired assets registered at the
location or below it) into audit items. Scanning is idempotent per tag (a unique constraint
per campaign absorbs two scanners reading the same label) and classifies each tag as found,
unexpected (registered elsewhere) or unknown. Closing marks what was not scanned as missing
and stamps the last audit date and the next due date on every asset that was seen.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from assetgraph.accounts.permissions import authorize, restrict
from assetgraph.audit.services import EventSpec, record_event, record_events, snapshot
from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict, MissingReference, ValidationFailed
from assetgraph.org.models import PATH_SEPARATOR, Location

from ..choices import AssetStateChoices, AuditCampaignStatusChoices, AuditResultChoices
from ..models import Asset, AuditCampaign, AuditItem, add_months
from ..signals import asset_relocated

DEFAULT_AUDIT_INTERVAL_MONTHS = 12
MAX_TAG = 50


def default_audit_interval() -> int:
    """Months between audits when the category sets none (``ASSETGRAPH_AUDIT_INTERVAL_MONTHS``)."""
    return int(getattr(settings, "ASSETGRAPH_AUDIT_INTERVAL_MONTHS", DEFAULT_AUDIT_INTERVAL_MONTHS))


def in_subtree(location: Location, field: str = "location") -> Q:
    """Rows whose ``field`` is ``location`` or one of its descendants (a path prefix match)."""
    return Q(**{field: location}) | Q(
        **{f"{field}__path__startswith": f"{location.path}{PATH_SEPARATOR}"}
    )


def _visible_assets(actor: Actor) -> QuerySet[Asset]:
    queryset = Asset.objects.all()
    return queryset if actor.is_system else restrict(queryset, actor.user, "view")


def _require_open(campaign: AuditCampaign) -> None:
    if campaign.status != AuditCampaignStatusChoices.OPEN:
        raise Conflict(
            f"rule 'audit_open': {campaign} is closed; start a new campaign to audit again",
            code="campaign_closed",
        )


def start_audit_campaign(
    actor: Actor, location: Location, *, name: str = "", notes: str = ""
) -> AuditCampaign:
    """Open a campaign for a location (and its sub-locations); snapshot the expected list."""
    if location is None:
        raise ValidationFailed("location: required", fields={"location": ["required"]})
    now = timezone.now()
    campaign = AuditCampaign(
        name=(name.strip() or f"Audit of {location} {timezone.localdate().isoformat()}")[:200],
        location=location,
        started_at=now,
        started_by=actor.display[:150],
        notes=notes,
    )
    with transaction.atomic():
        authorize(actor, "add", campaign)
        if not actor.is_system and (
            not restrict(Location.objects.all(), actor.user, "view").filter(pk=location.pk).exists()
        ):
            raise MissingReference(
                f"location: location {location.pk} not found", fields={"location": ["not found"]}
            )
        campaign.save()
        authorize(actor, "add", campaign, after=True)
        expected = (
            _visible_assets(actor)
            .filter(in_subtree(location))
            .exclude(state=AssetStateChoices.RETIRED)
            .values_list("pk", "asset_tag")
        )
        AuditItem.objects.bulk_create(
            [
                AuditItem(campaign=campaign, asset_id=pk, tag=tag, expected=True)
                for pk, tag in expected
            ]  # batches sized by Django from the connection's parameter limit
        )
        after = {**snapshot(campaign), "expected": campaign.items.count()}
        record_event(actor, "create", campaign, before=None, after=after)
    return campaign


@dataclass(frozen=True)
class ScanOutcome:
    """What one scan did: the item, its result, and whether the tag had been scanned before."""

    item: AuditItem
    result: str
    repeated: bool
    message: str


def _normalise(tag: str) -> str:
    cleaned = (tag or "").strip()
    if not cleaned:
        raise ValidationFailed("tag: required", fields={"tag": ["required"]})
    if len(cleaned) > MAX_TAG:
        message = f"at most {MAX_TAG} characters"
        raise ValidationFailed(f"tag: {message}", fields={"tag": [message]})
    return cleaned


def scan_asset_tag(actor: Actor, campaign: AuditCampaign, tag: str) -> ScanOutcome:
    """Record one scanned tag: found, unexpected (registered elsewhere) or unknown.

    Scanning the same tag twice is harmless (``repeated``); an asset the scanner may not see
    counts as an unknown tag, as on every other surface.
    """
    cleaned = _normalise(tag)
    with transaction.atomic():
        current = AuditCampaign.objects.select_related("location").get(pk=campaign.pk)
        authorize(actor, "scan", current)
        _require_open(current)
        now = timezone.now()
        scanner = actor.display[:150]
        item = current.items.filter(tag__iexact=cleaned).first()
        if item is not None and item.result != AuditResultChoices.PENDING:
            return ScanOutcome(item, item.result, True, f"{item.tag} was already scanned")
        if item is not None:
            won = AuditItem.objects.filter(pk=item.pk, result=AuditResultChoices.PENDING).update(
                result=AuditResultChoices.FOUND, scanned_at=now, scanned_by=scanner
            )
            item.refresh_from_db()
            if not won:
                return ScanOutcome(item, item.result, True, f"{item.tag} was already scanned")
            message = f"{item.tag} found"
        else:
            asset = (
                _visible_assets(actor)
                .select_related("location")
                .filter(asset_tag__iexact=cleaned)
                .first()
            )
            if asset is None:
                result = AuditResultChoices.UNKNOWN
                message = f"{cleaned} is not a known asset tag"
            else:
                result = AuditResultChoices.UNEXPECTED
                where = asset.location.path if asset.location else "no location"
                message = f"{asset.asset_tag} is registered at {where}, not here"
            try:
                with transaction.atomic():
                    item = AuditItem.objects.create(
                        campaign=current,
                        asset=asset,
                        tag=asset.asset_tag if asset else cleaned,
                        result=result,
                        registered_location=asset.location if asset else None,
                        scanned_at=now,
                        scanned_by=scanner,
                    )
            except IntegrityError:  # another scanner recorded the same tag meanwhile
                item = current.items.get(tag__iexact=cleaned)
                return ScanOutcome(item, item.result, True, f"{item.tag} was already scanned")
        record_event(
            actor,
            "scan",
            current,
            before=None,
            after={"tag": item.tag, "result": item.result, "asset": item.asset_id},
        )
        return ScanOutcome(item, item.result, False, message)


def relocate_audited_asset(actor: Actor, item: AuditItem) -> Asset:
    """Move an unexpected asset's registered location to the audited location.

    Needs ``relocate`` on the asset (the register changes) and ``scan`` on the campaign.
    """
    with transaction.atomic():
        current = AuditItem.objects.select_related("campaign__location").get(pk=item.pk)
        campaign = current.campaign
        authorize(actor, "scan", campaign)
        _require_open(campaign)
        if current.result != AuditResultChoices.UNEXPECTED or current.asset_id is None:
            raise Conflict(
                f"rule 'relocate': only unexpected assets can be relocated; {current.tag} is "
                f"{current.get_result_display().lower()}",
                code="transition_not_allowed",
            )
        if current.relocated:
            raise Conflict(f"{current.tag} was already relocated here")
        asset = Asset.objects.get(pk=current.asset_id)
        authorize(actor, "relocate", asset)
        before = snapshot(asset)
        Asset.objects.filter(pk=asset.pk).update(
            location=campaign.location, version=F("version") + 1, updated=timezone.now()
        )
        AuditItem.objects.filter(pk=current.pk).update(relocated=True)
        asset.refresh_from_db()
        authorize(actor, "relocate", asset, after=True)
        after = {**snapshot(asset), "audit_campaign": campaign.pk}
        record_event(actor, "relocate", asset, before=before, after=after)
        asset_relocated.send(Asset, actor=actor, asset=asset)
        return asset


@dataclass(frozen=True)
class CloseSummary:
    """Counts of a closed campaign, by result."""

    campaign: AuditCampaign
    counts: dict[str, int]
    stamped: int


def _intervals(assets: QuerySet[Asset]) -> dict[int, list[int]]:
    """Asset ids grouped by their audit interval in months (category's, else the default)."""
    default = default_audit_interval()
    groups: dict[int, list[int]] = defaultdict(list)
    for pk, months in assets.values_list("pk", "model__category__audit_interval_months"):
        groups[months or default].append(pk)
    return groups


def close_audit_campaign(actor: Actor, campaign: AuditCampaign) -> CloseSummary:
    """Close: unscanned expected assets become missing; every asset seen gets its audit dates.

    Assets seen are the found and the unexpected ones (they were physically here). Each asset
    of the campaign gets an ``audit`` event with its result, so the audit shows in its History.
    """
    with transaction.atomic():
        current = AuditCampaign.objects.select_related("location").get(pk=campaign.pk)
        authorize(actor, "change", current)
        closed = AuditCampaign.objects.filter(
            pk=current.pk, status=AuditCampaignStatusChoices.OPEN
        ).update(
            status=AuditCampaignStatusChoices.CLOSED,
            closed_at=timezone.now(),
            closed_by=actor.display[:150],
            updated=timezone.now(),
        )
        if not closed:
            raise Conflict(
                f"rule 'audit_open': {current} is already closed", code="campaign_closed"
            )
        before = snapshot(current)
        current.items.filter(result=AuditResultChoices.PENDING).update(
            result=AuditResultChoices.MISSING
        )
        today = timezone.localdate()
        seen = Asset.objects.filter(
            audit_items__campaign=current,
            audit_items__result__in=[AuditResultChoices.FOUND, AuditResultChoices.UNEXPECTED],
        )
        previous = {
            pk: (last, due)
            for pk, last, due in Asset.objects.filter(audit_items__campaign=current).values_list(
                "pk", "last_audit_date", "next_audit_due"
            )
        }
        due_by_asset: dict[int, dt.date] = {}
        for months, pks in _intervals(seen).items():
            due = add_months(today, months)
            Asset.objects.filter(pk__in=pks).update(last_audit_date=today, next_audit_due=due)
            due_by_asset.update(dict.fromkeys(pks, due))
        current.refresh_from_db()
        counts = dict.fromkeys(
            [
                AuditResultChoices.FOUND,
                AuditResultChoices.MISSING,
                AuditResultChoices.UNEXPECTED,
                AuditResultChoices.UNKNOWN,
            ],
            0,
        )
        for result in current.items.values_list("result", flat=True):
            counts[AuditResultChoices(result)] += 1
        record_event(
            actor,
            "close",
            current,
            before=before,
            after={**snapshot(current), "counts": {str(k): v for k, v in counts.items()}},
        )
        record_events(actor, _asset_events(current, previous, due_by_asset, today))
    return CloseSummary(current, {str(k): v for k, v in counts.items()}, len(due_by_asset))


def _asset_events(
    campaign: AuditCampaign,
    previous: dict[int, tuple[dt.date | None, dt.date | None]],
    due_by_asset: dict[int, dt.date],
    today: dt.date,
) -> Iterator[EventSpec]:
    items = campaign.items.filter(asset__isnull=False).values_list("asset_id", "tag", "result")
    for asset_id, tag, result in items.iterator(chunk_size=2000):
        last, due = previous.get(asset_id, (None, None))
        before = {
            "last_audit_date": last.isoformat() if last else None,
            "next_audit_due": due.isoformat() if due else None,
        }
        after: dict[str, object] = {"audit_campaign": campaign.pk, "audit_result": result}
        if asset_id in due_by_asset:
            after["last_audit_date"] = today.isoformat()
            after["next_audit_due"] = due_by_asset[asset_id].isoformat()
        else:
            after.update(before)
        yield EventSpec("assets.asset", asset_id, "audit", before, after, tag)
