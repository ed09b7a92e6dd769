"""The calendar as it applies to one service in one environment.

Freezes combine by union: a freeze of any of the service's legal entities
blocks. A window that follows local time applies in every legal entity of
the service at once, so its occurrences are intersected across the entities
(weekdays 09:00 to 16:00 in Dublin and in Frankfurt is 09:00 to 16:00 Dublin
time). Different windows combine by union: a release may go when it is
inside any window that constrains its tier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from releasegate.calendar.document import (
    Freeze,
    IcalRule,
    Rule,
    Scope,
    Window,
    rule_needs_entity,
)
from releasegate.calendar.intervals import (
    Interval,
    covers,
    earliest_fit,
    first_uncovered,
    intersect,
    merge,
    subtract,
)
from releasegate.calendar.loader import CalendarSet, ical_key
from releasegate.calendar.localtime import load_zone
from releasegate.calendar.rules import EntityCalendar, occurrences
from releasegate.model.decision import RiskTier
from releasegate.model.service import Service

# How far `next_allowed` looks ahead, and the size of each step of its search.
DEFAULT_HORIZON = timedelta(days=400)
_SEARCH_CHUNK = timedelta(days=31)
_UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a freeze or window, for one legal entity or for none."""

    item: Freeze | Window
    entity: str | None
    zone: ZoneInfo
    interval: Interval

    @property
    def is_freeze(self) -> bool:
        return isinstance(self.item, Freeze)


@dataclass(frozen=True)
class _Binding:
    """A freeze or window bound to the legal entity whose calendar it follows (or to none)."""

    item: Freeze | Window
    entity: EntityCalendar | None


@dataclass(frozen=True)
class TierStatus:
    """Whether a release of one tier may run over a planned span, and why not."""

    tier: RiskTier
    blocking: tuple[Occurrence, ...]
    constrained: bool
    covered: bool
    uncovered_at: datetime | None
    windows: tuple[str, ...]

    @property
    def may_go(self) -> bool:
        return not self.blocking and self.covered


def scope_text(scope: Scope) -> str:
    """Describe a scope in words: 'legal entity acme-bank-eu; criticality 0, 1; production'."""
    parts = []
    if scope.services:
        parts.append("service " + ", ".join(scope.services))
    if scope.criticality:
        parts.append("criticality " + ", ".join(str(int(c)) for c in scope.criticality))
    if scope.legal_entities:
        parts.append("legal entity " + ", ".join(scope.legal_entities))
    if scope.regions:
        parts.append("region " + ", ".join(scope.regions))
    if scope.finance_processes:
        parts.append("finance process " + ", ".join(p.value for p in scope.finance_processes))
    parts.append(", ".join(e.value for e in scope.environments))
    return "; ".join(parts)


def _zone_of(rule: Rule, entity: EntityCalendar | None) -> ZoneInfo:
    if entity is not None:
        return entity.zone
    timezone = getattr(rule, "timezone", None)
    return load_zone(timezone) if timezone else _UTC


class ServiceCalendar:
    """Freezes and windows that apply to one service in one environment.

    `problems` lists what prevents a reliable result, such as an unknown legal
    entity or a service missing from the catalog. The gate fails the calendar
    controls on any problem.
    """

    def __init__(
        self, calendars: CalendarSet | None, service: Service | None, environment: str
    ) -> None:
        self.calendars = calendars
        self.service = service
        self.environment = environment
        self.problems: list[str] = []
        self._freezes: list[_Binding] = []
        self._windows: list[tuple[Window, list[_Binding]]] = []
        if calendars is None:
            return
        if service is None:
            self.problems.append(
                "the release's service is not in the catalog, so the calendar cannot tell "
                "which freezes and windows apply"
            )
            return
        for entity in service.legal_entities:
            if entity not in calendars.entities:
                self.problems.append(
                    f"legal entity {entity} of service {service.name} is not defined in "
                    f"{calendars.source}"
                )
        for freeze in calendars.freezes:
            self._freezes.extend(self._bind(freeze))
        for window in calendars.windows:
            bindings = self._bind(window)
            if bindings:
                self._windows.append((window, bindings))

    @classmethod
    def whole(cls, calendars: CalendarSet) -> ServiceCalendar:
        """Return every freeze and window of the calendar, for every legal entity it follows.

        Scopes other than legal entities are not applied, so the result shows
        what is in the calendar, not what applies to one service.
        """
        instance = cls(None, None, "")
        instance.calendars = calendars
        items: list[Freeze | Window] = [*calendars.freezes, *calendars.windows]
        for item in items:
            needs_entity = any(rule_needs_entity(r) for r in (item.rule, *item.exceptions))
            if needs_entity:
                names = item.scope.legal_entities or tuple(calendars.entities)
                bindings = [_Binding(item, calendars.entities[name]) for name in names]
            else:
                bindings = [_Binding(item, None)]
            if isinstance(item, Window):
                if bindings:
                    instance._windows.append((item, bindings))
            else:
                instance._freezes.extend(bindings)
        return instance

    # Binding -------------------------------------------------------------

    def _applies(self, item: Freeze | Window) -> bool:
        service, scope = self.service, item.scope
        assert service is not None
        checks = (
            self.environment in {e.value for e in scope.environments},
            not scope.services or service.name in scope.services,
            not scope.criticality or service.criticality in scope.criticality,
            not scope.regions or bool(set(scope.regions) & set(service.regions)),
            not scope.finance_processes
            or bool(set(scope.finance_processes) & set(service.finance_processes)),
        )
        return all(checks)

    def _entities_in_scope(self, item: Freeze | Window) -> list[str]:
        service, calendars = self.service, self.calendars
        assert service is not None and calendars is not None
        entities = list(service.legal_entities)
        if not entities and calendars.default_entity is not None:
            entities = [calendars.default_entity]
        if item.scope.legal_entities:
            entities = [e for e in entities if e in item.scope.legal_entities]
        return entities

    def _bind(self, item: Freeze | Window) -> list[_Binding]:
        calendars, service = self.calendars, self.service
        assert calendars is not None and service is not None
        if not self._applies(item):
            return []
        entities = self._entities_in_scope(item)
        if item.scope.legal_entities and not entities:
            return []
        needs_entity = any(rule_needs_entity(r) for r in (item.rule, *item.exceptions))
        if not needs_entity:
            return [_Binding(item, None)]
        if not entities:
            self.problems.append(
                f"{item.name} follows a legal entity's time zone and business days, but "
                f"service {service.name} has no legal entity and the calendar names no "
                "default_legal_entity"
            )
            return []
        # Unknown entities are reported once, in __init__.
        return [_Binding(item, calendars.entities[e]) for e in entities if e in calendars.entities]

    # Occurrences ---------------------------------------------------------

    def _rule_intervals(
        self, rule: Rule, entity: EntityCalendar | None, bounds: Interval, *, widen: bool
    ) -> list[Interval]:
        ical = None
        if isinstance(rule, IcalRule):
            assert self.calendars is not None
            ical = self.calendars.ical_files[ical_key(rule)]
        return occurrences(rule, entity=entity, bounds=bounds, widen=widen, ical=ical)

    def _binding_intervals(self, binding: _Binding, bounds: Interval) -> list[Interval]:
        """Return the binding's occurrences overlapping `bounds`, exceptions cut out."""
        widen = isinstance(binding.item, Freeze)
        found = self._rule_intervals(binding.item.rule, binding.entity, bounds, widen=widen)
        if not binding.item.exceptions:
            return found
        # Exceptions are read the other way: what they cut out of a freeze is
        # narrowed, what they cut out of a window is widened.
        cut_bounds = Interval(
            min([bounds.start, *(i.start for i in found)]),
            max([bounds.end, *(i.end for i in found)]),
        )
        cuts = [
            interval
            for rule in binding.item.exceptions
            for interval in self._rule_intervals(rule, binding.entity, cut_bounds, widen=not widen)
        ]
        pieces = []
        for interval in found:
            pieces.extend(subtract([interval], cuts))
        return [piece for piece in pieces if piece.overlaps(bounds)]

    def _occurrences_of(self, binding: _Binding, bounds: Interval) -> list[Occurrence]:
        zone = _zone_of(binding.item.rule, binding.entity)
        entity = binding.entity.name if binding.entity else None
        return [
            Occurrence(binding.item, entity, zone, interval)
            for interval in self._binding_intervals(binding, bounds)
        ]

    def freeze_occurrences(self, bounds: Interval) -> list[Occurrence]:
        """Return every freeze occurrence overlapping `bounds` (an empty one is a point)."""
        found = [o for b in self._freezes for o in self._occurrences_of(b, bounds)]
        return sorted(found, key=lambda o: (o.interval, o.item.name, o.entity or ""))

    def window_occurrences(self, bounds: Interval) -> list[Occurrence]:
        """Return every window occurrence overlapping `bounds`, per legal entity."""
        found = [
            o
            for _, bindings in self._windows
            for b in bindings
            for o in self._occurrences_of(b, bounds)
        ]
        return sorted(found, key=lambda o: (o.interval, o.item.name, o.entity or ""))

    def constrained(self, tier: RiskTier) -> bool:
        """Return whether any window constrains releases of `tier`."""
        return any(tier in window.tiers for window, _ in self._windows)

    def windows_for(self, tier: RiskTier) -> tuple[str, ...]:
        return tuple(window.name for window, _ in self._windows if tier in window.tiers)

    def blocked_intervals(self, tier: RiskTier, bounds: Interval) -> list[Interval]:
        """Return the merged freezes that block `tier` and overlap `bounds`."""
        return merge(o.interval for o in self.freeze_occurrences(bounds) if tier in o.item.tiers)

    def allowed_intervals(self, tier: RiskTier, bounds: Interval) -> list[Interval]:
        """Return the merged window time for `tier` overlapping `bounds`.

        Each window's occurrences are intersected across its legal entities,
        then the windows are united. Only meaningful when `constrained(tier)`.
        """
        union: list[Interval] = []
        for window, bindings in self._windows:
            if tier not in window.tiers:
                continue
            shared: list[Interval] | None = None
            for binding in bindings:
                mine = merge(self._binding_intervals(binding, bounds))
                shared = mine if shared is None else intersect(shared, mine)
            union = merge([*union, *(shared or [])])
        return union

    # Questions -----------------------------------------------------------

    def status(self, tier: RiskTier, start: datetime, end: datetime) -> TierStatus:
        """Return whether a release of `tier` may run from `start` to `end`."""
        span = Interval(start, end)
        blocking = tuple(o for o in self.freeze_occurrences(span) if tier in o.item.tiers)
        constrained = self.constrained(tier)
        uncovered_at = None
        covered = True
        if constrained:
            margin = timedelta(days=1)
            allowed = self.allowed_intervals(tier, Interval(start - margin, end + margin))
            covered = covers(allowed, span)
            uncovered_at = None if covered else first_uncovered(allowed, span)
        return TierStatus(
            tier=tier,
            blocking=blocking,
            constrained=constrained,
            covered=covered,
            uncovered_at=uncovered_at,
            windows=self.windows_for(tier),
        )

    def next_allowed(
        self,
        tier: RiskTier,
        after: datetime,
        duration: timedelta,
        *,
        horizon: timedelta = DEFAULT_HORIZON,
    ) -> datetime | None:
        """Return the earliest start at or after `after` for a rollout of `duration`.

        The rollout [start, start + duration) must overlap no freeze that
        blocks `tier` and, when windows constrain `tier`, lie inside them.
        Returns None when no such start exists within `horizon`.

        Steps: search the horizon in chunks. For each chunk, compute the free
        time up to the chunk's end plus the duration: the window time (or all
        time when no window constrains the tier) minus the freezes. Take the
        first start that fits.
        """
        if duration < timedelta(0):
            raise ValueError("the rollout duration must not be negative")
        after = after.astimezone(UTC)
        limit = after + horizon
        cursor = after
        while cursor < limit:
            chunk_end = min(cursor + _SEARCH_CHUNK, limit)
            bounds = Interval(cursor, chunk_end + duration)
            if self.constrained(tier):
                allowed = self.allowed_intervals(tier, bounds)
            else:
                allowed = [Interval(cursor, bounds.end + timedelta(seconds=1))]
            free = intersect(subtract(allowed, self.blocked_intervals(tier, bounds)), [bounds])
            found = earliest_fit(free, cursor, duration)
            if found is not None:
                return found
            cursor = chunk_end
        return None
