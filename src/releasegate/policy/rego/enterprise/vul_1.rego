# METADATA
# title: No blocking vulnerability
# description: >-
#   At least one vulnerability scan is attached, every scan reports that the
#   tool completed, and no finding is at or above the blocking severity:
#   critical by default, high for services of criticality 0 and 1. A finding
#   of unknown severity blocks. A finding marked suppressed in the scan report
#   still counts, because a suppression in the report is not an approval.
#   Only an approved exception waives a finding.
# custom:
#   id: VUL-1
#   short_name: no_blocking_vulnerability
#   blocking: true
#   frameworks:
#     - PCI DSS v4.0 6.3.3
#     - EU DORA Art. 9(4)(e)
#   failure_msg: The release has a blocking vulnerability or no complete scan
#   solution: >-
#     Fix the finding (upgrade the dependency or change the code), scan the
#     release again and attach the new report. If the finding cannot be fixed
#     in time, request an exception for VUL-1 that names the finding's
#     fingerprint, rule id or CVE id, with compensating controls.
package releasegate.controls.vul_1

import rego.v1

import data.releasegate.lib.text

_params := data.releasegate.params.vulnerabilities

_severity_rank := {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}

_evidence := object.get(input, "evidence", {})

_scans := object.get(_evidence, "scans", [])

_findings := object.get(_evidence, "findings", [])

# METADATA
# title: Applies to every release
# description: Every release needs a complete, clean scan.
applicable := true

# METADATA
# title: Scan attached
# description: At least one vulnerability scan is attached to the release.
# custom:
#   short_name: scan_attached
#   failure_msg: No vulnerability scan is attached
#   solution: Scan the release's artifacts and source, and attach the report (SARIF, Trivy, Grype or CycloneDX).
violation contains {"msg": "no vulnerability scan attached"} if {
	count(_scans) == 0
}

# METADATA
# title: Scan completed
# description: Each scan reports that the tool ran to completion.
# custom:
#   short_name: scan_completed
#   failure_msg: A vulnerability scan did not complete
#   solution: Fix the scanner's configuration or the errors it reported, scan again and attach the new report.
violation contains {"msg": msg} if {
	some scan in _scans
	scan.execution_successful == false
	msg := text.join(["scan ", object.get(scan, "id", null), " (", _tools(scan), ") reports that the tool did not complete"])
}

# METADATA
# title: Scan names a commit
# description: Each scan names the source commit it was produced from.
# custom:
#   short_name: scan_names_commit
#   failure_msg: A scan does not name the commit it was produced from
#   solution: Attach the scan with --commit set to the commit the scanner read.
violation contains {"msg": msg} if {
	some scan in _scans
	not text.present(object.get(scan, "commit", null))
	msg := text.join(["scan ", object.get(scan, "id", null), " (", _tools(scan), ") names no source commit"])
}

# METADATA
# title: Scan is for the release's commit
# description: Each scan was produced from the release's source commit.
# custom:
#   short_name: scan_for_release_commit
#   failure_msg: A scan was produced from another commit
#   solution: Scan the release's source commit and attach that report instead.
violation contains {"msg": msg} if {
	some scan in _scans
	text.present(object.get(scan, "commit", null))
	text.present(input.release.source_commit)
	lower(scan.commit) != lower(input.release.source_commit)
	msg := text.join([
		"scan ", object.get(scan, "id", null), " (", _tools(scan), ") is for commit ", scan.commit,
		", not the release's source commit ", input.release.source_commit,
	])
}

# METADATA
# title: Scan completion known
# description: >-
#   Each scan states whether the tool completed. Without that, an empty list
#   of findings cannot be told apart from a scan that stopped early.
# custom:
#   short_name: scan_completion_known
#   failure_msg: A vulnerability scan does not show that it completed
#   solution: >-
#     Attach a report format that records whether the scan completed (for
#     SARIF, runs[].invocations[].executionSuccessful), or set the parameter
#     vulnerabilities.require_completion_status to false in the enterprise layer.
violation contains {"msg": msg} if {
	_params.require_completion_status == true
	some scan in _scans
	not is_boolean(object.get(scan, "execution_successful", null))
	msg := text.join([
		"scan ", object.get(scan, "id", null), " (", _tools(scan),
		") does not show whether the tool completed, so its findings cannot be trusted",
	])
}

# METADATA
# title: Blocking severity configured
# description: Params give a known severity to block at for the release's service.
# custom:
#   short_name: blocking_severity_configured
#   failure_msg: The blocking severity is not configured
#   solution: >-
#     Set params vulnerabilities.default_blocking_severity, and any entry of
#     vulnerabilities.blocking_severity, to one of critical, high, medium,
#     low or info.
violation contains {"msg": msg} if {
	not _configured_severity in object.keys(_severity_rank)
	msg := text.join(["params give no known blocking severity for this service (found ", _configured_severity, ")"])
}

# METADATA
# title: No finding at or above the blocking severity
# description: >-
#   No finding has a severity at or above the blocking severity, or an
#   unknown severity. The violation's key is the finding's fingerprint, and
#   its keys also hold the rule id and the CVE id, so that an exception can
#   name any of them. A VEX statement (vex_state not_affected or
#   false_positive) does not waive a finding by itself: like an exception,
#   it counts only once an approver accepts it through an exception for
#   VUL-1 that names the finding. A finding that a VEX document calls
#   resolved still counts, because the scan still reports it.
# custom:
#   short_name: no_blocking_finding
#   failure_msg: A finding at or above the blocking severity was found
#   solution: >-
#     Upgrade to the fixed version and scan again, or request an exception
#     for VUL-1 that names the finding (for a VEX not_affected statement,
#     the exception records its approver).
violation contains {"msg": msg, "key": key, "keys": keys} if {
	some finding in _findings
	severity := object.get(finding, "severity", null)
	_blocks(severity)
	keys := _keys(finding)
	key := _first_or_null(keys)
	msg := text.join([
		object.get(finding, "tool", null), " finding ", object.get(finding, "rule_id", null),
		" (", severity, ") at ", _location(finding), _blocking_reason(severity),
		_suppression_note(finding), _fix_note(finding), _vex_note(finding),
	])
}

_blocking_severity := severity if {
	is_object(input.service)
	severity := _params.blocking_severity[format_int(input.service.criticality, 10)]
} else := _params.default_blocking_severity

default _configured_severity := null

_configured_severity := _blocking_severity

_key_fields := ["fingerprint", "rule_id", "cve"]

# Identifiers an exception may name: fingerprint, rule id and CVE id, when
# present, each once (a Trivy rule id is often the CVE id).
_keys(finding) := [value |
	some index
	field := _key_fields[index]
	value := object.get(finding, field, null)
	text.present(value)
	not _named_earlier(finding, index, value)
]

_named_earlier(finding, index, value) if {
	some earlier in array.slice(_key_fields, 0, index)
	object.get(finding, earlier, null) == value
}

_first_or_null(values) := values[0] if {
	count(values) > 0
} else := null

# Severities outside the known list, "unknown" among them, always block.
_blocks(severity) if not severity in object.keys(_severity_rank)

_blocks(severity) if _severity_rank[severity] >= _severity_rank[_blocking_severity]

_blocking_reason(severity) := text.join([" is at or above the blocking severity ", _blocking_severity]) if {
	severity in object.keys(_severity_rank)
} else := " has no known severity, which blocks"

_tools(scan) := text.list(scan.tools) if {
	count(scan.tools) > 0
} else := "unknown tool"

_location(finding) := text.join([finding.location, ":", finding.line]) if {
	text.present(finding.location)
	is_number(finding.line)
} else := finding.location if {
	text.present(finding.location)
} else := "an unknown location"

_suppression_note(finding) := " (marked suppressed in the scan report, which does not waive it)" if {
	finding.suppressed == true
} else := ""

_fix_note(finding) := text.join(["; fixed in ", finding.fixed_version, ", upgrade ", _package(finding)]) if {
	text.present(object.get(finding, "fixed_version", null))
} else := "; no fixed version is available" if {
	object.get(finding, "fix_available", null) == false
} else := ""

_package(finding) := finding.package if {
	text.present(object.get(finding, "package", null))
} else := "the package"

_accepting_vex_states := {"not_affected", "false_positive"}

_vex_note(finding) := text.join([
	"; VEX ", _vex_source(finding), " says ", finding.vex_state, " (", finding.vex_justification,
	"), which counts only through an approved exception for VUL-1 naming this finding",
]) if {
	finding.vex_state in _accepting_vex_states
	text.present(object.get(finding, "vex_justification", null))
} else := text.join([
	"; VEX ", _vex_source(finding), " says ", finding.vex_state,
	" without a justification, so it cannot be accepted; add the justification or fix the finding",
]) if {
	finding.vex_state in _accepting_vex_states
} else := text.join([
	"; VEX ", _vex_source(finding), " says ", finding.vex_state, ", but the scan still reports it",
]) if {
	text.present(object.get(finding, "vex_state", null))
} else := ""

_vex_source(finding) := text.join(["(evidence ", finding.vex_evidence_id, ")"]) if {
	text.present(object.get(finding, "vex_evidence_id", null))
} else := "(in the scan report)"
