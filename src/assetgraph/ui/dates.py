"""One date format across the UI, following the reader's locale.

Every date and time a page shows goes through the ``when`` template filter
(``{{ value|when }}``): a ``<time>`` element whose ``datetime`` attribute is ISO 8601 (for
machines, copy-paste and tests) and whose text is the locale's short format from Django's
localisation data: 04/12/2026 for en-GB, 12/04/2026 for en-US, 04.12.2026 for de. Times are
shown in the site's time zone.

The locale is the browser's (``Accept-Language``, first language Django has formats for),
else ``LANGUAGE_CODE``. Only the formats follow it, not the language of the text: the UI is
written in English, and activating a translation would translate Django's own messages only.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import os
from typing import Any

import django.conf.locale
from django.conf import settings
from django.http import HttpRequest
from django.utils import dateformat, formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import to_language, to_locale
from django.utils.translation.trans_real import parse_accept_lang_header

_LOCALE: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "assetgraph_format_locale", default=None
)


@functools.cache
def _known_locales() -> frozenset[str]:
    """Locales with a Django ``formats.py`` (``en``, ``en_GB``, ``de``…)."""
    root = os.path.dirname(django.conf.locale.__file__)
    return frozenset(
        name for name in os.listdir(root) if os.path.exists(os.path.join(root, name, "formats.py"))
    )


def _supported(language: str) -> str | None:
    """The language code whose formats serve ``language`` (``en-US`` → ``en``, ``en-GB`` →
    ``en-gb``), if Django has any."""
    if not language or language == "*":
        return None
    locale = to_locale(language.lower())
    known = _known_locales()
    if locale in known:
        return to_language(locale)
    base = locale.split("_")[0]
    return base if base in known else None


def locale_for(request: HttpRequest) -> str:
    """The format locale of a request: the first of its ``Accept-Language`` with formats,
    else the site's ``LANGUAGE_CODE``."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")[:500]
    for language, _quality in parse_accept_lang_header(header):
        found = _supported(language)
        if found:
            return found
    return _supported(settings.LANGUAGE_CODE) or "en"


def current_locale() -> str:
    """The format locale of the request being rendered (the site's outside a request)."""
    return _LOCALE.get() or _supported(settings.LANGUAGE_CODE) or "en"


def use_locale(locale: str | None) -> contextvars.Token[str | None]:
    """Set the format locale for the rest of the request (the middleware does)."""
    return _LOCALE.set(locale)


def reset_locale(token: contextvars.Token[str | None]) -> None:
    _LOCALE.reset(token)


def format_when(value: dt.date | dt.datetime, locale: str | None = None) -> str:
    """A date or date-time as text in the locale's short format (local time for datetimes)."""
    lang = locale or current_locale()
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        pattern = formats.get_format("SHORT_DATETIME_FORMAT", lang=lang, use_l10n=True)
    else:
        pattern = formats.get_format("SHORT_DATE_FORMAT", lang=lang, use_l10n=True)
    return str(dateformat.format(value, pattern))


def when(value: Any) -> Any:
    """``<time datetime="ISO">local text</time>`` for a date or datetime; ``""`` for none (so
    ``|default:"never"`` still applies); anything else unchanged."""
    if value is None or value == "":
        return ""
    if not isinstance(value, dt.date):
        return value
    iso = value.isoformat()
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        iso = timezone.localtime(value).isoformat()
    text = format_when(value)
    result: SafeString = format_html('<time datetime="{}">{}</time>', iso, text)
    return result


__all__ = ["current_locale", "format_when", "locale_for", "use_locale", "when"]
