"""Patent term: last protected day and remaining term (domain.md §1.1)."""

from __future__ import annotations

from datetime import date

import pytest

from listings.term import (
    add_years,
    format_remaining,
    last_protected_day,
    remaining_term,
    term_years,
)
from listings.vocabulary import PatentType

INV, UM, DES = PatentType.INVENTION, PatentType.UTILITY_MODEL, PatentType.DESIGN


@pytest.mark.parametrize("patent_type, filed, last", [
    (INV, date(2010, 3, 15), date(2030, 3, 14)),
    (UM, date(2010, 3, 15), date(2020, 3, 14)),
    (INV, date(2013, 12, 31), date(2033, 12, 30)),
    (INV, date(2014, 1, 1), date(2033, 12, 31)),
])
def test_term_ends_the_day_before_the_anniversary(patent_type, filed, last):
    assert last_protected_day(patent_type, filed) == last


@pytest.mark.parametrize("filed, years, last", [
    (date(2021, 5, 31), 10, date(2031, 5, 30)),
    (date(2021, 6, 1), 15, date(2036, 5, 31)),
    (date(2014, 12, 2), 10, date(2024, 12, 1)),
])
def test_design_term_is_15_years_from_2021_06_01_and_10_before(filed, years, last):
    assert term_years(DES, filed) == years
    assert last_protected_day(DES, filed) == last


def test_design_term_change_date_is_configurable():
    assert last_protected_day(DES, date(2021, 5, 31),
                              design_term_change=date(2021, 5, 1)) == date(2036, 5, 30)


def test_term_extension_days_are_added_after_the_term():
    assert last_protected_day(INV, date(2010, 3, 15), 100) == date(2030, 6, 22)


def test_negative_extension_is_refused():
    with pytest.raises(ValueError):
        last_protected_day(INV, date(2010, 3, 15), -1)


@pytest.mark.parametrize("patent_type, filed, last", [
    # No 29 Feb in the final year: the period ends on the month's last day (28 Feb), as the
    # Implementing Regulations' period rule says, so protection runs to 27 Feb.
    (UM, date(2020, 2, 29), date(2030, 2, 27)),
    (INV, date(2004, 2, 29), date(2024, 2, 28)),   # 2024 is a leap year: anniversary exists
    (DES, date(2024, 2, 29), date(2039, 2, 27)),
    (UM, date(2020, 2, 28), date(2030, 2, 27)),
    (UM, date(2020, 3, 1), date(2030, 2, 28)),
])
def test_leap_day_filings_end_at_the_end_of_february(patent_type, filed, last):
    assert last_protected_day(patent_type, filed) == last


def test_add_years_moves_29_february_to_28_february():
    assert add_years(date(2020, 2, 29), 1) == date(2021, 2, 28)
    assert add_years(date(2020, 2, 29), 4) == date(2024, 2, 29)


@pytest.mark.parametrize("last, today, expected", [
    (date(2039, 12, 31), date(2020, 1, 1), (20, 0)),
    (date(2030, 3, 14), date(2027, 1, 29), (3, 45)),
    (date(2030, 3, 14), date(2030, 3, 14), (0, 1)),
    (date(2030, 3, 14), date(2030, 3, 15), (0, 0)),
    (date(2030, 3, 14), date(2031, 1, 1), (0, 0)),
    (date(2030, 2, 27), date(2028, 2, 29), (2, 0)),
    (date(2030, 2, 27), date(2028, 3, 1), (1, 364)),
])
def test_remaining_term_counts_years_and_days_including_today(last, today, expected):
    assert remaining_term(last, today) == expected


@pytest.mark.parametrize("today, lang, text", [
    (date(2027, 1, 29), "zh", "剩余 3 年 45 天"),
    (date(2027, 1, 29), "en", "3 years 45 days left"),
    (date(2029, 3, 15), "zh", "剩余 1 年"),
    (date(2030, 3, 14), "en", "1 day left"),
    (date(2030, 3, 15), "zh", "已届满"),
    (date(2030, 3, 15), "en", "Term expired"),
])
def test_remaining_term_is_displayed_in_either_language(today, lang, text):
    assert format_remaining(date(2030, 3, 14), today, lang) == text
