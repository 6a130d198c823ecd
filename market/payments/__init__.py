"""Payments behind a PaymentProvider interface: offline bank transfer (default) and Stripe."""
