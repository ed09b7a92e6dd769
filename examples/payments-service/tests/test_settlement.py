from decimal import Decimal

import pytest

from payments_service.settlement import Payment, batch_total, build_batches, idempotency_key


def test_batch_total_rounds_half_even():
    payments = [Payment("p1", Decimal("10.005"), "EUR"), Payment("p2", Decimal("0.010"), "EUR")]
    assert batch_total(payments) == Decimal("10.02")


def test_batch_total_half_even_keeps_even_cent():
    assert batch_total([Payment("p1", Decimal("2.125"), "EUR")]) == Decimal("2.12")


def test_build_batches_groups_by_currency():
    batches = build_batches(
        [
            Payment("p1", Decimal("5.00"), "EUR"),
            Payment("p2", Decimal("7.50"), "USD"),
            Payment("p3", Decimal("1.25"), "EUR"),
        ]
    )
    assert [b.currency for b in batches] == ["EUR", "USD"]
    assert batches[0].total == Decimal("6.25")
    assert [p.reference for p in batches[0].payments] == ["p1", "p3"]


def test_idempotency_key_stable_for_same_content():
    payments = [Payment("p1", Decimal("5.00"), "EUR")]
    assert idempotency_key(payments) == idempotency_key(list(payments))
    assert idempotency_key(payments) != idempotency_key([Payment("p1", Decimal("5.01"), "EUR")])


def test_build_batches_rejects_non_positive_amount():
    with pytest.raises(ValueError, match="p9: amount must be positive"):
        build_batches([Payment("p9", Decimal("0"), "EUR")])
