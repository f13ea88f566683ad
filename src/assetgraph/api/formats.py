"""Text forms the document states exactly, so that every value it calls valid is accepted.

A JSON Schema ``format`` (``date-time``, ``email``) leaves room: schemathesis generates
``0001-01-01T00:00:00+01:00`` (which leaves the calendar once its offset is applied) and
e-mail addresses Django refuses, and a Decimal's text branch was any string at all. The
patterns here describe a language every value of which the server accepts, and the guard
(:mod:`assetgraph.api.guard`) refuses everything outside it, so the document and the server
agree in both directions (ADR 0008).

- **Instants** (query parameters ``as_of``, ``since``, ``until``, ``from``, ``to`` that take
  text): ``YYYY-MM-DD`` (a real calendar day, 29 February only in leap years, years 1000 to
  2999), optionally followed by ``THH:MM``, ``:SS``, up to six fraction digits and ``Z`` or
  an offset ``±HH:MM``. Written on the wire with ``+`` encoded as ``%2B``.
- **Decimals** in request bodies: a JSON string of digits with at most the field's decimal
  places (``"1390.00"``), or a JSON integer. A JSON float (``1390.5``) is refused: its binary
  value is not the decimal the client meant, and the field's precision could not be stated.
- **Months** (``YYYY-MM``), **currencies** (three capitals), **countries** (ISO 3166
  alpha-2 in capitals) and **e-mail addresses** (a dot-atom local part, a host name with a
  letters-only top-level domain).
"""

from __future__ import annotations

import decimal
import math
from typing import Any

_YEAR = "[12][0-9]{3}"
_LONG_MONTHS = "(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
_SHORT_MONTHS = "(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
_FEBRUARY = "02-(?:0[1-9]|1[0-9]|2[0-8])"
_LEAP_YEAR = "(?:[12][0-9](?:0[48]|[2468][048]|[13579][26])|(?:12|16|20|24|28)00)"
DATE = f"(?:{_YEAR}-(?:{_LONG_MONTHS}|{_SHORT_MONTHS}|{_FEBRUARY})|{_LEAP_YEAR}-02-29)"
_CLOCK = "(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.][0-9]{1,6})?)?"
_OFFSET = "(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
INSTANT_PATTERN = f"^{DATE}(?:T{_CLOCK}{_OFFSET}?)?$"
MONTH_PATTERN = f"^{_YEAR}-(?:0[1-9]|1[0-2])$"
COUNTRY_PATTERN = "^[A-Z]{2}$"
#: ISO 4217 as the models check it: three capital letters (blank where a field may be empty).
CURRENCY_PATTERN = "^[A-Z]{3}$"
#: Body fields that hold a currency code.
CURRENCY_FIELDS = frozenset({"currency", "base", "base_currency"})
_ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_PATTERN = f"^{_ATOM}(?:[.]{_ATOM})*@(?:{_LABEL}[.])+[A-Za-z]{{2,63}}$"

#: Query parameters that take an instant as text (the parsers in ``cmdb.history`` and
#: ``licences.exports`` accept every value of INSTANT_PATTERN).
INSTANT_PARAMETERS = frozenset({"as_of", "since", "until", "from", "to"})

#: Precision assumed for a Decimal input that states none (what a money column holds).
DEFAULT_DIGITS, DEFAULT_PLACES = 14, 2


def decimal_schema(
    *,
    max_digits: int | None,
    decimal_places: int | None,
    lower: float | None,
    lower_strict: bool,
    upper: float | None,
    upper_strict: bool,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The integer and text branches of a Decimal input with this precision and these bounds.

    The text pattern states the precision and the sign; a bound other than zero is stated on
    the integer branch only (a regular expression cannot say "at most 100"), and the server
    answers a text value beyond it with a 422 naming the field.
    """
    places = DEFAULT_PLACES if decimal_places is None else decimal_places
    digits = DEFAULT_DIGITS if max_digits is None else max_digits
    whole_digits = max(digits - places, 1)
    largest = 10**whole_digits - 1
    high = largest if upper is None else min(largest, _floor(upper, upper_strict))
    unsigned = lower is not None and lower >= 0
    low = -largest if lower is None else max(-largest, _ceil(lower, lower_strict))
    integer: dict[str, Any] = {"type": "integer", "minimum": low, "maximum": high}
    sign = "" if unsigned else "-?"
    fraction = f"(?:[.][0-9]{{1,{places}}})?" if places else ""
    if unsigned and lower_strict and lower == 0:  # above zero: "0.00" is refused
        tiny = "|".join(f"0{{{k}}}[1-9][0-9]{{0,{places - 1 - k}}}" for k in range(places))
        small = f"|0[.](?:{tiny})" if places else ""
        body = f"(?:[1-9][0-9]{{0,{whole_digits - 1}}}{fraction}{small})"
    else:
        body = f"(?:0|[1-9][0-9]{{0,{whole_digits - 1}}}){fraction}"
    text = {"type": "string", "pattern": f"^{sign}{body}$"}
    return integer, text


def _floor(bound: float, strict: bool) -> int:
    value = math.floor(decimal.Decimal(str(bound)))
    return value - 1 if strict and value == bound else value


def _ceil(bound: float, strict: bool) -> int:
    value = math.ceil(decimal.Decimal(str(bound)))
    return value + 1 if strict and value == bound else value


_TEXT_CHAR = "[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f]"
#: A name or id typed by a person: not blank once stripped, no control characters.
NAME_PATTERN = f"^{_TEXT_CHAR}*[^\\s\\u0000-\\u001f]{_TEXT_CHAR}*$"
#: Ids as a comma-separated list in a query value (``3,7,12``).
ID_LIST_PATTERN = "^[0-9]{1,18}(?:,[0-9]{1,18})*$"
#: An http(s) URL Django's URLValidator accepts: a host name with a letters-only top-level
#: domain, an optional port and path.
URL_PATTERN = (
    f"^https?://(?:{_LABEL}[.])+[A-Za-z]{{2,63}}(?::[0-9]{{1,5}})?(?:/[A-Za-z0-9._~%/-]*)?$"
)


def optional(pattern: str) -> str:
    """The pattern, or the empty text (a field whose blank means "none")."""
    return f"^(?:{pattern.removeprefix('^').removesuffix('$')})?$"
