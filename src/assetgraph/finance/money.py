"""Currency minor units and conversion to a base currency with dated rates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

# ISO 4217 currencies whose minor unit is not two digits.
_MINOR_DIGITS = {
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
}


def minor_digits(currency: str) -> int:
    """Decimal places of the currency's minor unit (2 unless ISO 4217 says otherwise)."""
    return _MINOR_DIGITS.get(currency.upper(), 2)


def quantum(currency: str) -> Decimal:
    """The currency's minor unit as a Decimal (0.01, 1, 0.001)."""
    return Decimal(1).scaleb(-minor_digits(currency))


def rate_on(currency: str, base: str, day: dt.date) -> Decimal | None:
    """The rate in force for ``currency`` → ``base`` on ``day`` (1 when they are the same);
    None when the table has none, so the caller can flag it rather than guess."""
    from .models import ExchangeRate

    if currency == base:
        return Decimal(1)
    return (
        ExchangeRate.objects.filter(currency=currency, base=base, valid_from__lte=day)
        .order_by("-valid_from")
        .values_list("rate", flat=True)
        .first()
    )
