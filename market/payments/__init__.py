"""Payments behind a PaymentProvider interface: offline bank transfer (default) and Stripe.

Owns its statuses (vocabulary); tells the deals floor a payment was settled through the hook
`on_payment_paid`, never by importing it.
"""
