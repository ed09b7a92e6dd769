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
