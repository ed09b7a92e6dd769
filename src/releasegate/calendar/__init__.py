"""Change calendars: freezes and allowed windows, business-day rules, iCalendar.

`load_calendars` reads the calendar file. `ServiceCalendar` evaluates it for
one service and environment: the state at a time and the next allowed start.
`gather_facts` computes what the gate adds to the policy input document.
"""

from releasegate.calendar.facts import CalendarFacts, gather_facts
from releasegate.calendar.loader import CalendarSet, load_calendars
from releasegate.calendar.schedule import Occurrence, ServiceCalendar, TierStatus

__all__ = [
    "CalendarFacts",
    "CalendarSet",
    "Occurrence",
    "ServiceCalendar",
    "TierStatus",
    "gather_facts",
    "load_calendars",
]
