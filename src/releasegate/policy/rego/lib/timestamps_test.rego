package releasegate_test.lib.timestamps

import rego.v1

import data.releasegate.lib.timestamps

test_parse_zulu_suffix if {
	timestamps.parse_ns("2026-12-04T20:00:00Z") == 1796414400000000000
}

test_parse_lowercase_zulu_suffix if {
	timestamps.parse_ns("2026-12-04T20:00:00z") == 1796414400000000000
}

test_parse_numeric_offset if {
	timestamps.parse_ns("2026-12-04T21:00:00+01:00") == 1796414400000000000
}

test_parse_fractional_seconds if {
	timestamps.parse_ns("2026-12-04T20:00:00.5Z") == 1796414400500000000
}

test_before_orders_instants if {
	timestamps.before("2026-12-04T19:59:59Z", "2026-12-04T20:00:00Z")
}

test_before_is_strict if {
	not timestamps.before("2026-12-04T20:00:00Z", "2026-12-04T20:00:00Z")
}

test_before_across_offsets if {
	timestamps.before("2026-12-04T20:30:00+01:00", "2026-12-04T20:00:00Z")
}

test_day_length if {
	timestamps.parse_ns("2026-12-05T00:00:00Z") - timestamps.parse_ns("2026-12-04T00:00:00Z") == timestamps.ns_per_day
}
