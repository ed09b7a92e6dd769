"""Migration classification: squawk's verdicts on the corpus, and each rule on its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from releasegate.analysis.migrations import (
    Dialect,
    RunnerTransaction,
    ScriptInput,
    analyze_migrations,
    read_scripts,
    verdict,
)
from releasegate.errors import InputError

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "sql"


def _rules(sql: str, **options: object) -> list[str]:
    report = analyze_migrations(
        [ScriptInput("V1__change", sql, None, source="V1__change.sql")], **options
    )  # type: ignore[arg-type]
    return [finding.rule for finding in report.findings]


def _operations(sql: str, **options: object) -> list[dict[str, object]]:
    report = analyze_migrations(
        [ScriptInput("V1__change", sql, None, source="V1__change.sql")], **options
    )  # type: ignore[arg-type]
    return list(report.scripts[0]["operations"])


# Each corpus file with the verdict squawk gives it (the file name says err or
# ok) and the rules releasegate names; the parser fixture must be rejected.
CORPUS_EXPECTATIONS = {
    "squawk__adding_field_with_default__default_volatile_func_err.sql": (
        "err",
        ["adding-field-with-default"],
    ),
    "squawk__ban_drop_column__err.sql": ("err", ["ban-drop-column"]),
    "squawk__constraint_missing_not_valid__adding_fk_err.sql": (
        "err",
        ["constraint-missing-not-valid"],
    ),
    "squawk__constraint_missing_not_valid__adding_fk_not_valid_ok.sql": ("ok", []),
    "squawk__constraint_missing_not_valid__not_valid_validate_transaction_err.sql": (
        "err",
        ["constraint-missing-not-valid"],
    ),
    "squawk__disallow_unique_constraint__unique_constraint_ok.sql": ("ok", []),
    "squawk__example.sql": (
        "err",
        ["require-concurrent-index-creation", "disallowed-unique-constraint"],
    ),
    "squawk__parser_err_alter_table.sql": (
        "err",
        ["syntax-error"] + ["unclassified-statement"] * 4,
    ),
    "squawk__require_concurrent_index_creation__adding_index_concurrently_ok.sql": ("ok", []),
    "squawk__require_concurrent_index_creation__adding_index_non_concurrently_err.sql": (
        "err",
        ["require-concurrent-index-creation"],
    ),
}


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(CORPUS_EXPECTATIONS))
def test_corpus_verdict_matches_squawk(name: str) -> None:
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"corpus file {path} is absent; the shared corpus is not checked out here")
    expected_verdict, expected_rules = CORPUS_EXPECTATIONS[name]
    report = analyze_migrations(read_scripts([path]))
    assert verdict(report) == expected_verdict
    assert [f.rule for f in report.findings] == expected_rules


@pytest.mark.corpus
def test_corpus_covers_every_sql_file() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus folder {CORPUS} is absent")
    assert {p.name for p in CORPUS.glob("*.sql")} == set(CORPUS_EXPECTATIONS)


@pytest.mark.corpus
def test_parse_error_names_line_and_keeps_other_statements() -> None:
    path = CORPUS / "squawk__parser_err_alter_table.sql"
    if not path.is_file():
        pytest.skip(f"corpus file {path} is absent")
    report = analyze_migrations(read_scripts([path]))
    script = report.scripts[0]
    assert script["parse_errors"][0]["line"] == 2
    assert script["parse_errors"][0]["statement"] == 1
    # The statements after the unreadable one are still classified.
    assert len(script["operations"]) == 5


# One failing and one passing case per rule.
RULE_CASES = [
    (
        "ban-drop-column",
        "ALTER TABLE payments DROP COLUMN legacy_ref;",
        "ALTER TABLE payments ADD COLUMN note text;",
    ),
    ("ban-drop-table", "DROP TABLE payments_old;", "CREATE TABLE payouts (id bigint);"),
    (
        "renaming-column",
        "ALTER TABLE payments RENAME COLUMN amount TO amount_minor;",
        "ALTER TABLE payments ADD COLUMN amount_minor bigint;",
    ),
    (
        "renaming-table",
        "ALTER TABLE payments RENAME TO payment;",
        "CREATE VIEW payment AS SELECT * FROM payments;",
    ),
    ("dropping-object", "DROP VIEW payment_totals;", "CREATE VIEW payment_totals AS SELECT 1;"),
    ("ban-truncate-cascade", "TRUNCATE payments CASCADE;", "TRUNCATE payments_staging;"),
    (
        "adding-required-field",
        "ALTER TABLE payments ADD COLUMN currency text NOT NULL;",
        "ALTER TABLE payments ADD COLUMN currency text NOT NULL DEFAULT 'EUR';",
    ),
    (
        "adding-not-nullable-field",
        "ALTER TABLE payments ALTER COLUMN currency SET NOT NULL;",
        "ALTER TABLE payments ADD CONSTRAINT currency_present CHECK (currency IS NOT NULL) NOT VALID;",
    ),
    (
        "adding-field-with-default",
        "ALTER TABLE payments ADD COLUMN token uuid DEFAULT gen_random_uuid();",
        "ALTER TABLE payments ADD COLUMN created_at timestamptz DEFAULT now();",
    ),
    (
        "adding-serial-primary-key-field",
        "ALTER TABLE payments ADD COLUMN id serial PRIMARY KEY;",
        "CREATE TABLE payouts (id serial PRIMARY KEY);",
    ),
    (
        "changing-column-type",
        "ALTER TABLE payments ALTER COLUMN note TYPE varchar(20);",
        "CREATE TABLE notes (body varchar(20)); ALTER TABLE notes ALTER COLUMN body TYPE text;",
    ),
    (
        "require-concurrent-index-creation",
        "CREATE INDEX payments_batch ON payments (batch_id);",
        "CREATE INDEX CONCURRENTLY payments_batch ON payments (batch_id);",
    ),
    (
        "require-concurrent-index-deletion",
        "DROP INDEX payments_batch;",
        "DROP INDEX CONCURRENTLY payments_batch;",
    ),
    (
        "ban-concurrent-index-creation-in-transaction",
        "BEGIN; CREATE INDEX CONCURRENTLY payments_batch ON payments (batch_id); COMMIT;",
        "CREATE INDEX CONCURRENTLY payments_batch ON payments (batch_id);",
    ),
    (
        "constraint-missing-not-valid",
        "ALTER TABLE payments ADD CONSTRAINT payments_account FOREIGN KEY (account_id) REFERENCES accounts (id);",
        "ALTER TABLE payments ADD CONSTRAINT payments_account FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;",
    ),
    (
        "disallowed-unique-constraint",
        "ALTER TABLE payments ADD CONSTRAINT payments_ref UNIQUE (reference);",
        "ALTER TABLE payments ADD CONSTRAINT payments_ref UNIQUE USING INDEX payments_ref_idx;",
    ),
    (
        "ban-drop-not-null",
        "ALTER TABLE payments ALTER COLUMN note DROP NOT NULL;",
        "ALTER TABLE payments ALTER COLUMN note SET DEFAULT '';",
    ),
    (
        "unclassified-statement",
        "ALTER TABLE payments ALTER CONSTRAINT c NOT DEFERRABLE;",
        "SET lock_timeout = '2s';",
    ),
    ("syntax-error", "ADD COLUMN foo boolean;", "ALTER TABLE payments ADD COLUMN foo boolean;"),
]


@pytest.mark.parametrize(("rule", "failing", "passing"), RULE_CASES, ids=[c[0] for c in RULE_CASES])
def test_rule_fails_and_passes(rule: str, failing: str, passing: str) -> None:
    assert rule in _rules(failing)
    assert rule not in _rules(passing)


def test_check_constraint_without_not_valid_fails() -> None:
    assert _rules("ALTER TABLE payments ADD CONSTRAINT positive CHECK (amount > 0);") == [
        "constraint-missing-not-valid"
    ]


def test_runner_transaction_applies_to_every_script() -> None:
    sql = "CREATE INDEX CONCURRENTLY payments_batch ON payments (batch_id);"
    assert _rules(sql, runner_transaction=RunnerTransaction.NONE) == []
    assert _rules(sql, runner_transaction=RunnerTransaction.PER_FILE) == [
        "ban-concurrent-index-creation-in-transaction"
    ]


def test_validate_in_runner_transaction_fails() -> None:
    sql = (
        "ALTER TABLE payments ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES accounts (id) NOT VALID;\n"
        "ALTER TABLE payments VALIDATE CONSTRAINT fk;"
    )
    assert _rules(sql) == []
    assert _rules(sql, runner_transaction=RunnerTransaction.PER_FILE) == [
        "constraint-missing-not-valid"
    ]


def test_operations_on_a_table_created_earlier_are_safe() -> None:
    sql = (
        "CREATE TABLE payouts (id bigint, batch_id bigint);\n"
        "CREATE INDEX payouts_batch ON payouts (batch_id);\n"
        "ALTER TABLE payouts ADD COLUMN currency text NOT NULL;\n"
        "ALTER TABLE payouts ADD CONSTRAINT payouts_ref UNIQUE (id);"
    )
    assert _rules(sql) == []


def test_expand_and_contract_phases() -> None:
    expand = analyze_migrations(
        [ScriptInput("V1", "ALTER TABLE t ADD COLUMN c int;", None, source="V1")]
    )
    contract = analyze_migrations(
        [ScriptInput("V2", "ALTER TABLE t DROP COLUMN c;", None, source="V2")]
    )
    assert expand.scripts[0]["phase"] == "expand"
    assert contract.scripts[0]["phase"] == "contract"
    assert contract.scripts[0]["operations"][0]["read_by_running_version"] is None


def test_standalone_contract_is_not_read_by_running_version() -> None:
    report = analyze_migrations(
        [ScriptInput("V2", "ALTER TABLE t DROP COLUMN c;", None, source="V2")], standalone=True
    )
    assert report.scripts[0]["standalone"] is True
    assert report.scripts[0]["operations"][0]["read_by_running_version"] is False


def test_add_column_facts() -> None:
    [operation] = _operations(
        "ALTER TABLE payments ADD COLUMN token uuid DEFAULT gen_random_uuid();"
    )
    assert operation["kind"] == "add_column"
    assert operation["table"] == "payments"
    assert operation["column"] == "token"
    assert operation["nullable"] is True
    assert operation["has_default"] is True
    assert operation["volatile_default"] is True
    assert operation["new_table"] is False


def test_widening_type_change_is_known() -> None:
    operations = _operations("CREATE TABLE t (n int); ALTER TABLE t ALTER COLUMN n TYPE bigint;")
    assert operations[1]["narrowing"] is False
    operations = _operations("CREATE TABLE t (n bigint); ALTER TABLE t ALTER COLUMN n TYPE int;")
    assert operations[1]["narrowing"] is True


@pytest.mark.parametrize(
    ("dialect", "blocking", "online"),
    [
        (
            Dialect.TSQL,
            "CREATE INDEX i ON payments (a);",
            "CREATE INDEX i ON payments (a) WITH (ONLINE = ON);",
        ),
        (
            Dialect.MYSQL,
            "CREATE INDEX i ON payments (a);",
            "CREATE INDEX i ON payments (a) ALGORITHM=INPLACE LOCK=NONE;",
        ),
        (
            Dialect.ORACLE,
            "CREATE INDEX i ON payments (a);",
            "CREATE INDEX i ON payments (a) ONLINE;",
        ),
    ],
)
def test_online_index_builds_by_dialect(dialect: Dialect, blocking: str, online: str) -> None:
    assert _rules(blocking, dialect=dialect) == ["require-concurrent-index-creation"]
    assert _rules(online, dialect=dialect) == []


def test_down_steps_are_paired(tmp_path: Path) -> None:
    (tmp_path / "0001_key.up.sql").write_text("ALTER TABLE t ADD COLUMN k int;")
    (tmp_path / "0001_key.down.sql").write_text("ALTER TABLE t DROP COLUMN k;")
    (tmp_path / "V2__note.sql").write_text("ALTER TABLE t ADD COLUMN n int;")
    (tmp_path / "U2__note.sql").write_text("ALTER TABLE t DROP COLUMN n;")
    (tmp_path / "V3__flag.sql").write_text(
        "-- migrate:up\nALTER TABLE t ADD COLUMN f int;\n-- migrate:down\nALTER TABLE t DROP COLUMN f;\n"
    )
    (tmp_path / "V4__ref.sql").write_text("ALTER TABLE t ADD COLUMN r int;")
    report = analyze_migrations(read_scripts([tmp_path]))
    reversible = {s["name"]: s["reversible"] for s in report.scripts}
    assert reversible == {"0001_key": True, "V2__note": True, "V3__flag": True, "V4__ref": False}
    # The down sections are not analysed as part of the script.
    assert report.findings == ()


def test_empty_folder_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no migration scripts found"):
        read_scripts([tmp_path])


def test_non_utf8_script_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "V1__bad.sql"
    path.write_bytes(b"ALTER TABLE t ADD COLUMN \xff int;")
    with pytest.raises(InputError, match="not UTF-8 text"):
        read_scripts([path])


def test_tsql_batches_split_at_go() -> None:
    sql = "ALTER TABLE payments ADD note nvarchar(200) NULL\nGO\nCREATE INDEX i ON payments (note)\nGO\n"
    report = analyze_migrations([ScriptInput("V1", sql, None, source="V1.sql")], dialect=Dialect.TSQL)
    script = report.scripts[0]
    assert script["parse_errors"] == []
    assert [op["kind"] for op in script["operations"]] == ["add_column", "create_index"]
    assert [f.rule for f in report.findings] == ["require-concurrent-index-creation"]
