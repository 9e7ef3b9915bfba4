"""When the pump was implanted, for "no increase in the first 24 h" (CLINICAL.md section 3)."""

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from carecoord.domain.devices import implant_moment, implant_words

CHICAGO = ZoneInfo("America/Chicago")
UTC = dt.UTC


def test_recorded_time_is_the_moment_in_the_clinic_zone():
    """14:30 in Chicago on 12 Mar 2023 (CDT from that morning) is 19:30 UTC."""
    moment = implant_moment(dt.date(2023, 3, 12), dt.time(14, 30), CHICAGO)
    assert moment == dt.datetime(2023, 3, 12, 19, 30, tzinfo=UTC)


def test_no_time_counts_from_the_end_of_the_implant_day():
    """A back-dated paper record: the end of 12 Mar 2023 in Chicago (05:00 UTC the 13th)."""
    assert implant_moment(dt.date(2023, 3, 12), None, CHICAGO) == dt.datetime(
        2023, 3, 13, 5, tzinfo=UTC
    )


def test_a_wall_time_in_the_repeated_or_skipped_hour_takes_the_later_reading():
    """01:30 on 5 Nov 2023 happened twice in Chicago: the later one (07:30 UTC) is used;
    02:30 on 12 Mar 2023 never happened: the later reading (08:30 UTC) is used."""
    assert implant_moment(dt.date(2023, 11, 5), dt.time(1, 30), CHICAGO) == dt.datetime(
        2023, 11, 5, 7, 30, tzinfo=UTC
    )
    assert implant_moment(dt.date(2023, 3, 12), dt.time(2, 30), CHICAGO) == dt.datetime(
        2023, 3, 12, 8, 30, tzinfo=UTC
    )


def test_implant_words():
    assert implant_words(dt.date(2023, 3, 12), dt.time(9, 5)) == "12 Mar 2023 at 09:05"
    assert implant_words(dt.date(2023, 3, 12), None) == "12 Mar 2023 (time not recorded)"


@given(
    day=st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2060, 12, 31)),
    time=st.times(),
    zone=st.sampled_from(["America/Chicago", "Europe/Paris", "Australia/Sydney", "UTC"]),
)
def test_without_a_time_the_moment_is_never_earlier_than_any_time_that_day(day, time, zone):
    """The conservative side: an unknown time counts from no earlier than the real one, so
    the 24-hour window never ends early; a recorded time always falls within its local date
    (or the hour a clock change skipped)."""
    tz = ZoneInfo(zone)
    unknown = implant_moment(day, None, tz)
    known = implant_moment(day, time, tz)
    assert known <= unknown
    local = known.astimezone(tz)
    assert local.date() == day or (local.date() == day + dt.timedelta(days=1) and zone != "UTC")
