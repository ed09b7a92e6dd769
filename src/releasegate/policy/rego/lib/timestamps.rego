# METADATA
# title: Timestamp helpers
# description: >-
#   Parse the RFC 3339 timestamps of the policy input into nanoseconds since
#   the Unix epoch, so that rules compare instants as numbers.
package releasegate.lib.timestamps

# NOTE: this package is not named "time" because regopy 1.5.2 resolves
# time.parse_rfc3339_ns inside a package whose last segment is "time" as a
# rule of that package and fails with "Function not found".

import rego.v1

# METADATA
# title: Nanoseconds per day
# description: Length of a day in nanoseconds, for durations in days.
ns_per_day := 86400000000000

# METADATA
# title: Parse an RFC 3339 timestamp
# description: >-
#   Return the timestamp as nanoseconds since the Unix epoch. A malformed or
#   non-string value raises a built-in error, which fails the whole query
#   when strict built-in errors are on.
#   regopy 1.5.2 rejects the "Z" suffix in time.parse_rfc3339_ns but accepts
#   "+00:00", so a trailing "Z" or "z" is rewritten before parsing.
parse_ns(timestamp) := time.parse_rfc3339_ns(_with_numeric_offset(timestamp))

_with_numeric_offset(timestamp) := concat("", [substring(timestamp, 0, count(timestamp) - 1), "+00:00"]) if {
	_has_zulu_suffix(timestamp)
} else := timestamp

_has_zulu_suffix(timestamp) if endswith(timestamp, "Z")

_has_zulu_suffix(timestamp) if endswith(timestamp, "z")

# METADATA
# title: Instant is before another
# description: True when timestamp a is strictly earlier than timestamp b.
before(a, b) if parse_ns(a) < parse_ns(b)

# METADATA
# title: Nanoseconds per hour
# description: Length of an hour in nanoseconds, for durations in hours.
ns_per_hour := 3600000000000

# METADATA
# title: Nanoseconds per minute
# description: Length of a minute in nanoseconds, for durations in minutes.
ns_per_minute := 60000000000

# METADATA
# title: Valid RFC 3339 timestamp
# description: >-
#   True when the value is a string in RFC 3339 form with seconds and a UTC
#   offset or "Z". Controls check this before parse_ns, which raises an error
#   that fails the whole query on a malformed value.
valid(value) if {
	is_string(value)
	regex.match(`^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$`, value)
}

# METADATA
# title: Elapsed time
# description: >-
#   Return the time from timestamp a to timestamp b in the given unit of
#   nanoseconds (ns_per_day, ns_per_hour, ns_per_minute), rounded to one
#   decimal. Negative when b is earlier than a.
elapsed(a, b, unit) := round(((parse_ns(b) - parse_ns(a)) / unit) * 10) / 10

# METADATA
# title: Format an instant
# description: >-
#   Return nanoseconds since the Unix epoch as an RFC 3339 timestamp in UTC
#   with a "Z" suffix, to whole seconds.
format_utc(ns) := concat("", [time.format([ns, "UTC", "2006-01-02T15:04:05"]), "Z"])
