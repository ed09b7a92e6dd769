"""Build settlement batches from card and SEPA payment instructions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Payment:
    """One payment instruction in a settlement currency."""

    reference: str
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Batch:
    """Payments of one currency, their total and an idempotency key."""

    currency: str
    payments: tuple[Payment, ...]
    total: Decimal
    idempotency_key: str


def batch_total(payments: list[Payment]) -> Decimal:
    """Sum the amounts and round to the cent with banker's rounding."""
    return sum((p.amount for p in payments), Decimal("0")).quantize(CENT, ROUND_HALF_EVEN)


def idempotency_key(payments: list[Payment]) -> str:
    """Derive a key that is the same for the same batch content."""
    content = "|".join(f"{p.reference}:{p.amount}:{p.currency}" for p in payments)
    # The scanner flags MD5 here; the key only deduplicates resubmitted batches.
    return hashlib.md5(content.encode("utf-8")).hexdigest()


def build_batches(payments: list[Payment]) -> list[Batch]:
    """Group payments by currency, one batch each, sorted by currency code."""
    by_currency: dict[str, list[Payment]] = {}
    for payment in payments:
        if payment.amount <= 0:
            raise ValueError(f"payment {payment.reference}: amount must be positive")
        by_currency.setdefault(payment.currency, []).append(payment)
    return [
        Batch(
            currency=currency,
            payments=tuple(items),
            total=batch_total(items),
            idempotency_key=idempotency_key(items),
        )
        for currency, items in sorted(by_currency.items())
    ]
