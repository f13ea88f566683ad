"""The storeroom's scan page: a barcode scanner (or a thumb) types a tag and Enter, and the
asset comes up with its next action (check in, check out) as large buttons at the bottom of a
phone's screen.

Why a page of its own: a keyboard-wedge scanner types the label's content and presses Enter,
so one text field that finds one asset is the whole interface; the global search lists many
kinds of object and needs a second tap. Labels carry a QR code with the asset's URL and
``?tag=…`` (``labels.py``), 1D barcodes the tag itself: both are read here.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render

from assetgraph.accounts.http import AuthedRequest
from assetgraph.accounts.permissions import has_perm, restrict

from .lifecycle import state_label
from .models import Asset
from .querysets import ASSET_RELATED
from .resources import holder

MAX_SCAN = 200  # characters: longer than any tag or label URL; anything longer is refused


def tag_from_scan(raw: str) -> str:
    """The asset tag a scan carries: the ``tag`` of a label's URL, else the text itself."""
    text = raw.strip()
    if "://" in text:
        tags = parse_qs(urlsplit(text).query).get("tag")
        if tags:
            return tags[0].strip()
    return text


@login_required
def asset_scan(request: AuthedRequest) -> HttpResponse:
    """Find one visible asset by its scanned tag and offer what can be done with it."""
    user = request.user
    if not has_perm(user, "assets.asset", "view"):
        raise PermissionDenied("you may not view assets")
    raw = request.GET.get("tag", "")
    context: dict[str, object] = {}
    status = 200
    if raw.strip():
        tag = tag_from_scan(raw)
        asset = None
        if len(raw) > MAX_SCAN:
            context["error"] = f"Asset tag: at most {MAX_SCAN} characters."
            status = 422
        else:
            asset = (
                restrict(Asset.objects.select_related(*ASSET_RELATED), user)
                .filter(asset_tag__iexact=tag)
                .first()
            )
            if asset is None:
                context["error"] = f"Asset tag: no asset you may see is tagged {tag!r}."
                status = 404
        if asset is not None:
            context.update(
                asset=asset,
                state=state_label(asset.state, asset.substate),
                held_by=holder(asset),
                can_checkin=asset.state == "in_use" and has_perm(user, "assets.asset", "checkin"),
                can_checkout=asset.state == "in_stock"
                and asset.substate in ("available", "reserved")
                and has_perm(user, "assets.asset", "checkout"),
            )
    return render(request, "assets/scan.html", context, status=status)
