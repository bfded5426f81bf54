"""Normalising what recruiters type: handles, emails, phones, money, dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.domain.dates import parse_date, parse_when
from crm.domain.errors import ValidationError
from crm.domain.values import (
    XHandle,
    check_date_range,
    fold,
    normalise_email,
    normalise_phone,
    parse_day_rate,
    parsed_phone,
    read_phone,
    search_words,
    validated_email,
)


@pytest.mark.parametrize(
    "text",
    [
        "NHSEngland",
        "@NHSEngland",
        "x.com/NHSEngland",
        "https://twitter.com/NHSEngland",
        "https://www.x.com/NHSEngland/status/123",
        "twitter.com/NHSEngland?lang=en",
        "  @NHSEngland  ",
        "http://mobile.twitter.com/NHSEngland",
    ],
)
def test_handles_are_normalised(text: str) -> None:
    assert XHandle.parse(text).value == "NHSEngland"


@pytest.mark.parametrize(
    "text", ["", "@", "has space", "a" * 16, "name!", "facebook.com/someone", "x.com/", "@émile"]
)
def test_bad_handles_are_refused_with_the_field(text: str) -> None:
    with pytest.raises(ValidationError) as err:
        XHandle.parse(text)
    assert err.value.field == "x_handle"


def test_handle_key_ignores_case() -> None:
    assert XHandle.parse("@Foo_Bar").key == XHandle.parse("foo_bar").key


def test_email() -> None:
    assert normalise_email(" Jo.Bloggs@Example.COM ") == "Jo.Bloggs@example.com"
    with pytest.raises(ValidationError, match="not a valid email"):
        normalise_email("jo@")


def test_phone_uk_default_and_e164() -> None:
    assert normalise_phone("07911 123456") == "+447911123456"
    assert normalise_phone("+44 20 7946 0123") == "+442079460123"
    assert normalise_phone("+1 415 555 2671") == "+14155552671"
    with pytest.raises(ValidationError):
        normalise_phone("12345")
    with pytest.raises(ValidationError):
        normalise_phone("call me")


def test_day_rate() -> None:
    assert parse_day_rate("£1,200") == Decimal("1200.00")
    assert parse_day_rate("650.5") == Decimal("650.50")
    for bad in ("0", "-5", "abc", "12.345", "NaN", "1e9"):
        with pytest.raises(ValidationError):
            parse_day_rate(bad)


def test_dates_in_order() -> None:
    check_date_range(date(2026, 1, 1), date(2026, 1, 1))
    with pytest.raises(ValidationError, match="cannot end"):
        check_date_range(date(2026, 2, 1), date(2026, 1, 1))


def test_fold_and_search_words() -> None:
    assert fold("St George's Émile") == "st georges emile"
    assert search_words('"NEAR" -x* (a OR b) 😀 O’Brien') == ["near", "x", "a", "or", "b", "obrien"]
    assert search_words("") == []


def test_parse_date_uk_forms() -> None:
    today = date(2026, 11, 26)
    assert parse_date("03/12/2026") == date(2026, 12, 3)
    assert parse_date("2026-12-03") == date(2026, 12, 3)
    assert parse_date("+1w", today=today) == date(2026, 12, 3)
    assert parse_date("tomorrow", today=today) == date(2026, 11, 27)
    with pytest.raises(ValidationError):
        parse_date("31/02/2026")


def test_parse_when_is_uk_local_time() -> None:
    now = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    # 14:30 in British Summer Time is 13:30 UTC.
    assert parse_when("01/07/2026 14:30", now=now) == datetime(2026, 7, 1, 13, 30, tzinfo=UTC)
    assert parse_when("now", now=now) == now
    with pytest.raises(ValidationError):
        parse_when("01/07/2026 25:99", now=now)


# -- the quick paths agree with the libraries ----------------------------------------------

_ATEXT = st.text(alphabet=st.sampled_from("abcXYZ019._-+'%"), min_size=1, max_size=12).filter(
    lambda s: not s.startswith(".") and not s.endswith(".") and ".." not in s
)
_DOMAIN = st.lists(
    st.text(alphabet=st.sampled_from("abz09-"), min_size=1, max_size=8), min_size=1, max_size=3
).map(".".join)
_TLD = st.sampled_from(["uk", "org", "net", "COM", "nhs", "test", "local", "x", "co"])


@settings(max_examples=300, deadline=None)
@given(local=_ATEXT, domain=_DOMAIN, tld=_TLD)
def test_fast_email_agrees(local: str, domain: str, tld: str) -> None:
    address = f"{local}@{domain}.{tld}"
    try:
        expected: str | None = validated_email(address)
    except ValidationError:
        expected = None
    try:
        got: str | None = normalise_email(address)
    except ValidationError:
        got = None
    assert got == expected


@settings(max_examples=500, deadline=None)
@given(
    prefix=st.sampled_from(["0", "+44", "+44 ", "0044", "+1 ", ""]),
    digits=st.text(alphabet="0123456789", min_size=8, max_size=11),
    spaces=st.booleans(),
)
def test_fast_phone_agrees(prefix: str, digits: str, spaces: bool) -> None:
    number = prefix + (digits[:4] + " " + digits[4:] if spaces else digits)
    try:
        expected: tuple[str, bool] | None = parsed_phone(number)
    except ValidationError:
        expected = None
    try:
        got: tuple[str, bool] | None = read_phone(number)
    except ValidationError:
        got = None
    assert got == expected
    if got is not None:
        assert normalise_phone(number) == got[0]


def test_member_of_names_the_values_allowed() -> None:
    from crm.domain.enums import ShortlistStage
    from crm.domain.values import member_of

    assert member_of(ShortlistStage, "submitted", "stage", "a stage") is ShortlistStage.SUBMITTED
    with pytest.raises(ValidationError) as caught:
        member_of(ShortlistStage, "Submitted", "stage", "a stage")
    allowed = ", ".join(s.value for s in ShortlistStage)
    assert str(caught.value) == f"'Submitted' is not a stage ({allowed})."
    assert caught.value.field == "stage"
