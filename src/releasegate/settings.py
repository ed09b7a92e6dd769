"""The one settings object, read in one place.

Precedence, highest first: command-line flags, `RELEASEGATE_*` environment
variables, the config file (`releasegate.toml` in the working directory, or
the file named by `RELEASEGATE_CONFIG`), then defaults.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from releasegate.errors import ConfigurationError

if TYPE_CHECKING:
    from releasegate.store.db import PoolOptions

ENV_PREFIX = "RELEASEGATE_"
CONFIG_FILE_NAME = "releasegate.toml"
STATE_DIR_NAME = ".releasegate"


class Settings(BaseModel):
    """Resolved configuration for one process."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    home: Path = Field(description="Working directory that contains the state folder.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; defaults to a SQLite file in the state folder.",
    )
    database_pool_size: int = Field(
        default=5, gt=0, le=100, description="PostgreSQL connections each process keeps open."
    )
    database_statement_timeout_ms: int = Field(
        default=30_000,
        gt=0,
        description="PostgreSQL cancels a statement that runs longer, in milliseconds.",
    )
    database_retries: int = Field(
        default=5,
        ge=0,
        le=50,
        description="Retries of a transaction that lost a serialization conflict or deadlock.",
    )
    blob_dir: Path | None = Field(
        default=None, description="Content-addressed blob folder; defaults to state/blobs."
    )
    catalog: Path | None = Field(default=None, description="Service catalog YAML file.")
    policy_dir: Path | None = Field(
        default=None,
        description="Folder with enterprise/, platform/ and application/<service>/ layers.",
    )
    approval_ttl_hours: int = Field(
        default=72,
        gt=0,
        le=8760,
        description="How long an approval stays valid, in hours (at most one year).",
    )
    calendar: Path | None = Field(
        default=None,
        description="Calendar YAML file (freezes, windows, legal entities); defaults to "
        "calendars.yaml in the working folder, where an absent file means no calendars.",
    )
    identities: Path | None = Field(
        default=None,
        description="Identity directory YAML file (people, aliases, roles, trusted OIDC "
        "issuers); defaults to identities.yaml in the working folder, where an absent file "
        "means every catalog member is a person of their own.",
    )
    review_deadline_hours: int = Field(
        default=72,
        gt=0,
        le=8760,
        description="Default deadline of an emergency change's post-release review, in hours; "
        "params emergency.review_deadline_hours overrides it.",
    )
    rollout_duration_minutes: int = Field(
        default=60,
        ge=0,
        description="Expected rollout duration the gate checks against the calendar, in minutes.",
    )
    log_level: str = Field(default="WARNING", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")
    ledger_origin: str | None = Field(
        default=None,
        pattern=r"^[^\s+]+$",
        description="Origin line and key name of the ledger's signed checkpoints, e.g. "
        "bank.example/releasegate; 'releasegate init' generates one per installation if unset.",
    )

    @property
    def state_dir(self) -> Path:
        return self.home / STATE_DIR_NAME

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.state_dir / 'releasegate.db'}"

    @property
    def database_options(self) -> PoolOptions:
        from releasegate.store.db import PoolOptions

        return PoolOptions(
            pool_size=self.database_pool_size,
            max_overflow=self.database_pool_size,
            statement_timeout_ms=self.database_statement_timeout_ms,
            retries=self.database_retries,
        )

    @property
    def resolved_blob_dir(self) -> Path:
        return self.blob_dir or self.state_dir / "blobs"

    @property
    def resolved_catalog(self) -> Path:
        return self.catalog or self.home / "catalog.yaml"

    @property
    def resolved_policy_dir(self) -> Path:
        return self.policy_dir or self.home / "policies"

    @property
    def resolved_calendar(self) -> Path:
        return self.calendar or self.home / "calendars.yaml"

    @property
    def resolved_identities(self) -> Path:
        return self.identities or self.home / "identities.yaml"


_FIELDS = tuple(name for name in Settings.model_fields if name != "home")
_PATH_FIELDS = {"blob_dir", "catalog", "policy_dir", "calendar", "identities"}


def _from_file(path: Path) -> dict[str, Any]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(
            f"{path}: cannot read the config file ({exc.strerror})",
            hint="check the path given in RELEASEGATE_CONFIG",
        ) from exc
    except UnicodeDecodeError as exc:
        raise ConfigurationError(
            f"{path}: the config file is not UTF-8 text", hint="save it as UTF-8 TOML"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(
            f"{path}: invalid TOML ({exc})", hint="fix the syntax at the position shown"
        ) from exc
    section = raw.get("releasegate", raw)
    unknown = sorted(set(section) - set(_FIELDS))
    if unknown:
        raise ConfigurationError(
            f"{path}: unknown setting(s) {', '.join(unknown)}",
            hint=f"valid settings are {', '.join(_FIELDS)}",
        )
    values = dict(section)
    for name in _PATH_FIELDS & values.keys():
        values[name] = (path.parent / str(values[name])).resolve()
    return values


def _from_environment(environ: dict[str, str]) -> dict[str, Any]:
    return {
        name: environ[ENV_PREFIX + name.upper()]
        for name in _FIELDS
        if environ.get(ENV_PREFIX + name.upper())
    }


def load_settings(
    *,
    home: Path | None = None,
    overrides: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> Settings:
    """Build the settings from defaults, config file, environment and flags."""
    env = dict(os.environ if environ is None else environ)
    base = (home or Path(env.get(ENV_PREFIX + "HOME") or Path.cwd())).resolve()

    config_path = Path(env[ENV_PREFIX + "CONFIG"]) if env.get(ENV_PREFIX + "CONFIG") else None
    if config_path is None and (base / CONFIG_FILE_NAME).is_file():
        config_path = base / CONFIG_FILE_NAME

    values: dict[str, Any] = {}
    if config_path is not None:
        values.update(_from_file(config_path))
    values.update(_from_environment(env))
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    for name in _PATH_FIELDS & values.keys():
        values[name] = (base / Path(values[name])).resolve()

    try:
        return Settings(home=base, **values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise ConfigurationError(
            f"invalid setting {field}: {first['msg']}",
            hint=f"set {ENV_PREFIX}{field.upper()} or '{field}' in {CONFIG_FILE_NAME}",
        ) from exc
