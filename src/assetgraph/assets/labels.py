"""Printable asset labels: QR codes (segno, inline SVG data URIs) with the tag and model.

The QR code holds the asset's URL with its tag (``…/assets/assets/12/?tag=AG-000012``): any
phone camera opens the record, and the tag survives even if the URL is reshaped by a proxy.
Data URIs keep the page self-contained and allowed by the CSP (``img-src data:``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import segno
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from assetgraph.accounts.http import AuthedRequest
from assetgraph.accounts.permissions import restrict
from assetgraph.ui.generic import selected_ids

from .models import Asset

MAX_LABELS = 500


def qr_data_uri(text: str) -> str:
    """An SVG QR code as a data URI (error correction M: survives a scuffed label)."""
    return str(segno.make(text, error="m", micro=False).svg_data_uri(scale=4, border=2))


def label_url(request: Any, asset: Asset) -> str:
    path = reverse("ui:assets:asset_detail", args=[asset.pk])
    return str(request.build_absolute_uri(path)) + "?" + urlencode({"tag": asset.asset_tag})


@login_required
def labels(request: AuthedRequest) -> HttpResponse:
    """``?ids=1,2,3`` (or repeated ``ids``) and ``layout=sheet|single``; hidden ids are skipped.

    A POST with ``ids`` (the asset list's *Print labels for selected* bulk action) prints the
    same sheet.
    """
    ids = selected_ids(request, limit=MAX_LABELS)
    params = request.POST if request.method == "POST" else request.GET
    layout = "single" if params.get("layout") == "single" else "sheet"
    assets = restrict(
        Asset.objects.filter(pk__in=ids).select_related("model", "manufacturer"), request.user
    ).order_by("asset_tag")
    items = [
        {"asset": a, "qr": qr_data_uri(label_url(request, a)), "url": label_url(request, a)}
        for a in assets
    ]
    return render(request, "assets/labels.html", {"items": items, "layout": layout})
