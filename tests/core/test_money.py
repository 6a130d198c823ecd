"""Money: fen in, 元 and 万元 out, in Decimal; every typed amount read by one parser."""

from __future__ import annotations

import pytest

from market.core import money


@pytest.mark.parametrize("fen, grouped, plain", [
    (0, "0.00", "0.00"), (1, "0.01", "0.01"), (123_456, "1,234.56", "1234.56"),
    # 2^53 + 1 fen: a float cannot hold it, so float division printed the wrong last digits.
    (9_007_199_254_740_993, "90,071,992,547,409.93", "90071992547409.93"),
])
def test_amounts_are_exact_to_the_fen(fen, grouped, plain):
    assert money.yuan_grouped(fen) == grouped
    assert money.yuan_plain(fen) == plain


@pytest.mark.parametrize("fen, zh, en", [
    (999_999, "9,999.99 元", "¥9,999.99"),
    (1_000_000, "1 万元", "¥10,000"),
    (12_365_000, "12.37 万元", "¥123,650"),  # 四舍五入: a float gave 12.36 (12.365 is 12.3649… in binary)
    (1_000_050, "1 万元", "¥10,001"),  # half a yuan rounds up in the English whole-yuan form
])
def test_the_site_shows_wan_yuan_from_ten_thousand_rounding_half_up(fen, zh, en):
    assert money.display(fen, "zh") == zh
    assert money.display(fen, "en") == en


@pytest.mark.parametrize("text, fen", [
    ("12,345.67", 1_234_567), ("1，000元", 100_000), (" 7 ", 700), ("１２", 1_200), ("1.230", 123), ("", None),
])
def test_typed_yuan_is_read_as_exact_fen(text, fen):
    assert money.parse_yuan(text) == fen


@pytest.mark.parametrize("text, reason", [
    ("1e3", "invalid"), ("NaN", "invalid"), ("Infinity", "invalid"), ("abc", "invalid"), (".5", "invalid"),
    ("-1", "negative"), ("0.005", "decimals"), ("100000000001", "too_large"),
])
def test_a_bad_amount_is_refused_with_its_reason(text, reason):
    with pytest.raises(money.AmountError) as err:
        money.parse_yuan(text)
    assert err.value.reason == reason


def test_wan_for_a_form_is_exact_and_ungrouped():
    assert [money.wan_plain(f) for f in (1_500_000, 10_000_000, 12_500, 1_000_000_000)] == ["1.5", "10", "0.0125",
                                                                                           "1000"]
