"""One date format following the reader's locale (issue 17): every date on a page is a
``<time>`` with an ISO ``datetime`` attribute and the locale's short format as its text."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from assetgraph.ui.dates import format_when, locale_for, when


@pytest.mark.parametrize(
    ("header", "text"),
    [
        ("en-GB,en;q=0.8", "04/12/2026"),
        ("en-US,en;q=0.9", "12/04/2026"),
        ("de-DE,de;q=0.9,en;q=0.5", "04.12.2026"),
        ("", "04/12/2026"),  # no preference: the site's LANGUAGE_CODE (en-gb)
        ("xx-YY, *", "04/12/2026"),  # nothing with formats: the same
    ],
)
def test_list_dates_follow_accept_language_with_an_iso_time_tag(
    header: str, text: str, site: dict[str, Any], browser: Any, system: Any
) -> None:
    from assetgraph.assets import services
    from assetgraph.org import services as org

    dell = org.create_company(system, {"name": "Dell", "is_manufacturer": True})
    category = services.create_category(system, {"name": "Monitors", "kind": "monitor"})
    model = services.create_model(
        system, {"name": "U27", "category": category, "manufacturer": dell}
    )
    services.create_asset(system, {"model": model, "warranty_end": dt.date(2026, 12, 4)})
    html = browser("Read-only").get("/assets/assets/", HTTP_ACCEPT_LANGUAGE=header).content.decode()
    assert f'<time datetime="2026-12-04">{text}</time>' in html


def test_history_times_are_local_datetimes_in_the_readers_format(
    site: dict[str, Any], browser: Any
) -> None:
    london = site["london"]
    us = browser("Read-only").get(
        f"/org/locations/{london.pk}/history/", HTTP_ACCEPT_LANGUAGE="en-US"
    )
    de = browser("Read-only").get(f"/org/locations/{london.pk}/history/", HTTP_ACCEPT_LANGUAGE="de")
    today = timezone.localdate()
    assert f"{today:%m/%d/%Y}" in us.content.decode()
    assert f"{today:%d.%m.%Y}" in de.content.decode() and '<time datetime="' in de.content.decode()


def test_the_filter_leaves_other_values_and_empties_alone() -> None:
    assert when(None) == "" and when("") == "" and when(42) == 42
    assert when("<b>x</b>") == "<b>x</b>"  # unchanged, so autoescape still applies
    assert format_when(dt.date(2026, 12, 4), "de") == "04.12.2026"
    assert format_when(dt.datetime(2026, 12, 4, 9, 5), "de") == "04.12.2026 09:05"
    assert format_when(dt.datetime(2026, 12, 4, 9, 5), "en-gb") == "04/12/2026 9:05 a.m."


def test_locale_for_picks_the_first_language_django_has_formats_for(rf: Any) -> None:
    request = rf.get("/", HTTP_ACCEPT_LANGUAGE="tlh, fr-CA;q=0.9, de;q=0.8")
    assert locale_for(request) == "fr-ca"
    assert locale_for(rf.get("/", HTTP_ACCEPT_LANGUAGE="en-us")) == "en"
