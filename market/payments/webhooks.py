"""Stripe's webhook: verify the signature, record the event once, apply it, answer quickly."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, request

from market.core.extensions import csrf, db
from market.core.i18n import get_lang
from market.payments.provider import WebhookRejected
from market.payments.providers import get_provider
from market.payments.services import record_provider_event
from market.web.errors import json_error

log = logging.getLogger(__name__)

bp = Blueprint("payments", __name__, url_prefix="/payments")


@bp.post("/stripe/webhook")
@csrf.exempt  # Stripe signs its requests; it has no session and no CSRF token
def stripe_webhook():
    provider = get_provider(current_app, "stripe")
    try:
        event = provider.verify_webhook(request.get_data(), request.headers.get("Stripe-Signature"))
    except WebhookRejected as err:
        log.warning("Stripe webhook rejected: %s", err.en)
        return json_error(err.status, err.code, err.message(get_lang()))
    result = record_provider_event(db.session, provider.name, event)
    db.session.commit()
    if result.error is not None:
        # Recorded, so a redelivery is a duplicate; the failed delivery shows in Stripe's dashboard.
        return json_error(result.error.status, result.error.code, result.error.message(get_lang()))
    return jsonify(received=True, duplicate=result.duplicate, outcome=result.outcome)
