# METADATA
# title: Ledger verifies with signed, consistent checkpoints
# description: >-
#   The latest verification of releasegate's ledger, at most params
#   ledger.max_verification_age_hours old, found every entry and proof
#   valid; the latest checkpoint's signature verifies against the log's
#   keys; and the latest checkpoint is consistent with the one before it
#   (the log only grew). The gate puts the verification result under
#   input.ledger. This control reports and does not block.
# custom:
#   id: DET-3
#   short_name: ledger_verified
#   blocking: false
#   frameworks:
#     - SOX ITGC change management
#     - PCI DSS v4.0 10.3
#   failure_msg: The ledger does not verify, or its latest checkpoint is unsigned or inconsistent
#   solution: >-
#     Run releasegate ledger verify, treat any failure as a possible
#     tampering incident, restore the ledger from a verified copy, and sign
#     a new checkpoint.
package releasegate.controls.det_3

import rego.v1

import data.releasegate.lib.evidence
import data.releasegate.lib.scope
import data.releasegate.lib.text
import data.releasegate.lib.timestamps

_age_path := ["ledger", "max_verification_age_hours"]

_max_hours := scope.param(_age_path)

_ledger := input.ledger if is_object(input.ledger)

# METADATA
# title: Applies to every release
# description: Every decision shows whether the ledger that records it verifies.
applicable := true

# METADATA
# title: Verification age configured
# description: Params ledger.max_verification_age_hours is a number.
# custom:
#   short_name: verification_age_configured
#   failure_msg: The maximum verification age is not configured
#   solution: Set params ledger.max_verification_age_hours to a number of hours.
violation contains {"msg": msg} if {
	some msg in scope.number_problems(_age_path)
}

# METADATA
# title: Ledger status present
# description: The policy input carries the result of the latest ledger verification.
# custom:
#   short_name: ledger_status_present
#   failure_msg: The policy input has no ledger status
#   solution: Run releasegate ledger verify and evaluate the release through the gate, which adds the result.
violation contains {"msg": "the policy input has no ledger status (input.ledger); run releasegate ledger verify and evaluate the release through the gate"} if {
	not _ledger
}

# METADATA
# title: Ledger verifies
# description: The latest verification found every entry and proof valid.
# custom:
#   short_name: ledger_verifies
#   failure_msg: The ledger does not verify
#   solution: Treat the failure as a possible tampering incident and restore the ledger from a verified copy.
violation contains {"msg": msg} if {
	_ledger
	object.get(_ledger, "verified", null) != true
	msg := text.join([
		"the ledger does not verify", _problems_text,
		"; treat it as a possible tampering incident and restore the ledger from a verified copy",
	])
}

# METADATA
# title: Verification recent
# description: The latest verification is at most params ledger.max_verification_age_hours old.
# custom:
#   short_name: verification_recent
#   failure_msg: The ledger was not verified recently
#   solution: Run releasegate ledger verify, for example from a scheduled job.
violation contains {"msg": msg} if {
	_ledger
	not _recent
	msg := text.join([
		"the ledger was last verified at ", object.get(_ledger, "verified_at", null), ", not within the last ",
		_max_hours, " hours; verify it, for example from a scheduled job",
	])
}

# METADATA
# title: Checkpoint present
# description: The ledger status names a latest checkpoint.
# custom:
#   short_name: checkpoint_present
#   failure_msg: The ledger has no checkpoint
#   solution: Sign a checkpoint with releasegate ledger checkpoint.
violation contains {"msg": "the ledger has no checkpoint; sign one with releasegate ledger checkpoint"} if {
	_ledger
	not is_object(_ledger.checkpoint)
}

# METADATA
# title: Checkpoint signature verifies
# description: The signature of the latest checkpoint verifies against the log's keys.
# custom:
#   short_name: checkpoint_signature_verifies
#   failure_msg: The signature of the latest checkpoint does not verify
#   solution: Investigate the invalid signature as tampering and sign a new checkpoint.
violation contains {"msg": msg} if {
	checkpoint := _ledger.checkpoint
	is_object(checkpoint)
	object.get(checkpoint, "signature_verified", null) != true
	msg := text.join([
		"the signature of the latest checkpoint (size ", object.get(checkpoint, "size", null),
		") does not verify against the log's keys; investigate it as tampering and sign a new checkpoint",
	])
}

# METADATA
# title: Checkpoint consistent
# description: The latest checkpoint is consistent with the previous one, when there is one.
# custom:
#   short_name: checkpoint_consistent
#   failure_msg: The latest checkpoint is not consistent with the previous one
#   solution: Investigate the inconsistency as tampering; the log must only grow.
violation contains {"msg": msg} if {
	previous := _ledger.previous_checkpoint
	is_object(previous)
	object.get(_ledger, "consistent_with_previous", null) != true
	msg := text.join([
		"the latest checkpoint (size ", object.get(object.get(_ledger, "checkpoint", {}), "size", null),
		") is not shown to be consistent with the previous one (size ", object.get(previous, "size", null),
		"); investigate it as tampering, because the log must only grow",
	])
}

_recent if {
	timestamps.valid(_ledger.verified_at)
	timestamps.valid(evidence.now)
	is_number(_max_hours)
	timestamps.elapsed(_ledger.verified_at, evidence.now, timestamps.ns_per_hour) <= _max_hours
}

_problems_text := text.join([": ", concat("; ", problems)]) if {
	problems := [problem | some problem in evidence.list_of(_ledger.problems); is_string(problem)]
	count(problems) > 0
} else := ""
