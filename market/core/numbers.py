"""The one parser of decimal numbers typed or sent by users (prices in 元, budgets, rates, amounts).

`decimal.Decimal` accepts far more than a person means by a number: "NaN", "sNaN", "Infinity",
huge exponents ("1e999999") and underscores. A NaN then fails at the first comparison with
InvalidOperation (a 500), and an infinity or a huge exponent passes checks it should not. Every
parser of user numbers goes through `parse_decimal`, which admits plain numerals only. No Flask.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

# An optional sign, digits with an optional fraction (".5" and "5." too), and a small exponent
# ("2E+1" is how Decimal itself writes a normalised 20, and such text is stored); nothing else.
_NUMERAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,2})?")
MAX_LENGTH = 40  # digits enough for any amount of money; more is an attack or a typo


class NotANumber(ValueError):
    """The text is not a plain, finite decimal numeral."""


def parse_decimal(value) -> Decimal:
    """`value` (text, or a number from JSON) as a finite Decimal; NotANumber for anything else.

    Full-width digits and signs (typed with a Chinese input method) count as ASCII ones.
    """
    if isinstance(value, bool):
        raise NotANumber(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise NotANumber(str(value))
        value = str(value)
    elif isinstance(value, (int, float)):
        value = repr(value)  # a float NaN or inf from JSON becomes "nan"/"inf" and is refused below
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if len(text) > MAX_LENGTH or not _NUMERAL.fullmatch(text):
        raise NotANumber(text[:MAX_LENGTH])
    try:
        number = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only numerals
        raise NotANumber(text) from None
    return number
