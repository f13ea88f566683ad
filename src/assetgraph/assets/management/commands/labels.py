"""``assetgraph labels TAG… --output FILE``: the printable label sheet for some assets.

The same sheet as the UI's *Print labels* (QR codes as inline SVG data URIs holding the
asset's URL under ``ASSETGRAPH_BASE_URL``), written to a file for printing elsewhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.template.loader import render_to_string
from django.urls import reverse

from assetgraph.assets.labels import MAX_LABELS, qr_data_uri
from assetgraph.assets.models import Asset
from assetgraph.core.commandline import JsonCommand
from assetgraph.framework.importing import RowError, lookup


class Command(JsonCommand):
    help = "Write the label sheet (QR codes) of the given asset tags or ids to an HTML file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("tags", nargs="+", help="asset tags or ids")
        parser.add_argument("--output", "-o", required=True, help="the HTML file to write")
        parser.add_argument("--layout", choices=["sheet", "single"], default="sheet")

    def handle(self, *args: Any, **options: Any) -> None:
        if len(options["tags"]) > MAX_LABELS:
            raise CommandError(f"at most {MAX_LABELS} labels at once", returncode=2)
        try:
            assets = [
                lookup(
                    Asset.objects.select_related("model", "manufacturer"), t, "asset", "asset_tag"
                )
                for t in options["tags"]
            ]
        except RowError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        base = str(settings.BASE_URL).rstrip("/")
        items = []
        for asset in sorted(assets, key=lambda a: a.asset_tag):
            path = reverse("ui:assets:asset_detail", args=[asset.pk])
            url = f"{base}{path}?{urlencode({'tag': asset.asset_tag})}"
            items.append({"asset": asset, "qr": qr_data_uri(url), "url": url})
        html = render_to_string("assets/labels.html", {"items": items, "layout": options["layout"]})
        Path(options["output"]).write_text(html, encoding="utf-8")
        if options["json"]:
            self.write_json(
                {
                    "output": str(options["output"]),
                    "labels": [
                        {"id": i["asset"].pk, "asset_tag": i["asset"].asset_tag, "url": i["url"]}
                        for i in items
                    ],
                }
            )
            return
        self.stdout.write(f"wrote {len(items)} label(s) to {options['output']}")
