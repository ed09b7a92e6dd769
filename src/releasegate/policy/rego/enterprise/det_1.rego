# METADATA
# title: What runs matches what was allowed
# description: >-
#   The latest snapshot of each environment, taken within params
#   detective.max_snapshot_age_hours, shows the service running only
#   digests that releasegate allowed in that environment, and in each
#   workload the digest of the latest allow decision (anything else is
#   drift). The snapshots come from input.evidence.snapshots, taken by an
#   environment reporter; releasegate marks each workload with the allow
#   decision of its digest. This control reports and does not block.
# custom:
#   id: DET-1
#   short_name: no_drift
#   blocking: false
#   frameworks:
#     - SOX ITGC change management
#     - NIST SP 800-53 CM-3
#   failure_msg: An environment runs a digest that was not allowed there, or not the latest allowed one
#   solution: >-
#     Find out how the digest got there, roll the workload back to the latest
#     allowed digest, and release changes only through the gate.
package releasegate.controls.det_1

import rego.v1

import data.releasegate.lib.evidence
import data.releasegate.lib.scope
import data.releasegate.lib.text
import data.releasegate.lib.timestamps

_age_path := ["detective", "max_snapshot_age_hours"]

_max_hours := scope.param(_age_path)

_service := evidence.release_field("service")

_recent := [snapshot |
	timestamps.valid(evidence.now)
	is_number(_max_hours)
	some snapshot in evidence.items("snapshots")
	timestamps.valid(snapshot.taken_at)
	timestamps.elapsed(snapshot.taken_at, evidence.now, timestamps.ns_per_hour) <= _max_hours
]

# The latest recent snapshot of each environment.
_latest contains snapshot if {
	some snapshot in _recent
	not _newer_exists(snapshot)
}

_workloads contains object.union(workload, {
	"environment": object.get(snapshot, "environment", null),
	"snapshot_id": evidence.record_id(snapshot),
}) if {
	some snapshot in _latest
	some workload in evidence.list_of(snapshot.workloads)
	workload.service == _service
}

# METADATA
# title: Applies to every release
# description: Every release of a service shows whether what runs matches what was allowed.
applicable := true

# METADATA
# title: Snapshot age configured
# description: Params detective.max_snapshot_age_hours is a number.
# custom:
#   short_name: snapshot_age_configured
#   failure_msg: The maximum snapshot age is not configured
#   solution: Set params detective.max_snapshot_age_hours to a number of hours.
violation contains {"msg": msg} if {
	some msg in scope.number_problems(_age_path)
}

# METADATA
# title: Recent snapshot of the service
# description: A recent environment snapshot shows workloads of the service.
# custom:
#   short_name: snapshot_attached
#   failure_msg: No recent environment snapshot shows the service
#   solution: Run the environment reporter and attach its snapshot of what runs.
violation contains {"msg": msg} if {
	count(_workloads) == 0
	msg := text.join([
		"no environment snapshot younger than ", _max_hours, " hours shows workloads of ", _service,
		"; run the environment reporter and attach its snapshot",
	])
}

# METADATA
# title: Only allowed digests run
# description: Each workload of the service runs a digest that an allow decision admitted to its environment.
# custom:
#   short_name: only_allowed_digests
#   failure_msg: An environment runs a digest that was never allowed there
#   solution: Roll the workload back to an allowed digest and find out how the digest was deployed.
violation contains {"msg": msg, "key": object.get(workload, "digest", null)} if {
	some workload in _workloads
	not text.present(workload.allowed_by)
	msg := text.join([
		"workload ", object.get(workload, "name", null), " in ", workload.environment, " runs ", object.get(workload, "digest", null),
		", which no allow decision admitted there (snapshot ", workload.snapshot_id,
		"); roll it back to an allowed digest and find out how it was deployed",
	])
}

# METADATA
# title: Latest allowed digest runs
# description: Each allowed workload runs the digest of the latest allow decision for its environment.
# custom:
#   short_name: latest_allowed_digest
#   failure_msg: An environment runs an older allowed digest than the latest one
#   solution: Deploy the latest allowed digest, or find out why the workload was rolled back.
violation contains {"msg": msg, "key": object.get(workload, "digest", null)} if {
	some workload in _workloads
	text.present(workload.allowed_by)
	object.get(workload, "digest", null) != object.get(workload, "latest_allowed_digest", null)
	msg := text.join([
		"workload ", object.get(workload, "name", null), " in ", workload.environment, " runs ",
		object.get(workload, "digest", null), ", not the latest allowed digest ",
		object.get(workload, "latest_allowed_digest", null), " (snapshot ", workload.snapshot_id,
		"); deploy the latest allowed digest or record why it was rolled back",
	])
}

_newer_exists(snapshot) if {
	some other in _recent
	other.environment == snapshot.environment
	timestamps.before(snapshot.taken_at, other.taken_at)
}
