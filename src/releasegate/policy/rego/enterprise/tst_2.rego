# METADATA
# title: Synthetic business transactions passed before production
# description: >-
#   Before a production release of a service of criticality up to params
#   testing.synthetic.max_criticality (0 by default), synthetic business
#   transaction tests ran against the release's artifact digests in a
#   pre-production environment of params testing.synthetic.environments and
#   passed: at least one passing run for each finance process of the
#   service (for example a payment from initiation to settlement), or one
#   passing run when the service touches no finance process. A passing run
#   has executed transactions and no failed one. The runs come from
#   input.evidence.synthetic_tests.
# custom:
#   id: TST-2
#   short_name: synthetic_transactions_passed
#   blocking: true
#   frameworks:
#     - EU DORA Art. 9(4)(e)
#   failure_msg: Synthetic business transaction tests did not pass in pre-production
#   solution: >-
#     Deploy the release's artifacts to the pre-production environment, run
#     the synthetic business transaction suite for each finance process of
#     the service, fix what fails, and attach the run results.
package releasegate.controls.tst_2

import rego.v1

import data.releasegate.lib.evidence
import data.releasegate.lib.scope
import data.releasegate.lib.text

_max_path := ["testing", "synthetic", "max_criticality"]

_environments_path := ["testing", "synthetic", "environments"]

_environments := evidence.list_of(scope.param(_environments_path))

_processes := processes if {
	processes := [process | some process in evidence.list_of(input.service.finance_processes); is_string(process)]
	count(processes) > 0
} else := [null]

# Runs in an accepted environment that tested every artifact digest of the release.
_runs := [run |
	count(evidence.release_digests) > 0
	some run in evidence.items("synthetic_tests")
	run.environment in _environments
	tested := {lower(digest) | some digest in evidence.list_of(run.artifact_digests); is_string(digest)}
	count(evidence.release_digests - tested) == 0
]

# METADATA
# title: Applies to production releases of critical services
# description: >-
#   Applies when the release goes to production and its service has a
#   criticality up to params testing.synthetic.max_criticality, or an
#   unknown criticality.
default applicable := false

applicable if {
	input.environment == "production"
	scope.up_to_criticality(scope.param(_max_path))
}

# Each violation rule starts with applicable, so that a control that does
# not apply reports no violation.

# METADATA
# title: Synthetic testing configured
# description: Params testing.synthetic hold a number and a list of environments.
# custom:
#   short_name: synthetic_configured
#   failure_msg: Synthetic testing is not configured
#   solution: Set params testing.synthetic.max_criticality to a number and environments to a list.
violation contains {"msg": msg} if {
	applicable
	some msg in scope.number_problems(_max_path) | scope.list_problems(_environments_path)
}

# METADATA
# title: Each finance process passed
# description: >-
#   Each finance process of the service has a passing synthetic run for the
#   release's artifacts in a pre-production environment. When runs exist but
#   none passed, each failed run is named.
# custom:
#   short_name: process_passed
#   failure_msg: A finance process has no passing synthetic transaction test
#   solution: >-
#     Run the synthetic transaction suite of the process against the
#     release's artifacts in pre-production, fix what fails and attach the
#     passing result.
violation contains {"msg": msg} if {
	applicable
	some process in _processes
	not _passed(process)
	count(_runs_of(process)) == 0
	msg := text.join([
		"no synthetic business transaction test ", _process_text(process), " attached for the release's artifacts in ",
		_environment_text, "; run one end to end (for example a payment from initiation to settlement) and attach its result",
	])
}

# METADATA
# title: Failed runs named
# description: When no run of a finance process passed, each failed run of it is named.
# custom:
#   short_name: failed_runs_named
#   failure_msg: A synthetic business transaction test failed
#   solution: Fix the failure the run shows, run the suite again and attach the passing result.
violation contains {"msg": msg} if {
	applicable
	some process in _processes
	not _passed(process)
	some run in _runs_of(process)
	msg := text.join([
		"synthetic test run ", evidence.record_id(run), " ", _process_text(process), " in ", run.environment,
		" did not pass (", _outcome_text(run), "); fix the failure and run it again",
	])
}

_environment_text := concat(" or ", [name | some name in _environments; is_string(name)]) if {
	count(_environments) > 0
} else := "a pre-production environment (params testing.synthetic.environments lists none)"

_process_text(null) := "of any finance process"

_process_text(process) := text.join(["of the ", process, " process"]) if process != null

_runs_of(process) := [run |
	some run in _runs
	_covers(run, process)
]

_covers(_, null)

_covers(run, process) if run.finance_process == process

_passed(process) if {
	some run in _runs_of(process)
	run.passed == true
	is_number(run.transactions)
	run.transactions > 0
	run.failures == 0
}

_outcome_text(run) := text.join([run.failures, " of ", run.transactions, " transactions failed"]) if {
	is_number(run.failures)
	is_number(run.transactions)
	run.failures > 0
} else := "no transactions ran" if {
	object.get(run, "transactions", null) == 0
} else := "it does not show that every transaction succeeded"
