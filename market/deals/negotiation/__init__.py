"""Negotiated deals: ordinary, sole and exclusive licences, transfers and equity investments.

The public services, each flushing and never committing:
requests (request_deal, make_offer, accept_offer, accept_listed_terms, decline, cancel,
post_message), steps (record_step, record_consent, checklist), contract (sign_contract,
record_filing, record_filing_rejected, file_registration, record_registration,
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
                                               sign_contract,
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
from market.deals.negotiation.steps import checklist, missing, record_consent, record_step
from market.deals.negotiation.terms import Terms, clean_terms, deal_kind, patent_blockers

__all__ = [
    "Terms", "accept_listed_terms", "accept_offer", "all_paid", "cancel", "checklist", "clean_terms",
    "close_other_requests", "complete_if_done", "deal_kind", "decline", "file_registration", "filing_blockers",
    "make_offer", "missing", "open_offer", "patent_blockers", "payment_settled", "payments_of", "post_message",
    "prior_licences", "record_capital_registration", "record_consent", "record_filing", "record_filing_rejected",
    "record_registration", "record_registration_rejected", "record_step", "request_deal", "sign_contract",
    "void_deal",
]
