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

test_valid_accepts_rfc_3339 if {
	timestamps.valid("2026-12-04T20:00:00Z")
	timestamps.valid("2026-12-04T20:00:00.25+01:00")
}

test_valid_rejects_other_values if {
	not timestamps.valid("2026-12-04")
	not timestamps.valid("yesterday")
	not timestamps.valid(null)
}

test_elapsed_in_days if {
	timestamps.elapsed("2026-11-25T08:00:00Z", "2026-12-04T20:00:00Z", timestamps.ns_per_day) == 9.5
}

test_elapsed_negative_when_later if {
	timestamps.elapsed("2026-12-04T21:00:00Z", "2026-12-04T20:00:00Z", timestamps.ns_per_hour) == -1
}

test_format_utc if {
	timestamps.format_utc(1796414400000000000) == "2026-12-04T20:00:00Z"
}
