"""The authorisation matrix: every route of the app, as each of eight actors, against this table.

The routes are read from app.url_map (static files aside), so a new route fails the test until
someone decides here who may use it. Each cell is the answer expected for that actor:

    200, 201, 302   the status of an action that may change the database (302: a redirect to
                    anywhere but the login page: the action done, or refused with a flashed message)
    302x, 409x, …   refused with this status: the database must not change
    L               a redirect to the login page; nothing changes
    L+              a redirect to the login page after the action was done (a password reset)
    4xx             any refusal: the database must not change either

The object ids in the paths are patentee A's and enterprise A's (tests/security/world.py), so the
B-side actors and the other point's operator show what another organisation gets (IDOR): 404 for
what they may not see, 403 where the object is public but the action is not theirs. Forms are
posted with a valid CSRF token and a small body; the API is called with each actor's token.
Set MATRIX_PRINT=1 to print the observed table, MATRIX_DEBUG=<part of a rule> to print those answers.
The world is built once and every request is undone after it (tests/security/sweep.py): about
1,300 requests in 15–25 s on SQLite, 25–45 s on PostgreSQL.
"""

from __future__ import annotations

import os
import time

from market.accounts.models import User
from market.core.errors import Forbidden
from market.core.extensions import db
from market.deals import negotiation as n
from market.deals.models import Deal
from market.deals.vocabulary import DealStatus, PaymentStatus
from market.payments.models import Payment
from tests.security.sweep import LOGIN, Sweep, fill
from tests.security.world import ACTORS, build

T = "{today}"
HTML_OFFER = {"price_yuan": "32000", "start_date": T, "end_date": "2099-01-01", "message": "再议"}

# method, rule (as in app.url_map), path, body, expected:
#                                                                   anon ent_a ent_b pat_a pat_b op_x op_y bureau
ROUTES = [
    ("GET", "/", "/", None,                                          "200 200 200 200 200 200 200 200"),
    ("GET", "/healthz", "/healthz", None,                            "200 200 200 200 200 200 200 200"),
    ("GET", "/login", "/login", None,                                "200 200 200 200 200 200 200 200"),
    ("POST", "/login", "/login", {"email": "nobody@example.test", "password": "wrong-Passw0rd"},
                                                                     "422 422 422 422 422 422 422 422"),
    ("POST", "/logout", "/logout", {},                               "302 302 302 302 302 302 302 302"),
    ("GET", "/register", "/register", None,                          "200 200 200 200 200 200 200 200"),
    ("POST", "/register", "/register", {"name": "x"},                "422 422 422 422 422 422 422 422"),
    ("GET", "/password/forgot", "/password/forgot", None,            "200 200 200 200 200 200 200 200"),
    ("POST", "/password/forgot", "/password/forgot", {"email": "nobody@example.test"},
                                                                     "200 200 200 200 200 200 200 200"),
    ("GET", "/password/reset/<token>", "/password/reset/{reset_token}", None,
                                                                     "200 200 200 200 200 200 200 200"),
    ("POST", "/password/reset/<token>", "/password/reset/{reset_token}",
     {"password": "new-Passw0rd99", "password_again": "new-Passw0rd99"},
                                                                     "L+ L+ L+ L+ L+ L+ L+ L+"),
    ("GET", "/account", "/account", None,                            "L 200 200 200 200 200 200 200"),
    ("POST", "/account/bank", "/account/bank",
     {"bank_account_name": "别人", "bank_name": "工商银行宝山支行", "bank_account_no": "6222020202020202"},
                                                                     "L 302 302 302 302 302 302 302"),
    ("POST", "/account/organisation", "/account/organisation",
     {"address": "上海市宝山区矩阵路1号", "contact_name": "矩阵联系人"},
                                                                     "L 302 302 302 302 302 302 302"),
    ("POST", "/account/members", "/account/members",
     {"email": "matrix-new@example.test", "name": "新成员", "password": "matrix-Passw0rd1", "role": "MEMBER"},
                                                                     "L 302 302 302 302 302 302 302"),
    ("POST", "/account/members/<int:user_id>/role", "/account/members/{member}/role", {"role": "ADMIN"},
                                                                     "L 404 404 302 404 404 404 404"),
    ("POST", "/account/members/<int:user_id>/deactivate", "/account/members/{member}/deactivate", {},
                                                                     "L 404 404 302 404 404 404 404"),
    ("POST", "/account/password", "/account/password",
     {"current": "test-Passw0rd1", "new": "matrix-Passw0rd2"},   "L 302 302 302 302 302 302 302"),
    ("POST", "/account/tokens", "/account/tokens", {"name": "cli"}, "L 302 302 302 302 302 302 302"),
    ("POST", "/account/tokens/<int:token_id>/revoke", "/account/tokens/{token_pat_a}/revoke", {},
                                                                     "L 404 404 302 404 404 404 404"),
    ("GET", "/admin/organisations", "/admin/organisations", None,    "L 403 403 403 403 403 403 200"),
    ("POST", "/admin/organisations/<int:org_id>/decision", "/admin/organisations/{pending_org}/decision",
     {"decision": "approve"},                                        "L 403 403 403 403 403 403 302"),
    ("GET", "/admin/audit", "/admin/audit", None,                    "L 403 403 403 403 403 403 200"),
    ("GET", "/organisations/<int:org_id>", "/organisations/{org_a}", None,
                                                                     "200 200 200 200 200 200 200 200"),
    ("GET", "/favicon.ico", "/favicon.ico", None,                    "301 301 301 301 301 301 301 301"),
    ("GET", "/dashboard", "/dashboard", None,                        "L 200 200 200 200 302 302 302"),
    # -- catalogue, points, listings
    ("GET", "/search", "/search?q=隔膜", None,                        "200 200 200 200 200 200 200 200"),
    ("GET", "/points", "/points", None,                              "200 200 200 200 200 200 200 200"),
    ("GET", "/points/<int:point_id>", "/points/{point_x}", None,     "200 200 200 200 200 200 200 200"),
    ("GET", "/patents/<app_no>", "/patents/{patent_no}", None,       "200 200 200 200 200 200 200 200"),
    ("POST", "/patents/<app_no>/evaluation-reports", "/patents/{patent_no}/evaluation-reports",
     {"report_no": "PJ2024001", "issued_on": "2024-05-01", "conclusion": "NO_DEFECT"},
                                                                     "L 403 403 302 403 403 403 403"),
    # Only the operator of the point the patent is listed at confirms its status from the register.
    ("POST", "/patents/<app_no>/legal-status/confirm", "/patents/{patent_no}/legal-status/confirm", {},
                                                                     "L 403 403 403 403 302 403 403"),
    ("GET", "/my/listings", "/my/listings", None,                    "L 200 200 200 200 200 200 200"),
    ("POST", "/my/listings/bulk", "/my/listings/bulk", {"action": "suspend", "listing_ids": "{listing}",
                                                          "confirmed": "1", "note": "暂停"},
                                                                     "L 302 302 302 302 302 302 302"),
    ("GET", "/listings/new", "/listings/new", None,                  "L 200 200 200 200 403 403 403"),
    ("POST", "/listings/new", "/listings/new", {"application_number": ""},
                                                                     "L 422 422 422 422 403 403 403"),
    ("GET", "/listings/<int:listing_id>/edit", "/listings/{listing}/edit", None,
                                                                     "L 403 403 200 403 403 403 403"),
    ("POST", "/listings/<int:listing_id>/edit", "/listings/{listing}/edit",
     {"modes": "TRANSFER", "asking_price_yuan": "60000", "point_id": "{point_x}"},
                                                                     "L 403 403 302 403 403 403 403"),
    ("POST", "/listings/<int:listing_id>/<any(submit, recall, withdraw, suspend, resume):action>",
     "/listings/{listing}/suspend", {"note": "暂停"},                  "L 403 403 302 403 302 403 403"),
    ("GET", "/review", "/review", None,                              "L 403 403 403 403 200 200 403"),
    ("POST", "/listings/<int:listing_id>/review", "/listings/{draft_listing}/review", {"decision": "approve"},
                                                                     "L 404 404 403 404 302 404 404"),
    ("POST", "/review/bulk", "/review/bulk", {"listing_ids": "{draft_listing}", "confirmed": "1"},
                                                                     "L 403 403 403 403 302 403 403"),
    # A question about an open licence is a plain request (the API row below opens a negotiated deal).
    ("POST", "/listings/<int:listing_id>/request", "/listings/{open_listing}/request",
     {"mode": "OPEN_LICENSE", "message": "怎么备案？"},                  "L 302x 302 302x 302 403 403 403"),
    # -- open licences
    ("GET", "/open-licences", "/open-licences", None,                "200 200 200 200 200 200 200 200"),
    ("GET", "/open-licences/<int:declaration_id>", "/open-licences/{decl}", None,
                                                                     "200 200 200 200 200 200 200 200"),
    ("GET", "/patents/<app_no>/open-licence", "/patents/{patent_no}/open-licence", None,
                                                                     "L 404 404 200 404 404 404 404"),
    ("POST", "/patents/<app_no>/open-licence", "/patents/{patent_no}/open-licence", {"mode": "LUMP_SUM"},
                                                                     "L 404 404 422 404 404 404 404"),
    ("GET", "/open-licences/<int:declaration_id>/edit", "/open-licences/{draft_decl}/edit", None,
                                                                     "L 404 404 200 404 403 404 403"),
    ("POST", "/open-licences/<int:declaration_id>/edit", "/open-licences/{draft_decl}/edit",
     {"mode": "LUMP_SUM"},                                           "L 404 404 422 404 403 404 403"),
    ("POST", "/open-licences/<int:declaration_id>/consent", "/open-licences/{draft_decl}/consent",
     {"document_ref": "同意书-1"},                                     "L 404 404 302 404 403 404 403"),
    ("POST", "/open-licences/<int:declaration_id>/eligible", "/open-licences/{draft_decl}/eligible", {},
                                                                     "L 404 404 302 404 403 404 403"),
    ("POST", "/open-licences/<int:declaration_id>/<any(filed, announced, 'not-announced', "
             "'withdrawal-requested', withdrawn):step>",
     "/open-licences/{decl}/withdrawal-requested", {"on": T},       "L 403 403 302 403 302 403 403"),
    ("GET", "/open-licences/<int:declaration_id>/take", "/open-licences/{decl}/take", None,
                                                                     "L 302x 200 302x 200 403 403 403"),
    ("POST", "/open-licences/<int:declaration_id>/take", "/open-licences/{decl}/take", {"confirm": "1"},
                                                                     "L 302 302 302x 302 403 403 403"),
    # Priced technical services beside a declaration (issue 14): its patentee's alone.
    ("GET", "/open-licences/<int:declaration_id>/services", "/open-licences/{decl}/services", None,
                                                                     "L 403 403 200 403 403 403 403"),
    ("POST", "/open-licences/<int:declaration_id>/services", "/open-licences/{decl}/services", {"kind": "TRAINING"},
                                                                     "L 403 403 422 403 403 403 403"),
    ("POST", "/open-licences/<int:declaration_id>/services/<int:service_id>/withdraw",
     "/open-licences/{decl}/services/{service}/withdraw", {},        "L 403 403 302 403 403 403 403"),
    # -- imports
    ("GET", "/imports/", "/imports/", None,                          "L 200 200 200 200 200 200 200"),
    ("GET", "/imports/template.<any(csv, xlsx):fmt>", "/imports/template.xlsx", None,
                                                                     "200 200 200 200 200 200 200 200"),
    ("GET", "/imports/new", "/imports/new", None,                    "L 200 200 200 200 403 403 403"),
    ("POST", "/imports/new", "/imports/new", {},                     "L 422 422 422 422 403 403 403"),
    ("GET", "/imports/<int:batch_id>", "/imports/{batch}", None,     "L 404 404 200 404 404 404 404"),
    ("GET", "/imports/<int:batch_id>/mapping", "/imports/{batch}/mapping", None,
                                                                     "L 404 404 200 404 404 404 404"),
    ("POST", "/imports/<int:batch_id>/mapping", "/imports/{batch}/mapping", {"map-0": "application_number"},
                                                                     "L 404 404 200 404 404 404 404"),
    ("GET", "/imports/<int:batch_id>/rejected.csv", "/imports/{batch}/rejected.csv", None,
                                                                     "L 404 404 200 404 404 404 404"),
    ("POST", "/imports/<int:batch_id>/run", "/imports/{batch}/run", {},
                                                                     "L 404 404 302 404 403 403 403"),
    # -- demands, matches, inquiries, inbox
    ("GET", "/demands", "/demands", None,                            "200 200 200 200 200 200 200 200"),
    ("GET", "/demands/new", "/demands/new", None,                    "L 200 200 200 200 200 200 200"),
    ("POST", "/demands/new", "/demands/new", {"title": ""},          "L 422 422 422 422 422 422 422"),
    ("GET", "/demands/<int:demand_id>", "/demands/{demand}", None,   "200 200 200 200 200 200 200 200"),
    ("GET", "/demands/<int:demand_id>/edit", "/demands/{demand}/edit", None,
                                                                     "L 200 403 403 403 403 403 403"),
    ("POST", "/demands/<int:demand_id>/edit", "/demands/{demand}/edit", {"title": ""},
                                                                     "L 422 403 403 403 403 403 403"),
    ("POST", "/demands/<int:demand_id>/status", "/demands/{demand}/status", {"status": "CLOSED"},
                                                                     "L 302 403 403 403 403 403 403"),
    ("POST", "/demands/<int:demand_id>/matches/<int:listing_id>/<any(save, dismiss):action>",
     "/demands/{demand}/matches/{listing}/save", {},                 "L 302 403 403 403 403 403 403"),
    ("GET", "/my/demands", "/my/demands", None,                      "L 200 200 200 200 200 200 200"),
    ("GET", "/my/demand-matches", "/my/demand-matches", None,        "L 200 200 200 200 200 200 200"),
    ("GET", "/inquiries", "/inquiries", None,                        "L 200 200 200 200 200 200 200"),
    ("POST", "/inquiries/<int:inquiry_id>/answer", "/inquiries/{inquiry}/answer", {"reply": "请看声明"},
                                                                     "L 404 404 302 404 404 404 404"),
    ("GET", "/inbox", "/inbox", None,                                "L 200 200 200 200 200 200 200"),
    ("POST", "/inbox/read", "/inbox/read", {},                       "L 302 302 302 302 302 302 302"),
    # -- deals
    ("GET", "/deals/", "/deals/", None,                              "L 200 200 200 200 200 200 200"),
    ("GET", "/deals/new", "/deals/new?listing={listing}", None,      "L 200 200 200 200 200 200 200"),
    ("POST", "/deals/new", "/deals/new", {"listing_id": "{listing}", "kind": "TRANSFER", **HTML_OFFER},
                                                                     "L 302 302 302x 302 403 403 403"),
    ("GET", "/deals/<int:deal_id>", "/deals/{neg_deal}", None,       "L 200 404 200 404 200 404 200"),
    # (No end date: the licence may not outlast the patent, and a refused offer is the form again, 422.)
    ("POST", "/deals/<int:deal_id>/offers", "/deals/{neg_deal}/offers", {**HTML_OFFER, "end_date": ""},
                                                                     "L 302 404 302 404 403 404 403"),
    ("GET", "/deals/new/listed", "/deals/new/listed?listing={listing}&kind=TRANSFER", None,
                                                                     "L 200 200 200 200 200 200 200"),
    ("GET", "/deals/<int:deal_id>/accept", "/deals/{neg_deal}/accept?offer_id={offer}", None,
                                                                     "L 200 404 200 404 403 404 403"),
    ("GET", "/deals/<int:deal_id>/void", "/deals/{neg_deal}/void", None,
                                                                     "L 200 404 200 404 403 404 200"),
    ("POST", "/deals/<int:deal_id>/accept", "/deals/{neg_deal}/accept", {"offer_id": "{offer}", "confirm": "1"},
                                                                     "L 302 404 302 404 403 404 403"),
    ("POST", "/deals/<int:deal_id>/messages", "/deals/{neg_deal}/messages", {"message": "你好"},
                                                                     "L 302 404 302 404 403 404 403"),
    ("POST", "/deals/<int:deal_id>/<any(decline, cancel, void):what>", "/deals/{neg_deal}/void",
     {"reason": "录入错误", "confirm": "1"},                                            "L 302 404 302 404 403 404 302"),
    ("POST", "/deals/<int:deal_id>/approvals/<code>", "/deals/{neg_deal}/approvals/DECISION", {},
                                                                     "L 302 404 302 404 302x 404 302x"),
    ("POST", "/deals/<int:deal_id>/sign", "/deals/{neg_deal}/sign", {"sha256": "0" * 64, "confirm": "1"},
                                                                     "L 302 404 302 404 403 404 403"),
    ("GET", "/deals/<int:deal_id>/sign", "/deals/{neg_deal}/sign", None,
                                                                     "L 200 404 200 404 403 404 403"),
    ("GET", "/deals/<int:deal_id>/sign/text", "/deals/{neg_deal}/sign/text", None,
                                                                     "L 200 404 200 404 200 404 200"),
    ("POST", "/deals/<int:deal_id>/consent-confirm", "/deals/{neg_deal}/consent-confirm",
     {"owner": "x", "reason": "核实"},                                 "L 403 404 403 404 302 404 403"),
    ("POST", "/deals/<int:deal_id>/verify/<any(filing, registration):what>", "/deals/{neg_deal}/verify/filing",
     {"document_id": "1", "reason": "核实"},                           "L 403 404 403 404 302 404 403"),
    ("POST", "/deals/<int:deal_id>/ending", "/deals/{neg_deal}/ending",
     {"ground": "AGREED_RESCISSION", "explanation": "协商"},          "L 302 404 302 404 403 404 302"),
    ("POST", "/deals/<int:deal_id>/ending/answer", "/deals/{neg_deal}/ending/answer", {"accept": "1"},
                                                                     "L 302 404 302 404 403 404 403"),
    # Lots (issue 14): the notice is public; the seller and its point's operator manage the lot;
    # enterprise A registered (its deposit due); nobody else sees the registrations.
    ("GET", "/lots/", "/lots/", None, "200 200 200 200 200 200 200 200"),
    ("GET", "/lots/<int:lot_id>", "/lots/{lot}", None, "200 200 200 200 200 200 200 200"),
    ("GET", "/lots/new", "/lots/new?listing={listing}", None, "L 403 403 200 403 200 403 403"),
    ("POST", "/lots/new", "/lots/new", {"listing_id": "{listing}", "price_yuan": "NaN"}, "L 403 403 422 403 422 403 403"),
    ("GET", "/lots/<int:lot_id>/reopen", "/lots/{lot}/reopen", None, "L 403 403 200 403 200 403 403"),
    ("POST", "/lots/<int:lot_id>/reopen", "/lots/{lot}/reopen", {"price_yuan": "1"}, "L 403 403 422 403 422 403 403"),
    ("GET", "/lots/<int:lot_id>/manage", "/lots/{lot}/manage", None, "L 403 403 200 403 200 403 403"),
    ("GET", "/lots/<int:lot_id>/registrations/<int:reg_id>/decide", "/lots/{lot}/registrations/{lot_reg}/decide",
     None, "L 403 403 200 403 200 403 403"),
    ("POST", "/lots/<int:lot_id>/registrations/<int:reg_id>/decide", "/lots/{lot}/registrations/{lot_reg}/decide",
     {"qualified": "1", "reason": "资格符合", "confirm": "1"}, "L 403 403 302 403 302 403 403"),
    ("POST", "/lots/<int:lot_id>/registrations/<int:reg_id>/deposit-received",
     "/lots/{lot}/registrations/{lot_reg}/deposit-received", {"confirm": "1"}, "L 403 403 302x 403 302x 403 403"),
    ("GET", "/lots/<int:lot_id>/withdraw", "/lots/{lot}/withdraw", None, "L 403 403 200 403 200 403 403"),
    ("POST", "/lots/<int:lot_id>/withdraw", "/lots/{lot}/withdraw", {"reason": "自行实施", "confirm": "1"}, "L 403 403 302 403 302 403 403"),
    ("GET", "/lots/<int:lot_id>/register", "/lots/{lot}/register", None, "L 200 200 200 200 200 200 200"),
    ("POST", "/lots/<int:lot_id>/register", "/lots/{lot}/register", {"confirm": "1"}, "L 422 302 422 302 422 422 422"),
    # Only an organisation that registered has a registration to withdraw; for the others it does not exist.
    ("GET", "/lots/<int:lot_id>/withdraw-registration", "/lots/{lot}/withdraw-registration", None,
     "L 200 404 404 404 404 404 404"),
    ("POST", "/lots/<int:lot_id>/withdraw-registration", "/lots/{lot}/withdraw-registration", {"confirm": "1"},
     "L 302 404 404 404 404 404 404"),
    ("POST", "/lots/<int:lot_id>/deposit", "/lots/{lot}/deposit", {}, "L 200 404 404 404 404 404 404"),
    # Bidding pages exist only once a lot's bidding has started: on the world's lot, still in its
    # disclosure period, they are not found by anyone (who sees what during bidding:
    # tests/deals/bidding/test_pages.py).
    ("GET", "/lots/<int:lot_id>/bidding", "/lots/{lot}/bidding", None, "L 404 404 404 404 404 404 404"),
    ("GET", "/lots/<int:lot_id>/bidding/state.json", "/lots/{lot}/bidding/state.json", None, "L 404 404 404 404 404 404 404"),
    ("GET", "/lots/<int:lot_id>/bidding/confirm", "/lots/{lot}/bidding/confirm?amount=1", None, "L 404 404 404 404 404 404 404"),
    ("POST", "/lots/<int:lot_id>/bids", "/lots/{lot}/bids", {"amount_yuan": "1", "confirm": "1"}, "L 404 404 404 404 404 404 404"),
    ("GET", "/api/v1/lots/<int:lot_id>/bidding", "/api/v1/lots/{lot}/bidding", None, "401 404 404 404 404 404 404 404"),
    ("POST", "/api/v1/lots/<int:lot_id>/bids", "/api/v1/lots/{lot}/bids", {"amount_fen": 100}, "401 404 404 404 404 404 404 404"),
    ("GET", "/api/v1/lots", "/api/v1/lots", None, "200 200 200 200 200 200 200 200"),
    ("GET", "/api/v1/lots/<int:id>", "/api/v1/lots/{lot}", None, "200 200 200 200 200 200 200 200"),
    ("POST", "/api/v1/lots", "/api/v1/lots", {"listing_id": "{listing}", "deal_kind": "TRANSFER", "price_fen": 1,
                                             "qualifications": "x"}, "401 403 403 409 403 409 403 403"),
    ("POST", "/api/v1/lots/<int:id>/registrations", "/api/v1/lots/{lot}/registrations", {}, "401 409 201 403 201 403 403 403"),
    ("GET", "/publicity/", "/publicity/", None,                      "200 200 200 200 200 200 200 200"),
    ("GET", "/publicity/<int:deal_id>", "/publicity/{neg_deal}", None,
                                                                     "404 404 404 404 404 404 404 404"),
    ("POST", "/publicity/<int:deal_id>/objections", "/publicity/{neg_deal}/objections", {"body": "异议"},
                                                                     "404 404 404 404 404 404 404 404"),
    ("POST", "/deals/<int:deal_id>/filing", "/deals/{neg_deal}/filing", {"record_no": "X1", "filing_date": T},
                                                                     "L 302 404 302 404 403 404 403"),
    ("POST", "/deals/<int:deal_id>/filing-rejected", "/deals/{neg_deal}/filing-rejected",
     {"on": T, "reason": "材料不全"},                                   "L 302 404 302 404 403 404 403"),
    # A licence is neither registered nor capitalised: refused before anyone's role is looked at.
    ("POST", "/deals/<int:deal_id>/registration-filed", "/deals/{neg_deal}/registration-filed", {"on": T},
                                                                     "L 302x 404 302x 404 302x 404 302x"),
    ("POST", "/deals/<int:deal_id>/registration", "/deals/{neg_deal}/registration",
     {"registered_on": T, "registration_no": "R1"},                  "L 302x 404 302x 404 302x 404 302x"),
    ("POST", "/deals/<int:deal_id>/registration-rejected", "/deals/{neg_deal}/registration-rejected",
     {"on": T, "reason": "不予登记"},                                   "L 302x 404 302x 404 302x 404 302x"),
    ("POST", "/deals/<int:deal_id>/capital", "/deals/{neg_deal}/capital", {"on": T},
                                                                     "L 302x 404 302x 404 302x 404 302x"),
    ("POST", "/deals/<int:deal_id>/reward", "/deals/{neg_deal}/reward", {"taxes_yuan": "100"},
                                                                     "L 403 404 302 404 403 404 403"),
    ("POST", "/deals/<int:deal_id>/uploads", "/deals/{neg_deal}/uploads", {"kind": "OTHER"},
                                                                     "L 302 404 302 404 403 404 403"),
    ("GET", "/deals/<int:deal_id>/uploads/<int:document_id>", "/deals/{neg_deal}/uploads/{document}", None,
                                                                     "L 200 404 200 404 200 404 200"),
    ("GET", "/deals/<int:deal_id>/contract", "/deals/{neg_deal}/contract", None,
                                                                     "404 200 404 200 404 200 404 200"),
    ("GET", "/deals/<int:deal_id>/contract.pdf", "/deals/{neg_deal}/contract.pdf", None,
                                                                     "404 200 404 200 404 200 404 200"),
    ("GET", "/deals/<int:deal_id>/notice", "/deals/{ol_deal}/notice", None,
                                                                     "404 200 404 200 404 200 404 200"),
    ("GET", "/deals/<int:deal_id>/notice.pdf", "/deals/{ol_deal}/notice.pdf", None,
                                                                     "404 200 404 200 404 200 404 200"),
    ("GET", "/deals/<int:deal_id>/filing-package", "/deals/{ol_deal}/filing-package", None,
                                                                     "404 200 404 200 404 200 404 200"),
    ("GET", "/deals/<int:deal_id>/filing-package.pdf", "/deals/{ol_deal}/filing-package.pdf", None,
                                                                     "404 200 404 200 404 200 404 200"),
    ("GET", "/deals/<int:deal_id>/licence", "/deals/{ol_deal}/licence", None,
                                                                     "404 200 404 200 404 200 404 200"),
    ("POST", "/deals/<int:deal_id>/payments/<int:payment_id>/checkout",
     "/deals/{ol_deal}/payments/{payment}/checkout", {},             "L 200 404 403 404 403 404 403"),
    ("POST", "/deals/<int:deal_id>/payments/<int:payment_id>/receipt",
     "/deals/{ol_deal}/payments/{payment}/receipt", {},              "L 302 404 403 404 403 404 403"),
    ("GET", "/deals/<int:deal_id>/payments/<int:payment_id>/confirm",
     "/deals/{ol_deal}/payments/{payment}/confirm", None,            "L 403 404 200 404 403 404 403"),
    ("POST", "/deals/<int:deal_id>/payments/<int:payment_id>/confirm",
     "/deals/{ol_deal}/payments/{payment}/confirm", {"confirm": "1"}, "L 403 404 302 404 403 404 403"),
    ("GET", "/deals/<int:deal_id>/royalties", "/deals/{roy_deal}/royalties", None,
                                                                     "L 200 404 200 404 200 404 200"),
    ("POST", "/deals/<int:deal_id>/royalties", "/deals/{roy_deal}/royalties",
     {"period": "2024-04-01", "base_amount": "10000"},               "L 302 404 403 404 403 404 403"),
    ("POST", "/deals/<int:deal_id>/royalties/<int:report_id>/<any(confirm, dispute):decision>",
     "/deals/{roy_deal}/royalties/{report}/confirm", {},             "L 403 404 302 404 403 404 403"),
    ("POST", "/deals/<int:deal_id>/disputes", "/deals/{roy_deal}/disputes", {"subject": "又一争议"},
                                                                     "L 302 404 302 404 403 404 403"),
    ("POST", "/deals/<int:deal_id>/disputes/<int:dispute_id>/escalate",
     "/deals/{roy_deal}/disputes/{dispute}/escalate", {"stage": "LITIGATION", "forum": "上海知识产权法院"},
                                                                     "L 302 404 302 404 403 404 403"),
    ("POST", "/deals/<int:deal_id>/disputes/<int:dispute_id>/resolve",
     "/deals/{roy_deal}/disputes/{dispute}/resolve", {"outcome": "SETTLED"},
                                                                     "L 302 404 302 404 403 404 403"),
    # Evidence (issue 12 §4): the operator of the deal's point or the bureau checks; a party never.
    ("POST", "/deals/<int:deal_id>/evidence/<any(verify, withdraw, 'confirm-amount'):what>",
     "/deals/{neg_deal}/evidence/verify", {"note": "核对了合同与付款凭证"},
                                                                     "L 403 404 403 404 302 404 302"),
    ("GET", "/deals/review", "/deals/review", None,                  "L 403 403 403 403 200 200 200"),
    ("POST", "/payments/stripe/webhook", "/payments/stripe/webhook", {},
                                                                     "400 400 400 400 400 400 400 400"),
    # -- statistics
    ("GET", "/statistics/", "/statistics/", None,                    "L 200 200 200 200 200 200 200"),
    ("GET", "/statistics/deals", "/statistics/deals", None,          "L 200 200 200 200 200 200 200"),
    ("GET", "/statistics/revisions", "/statistics/revisions", None,  "L 200 200 200 200 200 200 200"),
    ("GET", "/statistics/export", "/statistics/export?format=csv", None,
                                                                     "L 200 200 200 200 200 200 200"),
    ("GET", "/statistics/public", "/statistics/public", None,        "200 200 200 200 200 200 200 200"),
    # -- pricing guidance (any signed-in user; others' amounts only as bands) and the annual report
    # (a university's or institute's administrators, and the bureau for any of them)
    ("GET", "/pricing/guidance", "/pricing/guidance?ipc=H01M+50/449", None,
                                                                     "L 200 200 200 200 200 200 200"),
    # the open-licence fee estimator: any signed-in user, like guidance ("use these terms" only for patentees)
    ("GET", "/pricing/estimate", "/pricing/estimate?app_no={patent_no}&sales_yuan=1000000&years=3&rate=3", None,
                                                                     "L 200 200 200 200 200 200 200"),
    ("GET", "/statistics/annual/", "/statistics/annual/", None,      "L 403 403 200 200 403 403 200"),
    ("GET", "/statistics/annual/xlsx", "/statistics/annual/xlsx", None,
                                                                     "L 403 403 200 200 403 403 200"),
    # -- the JSON API
    ("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", None,    "200 200 200 200 200 200 200 200"),
    ("GET", "/api/v1/docs", "/api/v1/docs", None,                    "200 200 200 200 200 200 200 200"),
    ("GET", "/api/v1/me", "/api/v1/me", None,                        "401 200 200 200 200 200 200 200"),
    ("GET", "/api/v1/pricing/estimate", "/api/v1/pricing/estimate?sales_fen=100000000&years=3&rate=3", None,
                                                                     "401 200 200 200 200 200 200 200"),
    ("GET", "/api/v1/members", "/api/v1/members", None,              "401 200 200 200 200 200 200 200"),
    ("POST", "/api/v1/members/<int:id>/deactivate", "/api/v1/members/{member}/deactivate", {},
                                                                     "401 404 404 200 404 404 404 404"),
    ("GET", "/api/v1/dashboard", "/api/v1/dashboard", None,          "401 200 200 200 200 200 200 200"),
    ("GET", "/api/v1/organisations", "/api/v1/organisations", None,  "200 200 200 200 200 200 200 200"),
    ("GET", "/api/v1/organisations/<int:id>", "/api/v1/organisations/{pending_org}", None,
                                                                     "404 404 404 404 404 404 404 404"),
    ("GET", "/api/v1/points", "/api/v1/points", None,                "200 200 200 200 200 200 200 200"),
    ("GET", "/api/v1/points/<int:id>", "/api/v1/points/{point_x}", None,
                                                                     "200 200 200 200 200 200 200 200"),
    ("GET", "/api/v1/search", "/api/v1/search?q=隔膜", None,          "200 200 200 200 200 200 200 200"),
    ("GET", "/api/v1/patents", "/api/v1/patents", None,              "200 200 200 200 200 200 200 200"),
    ("GET", "/api/v1/patents/<app_no>", "/api/v1/patents/{patent_no}", None,
                                                                     "200 200 200 200 200 200 200 200"),
    ("POST", "/api/v1/patents", "/api/v1/patents", {"application_number": "{patent_no}", "title": "改名"},
                                                                     "401 403 403 200 403 403 403 403"),
    ("GET", "/api/v1/listings", "/api/v1/listings", None,            "200 200 200 200 200 200 200 200"),
    ("POST", "/api/v1/listings", "/api/v1/listings",
     {"application_number": "{patent_no}", "point_id": "{point_x}", "modes": ["TRANSFER"]},
                                                                     "401 403 403 409 403 403 403 403"),
    ("GET", "/api/v1/listings/<int:id>", "/api/v1/listings/{draft_listing}", None,
                                                                     "404 404 404 200 404 200 404 404"),
    ("PATCH", "/api/v1/listings/<int:id>", "/api/v1/listings/{listing}", {"asking_price_fen": 100},
                                                                     "401 403 403 200 403 403 403 403"),
    ("POST", "/api/v1/listings/<int:id>/submit", "/api/v1/listings/{draft_listing}/submit", {},
                                                                     "401 404 404 409 404 409 404 404"),
    ("POST", "/api/v1/listings/<int:id>/withdraw", "/api/v1/listings/{listing}/withdraw", {},
                                                                     "401 403 403 200 403 403 403 403"),
    ("POST", "/api/v1/listings/<int:id>/suspend", "/api/v1/listings/{listing}/suspend", {},
                                                                     "401 403 403 200 403 200 403 403"),
    ("POST", "/api/v1/listings/<int:id>/resume", "/api/v1/listings/{listing}/resume", {},
                                                                     "401 409 409 409 409 409 409 409"),
    ("POST", "/api/v1/listings/<int:id>/review", "/api/v1/listings/{draft_listing}/review", {"approve": True},
                                                                     "401 404 404 403 404 200 404 404"),
    ("POST", "/api/v1/listings/<int:id>/requests", "/api/v1/listings/{listing}/requests",
     {"mode": "TRANSFER"},                                           "401 201 201 422 201 403 403 403"),
    ("POST", "/api/v1/matches", "/api/v1/matches", {"text": "锂电池隔膜"},
                                                                     "200 200 200 200 200 200 200 200"),
    ("GET", "/api/v1/demands", "/api/v1/demands", None,              "200 200 200 200 200 200 200 200"),
    ("POST", "/api/v1/demands", "/api/v1/demands", {"title": "x"},   "401 422 422 422 422 422 422 422"),
    ("GET", "/api/v1/demands/<int:id>", "/api/v1/demands/{private_demand}", None,
                                                                     "404 200 404 404 404 404 404 404"),
    ("GET", "/api/v1/demands/<int:id>/matches", "/api/v1/demands/{demand}/matches", None,
                                                                     "401 200 404 404 404 404 404 404"),
    ("POST", "/api/v1/demands/<int:id>/matches/<int:listing_id>/dismiss",
     "/api/v1/demands/{demand}/matches/{listing}/dismiss", {"reason": "PRICE"},
                                                                     "401 200 403 403 403 403 403 403"),
    ("GET", "/api/v1/open-licences", "/api/v1/open-licences", None,  "200 200 200 200 200 200 200 200"),
    ("POST", "/api/v1/open-licences/<int:declaration_id>/take", "/api/v1/open-licences/{decl}/take", {},
                                                                     "401 200 201 409 201 403 403 403"),
    ("GET", "/api/v1/deals", "/api/v1/deals", None,                  "401 200 200 200 200 200 200 200"),
    ("POST", "/api/v1/deals", "/api/v1/deals", {"listing_id": "{listing}", "kind": "TRANSFER"},
                                                                     "401 201 201 422 201 403 403 403"),
    ("GET", "/api/v1/deals/<int:id>", "/api/v1/deals/{neg_deal}", None,
                                                                     "401 200 404 200 404 200 404 200"),
    ("POST", "/api/v1/deals/<int:id>/offers", "/api/v1/deals/{neg_deal}/offers", {"price_fen": 3_200_000},
                                                                     "401 201 404 201 404 403 404 403"),
    ("POST", "/api/v1/deals/<int:id>/accept", "/api/v1/deals/{neg_deal}/accept", {"offer_id": "{offer}"},
                                                                     "401 409 404 200 404 403 404 403"),
    ("POST", "/api/v1/deals/<int:id>/decline", "/api/v1/deals/{neg_deal}/decline", {"reason": "不谈了"},
                                                                     "401 200 404 200 404 403 404 403"),
    ("POST", "/api/v1/deals/<int:id>/cancel", "/api/v1/deals/{neg_deal}/cancel", {"reason": "不要了"},
                                                                     "401 200 404 200 404 403 404 403"),
    ("POST", "/api/v1/deals/<int:id>/void", "/api/v1/deals/{neg_deal}/void", {"reason": "录入错误"},
                                                                     "401 200 404 200 404 403 404 200"),
    ("POST", "/api/v1/deals/<int:id>/ending", "/api/v1/deals/{neg_deal}/ending",
     {"ground": "AGREED_RESCISSION", "explanation": "协商"},          "401 409 404 409 404 403 404 403"),
    ("POST", "/api/v1/deals/<int:id>/ending/answer", "/api/v1/deals/{neg_deal}/ending/answer", {"accept": True},
                                                                     "401 409 404 409 404 403 404 403"),
    ("POST", "/api/v1/deals/<int:id>/consent", "/api/v1/deals/{neg_deal}/consent", {},
                                                                     "401 403 404 409 404 403 404 403"),
    ("POST", "/api/v1/deals/<int:id>/sign", "/api/v1/deals/{neg_deal}/sign", {"sha256": "0" * 64},
                                                                     "401 409 404 409 404 403 404 403"),
    ("POST", "/api/v1/deals/<int:id>/filing", "/api/v1/deals/{neg_deal}/filing",
     {"record_no": "X1", "filing_date": T},                          "401 409 404 409 404 403 404 403"),
    ("POST", "/api/v1/deals/<int:id>/registration", "/api/v1/deals/{neg_deal}/registration",
     {"registered_on": T, "registration_no": "R1"},                  "401 409 404 409 404 409 404 409"),
    ("GET", "/api/v1/deals/<int:deal_id>/reward", "/api/v1/deals/{neg_deal}/reward", None,
                                                                     "401 403 404 200 404 403 404 403"),
    ("GET", "/api/v1/deals/<int:deal_id>/disputes", "/api/v1/deals/{roy_deal}/disputes", None,
                                                                     "401 200 404 200 404 200 404 200"),
    ("POST", "/api/v1/deals/<int:deal_id>/disputes", "/api/v1/deals/{roy_deal}/disputes", {"subject": "又一争议"},
                                                                     "401 409 404 409 404 403 404 403"),
    ("POST", "/api/v1/deals/<int:deal_id>/disputes/<int:dispute_id>/escalate",
     "/api/v1/deals/{roy_deal}/disputes/{dispute}/escalate", {"stage": "LITIGATION"},
                                                                     "401 200 404 200 404 403 404 403"),
    ("POST", "/api/v1/deals/<int:deal_id>/disputes/<int:dispute_id>/resolve",
     "/api/v1/deals/{roy_deal}/disputes/{dispute}/resolve", {"outcome": "SETTLED"},
                                                                     "401 200 404 200 404 403 404 403"),
    ("GET", "/api/v1/deals/<int:deal_id>/royalty-reports", "/api/v1/deals/{roy_deal}/royalty-reports", None,
                                                                     "401 200 404 200 404 200 404 200"),
    ("POST", "/api/v1/deals/<int:deal_id>/royalty-reports", "/api/v1/deals/{roy_deal}/royalty-reports",
     {"period_start": "2024-04-01", "base_amount_fen": 1_000_000},  "401 201 404 403 404 403 404 403"),
    ("POST", "/api/v1/deals/<int:deal_id>/royalty-reports/<int:report_id>/confirm",
     "/api/v1/deals/{roy_deal}/royalty-reports/{report}/confirm", {},
                                                                     "401 403 404 200 404 403 404 403"),
    ("POST", "/api/v1/deals/<int:deal_id>/royalty-reports/<int:report_id>/dispute",
     "/api/v1/deals/{roy_deal}/royalty-reports/{report}/dispute", {"reason": "基数不对"},
                                                                     "401 403 404 200 404 403 404 403"),
    ("POST", "/api/v1/deals/<int:deal_id>/payments/<int:payment_id>/checkout",
     "/api/v1/deals/{ol_deal}/payments/{payment}/checkout", {},      "401 200 404 403 404 403 404 403"),
    ("GET", "/api/v1/statistics/summary", "/api/v1/statistics/summary", None,
                                                                     "401 200 200 200 200 200 200 200"),
    ("GET", "/api/v1/statistics/pivot", "/api/v1/statistics/pivot?by=point", None,
                                                                     "401 200 200 200 200 200 200 200"),
    ("GET", "/api/v1/statistics/deals", "/api/v1/statistics/deals", None,
                                                                     "401 200 200 200 200 200 200 200"),
    ("GET", "/api/v1/statistics/public", "/api/v1/statistics/public", None,
                                                                     "200 200 200 200 200 200 200 200"),
]


def _rules(app) -> set[tuple[str, str]]:
    return {(method, rule.rule) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_route_answers_every_actor_as_the_table_says(app):
    started = time.perf_counter()
    table = {(method, rule): (path, body, expected.split()) for method, rule, path, body, expected in ROUTES}
    assert len(table) == len(ROUTES), "a route is in the table twice"
    missing = sorted(_rules(app) - set(table))
    stale = sorted(set(table) - _rules(app))
    assert not missing, "new route not in the authorisation table: " + ", ".join(f"{m} {r}" for m, r in missing)
    assert not stale, "the table names routes that no longer exist: " + ", ".join(f"{m} {r}" for m, r in stale)

    with app.test_request_context():
        world = build()
        ids = dict(world.ids)
        db.session.remove()
    sweep = Sweep(app, world)
    failures, observed = [], {}
    for (method, rule), (path, body, expected) in table.items():
        row = []
        for actor, want in zip(ACTORS, expected, strict=True):
            out = sweep.request(actor, method, fill(path, ids), fill(body, ids))
            got = str(out.status)
            if os.environ.get("MATRIX_DEBUG") and os.environ["MATRIX_DEBUG"] in rule:
                print(method, rule, actor, got, out.location, out.body[:600])
            row.append(got)
            done = got == "L" and want == "L+"
            if not done and got != want.removesuffix("x"):
                failures.append(f"{method} {rule} as {actor}: expected {want}, got {got} {out.location}")
            refused = want.endswith("x") or got == LOGIN and not done or got.isdigit() and int(got) >= 400
            if method != "GET" and refused and out.changed:
                failures.append(f"{method} {rule} as {actor}: refused ({want}) but changed {out.changed}")
        observed[(method, rule)] = row
    if os.environ.get("MATRIX_PRINT"):
        for (method, rule), row in observed.items():
            print(f"{method:6} {rule:90} {' '.join(row)}")
    elapsed = time.perf_counter() - started
    assert not failures, (f"{len(failures)} cells differ from the table ({elapsed:.0f} s):\n"
                          + "\n".join(failures))


# ---- Voiding a deal, for every actor and every state (issue 13 #3) -----------------------------
# A party may void a deal only before it took effect and before any money was received; the
# bureau corrects a mistaken record until the deal completed or was paid; nobody else ever.
TOOK_EFFECT = {"REGISTERED", "COMPLETED", "LICENSED", "FILED", "ACTIVE", "EXPIRED", "TERMINATED"}
VOID_PARTIES = {"ent_a", "pat_a"}


def _may_void(actor: str, status: str, paid: bool) -> bool:
    if actor == "bureau":  # a record error, until the deal completed or was paid (issue 12 §2)
        return status != "COMPLETED" and not paid
    return actor in VOID_PARTIES and status not in TOOK_EFFECT and not paid


def test_voiding_a_deal_answers_every_actor_in_every_state(app):
    with app.test_request_context():
        world = build()
        failures = []
        for deal_name, paid in (("neg_deal", False), ("ol_deal", True)):
            for status in DealStatus:
                if status == DealStatus.VOID:
                    continue
                for actor in ACTORS[1:]:
                    savepoint = db.session.begin_nested()
                    deal = db.session.get(Deal, world.ids[deal_name])
                    deal.status = status.value
                    if paid:
                        db.session.get(Payment, world.payment).status = PaymentStatus.PAID.value
                    user = db.session.get(User, world.actors[actor].user_id)
                    try:
                        n.void_deal(user, deal, "录入错误")
                        db.session.flush()
                        voided = True
                    except Forbidden:
                        voided = False
                    finally:
                        savepoint.rollback()
                    if voided != _may_void(actor, status.value, paid):
                        failures.append(f"{deal_name} {status.value} {'paid' if paid else 'unpaid'} as {actor}: "
                                        f"{'voided' if voided else 'refused'}")
        db.session.remove()
    assert not failures, "\n".join(failures)


def test_a_party_cannot_void_a_deal_in_force_through_either_door(app):
    """The royalty licence of the world is filed (in force): both doors refuse, and nothing changes."""
    with app.test_request_context():
        world = build()
        ids = dict(world.ids)
        db.session.remove()
    sweep = Sweep(app, world)
    for actor in sorted(VOID_PARTIES):
        api = sweep.request(actor, "POST", fill("/api/v1/deals/{roy_deal}/void", ids), {"reason": "录入错误"})
        assert api.status == 403 and not api.changed, (actor, api)
        assert "deal.void_after_effect" in api.body
        page = sweep.request(actor, "POST", fill("/deals/{roy_deal}/void", ids), {"reason": "录入错误"})
        assert page.status in (302, 403) and not page.changed, (actor, page)
    bureau = sweep.request("bureau", "POST", fill("/api/v1/deals/{roy_deal}/void", ids), {"reason": "录入错误"})
    assert bureau.status == 200 and "deals" in bureau.changed
