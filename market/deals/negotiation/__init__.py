"""Negotiated deals: ordinary, sole and exclusive licences, transfers and equity investments.

The public services, each flushing and never committing:
requests (request_deal, make_offer, accept_offer, accept_listed_terms, decline, cancel,
post_message), steps (record_step, record_consent, confirm_consent, checklist), signature
(sign_contract, contract_hash), contract (record_filing, record_filing_rejected, file_registration, record_registration,
record_registration_rejected, record_capital_registration, payment_settled, void_deal).
"""

from market.deals.negotiation.contract import (
                                               all_paid,
                                               complete_if_done,
                                               file_registration,
                                               filing_blockers,
                                               payment_settled,
                                               payments_of,
                                               prior_licences,
                                               record_capital_registration,
                                               record_filing,
                                               record_filing_rejected,
                                               record_registration,
                                               record_registration_rejected,
                                               void_deal,
)
from market.deals.negotiation.requests import (
                                               accept_listed_terms,
                                               accept_offer,
                                               cancel,
                                               close_other_requests,
                                               decline,
                                               make_offer,
                                               open_offer,
                                               post_message,
                                               request_deal,
)
from market.deals.negotiation.signature import contract_hash, sign_contract, signed_text, to_sign
from market.deals.negotiation.steps import checklist, confirm_consent, missing, record_consent, record_step
from market.deals.negotiation.terms import Terms, clean_terms, deal_kind, patent_blockers

__all__ = [
    "Terms", "accept_listed_terms", "accept_offer", "all_paid", "cancel", "checklist", "clean_terms",
    "confirm_consent", "contract_hash", "signed_text", "to_sign",
    "close_other_requests", "complete_if_done", "deal_kind", "decline", "file_registration", "filing_blockers",
    "make_offer", "missing", "open_offer", "patent_blockers", "payment_settled", "payments_of", "post_message",
    "prior_licences", "record_capital_registration", "record_consent", "record_filing", "record_filing_rejected",
    "record_registration", "record_registration_rejected", "record_step", "request_deal", "sign_contract",
    "void_deal",
]
