"""The offline provider: bank-transfer instructions out, the payee's word in; no network."""

from __future__ import annotations

import pytest

from market.core.errors import DomainError
from market.payments import offline
from market.payments.models import Payment
from market.payments.offline import OfflineProvider, PayeeAccount, transfer_reference
from market.payments.provider import WebhookRejected

PLATFORM = PayeeAccount("上海专利超市运营有限公司", "中国银行上海宝山支行", "4567 8901 2345 6789")


@pytest.fixture(autouse=True)
def no_resolvers(monkeypatch):
    monkeypatch.setattr(offline, "_resolvers", [])


def payment(**kw) -> Payment:
    return Payment(**{"id": 123, "deal_id": 9, "kind": "LUMP_SUM", "sequence": 1, "amount_fen": 5_000_000,
                      "currency": "CNY", "status": "DUE", **kw})


def test_create_gives_the_payee_account_the_amount_and_a_reference_to_quote():
    checkout = OfflineProvider(PLATFORM).create(payment(), idempotency_key="k")
    assert (checkout.provider, checkout.status, checkout.method) == ("offline", "DUE", "bank_transfer")
    assert checkout.client_secret is None
    i = checkout.instructions
    assert (i.account_name, i.bank_name, i.account_number) == (PLATFORM.account_name, PLATFORM.bank_name,
                                                               PLATFORM.account_number)
    assert (i.amount_fen, i.currency) == (5_000_000, "CNY")
    assert i.reference == checkout.provider_ref == "PSM-P000123-0"


def test_the_deals_own_payee_account_wins_over_the_configured_fallback():
    seller = PayeeAccount("甲大学", "工商银行", "6222 0000 1111")
    offline.payee_account_resolver(lambda p: seller if p.deal_id == 9 else None)
    assert OfflineProvider(PLATFORM).create(payment(), idempotency_key="k").instructions.account_name == "甲大学"
    assert OfflineProvider(PLATFORM).create(payment(deal_id=10), idempotency_key="k").instructions.account_name \
        == PLATFORM.account_name


def test_without_any_payee_account_a_transfer_is_refused():
    with pytest.raises(DomainError) as err:
        OfflineProvider(PayeeAccount("", "", "")).create(payment(), idempotency_key="k")
    assert err.value.code == "payee_account_missing" and err.value.status == 409
    assert "银行账户" in err.value.zh and "bank account" in err.value.en


def test_from_config_reads_the_payee_settings():
    provider = OfflineProvider.from_config({"PAYEE_ACCOUNT_NAME": "A", "PAYEE_BANK_NAME": "B",
                                            "PAYEE_ACCOUNT_NUMBER": "1"})
    assert provider.fallback == PayeeAccount("A", "B", "1")


@pytest.mark.parametrize("position", range(6))
def test_a_single_mistyped_digit_changes_the_check_digit(position):
    digits = "123456"
    check = transfer_reference(int(digits))[-1]
    for wrong in "0123456789":
        if wrong != digits[position]:
            typo = digits[:position] + wrong + digits[position + 1:]
            assert transfer_reference(int(typo))[-1] != check, typo


def test_payee_confirmation_is_payment_of_the_full_amount():
    result = OfflineProvider(PLATFORM).confirm(payment(provider_ref="PSM-P000123-0"), idempotency_key="k")
    assert (result.status, result.provider_ref, result.amount_fen, result.currency) == \
        ("PAID", "PSM-P000123-0", 5_000_000, "CNY")


def test_cancel_and_refund_need_no_network():
    provider = OfflineProvider(PLATFORM)
    p = payment(provider_ref="PSM-P000123-0")
    assert provider.cancel(p, idempotency_key="k").status == "CANCELLED"
    refund = provider.refund(p, 1_000, idempotency_key="k")
    assert (refund.status, refund.amount_fen) == ("REFUNDED", 1_000)


def test_bank_transfers_have_no_webhooks():
    with pytest.raises(WebhookRejected) as err:
        OfflineProvider(PLATFORM).verify_webhook(b"{}", "t=1,v1=00")
    assert err.value.status == 400
