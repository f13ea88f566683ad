"""Importing SaaS usage from a vendor admin console's export (CSV or JSON).

The console lists every user holding a seat and when they were last active. An import is the
full seat list of one product: all or nothing, every bad row reported with its number and
field; with ``replace`` (the default) users missing from the file lost their seat and are
removed. Users are matched to people by e-mail (case-insensitive), so idle seats of leavers show
up in the position. Each created, updated and removed row is one audit event, written in bulk.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from assetgraph.accounts.permissions import authorize
from assetgraph.audit.services import EventSpec, record_events
from assetgraph.core.actor import Actor
from assetgraph.core.errors import ValidationFailed
from assetgraph.org.models import Person

from .models import Product, SaasUsage

MAX_ROWS = 100_000
USER_KEYS = ("user", "email", "user_name", "username", "upn", "user principal name")
LAST_KEYS = ("last_active", "last active", "last active date", "lastactivitydate", "last_login")


@dataclass(frozen=True)
class UsageRow:
    """One console row: the user and the day of their last activity (None: never)."""

    user: str
    last_active: dt.date | None


def _pick(record: Mapping[str, Any], names: Iterable[str]) -> Any:
    lowered = {str(k).strip().lower(): v for k, v in record.items()}
    for name in names:
        if name in lowered:
            return lowered[name]
    return None


def _parse_day(value: Any) -> dt.date | None:
    if value in (None, "", "never", "Never"):
        return None
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(f"not an ISO date ({text!r})") from None


def parse_rows(records: Iterable[Mapping[str, Any]]) -> list[UsageRow]:
    """Validate records ``{user, last_active}`` (console header spellings accepted); every
    error names its row (1 = the first data row) and field; any error rejects the file."""
    rows: list[UsageRow] = []
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    for number, record in enumerate(records, start=1):
        if number > MAX_ROWS:
            raise ValidationFailed(f"rows: at most {MAX_ROWS}", fields={"rows": ["too many"]})
        user = str(_pick(record, USER_KEYS) or "").strip()
        if not user:
            errors[f"row {number}.user"] = ["required"]
            continue
        if user.lower() in seen:
            errors[f"row {number}.user"] = [f"{user} is listed twice"]
            continue
        seen.add(user.lower())
        try:
            last = _parse_day(_pick(record, LAST_KEYS))
        except ValueError as exc:
            errors[f"row {number}.last_active"] = [str(exc)]
            continue
        rows.append(UsageRow(user[:254], last))
    if errors:
        first, messages = next(iter(errors.items()))
        raise ValidationFailed(
            f"{first}: {messages[0]} ({len(errors)} bad row(s); nothing imported)", fields=errors
        )
    return rows


def _records(content: bytes, filename: str, expected: str) -> list[dict[str, Any]]:
    """The objects of a CSV (header row) or JSON (a list of objects, or ``{"users": [...]}``,
    ``{"rows": [...]}``, ``{"samples": [...]}``) file; a clear ``file`` error otherwise."""
    try:
        text = content.decode("utf-8-sig", errors="strict")
    except UnicodeDecodeError:
        message = "not a UTF-8 text file (CSV or JSON expected)"
        raise ValidationFailed(f"file: {message}", fields={"file": [message]}) from None
    stripped = text.lstrip()
    if filename.lower().endswith(".json") or stripped.startswith(("[", "{")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            message = f"not valid JSON ({exc.msg})"
            raise ValidationFailed(f"file: {message}", fields={"file": [message]}) from None
        if isinstance(data, dict):
            data = data.get("users", data.get("rows", data.get("samples", data.get("value"))))
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            message = f"expected a list of objects with {expected}"
            raise ValidationFailed(f"file: {message}", fields={"file": [message]})
        return data
    try:
        return list(csv.DictReader(io.StringIO(text)))
    except csv.Error as exc:
        message = f"not a readable CSV file ({exc})"
        raise ValidationFailed(f"file: {message}", fields={"file": [message]}) from None


def parse_file(content: bytes, filename: str = "") -> list[UsageRow]:
    """Rows of a console export, CSV or JSON (see :func:`_records`)."""
    return parse_rows(_records(content, filename, "user and last_active"))


TIME_KEYS = ("measured_at", "time", "timestamp", "date", "datetime")
COUNT_KEYS = ("users", "concurrent", "concurrent users", "in_use", "in use", "peak")


def _parse_moment(value: Any) -> dt.datetime:
    text = str(value or "").strip()
    if not text:
        raise ValueError("required")
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not an ISO date or date-time ({text!r})") from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def parse_concurrency(records: Iterable[Mapping[str, Any]]) -> list[tuple[dt.datetime, int]]:
    """Validate a licence server's log of concurrent use: ``{measured_at, users}`` per row
    (header spellings in :data:`TIME_KEYS` and :data:`COUNT_KEYS`); every error names its row
    and field, and any error rejects the whole file."""
    samples: list[tuple[dt.datetime, int]] = []
    errors: dict[str, list[str]] = {}
    for number, record in enumerate(records, start=1):
        if number > MAX_ROWS:
            raise ValidationFailed(f"rows: at most {MAX_ROWS}", fields={"rows": ["too many"]})
        try:
            moment = _parse_moment(_pick(record, TIME_KEYS))
        except ValueError as exc:
            errors[f"row {number}.measured_at"] = [str(exc)]
            continue
        raw = _pick(record, COUNT_KEYS)
        try:
            users = int(str(raw).strip())
            if users < 0:
                raise ValueError
        except ValueError:
            errors[f"row {number}.users"] = [f"not a whole number >= 0 ({raw!r})"]
            continue
        samples.append((moment, users))
    if errors:
        first, messages = next(iter(errors.items()))
        raise ValidationFailed(
            f"{first}: {messages[0]} ({len(errors)} bad row(s); nothing imported)", fields=errors
        )
    return samples


def parse_concurrency_file(content: bytes, filename: str = "") -> list[tuple[dt.datetime, int]]:
    """Samples of a licence server's concurrency log, CSV or JSON."""
    return parse_concurrency(_records(content, filename, "measured_at and users"))


def import_usage(
    actor: Actor, product: Product, rows: list[UsageRow], *, replace: bool = True
) -> dict[str, int]:
    """Write a console's seat list for ``product`` (see the module docstring)."""
    probe = SaasUsage(product=product, user_name="probe")
    authorize(actor, "add", probe)
    emails = {
        email: pk
        for pk, email in Person.objects.annotate(e=Lower("email"))
        .exclude(email="")
        .values_list("pk", "e")
    }
    now = timezone.now()
    counts = {"created": 0, "updated": 0, "removed": 0, "matched_people": 0}
    specs: list[EventSpec] = []
    with transaction.atomic():
        existing = {u.user_name.lower(): u for u in SaasUsage.objects.filter(product=product)}
        fresh: list[SaasUsage] = []
        for row in rows:
            person = emails.get(row.user.lower())
            counts["matched_people"] += person is not None
            current = existing.pop(row.user.lower(), None)
            if current is None:
                fresh.append(
                    SaasUsage(
                        product=product,
                        user_name=row.user,
                        person_id=person,
                        last_active=row.last_active,
                        imported_at=now,
                    )
                )
                continue
            if current.last_active != row.last_active or current.person_id != person:
                before = {"user_name": current.user_name, "last_active": _iso(current.last_active)}
                current.last_active, current.person_id = row.last_active, person
                current.imported_at = now
                current.save(update_fields=["last_active", "person", "imported_at"])
                counts["updated"] += 1
                specs.append(_event(current, "update", before))
        SaasUsage.objects.bulk_create(fresh, batch_size=2000)
        for created in SaasUsage.objects.filter(product=product, imported_at=now).exclude(
            pk__in=[s.object_id for s in specs]
        ):
            specs.append(_event(created, "create", None))
        counts["created"] = len(fresh)
        if replace and existing:
            gone = list(existing.values())
            for usage in gone:
                specs.append(
                    EventSpec(
                        object_type="licences.saasusage",
                        object_id=usage.pk,
                        action="delete",
                        before={"user_name": usage.user_name, "product": product.pk},
                        object_repr=str(usage),
                    )
                )
            SaasUsage.objects.filter(pk__in=[u.pk for u in gone]).delete()
            counts["removed"] = len(gone)
        record_events(actor, specs)
    return counts


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _event(usage: SaasUsage, action: str, before: dict[str, Any] | None) -> EventSpec:
    return EventSpec(
        object_type="licences.saasusage",
        object_id=usage.pk,
        action=action,
        before=before,
        after={
            "product": usage.product_id,
            "user_name": usage.user_name,
            "person": usage.person_id,
            "last_active": _iso(usage.last_active),
        },
        object_repr=str(usage),
    )


def record_concurrency(
    actor: Actor, product: Product, samples: Iterable[tuple[dt.datetime, int]]
) -> int:
    """Store concurrency samples (a licence server's peak log) for the concurrent metric."""
    from .models import ConcurrencySample

    rows = [ConcurrencySample(product=product, measured_at=at, users=n) for at, n in samples]
    if not rows:
        return 0
    authorize(actor, "add", rows[0])
    with transaction.atomic():
        ConcurrencySample.objects.bulk_create(rows)
        record_events(
            actor,
            [
                EventSpec(
                    object_type="licences.concurrencysample",
                    object_id=r.pk or 0,
                    action="create",
                    after={
                        "product": product.pk,
                        "at": r.measured_at.isoformat(),
                        "users": r.users,
                    },
                    object_repr=str(r),
                )
                for r in rows
            ],
        )
    return len(rows)
