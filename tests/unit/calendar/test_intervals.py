"""Half-open interval algebra: union, intersection, difference, coverage and fitting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from releasegate.calendar.intervals import (
    Interval,
    covers,
    earliest_fit,
    first_uncovered,
    intersect,
    merge,
    subtract,
)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, 1, hour, minute, tzinfo=UTC)


def span(start: int, end: int) -> Interval:
    return Interval(at(start), at(end))


def test_interval_rejects_naive_bounds():
    with pytest.raises(ValueError, match="interval bounds must be aware datetimes"):
        Interval(datetime(2026, 1, 1), datetime(2026, 1, 2))


def test_interval_rejects_end_before_start():
    with pytest.raises(ValueError, match="interval ends"):
        Interval(at(10), at(9))


def test_half_open_containment():
    assert span(9, 10).contains(at(9))
    assert not span(9, 10).contains(at(10))


def test_touching_intervals_do_not_overlap():
    assert not span(9, 10).overlaps(span(10, 11))
    assert span(9, 10).overlaps(Interval(at(9, 59), at(10, 1)))


def test_point_overlap():
    assert span(9, 10).overlaps(Interval(at(9), at(9)))
    assert not span(9, 10).overlaps(Interval(at(10), at(10)))


def test_merge_joins_touching_and_overlapping():
    assert merge([span(12, 13), span(9, 10), span(10, 11), span(12, 12)]) == [
        span(9, 11),
        span(12, 13),
    ]


def test_intersect():
    assert intersect([span(8, 12), span(14, 18)], [span(10, 15)]) == [span(10, 12), span(14, 15)]


def test_subtract_splits():
    assert subtract([span(8, 18)], [span(10, 11), span(12, 13)]) == [
        span(8, 10),
        span(11, 12),
        span(13, 18),
    ]


def test_subtract_everything():
    assert subtract([span(9, 10)], [span(8, 11)]) == []


def test_covers_whole_span_only():
    union = merge([span(9, 12), span(12, 16)])
    assert covers(union, span(9, 16))
    assert not covers(union, span(15, 17))


def test_covers_point():
    assert covers([span(9, 16)], Interval(at(9), at(9)))
    assert not covers([span(9, 16)], Interval(at(16), at(16)))


def test_first_uncovered():
    union = [span(9, 12), span(13, 16)]
    assert first_uncovered(union, span(10, 14)) == at(12)
    assert first_uncovered(union, span(8, 10)) == at(8)
    assert first_uncovered(union, span(13, 16)) is None


def test_earliest_fit():
    free = [span(9, 10), span(11, 14)]
    assert earliest_fit(free, at(9, 30), timedelta(hours=1)) == at(11)
    assert earliest_fit(free, at(9, 30), timedelta(minutes=30)) == at(9, 30)
    assert earliest_fit(free, at(9, 30), timedelta(hours=4)) is None


def test_earliest_fit_zero_duration():
    assert earliest_fit([span(9, 10)], at(9, 59), timedelta(0)) == at(9, 59)
    assert earliest_fit([span(9, 10)], at(10), timedelta(0)) is None
