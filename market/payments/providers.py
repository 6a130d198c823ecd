"""The configured PaymentProvider: offline bank transfer or Stripe, chosen by PAYMENT_PROVIDER."""

from __future__ import annotations

from flask import Flask

from market.core.errors import DomainError
from market.payments.offline import OfflineProvider
from market.payments.provider import PaymentProvider
from market.payments.stripe_provider import StripeProvider


def get_provider(app: Flask, name: str | None = None) -> PaymentProvider:
    """The configured provider, or the one named (the provider a payment was started with).

    Built per call from the app's config: providers hold settings only, and the Stripe provider
    opens its own client for each request, so nothing lives in module state.
    """
    name = name or app.config.get("PAYMENT_PROVIDER") or "offline"
    if name == "offline":
        return OfflineProvider.from_config(app.config)
    if name == "stripe":
        return StripeProvider.from_config(app.config)
    raise DomainError("payment_misconfigured", f"未知的支付方式配置：{name}",
                      f"Unknown payment provider configured: {name}", status=503)
