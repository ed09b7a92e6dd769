# METADATA
# title: No secret in the change
# description: >-
#   A secret scan of the release's source commit is attached, it completed,
#   and no attached secret scan found a secret. Each finding is a violation
#   whose key is its fingerprint, so an approved exception for SEC-1 may
#   waive a false positive. The scans come from
#   input.evidence.secret_scans; the parser keeps no matched text, so no
#   message repeats a secret.
# custom:
#   id: SEC-1
#   short_name: no_secrets
#   blocking: true
#   frameworks:
#     - PCI DSS v4.0 6.5
#     - NIST SP 800-53 IA-5
#   failure_msg: A secret was found in the change, or no complete secret scan covers it
#   solution: >-
#     Revoke and rotate the exposed credential first, then remove it from the
#     code and the history, scan the release's source commit again (for
#     example gitleaks git --redact) and attach the report. Request an
#     exception for SEC-1 naming the finding's fingerprint only for a
#     confirmed false positive.
package releasegate.controls.sec_1

import rego.v1

import data.releasegate.lib.evidence
import data.releasegate.lib.text

_scans := evidence.items("secret_scans")

_commit := input.release.source_commit if text.present(input.release.source_commit)

# METADATA
# title: Applies to every release
# description: Every release must be free of secrets.
applicable := true

# METADATA
# title: Source commit named
# description: The release names its source commit, which the secret scan must cover.
# custom:
#   short_name: source_commit_named
#   failure_msg: The release names no source commit
#   solution: Set the source_commit field of the release manifest.
violation contains {"msg": "the release names no source commit, so no secret scan can be matched to it"} if {
	not _commit
}

# METADATA
# title: Source commit scanned
# description: A secret scan of the release's source commit is attached.
# custom:
#   short_name: source_commit_scanned
#   failure_msg: No secret scan of the source commit is attached
#   solution: Scan the release's source commit with a secret scanner and attach the report.
violation contains {"msg": msg} if {
	_commit
	not _scanned(_commit)
	msg := text.join([
		"no secret scan attached for source commit ", _commit,
		"; scan the change's commits with a secret scanner (for example gitleaks git --redact) and attach its report",
	])
}

# METADATA
# title: Scan for the release's commit
# description: Each attached secret scan covers the release's source commit.
# custom:
#   short_name: scan_for_commit
#   failure_msg: A secret scan covers another commit
#   solution: Scan the release's source commit and attach that report instead.
violation contains {"msg": msg} if {
	some scan in _scans
	_commit
	not evidence.same_commit(scan.commit, _commit)
	msg := text.join([
		"secret scan ", evidence.record_id(scan), " is for commit ", object.get(scan, "commit", null),
		", not the release's source commit ", _commit, "; attach the scan of the source commit",
	])
}

# METADATA
# title: Scan completed
# description: Each secret scan reports that the scanner completed.
# custom:
#   short_name: scan_completed
#   failure_msg: A secret scan did not complete
#   solution: Fix the scanner's errors, scan again and attach the complete report.
violation contains {"msg": msg} if {
	some scan in _scans
	object.get(scan, "execution_successful", null) != true
	msg := text.join([
		"secret scan ", evidence.record_id(scan), " (", object.get(scan, "tool", null),
		") does not show that it completed, so a clean result cannot be trusted; scan again",
	])
}

# METADATA
# title: No secret found
# description: >-
#   No attached secret scan reports a finding. The violation's key is the
#   finding's fingerprint and its keys also hold the rule id.
# custom:
#   short_name: no_secret_found
#   failure_msg: A secret was found in the change
#   solution: >-
#     Rotate the credential, remove it from the code and the history, and scan
#     again; waive a confirmed false positive with an exception that names
#     its fingerprint.
violation contains {"msg": msg, "key": key, "keys": keys} if {
	some scan in _scans
	some finding in evidence.list_of(scan.findings)
	keys := [value |
		some field in ["fingerprint", "rule_id"]
		value := object.get(finding, field, null)
		text.present(value)
	]
	key := _first(keys)
	msg := text.join([
		object.get(scan, "tool", null), " found a secret (rule ", object.get(finding, "rule_id", null), ") at ",
		_location(finding), _commit_text(finding),
		"; rotate the credential, remove it from the code and its history, and scan again",
	])
}

_scanned(commit) if {
	some scan in _scans
	evidence.same_commit(scan.commit, commit)
}

_first(values) := values[0] if {
	count(values) > 0
} else := null

_location(finding) := text.join([finding.location, ":", finding.line]) if {
	text.present(finding.location)
	is_number(finding.line)
} else := finding.location if {
	text.present(finding.location)
} else := "an unknown location"

_commit_text(finding) := text.join([" in commit ", finding.commit]) if {
	text.present(finding.commit)
} else := ""
