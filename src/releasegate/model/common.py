"""Identifiers and enumerations shared by the other models."""

from __future__ import annotations

import enum
import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_DIGEST = re.compile(r"^(sha256|sha384|sha512):[0-9a-f]+$")
_IDENTITY = re.compile(r"^[A-Za-z0-9._@+\-]{1,200}$")


def _check_sha256(value: str) -> str:
    if not _SHA256.match(value):
        raise ValueError("expected 64 lowercase hexadecimal characters (a SHA-256 digest)")
    return value


_DIGEST_LENGTH = {"sha256": 64, "sha384": 96, "sha512": 128}


def _check_digest(value: str) -> str:
    if not _DIGEST.match(value):
        raise ValueError("expected an algorithm-prefixed digest such as 'sha256:' followed by hex")
    algorithm, hex_digits = value.split(":", 1)
    if len(hex_digits) != _DIGEST_LENGTH[algorithm]:
        raise ValueError(
            f"a {algorithm} digest has {_DIGEST_LENGTH[algorithm]} hexadecimal characters, "
            f"this one has {len(hex_digits)}"
        )
    return value


def _check_identity(value: str) -> str:
    if not _IDENTITY.match(value):
        raise ValueError("expected a user name or e-mail address of letters, digits and . _ @ + -")
    return value.lower()


Sha256 = Annotated[str, AfterValidator(_check_sha256)]
"""A bare SHA-256 digest in lowercase hex, as used for blobs and ledger hashes."""

ArtifactDigest = Annotated[str, AfterValidator(_check_digest)]
"""An OCI-style digest: algorithm, colon, lowercase hex."""

Identity = Annotated[str, AfterValidator(_check_identity)]
"""A person or workload identity, compared case-insensitively (stored lowercase)."""

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Frozen(BaseModel):
    """Base for immutable value objects that reject unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ChangeType(enum.StrEnum):
    """ITIL change types: standard (pre-approved), normal, emergency."""

    STANDARD = "standard"
    NORMAL = "normal"
    EMERGENCY = "emergency"


class Criticality(enum.IntEnum):
    """Service criticality tier; 0 is the most critical (payments, ledger close)."""

    TIER_0 = 0
    TIER_1 = 1
    TIER_2 = 2
    TIER_3 = 3


class DataClassification(enum.StrEnum):
    """Sensitivity of the data a service handles, lowest to highest."""

    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    REGULATED = "regulated"


class FinanceProcess(enum.StrEnum):
    """Finance processes a service can touch."""

    PAYMENTS = "payments"
    CLOSE = "close"
    RECONCILIATION = "reconciliation"
    INVOICING = "invoicing"
    PROCUREMENT = "procurement"
    PAYROLL = "payroll"
    REVENUE_RECOGNITION = "revenue-recognition"
    TAX = "tax"
    TREASURY = "treasury"
    REPORTING = "reporting"


class Environment(enum.StrEnum):
    """Deployment environments in promotion order."""

    DEVELOPMENT = "development"
    TEST = "test"
    STAGING = "staging"
    PRODUCTION = "production"
