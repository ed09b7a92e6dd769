"""Classify SQL migration scripts statement by statement, with sqlglot.

Each script is split into statements with sqlglot's tokenizer, so that one
statement sqlglot cannot parse is reported with its line and does not hide the
others. Every statement becomes an operation (the facts controls DB-1 to DB-3
read) and, where it is risky, a finding named after the matching squawk rule.
A statement that sqlglot parses only as an opaque command is matched token by
token against the few forms it does not model (VALIDATE CONSTRAINT, a UNIQUE
constraint USING INDEX, online index builds); anything else stays unclassified,
which counts as unsafe.

How the migration runner wraps a script in a transaction is an input: inside a
transaction, CREATE INDEX CONCURRENTLY fails, and validating a constraint in
the transaction that added it takes the lock NOT VALID was meant to avoid.
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType  # type: ignore[attr-defined]

from releasegate.errors import InputError
from releasegate.model.change import ChangeFinding, FindingLevel, MigrationReport

_LOG = logging.getLogger(__name__)


class Dialect(enum.StrEnum):
    """Database dialects, named as sqlglot reads them."""

    POSTGRES = "postgres"
    MYSQL = "mysql"
    TSQL = "tsql"
    ORACLE = "oracle"


class RunnerTransaction(enum.StrEnum):
    """How the migration runner wraps each script.

    `none` runs statements as they come (explicit BEGIN/COMMIT still count), as
    squawk assumes by default; `per-file` wraps each script in one transaction,
    as Flyway and Alembic do on PostgreSQL.
    """

    NONE = "none"
    PER_FILE = "per-file"


DESTRUCTIVE_KINDS = frozenset(
    {"drop_column", "drop_table", "rename_column", "rename_table", "drop_object"}
)
"""Operation kinds that break a running version still reading the object."""

# Functions whose value differs per row: a column default that calls one makes
# PostgreSQL rewrite the table instead of storing the default once.
_VOLATILE_FUNCTIONS = frozenset(
    {
        "random",
        "gen_random_uuid",
        "uuid_generate_v1",
        "uuid_generate_v1mc",
        "uuid_generate_v4",
        "clock_timestamp",
        "timeofday",
        "nextval",
        "txid_current",
    }
)
_VOLATILE_EXPRESSIONS: tuple[type[exp.Expression], ...] = (exp.Rand, exp.Uuid)
_SERIAL_TYPES = frozenset(
    {exp.DataType.Type.SERIAL, exp.DataType.Type.BIGSERIAL, exp.DataType.Type.SMALLSERIAL}
)
_DOWN_MARKERS = re.compile(
    r"^\s*--\s*(\+goose\s+down|migrate:down)\b", re.IGNORECASE | re.MULTILINE
)
_UP_MARKERS = re.compile(r"^\s*--\s*(\+goose\s+up|migrate:up)\b.*$", re.IGNORECASE | re.MULTILINE)

# The squawk rule each finding corresponds to, with its level and what to do.
RULES: dict[str, tuple[FindingLevel, str]] = {
    "syntax-error": (
        FindingLevel.ERROR,
        "fix the statement; an unparsed statement cannot be shown safe",
    ),
    "unclassified-statement": (
        FindingLevel.ERROR,
        "releasegate cannot tell whether this statement is safe; review it and request an "
        "exception for DB-1 that names the script",
    ),
    "ban-drop-column": (
        FindingLevel.ERROR,
        "stop reading the column first and drop it in a later contract release",
    ),
    "ban-drop-table": (
        FindingLevel.ERROR,
        "stop reading the table first and drop it in a later contract release",
    ),
    "renaming-column": (
        FindingLevel.ERROR,
        "add the new column, copy the data and switch readers before dropping the old one",
    ),
    "renaming-table": (
        FindingLevel.ERROR,
        "create the new table or a view, switch readers, then drop the old name later",
    ),
    "dropping-object": (
        FindingLevel.ERROR,
        "stop using the object first and drop it in a later contract release",
    ),
    "ban-truncate-cascade": (FindingLevel.ERROR, "truncate the tables one by one, without CASCADE"),
    "adding-required-field": (
        FindingLevel.ERROR,
        "add the column nullable or with a default, backfill it, then add the constraint",
    ),
    "adding-not-nullable-field": (
        FindingLevel.ERROR,
        "add a CHECK (column IS NOT NULL) NOT VALID constraint, validate it, then set NOT NULL",
    ),
    "adding-field-with-default": (
        FindingLevel.ERROR,
        "add the column without a default, backfill it in batches, then set the default",
    ),
    "adding-serial-primary-key-field": (
        FindingLevel.ERROR,
        "build a unique index concurrently, then add the primary key USING INDEX",
    ),
    "changing-column-type": (
        FindingLevel.ERROR,
        "add a column of the new type, copy the data and switch readers",
    ),
    "require-concurrent-index-creation": (
        FindingLevel.ERROR,
        "build the index with CREATE INDEX CONCURRENTLY outside a transaction",
    ),
    "require-concurrent-index-deletion": (
        FindingLevel.ERROR,
        "drop the index with DROP INDEX CONCURRENTLY outside a transaction",
    ),
    "ban-concurrent-index-creation-in-transaction": (
        FindingLevel.ERROR,
        "run the concurrent index build outside a transaction (configure the runner not to wrap this script)",
    ),
    "constraint-missing-not-valid": (
        FindingLevel.ERROR,
        "add the constraint NOT VALID, then VALIDATE it in a separate transaction",
    ),
    "disallowed-unique-constraint": (
        FindingLevel.ERROR,
        "build a unique index concurrently, then add the constraint USING INDEX",
    ),
    "ban-drop-not-null": (
        FindingLevel.WARNING,
        "make sure no running version relies on the column never being null",
    ),
}


class ScriptInput:
    """One migration script as read from disk: its up SQL and, when present, its down SQL."""

    def __init__(self, name: str, up_sql: str, down_sql: str | None, *, source: str) -> None:
        self.name = name
        self.up_sql = up_sql
        self.down_sql = down_sql
        self.source = source


@dataclass
class _Statement:
    index: int
    line: int
    text: str
    tokens: list[Token]


@dataclass
class _State:
    """Facts gathered so far across the scripts of one run: new tables and column types."""

    dialect: Dialect
    runner: RunnerTransaction
    created_tables: set[str] = field(default_factory=set)
    column_types: dict[tuple[str, str], exp.DataType] = field(default_factory=dict)


# --- reading scripts from disk -------------------------------------------------


def read_scripts(paths: Sequence[Path]) -> list[ScriptInput]:
    """Read migration files, pairing each up script with its down step.

    Down steps are recognised as `<name>.down.sql` beside `<name>.up.sql`, a
    Flyway undo script `U<version>__<name>.sql` beside `V<version>__<name>.sql`,
    or a `-- +goose Down` / `-- migrate:down` section inside the script. Down
    files named on the command line are used as pairs, not analysed as scripts.
    """
    expanded: list[Path] = []
    for path in paths:
        if path.is_dir():
            expanded.extend(sorted(p for p in path.iterdir() if p.suffix.lower() == ".sql"))
        else:
            expanded.append(path)
    if not expanded:
        raise InputError(
            "no migration scripts found",
            source=", ".join(str(p) for p in paths) or "paths",
            hint="name .sql files or a folder that contains them",
        )
    names = {p.name for p in expanded}
    scripts: list[ScriptInput] = []
    for path in expanded:
        if _is_down_file(path.name, names):
            continue
        text = _read_text(path)
        up_sql, down_sql = _split_sections(text)
        down_path = _down_path(path)
        if down_sql is None and down_path is not None and down_path.exists():
            down_sql = _read_text(down_path)
        scripts.append(ScriptInput(_script_name(path.name), up_sql, down_sql, source=str(path)))
    return scripts


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError(
            "migration script not found", source=str(path), hint="check the path"
        ) from None
    except UnicodeDecodeError as error:
        raise InputError(
            f"not UTF-8 text: byte {error.start} cannot be decoded",
            source=str(path),
            hint="save the script as UTF-8",
        ) from None


def _script_name(filename: str) -> str:
    name = filename
    for suffix in (".up.sql", ".sql"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _is_down_file(filename: str, names: set[str]) -> bool:
    lower = filename.lower()
    if lower.endswith(".down.sql"):
        return True
    match = re.match(r"^U(\d[\w.]*__.*)$", filename)
    return match is not None and f"V{match.group(1)}" in names


def _down_path(path: Path) -> Path | None:
    if path.name.lower().endswith(".up.sql"):
        return path.with_name(path.name[: -len(".up.sql")] + ".down.sql")
    if re.match(r"^V\d", path.name):
        return path.with_name("U" + path.name[1:])
    return None


def _split_sections(text: str) -> tuple[str, str | None]:
    """Split a script with goose or dbmate section markers into its up and down SQL."""
    down = _DOWN_MARKERS.search(text)
    if down is None:
        return text, None
    up_text = _UP_MARKERS.sub("", text[: down.start()])
    down_text = text[down.end() :]
    return up_text, down_text if down_text.strip() else None


# --- analysis ------------------------------------------------------------------


def analyze_migrations(
    scripts: Sequence[ScriptInput],
    *,
    dialect: Dialect = Dialect.POSTGRES,
    runner_transaction: RunnerTransaction = RunnerTransaction.NONE,
    standalone: bool = False,
) -> MigrationReport:
    """Classify every statement of `scripts`, in order, into operations and findings.

    `standalone` is true when the release ships the scripts without application
    code: a contract-phase script released that way drops or renames objects
    that no running version reads any more.
    """
    state = _State(dialect=dialect, runner=runner_transaction)
    documents: list[dict[str, Any]] = []
    findings: list[ChangeFinding] = []
    for script in scripts:
        document, script_findings = _analyze_script(script, state, standalone=standalone)
        documents.append(document)
        findings.extend(script_findings)
    return MigrationReport(
        dialect=dialect.value,
        runner_transaction=runner_transaction.value,
        scripts=tuple(documents),
        findings=tuple(findings),
    )


def _analyze_script(
    script: ScriptInput, state: _State, *, standalone: bool
) -> tuple[dict[str, Any], list[ChangeFinding]]:
    operations: list[dict[str, Any]] = []
    parse_errors: list[dict[str, Any]] = []
    explicit_transaction = False
    # Constraints added NOT VALID in the transaction still open, by table and name.
    not_valid_open: set[tuple[str, str]] = set()

    statements, split_error = _split(script.up_sql, state.dialect)
    if split_error is not None:
        parse_errors.append(split_error)

    for statement in statements:
        try:
            with _quiet_sqlglot():
                tree = sqlglot.parse_one(statement.text, read=state.dialect.value)
        except (ParseError, TokenError) as error:
            parse_errors.append(
                {
                    "statement": statement.index,
                    "line": statement.line,
                    "message": _first_line(str(error)),
                    "sql": _short(statement.text),
                }
            )
            continue

        if isinstance(tree, exp.Transaction):
            explicit_transaction = True
            continue
        if isinstance(tree, exp.Commit | exp.Rollback):
            explicit_transaction = False
            not_valid_open.clear()
            continue

        in_transaction = explicit_transaction or state.runner is RunnerTransaction.PER_FILE
        for operation in _classify(tree, statement, state):
            operation["statement"] = statement.index
            operation["line"] = statement.line
            operation["sql"] = _short(statement.text)
            if operation["kind"] in ("create_index", "drop_index"):
                operation["in_transaction"] = in_transaction
            if operation["kind"] == "add_constraint" and operation.get("not_valid"):
                not_valid_open.add((operation["table"], operation.get("name") or ""))
            if operation["kind"] == "validate_constraint":
                key = (operation["table"], operation.get("name") or "")
                operation["same_transaction_as_add"] = in_transaction and key in not_valid_open
            operations.append(operation)

    phase = "contract" if any(_is_contract(op) for op in operations) else "expand"
    released_alone = standalone and phase == "contract"
    for operation in operations:
        if operation["kind"] in DESTRUCTIVE_KINDS:
            # The analysis cannot see application code: only a contract phase
            # released alone shows that no running version reads the object.
            operation["read_by_running_version"] = False if released_alone else None

    document: dict[str, Any] = {
        "name": script.name,
        "source": script.source,
        "phase": phase,
        "standalone": standalone,
        "reversible": script.down_sql is not None and bool(script.down_sql.strip()),
        "operations": operations,
        "parse_errors": parse_errors,
    }
    return document, _findings(document, state)


def _split(sql: str, dialect: Dialect) -> tuple[list[_Statement], dict[str, Any] | None]:
    """Split `sql` at semicolons with sqlglot's tokenizer; a tokenizer error ends the split."""
    try:
        with _quiet_sqlglot():
            tokens = sqlglot.tokenize(sql, read=dialect.value)
    except TokenError as error:
        return [], {
            "statement": None,
            "line": None,
            "message": _first_line(str(error)),
            "sql": None,
        }
    statements: list[_Statement] = []
    current: list[Token] = []
    for token in [*tokens, None]:
        # SQL Server scripts separate batches with GO on a line of its own.
        batch_end = (
            dialect is Dialect.TSQL
            and token is not None
            and token.text.upper() == "GO"
            and (not current or current[-1].line < token.line)
        )
        if token is None or token.token_type == TokenType.SEMICOLON or batch_end:
            if current:
                text = sql[current[0].start : current[-1].end + 1]
                statements.append(_Statement(len(statements) + 1, current[0].line, text, current))
            current = []
            continue
        current.append(token)
    return statements, None


def _classify(tree: exp.Expr, statement: _Statement, state: _State) -> list[dict[str, Any]]:
    if isinstance(tree, exp.Create):
        return [_classify_create(tree, statement, state)]
    if isinstance(tree, exp.Drop):
        return [_classify_drop(tree)]
    if isinstance(tree, exp.Alter) and (tree.args.get("kind") or "").upper() == "TABLE":
        table = _table_name(tree.this)
        return [_classify_action(action, table, tree, statement, state) for action in tree.actions]
    if isinstance(tree, exp.TruncateTable):
        cascade = (tree.args.get("option") or "").upper() == "CASCADE"
        return [{"kind": "truncate", "table": _table_name(tree.expressions[0]), "cascade": cascade}]
    if isinstance(tree, exp.Set):
        return [{"kind": "set_setting"}]
    if isinstance(tree, exp.Insert | exp.Update | exp.Delete | exp.Merge):
        return [{"kind": "data_change", "table": _table_name(tree.this)}]
    if isinstance(tree, exp.Comment):
        return [{"kind": "comment"}]
    if isinstance(tree, exp.Command):
        return [_classify_command(statement, state)]
    return [{"kind": "other", "classified": False}]


def _classify_create(tree: exp.Create, statement: _Statement, state: _State) -> dict[str, Any]:
    kind = (tree.args.get("kind") or "").upper()
    if kind == "TABLE":
        table = _table_name(tree.this)
        state.created_tables.add(table)
        schema = tree.this if isinstance(tree.this, exp.Schema) else None
        for column in schema.expressions if schema else []:
            if isinstance(column, exp.ColumnDef) and isinstance(column.kind, exp.DataType):
                state.column_types[(table, column.name.lower())] = column.kind
        return {"kind": "create_table", "table": table}
    if kind == "INDEX":
        index = tree.this
        table = _table_name(index.args.get("table")) if isinstance(index, exp.Index) else ""
        return {
            "kind": "create_index",
            "table": table,
            "name": index.name if isinstance(index, exp.Expression) else None,
            "unique": bool(tree.args.get("unique")),
            "concurrent": _online_index(tree, statement, state.dialect),
            "new_table": table in state.created_tables,
        }
    return {"kind": "create_object", "object": kind.lower()}


def _classify_drop(tree: exp.Drop) -> dict[str, Any]:
    kind = (tree.args.get("kind") or "").upper()
    targets = tree.args.get("tables") or tree.expressions
    target = targets[0] if targets else tree.this
    if kind == "TABLE":
        return {"kind": "drop_table", "table": _table_name(target)}
    if kind == "INDEX":
        return {
            "kind": "drop_index",
            "name": _table_name(target),
            "concurrent": bool(tree.args.get("concurrently")),
        }
    name = _table_name(target)
    return {"kind": "drop_object", "object": kind.lower(), "name": name, "table": name}


def _classify_action(
    action: exp.Expr, table: str, alter: exp.Alter, statement: _Statement, state: _State
) -> dict[str, Any]:
    new_table = table in state.created_tables
    if isinstance(action, exp.ColumnDef):
        constraints = [c.kind for c in action.constraints if isinstance(c, exp.ColumnConstraint)]
        default = next((c for c in constraints if isinstance(c, exp.DefaultColumnConstraint)), None)
        dtype = action.kind if isinstance(action.kind, exp.DataType) else None
        serial = dtype is not None and dtype.this in _SERIAL_TYPES
        if dtype is not None:
            state.column_types[(table, action.name.lower())] = dtype
        return {
            "kind": "add_column",
            "table": table,
            "column": action.name,
            "nullable": not any(
                isinstance(c, exp.PrimaryKeyColumnConstraint)
                # sqlglot keeps an explicit NULL as a NOT NULL constraint with allow_null set.
                or (isinstance(c, exp.NotNullColumnConstraint) and not c.args.get("allow_null"))
                for c in constraints
            ),
            "has_default": default is not None or serial,
            "volatile_default": serial or (default is not None and _volatile(default.this)),
            "primary_key": any(isinstance(c, exp.PrimaryKeyColumnConstraint) for c in constraints),
            "serial": serial,
            "table_rows": None,
            "new_table": new_table,
        }
    if isinstance(action, exp.Drop) and (action.args.get("kind") or "").upper() == "COLUMN":
        targets = action.args.get("tables") or action.expressions
        column = targets[0].name if targets else ""
        return {"kind": "drop_column", "table": table, "column": column}
    if isinstance(action, exp.RenameColumn):
        return {
            "kind": "rename_column",
            "table": table,
            "column": action.this.name,
            "new_name": action.args["to"].name,
        }
    if isinstance(action, exp.AlterRename):
        return {"kind": "rename_table", "table": table, "new_name": _table_name(action.this)}
    if isinstance(action, exp.AlterColumn):
        column = action.name
        if action.args.get("dtype") is not None:
            new_type = action.args["dtype"]
            return {
                "kind": "alter_column_type",
                "table": table,
                "column": column,
                "type": new_type.sql(dialect=state.dialect.value),
                "narrowing": _narrowing(state.column_types.get((table, column.lower())), new_type),
                "new_table": new_table,
            }
        if action.args.get("allow_null") is False:
            return {
                "kind": "set_not_null",
                "table": table,
                "column": column,
                "table_rows": None,
                "new_table": new_table,
            }
        if action.args.get("allow_null") is True:
            return {"kind": "drop_not_null", "table": table, "column": column}
        return {"kind": "alter_column", "table": table, "column": column}
    if isinstance(action, exp.AddConstraint):
        return _classify_constraint(action, table, alter, statement, state)
    return {"kind": "other", "table": table, "classified": False}


def _classify_constraint(
    action: exp.AddConstraint, table: str, alter: exp.Alter, statement: _Statement, state: _State
) -> dict[str, Any]:
    constraint = action.expressions[0] if action.expressions else None
    body = (
        constraint.expressions[0]
        if isinstance(constraint, exp.Constraint) and constraint.expressions
        else constraint
    )
    if isinstance(body, exp.ForeignKey):
        constraint_type = "foreign_key"
    elif isinstance(body, exp.CheckColumnConstraint):
        constraint_type = "check"
    elif isinstance(body, exp.UniqueColumnConstraint):
        constraint_type = "unique"
    elif isinstance(body, exp.PrimaryKey | exp.PrimaryKeyColumnConstraint):
        constraint_type = "primary_key"
    else:
        constraint_type = "other"
    return {
        "kind": "add_constraint",
        "table": table,
        "name": constraint.name if isinstance(constraint, exp.Constraint) else None,
        "constraint_type": constraint_type,
        "not_valid": bool(alter.args.get("not_valid")) or _has_words(statement, state.dialect),
        "using_index": False,
        "new_table": table in state.created_tables,
    }


def _classify_command(statement: _Statement, state: _State) -> dict[str, Any]:
    """Match the token forms sqlglot keeps as opaque commands."""
    words = [t.text.upper() for t in statement.tokens]
    if words[:2] == ["ALTER", "TABLE"]:
        table = _identifier_after(statement.tokens, 2)
        if "VALIDATE" in words and "CONSTRAINT" in words:
            position = words.index("CONSTRAINT")
            return {
                "kind": "validate_constraint",
                "table": table,
                "name": _identifier_after(statement.tokens, position + 1),
            }
        if "ADD" in words and "USING" in words and "INDEX" in words:
            position = words.index("CONSTRAINT") if "CONSTRAINT" in words else -1
            constraint_type = "primary_key" if "PRIMARY" in words else "unique"
            return {
                "kind": "add_constraint",
                "table": table,
                "name": _identifier_after(statement.tokens, position + 1)
                if position >= 0
                else None,
                "constraint_type": constraint_type,
                "not_valid": False,
                "using_index": True,
                "new_table": table in state.created_tables,
            }
    if words[:2] == ["CREATE", "INDEX"] or words[:3] == ["CREATE", "UNIQUE", "INDEX"]:
        position = words.index("ON") if "ON" in words else -1
        table = _identifier_after(statement.tokens, position + 1) if position >= 0 else ""
        return {
            "kind": "create_index",
            "table": table,
            "name": None,
            "unique": "UNIQUE" in words[:3],
            "concurrent": _online_words(words, state.dialect),
            "new_table": table in state.created_tables,
        }
    return {"kind": "other", "classified": False}


# --- facts ---------------------------------------------------------------------


def _online_index(tree: exp.Create, statement: _Statement, dialect: Dialect) -> bool:
    if dialect is Dialect.POSTGRES:
        return bool(tree.args.get("concurrently"))
    return _online_words([t.text.upper() for t in statement.tokens], dialect)


def _online_words(words: list[str], dialect: Dialect) -> bool:
    """Return whether the index build keeps the table writable, by the dialect's keywords."""
    if dialect is Dialect.POSTGRES:
        return "CONCURRENTLY" in words
    if dialect is Dialect.MYSQL:
        return _follows(words, "LOCK", "NONE")
    if dialect is Dialect.TSQL:
        return _follows(words, "ONLINE", "ON")
    return "ONLINE" in words


def _follows(words: list[str], key: str, value: str) -> bool:
    return any(words[i] == key and value in words[i + 1 : i + 3] for i in range(len(words) - 1))


def _has_words(statement: _Statement, dialect: Dialect) -> bool:
    """Return whether a constraint skips checking existing rows, in dialects without NOT VALID."""
    words = [t.text.upper() for t in statement.tokens]
    if dialect is Dialect.TSQL:
        return "NOCHECK" in words
    if dialect is Dialect.ORACLE:
        return "NOVALIDATE" in words
    return False


def _volatile(expression: exp.Expression | None) -> bool:
    if expression is None:
        return False
    for node in expression.walk():
        if isinstance(node, _VOLATILE_EXPRESSIONS):
            return True
        if isinstance(node, exp.Anonymous) and node.name.lower() in _VOLATILE_FUNCTIONS:
            return True
        if isinstance(node, exp.Func) and node.sql_name().lower() in _VOLATILE_FUNCTIONS:
            return True
    return False


_WIDER_INTEGERS = {
    exp.DataType.Type.SMALLINT: 1,
    exp.DataType.Type.INT: 2,
    exp.DataType.Type.BIGINT: 3,
}
_TEXT_TYPES = {exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT, exp.DataType.Type.NVARCHAR}


def _narrowing(old: exp.DataType | None, new: exp.DataType) -> bool | None:
    """Return whether the change narrows the column, or None when the old type is unknown here."""
    if old is None:
        return None
    if old.this in _WIDER_INTEGERS and new.this in _WIDER_INTEGERS:
        return _WIDER_INTEGERS[new.this] < _WIDER_INTEGERS[old.this]
    if old.this in _TEXT_TYPES and new.this in _TEXT_TYPES:
        if new.this == exp.DataType.Type.TEXT:
            return False
        old_length, new_length = _length(old), _length(new)
        if old.this == exp.DataType.Type.TEXT or old_length is None:
            return True
        return new_length is not None and new_length < old_length
    return None if old.this != new.this else (_length(new) or 0) < (_length(old) or 0)


def _length(dtype: exp.DataType) -> int | None:
    if not dtype.expressions:
        return None
    literal = dtype.expressions[0].this
    try:
        return int(literal.this) if isinstance(literal, exp.Literal) else None
    except ValueError:
        return None


def _is_contract(operation: dict[str, Any]) -> bool:
    kind = operation["kind"]
    if kind in DESTRUCTIVE_KINDS or kind == "truncate":
        return True
    return (
        kind == "alter_column_type"
        and not operation.get("new_table")
        and operation.get("narrowing") is not False
    )


# --- findings ------------------------------------------------------------------


def _findings(script: dict[str, Any], state: _State) -> list[ChangeFinding]:
    found: list[ChangeFinding] = []

    def add(rule: str, message: str, line: int | None) -> None:
        level, fix = RULES[rule]
        found.append(
            ChangeFinding(
                rule=rule,
                level=level,
                subject=script["name"],
                message=f"{message}; {fix}",
                line=line,
            )
        )

    for error in script["parse_errors"]:
        add(
            "syntax-error",
            f"statement {error['statement'] or '?'} cannot be parsed: {error['message']}",
            error["line"],
        )
    postgres = state.dialect is Dialect.POSTGRES
    for op in script["operations"]:
        line = op.get("line")
        kind = op["kind"]
        target = _target(op)
        if kind == "other" and not op.get("classified", True):
            add(
                "unclassified-statement",
                f"statement {op['statement']} ({op['sql']}) is not classified",
                line,
            )
        elif kind == "drop_column":
            add("ban-drop-column", f"drops column {target}", line)
        elif kind == "drop_table":
            add("ban-drop-table", f"drops table {target}", line)
        elif kind == "rename_column":
            add("renaming-column", f"renames column {target}", line)
        elif kind == "rename_table":
            add("renaming-table", f"renames table {target}", line)
        elif kind == "drop_object":
            add(
                "dropping-object", f"drops {op['object']} {op.get('table') or op.get('name')}", line
            )
        elif kind == "truncate" and op.get("cascade"):
            add("ban-truncate-cascade", f"truncates {target} with CASCADE", line)
        elif kind == "add_column" and not op["new_table"]:
            if op["serial"] and op["primary_key"]:
                add("adding-serial-primary-key-field", f"adds serial primary key {target}", line)
            elif not op["nullable"] and not op["has_default"]:
                add(
                    "adding-required-field",
                    f"adds NOT NULL column {target} without a default",
                    line,
                )
            elif op["volatile_default"]:
                add(
                    "adding-field-with-default",
                    f"adds column {target} with a volatile default, which rewrites the table",
                    line,
                )
        elif kind == "set_not_null" and not op["new_table"]:
            add(
                "adding-not-nullable-field",
                f"sets NOT NULL on {target}, which scans the table under lock",
                line,
            )
        elif kind == "drop_not_null":
            add("ban-drop-not-null", f"drops NOT NULL on {target}", line)
        elif kind == "alter_column_type" and not op["new_table"] and op["narrowing"] is not False:
            add("changing-column-type", f"changes the type of {target} to {op['type']}", line)
        elif kind == "create_index" and not op["new_table"] and not op["concurrent"]:
            add(
                "require-concurrent-index-creation",
                f"builds index on {target} while blocking writes",
                line,
            )
        elif kind == "create_index" and op["concurrent"] and op["in_transaction"] and postgres:
            add(
                "ban-concurrent-index-creation-in-transaction",
                f"builds index on {target} concurrently inside a transaction",
                line,
            )
        elif kind == "drop_index" and postgres and not op["concurrent"]:
            add(
                "require-concurrent-index-deletion",
                f"drops index {op['name']} while blocking reads and writes",
                line,
            )
        elif kind == "add_constraint" and not op["new_table"]:
            if op["constraint_type"] in ("foreign_key", "check") and not op["not_valid"]:
                add(
                    "constraint-missing-not-valid",
                    f"adds {op['constraint_type'].replace('_', ' ')} constraint on {target} checking every row under lock",
                    line,
                )
            elif op["constraint_type"] in ("unique", "primary_key") and not op["using_index"]:
                add(
                    "disallowed-unique-constraint",
                    f"adds {op['constraint_type'].replace('_', ' ')} constraint on {target}, building its index under lock",
                    line,
                )
        elif kind == "validate_constraint" and op.get("same_transaction_as_add"):
            add(
                "constraint-missing-not-valid",
                f"validates constraint {op.get('name')} on {target} in the transaction that added it",
                line,
            )
    return found


def verdict(report: MigrationReport) -> str:
    """Return `err` when a finding blocks, `ok` otherwise, as squawk's fixtures are named."""
    return "err" if any(f.level is FindingLevel.ERROR for f in report.findings) else "ok"


# --- helpers -------------------------------------------------------------------


def _table_name(node: exp.Expression | None) -> str:
    if node is None:
        return ""
    if isinstance(node, exp.Schema):
        node = node.this
    if isinstance(node, exp.Table):
        parts = [part.name for part in node.parts]
        return ".".join(parts)
    return node.name if isinstance(node, exp.Expression) else str(node)


def _identifier_after(tokens: list[Token], position: int) -> str:
    """Return the (possibly schema-qualified) name starting at `position`, skipping IF EXISTS and ONLY."""
    skip = {"IF", "EXISTS", "ONLY", "NOT"}
    while position < len(tokens) and tokens[position].text.upper() in skip:
        position += 1
    parts: list[str] = []
    while position < len(tokens):
        parts.append(tokens[position].text)
        if position + 1 < len(tokens) and tokens[position + 1].token_type == TokenType.DOT:
            position += 2
            continue
        break
    return ".".join(parts)


def _target(op: dict[str, Any]) -> str:
    table = op.get("table") or "an unnamed table"
    column = op.get("column")
    return f"{table}.{column}" if column else table


def _short(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _first_line(text: str) -> str:
    # sqlglot colours the offending token with ANSI escapes; drop them.
    return re.sub(r"\x1b\[[0-9;]*m", "", text.splitlines()[0] if text else "parse error")


class _quiet_sqlglot:
    """Silence sqlglot's fallback warnings: an opaque command is classified here instead."""

    def __enter__(self) -> None:
        self._logger = logging.getLogger("sqlglot")
        self._level = self._logger.level
        self._logger.setLevel(logging.ERROR)

    def __exit__(self, *exc: object) -> None:
        self._logger.setLevel(self._level)


def summary(report: MigrationReport) -> dict[str, int]:
    """Counts for the evidence summary: scripts, operations and blocking findings."""
    return {
        "scripts": len(report.scripts),
        "operations": sum(len(s["operations"]) for s in report.scripts),
        "errors": sum(1 for f in report.findings if f.level is FindingLevel.ERROR),
    }


__all__ = [
    "Dialect",
    "RunnerTransaction",
    "ScriptInput",
    "analyze_migrations",
    "read_scripts",
    "summary",
    "verdict",
]
