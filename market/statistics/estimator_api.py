"""The open-licence fee estimator on the JSON API (routes on market.web.api.bp; the page is estimator_views.py).

Amounts are integer fen (in and out), rates decimal strings of percent. The same checks as the page:
every bad input is a 422 naming its field, never a 500. Any signed-in caller, as pricing guidance.
"""

from __future__ import annotations

from flask import request, url_for
from marshmallow import fields

from market.core.i18n import get_lang
from market.core.schemas import BaseSchema
from market.statistics import estimator
from market.statistics.estimator_views import compute, fee_caps_all, prefill, use_url
from market.web.api import ApiValidationError, route
from market.web.openapi import describe, query_params

_FEN = "Whole fen (1 元 = 100 fen), above 0."


class EstimateArgsSchema(BaseSchema):
    app_no = fields.String(metadata={"description": "The patent (application number): its IPC and industry find "
                                                    "the comparable announced rates; its term bounds the years."})
    ipc = fields.String(metadata={"description": "Or a main IPC symbol, e.g. H01M 10/0525."})
    industry = fields.String(metadata={"description": "Or a strategic emerging industry code."})
    sales_fen = fields.String(metadata={"description": "A typical licensee's expected yearly net sales. " + _FEN +
                                                       " Give this or profit_fen, not both."})
    profit_fen = fields.String(metadata={"description": "Or its expected yearly profit. " + _FEN})
    years = fields.String(required=True, metadata={"description": "Years of use, 1–20 (within the remaining term)."})
    entry_fen = fields.String(metadata={"description": "An entry fee (optional). " + _FEN})
    rate = fields.String(metadata={"description": "The royalty rate in percent (optional; default: the median of "
                                                  "comparable announced open licences), e.g. 3.5."})


class ProposalSchema(BaseSchema):
    mode = fields.String(metadata={"description": "LUMP_SUM, ROYALTY or ENTRY_PLUS_ROYALTY (FeeTerms.mode)."})
    terms = fields.Dict(metadata={"description": "FeeTerms as the declaration stores them: amounts in fen, "
                                                 "the rate as a decimal string."})
    rate = fields.String(allow_none=True)
    yearly_fen = fields.Integer(allow_none=True, metadata={"description": "Expected royalty a year."})
    total_fen = fields.Integer(metadata={"description": "Expected total over the years, entry fee included."})
    description = fields.String(metadata={"description": "The fee standard in words, as in a declaration."})
    computation = fields.String(metadata={"description": "How it was computed, in words."})
    warnings = fields.List(fields.String(), metadata={"description": "OL24 usual limits exceeded (R-OL-14)."})
    fee_basis_note = fields.String(metadata={"description": "A 许可使用费估算说明 for the declaration (Chinese)."})
    use_url = fields.String(allow_none=True, metadata={"description": "The declaration assistant with these terms "
                                                                     "filled in (the patent's patentees only)."})


class DeclaredRateSchema(BaseSchema):
    declaration_id = fields.Integer()
    url = fields.String()
    application_number = fields.String()
    announce_date = fields.Date()
    base = fields.String()
    rate = fields.String()
    with_entry_fee = fields.Boolean()


class DeclaredSchema(BaseSchema):
    tier = fields.String(allow_none=True, metadata={"description": "group, subclass or industry; null: none found."})
    tier_key = fields.String()
    count = fields.Integer()
    patentees = fields.Integer()
    low = fields.String(allow_none=True, metadata={"description": "25th percentile, with enough declarations."})
    median = fields.String(allow_none=True)
    high = fields.String(allow_none=True)
    declarations = fields.List(fields.Nested(DeclaredRateSchema))


class ReferenceRowSchema(BaseSchema):
    id = fields.String()
    kind = fields.String()
    words = fields.String()
    value = fields.String(metadata={"description": "A cap (fen for the fixed fee, percent otherwise) or a rate "
                                                   "range in percent."})
    source = fields.Dict(metadata={"description": "title, issuer, date, url (or \"platform ledger\")."})


class EstimateSchema(BaseSchema):
    base = fields.String(metadata={"description": "NET_SALES or PROFIT: what the typed figure is."})
    yearly_fen = fields.Integer()
    years = fields.Integer()
    entry_fen = fields.Integer(allow_none=True)
    rate = fields.String(allow_none=True, metadata={"description": "The rate used; null when none was available."})
    rate_source = fields.String(allow_none=True, metadata={"description": "typed, declared or null."})
    rate_source_words = fields.String()
    cap_pct = fields.String(metadata={"description": "OL24's usual royalty limit for the base."})
    ceiling_yearly_fen = fields.Integer(metadata={"description": "The yearly royalty at that limit."})
    proposals = fields.List(fields.Nested(ProposalSchema))
    notes = fields.List(fields.String())
    declared = fields.Nested(DeclaredSchema)
    table_version = fields.String()
    references = fields.List(fields.Nested(ReferenceRowSchema))


def _row(row, caps: dict, lang: str) -> dict:
    if row.kind == "cap":
        value = str(caps[row.cap])
    else:
        value = f"{row.low_pct}–{row.high_pct}"
    s = row.source
    return {"id": row.id, "kind": row.kind, "words": row.words(lang), "value": value,
            "source": {"title": s.title, "issuer": s.issuer, "date": s.date, "url": s.url}}


@route("/pricing/estimate", summary="Open-licence fee estimator: proposed fee terms, OL24 caps, announced rates",
       tag="pricing", auth=True, params=query_params(EstimateArgsSchema), response=EstimateSchema)
def pricing_estimate():
    lang = get_lang()
    out = compute(request.args, "fen")
    if out.errors:
        raise ApiValidationError(out.errors)
    est, d = out.result, out.result.declared
    caps = fee_caps_all()
    return {
        "base": est.inputs.base.value, "yearly_fen": est.inputs.yearly_fen, "years": est.inputs.years,
        "entry_fen": est.inputs.entry_fee_fen, "rate": None if est.rate is None else str(est.rate),
        "rate_source": est.rate_source, "rate_source_words": estimator.rate_source_words(est, lang),
        "cap_pct": str(est.cap_pct), "ceiling_yearly_fen": est.ceiling_yearly_fen,
        "proposals": [{"mode": p.mode.value, "terms": p.terms, "rate": None if p.rate is None else str(p.rate),
                       "yearly_fen": p.yearly_fen, "total_fen": p.total_fen, "description": p.describe(lang),
                       "computation": p.words(lang), "warnings": [w[1] if lang == "en" else w[0] for w in p.warnings],
                       "fee_basis_note": prefill(out, p)["fee_basis_note"], "use_url": use_url(out, p)}
                      for p in est.proposals],
        "notes": [n[1] if lang == "en" else n[0] for n in est.notes],
        "declared": {"tier": d.tier, "tier_key": d.tier_key, "count": len(d.rates), "patentees": d.patentees,
                     "low": None if d.low is None else str(d.low),
                     "median": None if d.median is None else str(d.median),
                     "high": None if d.high is None else str(d.high),
                     "declarations": [{"declaration_id": r.declaration_id,
                                       "url": url_for("open_licence.declaration", declaration_id=r.declaration_id),
                                       "application_number": r.application_number,
                                       "announce_date": r.announce_date.isoformat(), "base": r.base.value,
                                       "rate": str(r.rate), "with_entry_fee": r.with_entry_fee}
                                      for r in d.rates]},
        "table_version": out.table.version,
        "references": [_row(r, caps, lang) for r in out.table.rows],
    }


# A bad figure is a 422 naming each field (ApiValidationError), as the page shows them beside the fields.
describe("pricing_estimate", errors=(422,))
