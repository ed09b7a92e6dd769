"""Half-open time intervals [start, end) in UTC and the set operations calendars need.

A freeze or window occurrence contains every instant t with start <= t < end. A
rollout that ends exactly when a freeze begins does not overlap it, and a
rollout that ends exactly when a window closes stays inside it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, order=True)
class Interval:
    """The instants from `start` (included) to `end` (excluded), both aware."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("interval bounds must be aware datetimes")
        if self.end < self.start:
            raise ValueError(f"interval ends ({self.end}) before it starts ({self.start})")

    @property
    def empty(self) -> bool:
        return self.end <= self.start

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def overlaps(self, other: Interval) -> bool:
        """Return whether the intervals share an instant; an empty interval is a point."""
        if other.empty:
            return self.contains(other.start)
        if self.empty:
            return other.contains(self.start)
        return self.start < other.end and other.start < self.end


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Return the union as sorted, disjoint, non-adjacent, non-empty intervals."""
    result: list[Interval] = []
    for interval in sorted(i for i in intervals if not i.empty):
        if result and interval.start <= result[-1].end:
            last = result[-1]
            result[-1] = Interval(last.start, max(last.end, interval.end))
        else:
            result.append(interval)
    return result


def intersect(first: Iterable[Interval], second: Iterable[Interval]) -> list[Interval]:
    """Return the instants in both unions, merged."""
    left, right = merge(first), merge(second)
    result: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start = max(left[i].start, right[j].start)
        end = min(left[i].end, right[j].end)
        if start < end:
            result.append(Interval(start, end))
        if left[i].end <= right[j].end:
            i += 1
        else:
            j += 1
    return result


def subtract(base: Iterable[Interval], removed: Iterable[Interval]) -> list[Interval]:
    """Return the instants of `base` that are in no interval of `removed`, merged."""
    cuts = merge(removed)
    result: list[Interval] = []
    for interval in merge(base):
        pieces = [interval]
        for cut in cuts:
            if cut.start >= interval.end:
                break
            next_pieces: list[Interval] = []
            for piece in pieces:
                if cut.end <= piece.start or cut.start >= piece.end:
                    next_pieces.append(piece)
                    continue
                if piece.start < cut.start:
                    next_pieces.append(Interval(piece.start, cut.start))
                if cut.end < piece.end:
                    next_pieces.append(Interval(cut.end, piece.end))
            pieces = next_pieces
        result.extend(pieces)
    return merge(result)


def clip(intervals: Iterable[Interval], bounds: Interval) -> list[Interval]:
    """Return the parts of the merged intervals inside `bounds`."""
    return intersect(intervals, [bounds])


def covers(union: list[Interval], span: Interval) -> bool:
    """Return whether the merged `union` contains every instant of `span` (its start if empty)."""
    if span.empty:
        return any(i.contains(span.start) for i in union)
    return any(i.start <= span.start and span.end <= i.end for i in union)


def first_uncovered(union: list[Interval], span: Interval) -> datetime | None:
    """Return the first instant of `span` outside the merged `union`, or None if covered."""
    moment = span.start
    for interval in union:
        if interval.end <= moment:
            continue
        if interval.start > moment:
            return moment
        moment = interval.end
        if moment >= span.end:
            return None
    if span.empty:
        return None if any(i.contains(span.start) for i in union) else span.start
    return moment if moment < span.end else None


def earliest_fit(free: list[Interval], after: datetime, duration: timedelta) -> datetime | None:
    """Return the earliest start s >= `after` with [s, s + duration) inside the merged `free`.

    With a zero duration, the start itself must lie inside `free`.
    """
    for interval in free:
        start = max(interval.start, after)
        if start >= interval.end:
            continue
        if interval.end - start >= duration:
            return start
    return None
