# METADATA
# title: Vulnerability scans are recent
# description: >-
#   At least one vulnerability scan is attached, and every attached scan is
#   younger than params vulnerabilities.max_scan_age_days (7 days by
#   default) at the time of evaluation. A scan's age is counted from
#   scanned_at, the time the scanner recorded, or from collected_at, the time
#   releasegate received the report, when the report records no time.
# custom:
#   id: VUL-2
#   short_name: recent_scans
#   blocking: true
#   frameworks:
#     - PCI DSS v4.0 6.3
#   failure_msg: A vulnerability scan is older than the maximum age
#   solution: >-
#     Scan the release's artifacts and source again, attach the new report
#     and remove the old one from the release.
package releasegate.controls.vul_2

import rego.v1

import data.releasegate.lib.evidence
import data.releasegate.lib.scope
import data.releasegate.lib.text
import data.releasegate.lib.timestamps

_max_path := ["vulnerabilities", "max_scan_age_days"]

_max_days := scope.param(_max_path)

_scans := evidence.items("scans")

# METADATA
# title: Applies to every release
# description: Every release needs recent scans.
applicable := true

# METADATA
# title: Maximum age configured
# description: Params vulnerabilities.max_scan_age_days is a number.
# custom:
#   short_name: max_age_configured
#   failure_msg: The maximum scan age is not configured
#   solution: Set params vulnerabilities.max_scan_age_days to a number of days.
violation contains {"msg": msg} if {
	some msg in scope.number_problems(_max_path)
}

# METADATA
# title: Scan attached
# description: At least one vulnerability scan is attached, whose age can be checked.
# custom:
#   short_name: scan_attached
#   failure_msg: No vulnerability scan is attached
#   solution: Scan the release and attach the report (SARIF, Trivy, Grype or CycloneDX).
violation contains {"msg": "no vulnerability scan attached, so its age cannot be checked; scan the release and attach the report"} if {
	count(_scans) == 0
}

# METADATA
# title: Scan time known
# description: Each scan records a valid RFC 3339 time, and the evaluation time is valid.
# custom:
#   short_name: scan_time_known
#   failure_msg: A scan records no valid time
#   solution: Attach the scan through releasegate, which records when it received the report.
violation contains {"msg": msg} if {
	some scan in _scans
	not _time(scan)
	msg := text.join(["scan ", evidence.record_id(scan), " records no valid time (scanned_at or collected_at), so its age cannot be checked"])
}

# METADATA
# title: Evaluation time known
# description: The policy input names a valid time of evaluation, from which scan ages are counted.
# custom:
#   short_name: evaluation_time_known
#   failure_msg: The policy input has no valid time
#   solution: Evaluate the release through releasegate's gate, which sets input.now.
violation contains {"msg": "the policy input has no valid time (now), so no scan age can be checked"} if {
	not timestamps.valid(input.now)
}

# METADATA
# title: Scan recent
# description: Each scan is at most params vulnerabilities.max_scan_age_days old.
# custom:
#   short_name: scan_recent
#   failure_msg: A vulnerability scan is older than the maximum age
#   solution: Scan the release again and attach the new report.
violation contains {"msg": msg} if {
	some scan in _scans
	time := _time(scan)
	timestamps.valid(input.now)
	is_number(_max_days)
	age := timestamps.elapsed(time, input.now, timestamps.ns_per_day)
	age > _max_days
	msg := text.join([
		"scan ", evidence.record_id(scan), " (", _tools(scan), ") is ", age, " days old (from ", time,
		"), older than the maximum of ", _max_days, " days; scan the release again and attach the new report",
	])
}

_time(scan) := scan.scanned_at if {
	timestamps.valid(scan.scanned_at)
} else := scan.collected_at if {
	timestamps.valid(scan.collected_at)
}

_tools(scan) := text.list(tools) if {
	tools := [tool | some tool in evidence.list_of(scan.tools); is_string(tool)]
	count(tools) > 0
} else := "unknown tool"
