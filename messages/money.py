"""Amounts as a CS team reads them: $950, €12K, £2.5M, CHF 1.2B.

CRM amounts (ARR, deal amounts) carry no currency of their own in the store: they are in the currency
the CRM org keeps them in, which the bot is told once (`CURRENCY`, an ISO 4217 code) and sets here at
start-up with `set_currency`. Well-known currencies show their symbol; any other code is written out
("CHF 12K"), so an amount is never shown in a currency it is not in.
"""

from __future__ import annotations

import re
from decimal import Decimal

DEFAULT_CURRENCY = "USD"

# Symbols that are unambiguous in an English-language message; a dollar other than the US one, or a
# yen/yuan other than the Japanese one, carries its country's prefix.
SYMBOLS: dict[str, str] = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "INR": "₹",
    "KRW": "₩",
    "ILS": "₪",
    "NGN": "₦",
    "PHP": "₱",
    "VND": "₫",
    "CAD": "CA$",
    "AUD": "A$",
    "NZD": "NZ$",
    "HKD": "HK$",
    "SGD": "S$",
    "MXN": "MX$",
    "BRL": "R$",
    "CNY": "CN¥",
}

_CODE = re.compile(r"[A-Z]{3}")
_currency = DEFAULT_CURRENCY


def check_currency(code: str) -> str:
    """`code` upper-cased if it is a three-letter ISO 4217 code; ValueError otherwise."""
    upper = code.strip().upper()
    if not _CODE.fullmatch(upper):
        raise ValueError(f"not an ISO 4217 currency code (three letters, such as USD or EUR): {code!r}")
    return upper


def set_currency(code: str) -> None:
    """The currency every amount is shown in from now on (the composition root calls this once)."""
    global _currency
    _currency = check_currency(code)


def current_currency() -> str:
    return _currency


def _prefix(code: str) -> str:
    return SYMBOLS.get(code) or f"{code}\u00a0"  # a no-break space keeps "CHF 12K" on one line


def money(value: Decimal | int | float | None, currency: str | None = None) -> str:
    """$950, $12,345 -> $12K, $2.5M, $1.2B in the current currency (or `currency`); the unit is chosen
    after rounding (so $999,999 is $1.0M, not $1,000K) and a negative amount reads "−$5,000"."""
    if value is None:
        return "n/a"
    prefix = _prefix(currency or _currency)
    amount = float(value)
    sign, size = ("−" if amount < 0 and round(abs(amount)) else ""), abs(amount)
    if round(size / 1_000_000, 1) >= 1_000:
        return f"{sign}{prefix}{size / 1_000_000_000:,.1f}B"
    if round(size / 1_000) >= 1_000:
        return f"{sign}{prefix}{size / 1_000_000:,.1f}M"
    if size >= 10_000:
        return f"{sign}{prefix}{size / 1_000:,.0f}K"
    return f"{sign}{prefix}{size:,.0f}"
