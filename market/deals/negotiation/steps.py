"""Recording the approvals a deal needs before signature, and the checklist the deal page shows.

Each approval is one ledger line (APPROVAL, PUBLICITY, VALUATION or VALUATION_FILED) carrying its
document and what was decided, so the unit's decision trail cannot be rewritten (R-ST-6); the
deal's `approvals` and `valuation` hold the same facts for quick reading. Never commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from market.accounts.models import User
from market.core.errors import Conflict, DomainError, Forbidden
from market.core.time import today_local
from market.deals import approvals as rules
from market.deals import ledger
from market.deals.documents.grounds import other_owners
from market.deals.models import Deal, DealDocument
from market.deals.negotiation import publicity, state_assets
from market.deals.negotiation.common import other_org_id, tell
from market.deals.permissions import BUREAU, CO_OWNER, OPERATOR, role_of
from market.deals.vocabulary import DealStatus as S

# How a co-owner's consent was given: by its own account, or on paper the seller uploaded (which
# counts only once the point operator confirmed it).
SELF, DOCUMENT, PENDING = "self", "document", "pending"


def required(deal: Deal) -> list[rules.Step]:
    # How the platform formed the price counts, never the listing's pricing label (issue 12 §3).
    return rules.required_steps(deal.kind, deal.seller, deal.buyer, deal.price_formed_by, deal.patent,
                                deal.valuation or {}, price_fen=deal.price_fen, fee_terms=deal.fee_terms,
                                thresholds=state_assets.thresholds())


@dataclass
class StepState:
    step: rules.Step
    record: dict | None
    done: bool
    waiting_until: date | None = None  # publicity: the first day the contract may be signed
    owners: list[tuple[str, bool]] = field(default_factory=list)  # co-owner consent, one by one
    problem: tuple[str, str] | None = None  # why a recorded step does not count (zh, en)
    pending: list[str] = field(default_factory=list)  # consents uploaded, awaiting the operator


def checklist(deal: Deal, on: date | None = None) -> list[StepState]:
    """The approvals this deal needs, each with what was recorded and whether it is complete on `on`."""
    on = on or today_local()
    recorded = deal.approvals or {}
    out = []
    for step in required(deal):
        record = recorded.get(step.code)
        state = StepState(step, record, bool(record))
        if step.code == rules.PUBLICITY.code and record:
            # R-ST-1: only a publicity the platform opened, after the price and for it, counts.
            state.problem = publicity.why_not_counted(deal, record)
            state.waiting_until = publicity.sign_from(record)
            state.done = state.problem is None and on >= state.waiting_until
        if step.code == rules.EXCHANGE_LISTING.code:
            state.done = state_assets.exchange_listing_done(deal)
        if step.code == rules.CO_OWNER_CONSENT.code:
            consents = (record or {}).get("owners", {})
            state.owners = [(name, consent_counts(consents.get(name))) for name in other_owners(deal)]
            state.pending = [name for name in other_owners(deal)
                             if consents.get(name) and not consent_counts(consents[name])]
            state.done = all(ok for _, ok in state.owners)
        out.append(state)
    return out


def missing(deal: Deal, on: date | None = None) -> list[StepState]:
    return [s for s in checklist(deal, on) if not s.done]


def _text(data: dict, key: str, limit: int = 200, *, needed: bool = True, zh: str = "", en: str = "") -> str:
    value = str(data.get(key) or "").strip()[:limit]
    if needed and not value:
        raise DomainError("deal.approval_field", f"请填写{zh}。", f"Give {en}.", field=key)
    return value


def _day(data: dict, key: str, *, default: date | None = None, zh: str = "", en: str = "") -> date:
    value = data.get(key)
    if value in (None, ""):
        if default is not None:
            return default
        raise DomainError("deal.approval_field", f"请填写{zh}。", f"Give {en}.", field=key)
    if isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            raise DomainError("deal.date_invalid", "日期格式无效，请用 YYYY-MM-DD。", "Dates are YYYY-MM-DD.",
                              field=key) from None
    if day > today_local() and key != "start_date":
        raise DomainError("deal.date_future", f"{zh}不能晚于今天。", f"{en.capitalize()} cannot be in the future.",
                          field=key)
    return day


def _fen(data: dict, key: str, *, zh: str, en: str) -> int:
    value = data.get(key)
    try:
        fen = int(value)
    except (TypeError, ValueError):
        raise DomainError("deal.approval_field", f"请填写{zh}（以分为单位的整数）。", f"Give {en} in whole fen.",
                          field=key) from None
    if fen <= 0:
        raise DomainError("deal.approval_field", f"{zh}须大于0。", f"{en.capitalize()} must be above 0.", field=key)
    return fen


def _open_for_approvals(deal: Deal) -> None:
    if deal.status not in (S.AGREED, S.APPROVALS):
        status = S(deal.status)
        raise Conflict("deal.approvals_closed", f"交易当前为“{status.zh}”，不能再登记审批事项。",
                       f"The deal is “{status.en}”; approvals can no longer be recorded.")


def _write(user: User, deal: Deal, step: rules.Step, record: dict, *, occurred_on: date,
           amount_fen: int | None = None, document: DealDocument | None = None, note: str = "") -> None:
    if document is not None:
        record = {**record, "document_id": document.id}
    record = {**record, "recorded_by_org": user.organisation_id, "recorded_on": today_local().isoformat()}
    # The ledger line names what the approval rests on: the file by id and content hash, or, with
    # no file, the recording account's own confirmation on the platform (issue 12 §3).
    rests_on = ({"document_id": document.id, "document_sha256": document.sha256, "document_kind": document.kind,
                 "document_name": document.filename} if document is not None
                else {"document_id": None, "rests_on": "platform_confirmation", "confirmed_by_user": user.id})
    evidence = {"step": step.code, "rule": step.rule, **record, **rests_on}
    kwargs = dict(occurred_on=occurred_on, amount_fen=amount_fen, actor=user, note=note, evidence=evidence)
    if deal.status == S.AGREED:
        ledger.move(deal, S.APPROVALS, step.ledger_kind, **kwargs)
    else:
        ledger.append(deal, step.ledger_kind, **kwargs)
    if step.code != rules.CO_OWNER_CONSENT.code:
        deal.approvals = {**(deal.approvals or {}), step.code: record}


def record_step(user: User, deal: Deal, code: str, data: dict | None = None,
                document: DealDocument | None = None, *, now: datetime | None = None) -> None:
    """Record one approval of the checklist (co-owners' consents go through record_consent).

    `now` is the server's clock; only the demo's seeding passes it, never a view.
    """
    data = data or {}
    _open_for_approvals(deal)
    step = rules.BY_CODE.get(code)
    if step is None or step not in required(deal):
        raise Conflict("deal.approval_not_needed", "此交易不需要该审批事项。", "This deal does not need that approval.")
    if code == rules.CO_OWNER_CONSENT.code:
        return record_consent(user, deal, data.get("owner", ""), document)
    role = role_of(user, deal)
    if role not in step.by or not user.organisation.is_approved:
        raise Forbidden("deal.approval_not_yours", "您无权登记该审批事项。", "You may not record this approval.")
    if (deal.approvals or {}).get(code) and not (code == rules.PUBLICITY.code
                                                 and publicity.why_not_counted(deal, deal.approvals[code])):
        raise Conflict("deal.approval_recorded", "该审批事项已经登记，记录不可修改；如有错误请作废交易后重新发起。",
                       "This approval is already recorded and cannot be changed; void the deal if it is wrong.")
    if step.document_required and document is None:
        raise DomainError("deal.document_required", f"请上传{rules.BY_CODE[code].zh}的证明文件。",
                          f"Upload the document for “{step.en}”.", field="file")
    today = today_local()
    note = _text(data, "note", 500, needed=False)
    if code == rules.PUBLICITY.code:
        _publicity(user, deal, step, document, note, now)
    elif code == rules.VALUATION_DECISION.code:
        evaluate = str(data.get("evaluate", "")).lower() in ("1", "true", "yes", "on")
        reason = _text(data, "reason", 500, zh="决定的理由", en="the reason for the decision")
        decision = {"evaluate": evaluate, "reason": reason}
        deal.valuation = {**(deal.valuation or {}), "decision": decision}
        _write(user, deal, step, decision, occurred_on=today, document=document, note=note)
    elif code == rules.EXCHANGE_LISTING.code:
        state_assets.refuse_exchange_listing(deal)
    elif code == rules.TOKEN_ROYALTY_ACK.code:
        _write(user, deal, step, state_assets.token_acknowledgement(deal, data), occurred_on=today,
               document=document, note=note)
    elif code == rules.VALUATION.code:
        _valuation(user, deal, step, data, document, note)
    elif code == rules.VALUATION_FILED.code:
        _valuation_filed(user, deal, step, data, document, note)
    elif code == rules.DECISION.code:
        decided_on = _day(data, "decided_on", default=today, zh="决策日期", en="the decision date")
        _write(user, deal, step, {"decided_on": decided_on.isoformat()}, occurred_on=decided_on,
               document=document, note=note)
    elif code == rules.INVENTOR_WAIVER.code:
        form = data.get("form") or "WAIVER"
        if form not in ("WAIVER", "NOTICE"):
            raise DomainError("deal.waiver_form", "请选择“放弃声明”或“已通知”。", "Choose waiver or notice.", field="form")
        _write(user, deal, step, {"form": form}, occurred_on=today, document=document, note=note)
    elif code == rules.EXPORT_LICENCE.code:
        number = _text(data, "licence_no", 60, zh="技术出口许可证号或登记证书号",
                       en="the export licence or registration number")
        _write(user, deal, step, {"licence_no": number}, occurred_on=today, document=document, note=note)
    elif code == rules.PLEDGEE_CONSENT.code:
        flag = next((f for f in deal.patent.flags if f.active and f.flag == "PLEDGED"), None)
        pledgee = _text(data, "pledgee", 200, needed=False) or (flag.pledgee if flag else "")
        _write(user, deal, step, {"pledgee": pledgee}, occurred_on=today, document=document, note=note)
    tell(other_org_id(deal, user.organisation_id), deal, "approval", f"已登记：{step.zh}", f"Recorded: {step.en}")


def _publicity(user, deal, step, document, note, now) -> None:
    """R-ST-1: the platform opens the publicity now; signing waits for its end (see publicity.py)."""
    publicity.require_price(deal)
    record = publicity.open_record(deal, now)
    _write(user, deal, step, record, occurred_on=date.fromisoformat(record["start"]), amount_fen=deal.price_fen,
           document=document, note=note)
    tell(deal.seller_org_id, deal, "publicity_open", f"公示已发布，{record['sign_from']}起方可签约",
         f"The publicity is open; the contract may be signed from {record['sign_from']}")


def _valuation(user, deal, step, data, document, note) -> None:
    basis = data.get("basis") or ""
    if basis not in rules.VALUATION_BASES:
        raise DomainError("deal.valuation_basis", "请选择评估依据。", "Choose the valuation basis.", field="basis")
    state_assets.check_valuation_basis(deal, basis)
    record = {"basis": basis}
    if basis == "NONE_ALLOWED":
        record["reason"] = _text(data, "reason", 500, zh="无法评估的认定理由", en="why it cannot be valued")
        amount, occurred = None, today_local()
    else:
        record.update(appraiser=_text(data, "appraiser", 200, zh="评估机构", en="the appraiser"),
                      report_no=_text(data, "report_no", 60, zh="报告编号", en="the report number"),
                      value_fen=_fen(data, "value_fen", zh="评估值", en="the appraised value"),
                      base_date=_day(data, "base_date", zh="评估基准日", en="the base date").isoformat())
        amount, occurred = record["value_fen"], date.fromisoformat(record["base_date"])
    deal.valuation = {**(deal.valuation or {}), **record}
    _write(user, deal, step, record, occurred_on=occurred, amount_fen=amount, document=document, note=note)


def _valuation_filed(user, deal, step, data, document, note) -> None:
    if not (deal.approvals or {}).get(rules.VALUATION.code):
        raise Conflict("deal.valuation_first", "请先登记资产评估结果，再登记核准/备案。",
                       "Record the evaluation before its approval or filing.")
    kind = data.get("filing_type") or ""
    if kind not in rules.FILING_TYPES:
        raise DomainError("deal.filing_type", "请选择核准或备案。", "Choose approval or filing.", field="filing_type")
    record = {"filing_type": kind,
              "filing_no": _text(data, "filing_no", 60, zh="核准/备案文号", en="the approval or filing number"),
              "filing_date": _day(data, "filing_date", zh="核准/备案日期", en="the approval or filing date").isoformat()}
    deal.valuation = {**(deal.valuation or {}), "sasac_filing": record}
    _write(user, deal, step, record, occurred_on=date.fromisoformat(record["filing_date"]),
           amount_fen=(deal.valuation or {}).get("value_fen"), document=document, note=note)


def consent_counts(entry: dict | None) -> bool:
    """A co-owner's own confirmation counts; a paper the seller uploaded counts once the operator confirmed it."""
    if not entry:
        return False
    # Before issue 12 a seller's upload was stored as "document" with nobody confirming it: that counts no more.
    return entry.get("how") == SELF or (entry.get("how") == DOCUMENT and bool(entry.get("confirmed_by")))


def _owner_on_platform(deal: Deal, owner: str) -> bool:
    return any(o.name == owner and o.organisation_id for o in deal.patent.owners)


def record_consent(user: User, deal: Deal, owner: str, document: DealDocument | None = None) -> None:
    """R-LC-4 / R-TR-3: a co-owner on the platform consents from its own account; for a co-owner
    that is not, the seller uploads its written consent, which waits for the point operator."""
    role = role_of(user, deal)
    own_rows = [o for o in deal.patent.owners if o.organisation_id == user.organisation_id]
    if not (role == CO_OWNER and own_rows) and role != "seller":
        raise Forbidden("deal.approval_not_yours", "只有共有人本人或卖方可以登记共有人同意。",
                        "Only the co-owner itself or the seller may record a co-owner's consent.")
    _open_for_approvals(deal)
    step = rules.CO_OWNER_CONSENT
    if step not in required(deal):
        raise Conflict("deal.approval_not_needed", "此交易不需要共有人同意。", "This deal does not need co-owners' consent.")
    if role == CO_OWNER and own_rows:
        owner = own_rows[0].name
        how = SELF
    elif role == "seller":
        if owner not in other_owners(deal):
            raise DomainError("deal.owner_unknown", "请选择需要同意的共有人。", "Choose the co-owner who consents.",
                              field="owner")
        if _owner_on_platform(deal, owner):
            raise Forbidden("deal.consent_by_owner",
                            f"共有人“{owner}”已在平台注册，须由其本单位账号自行确认同意，卖方不能代为上传"
                            "（专利法第14条，R-LC-4 / R-TR-3）。请通知该共有人登录后在交易页确认。",
                            f"Co-owner “{owner}” is on the platform and must consent from its own account; the seller "
                            "cannot upload it (Patent Law art. 14, R-LC-4 / R-TR-3). Ask the co-owner to confirm on "
                            "the deal page.")
        if document is None:
            raise DomainError("deal.document_required", "请上传该共有人的书面同意书。",
                              "Upload the co-owner's written consent.", field="file")
        how = PENDING
    else:
        raise Forbidden("deal.approval_not_yours", "只有共有人本人或卖方可以登记共有人同意。",
                        "Only the co-owner itself or the seller may record a co-owner's consent.")
    if not user.organisation.is_approved:
        raise Forbidden("deal.approval_not_yours", "您的机构尚未通过审批。", "Your organisation is not approved yet.")
    current = dict(((deal.approvals or {}).get(step.code) or {}).get("owners", {}))
    if owner in current:
        raise Conflict("deal.approval_recorded", "该共有人的同意已经登记。", "That co-owner's consent is already recorded.")
    entry = {"how": how, "org_id": user.organisation_id, "on": today_local().isoformat()}
    if document is not None:
        entry["document_id"] = document.id
    current[owner] = entry
    note = "" if how == SELF else "卖方上传的共有人书面同意，待服务点确认后生效"
    _write(user, deal, step, {"owner": owner, **entry}, occurred_on=today_local(), document=document, note=note)
    deal.approvals = {**(deal.approvals or {}), step.code: {"owners": current}}
    if how == SELF:
        for org_id in (deal.seller_org_id, deal.buyer_org_id):
            tell(org_id, deal, "consent", f"共有人“{owner}”已同意", f"Co-owner “{owner}” consented")
    elif deal.point is not None:
        tell(deal.point.operator_id, deal, "consent_to_confirm", f"请核对共有人“{owner}”的书面同意",
             f"Check co-owner “{owner}”'s written consent")


def may_confirm_consent(user: User | None, deal: Deal) -> bool:
    """The point operator of the deal's point (the bureau for a deal credited to no point)."""
    role = role_of(user, deal)
    if deal.point is not None:
        return role == OPERATOR and user.organisation.is_approved
    return role == BUREAU


def confirm_consent(user: User, deal: Deal, owner: str, reason: str) -> None:
    """The point operator checked an absent co-owner's uploaded consent; from now on it counts."""
    if not may_confirm_consent(user, deal):
        raise Forbidden("deal.consent_confirm_not_yours",
                        "只有该交易所属服务点的运营方（无服务点时为区知识产权局）可以确认上传的共有人同意书。",
                        "Only the operator of the deal's point (the bureau when there is none) confirms an uploaded "
                        "consent.")
    _open_for_approvals(deal)
    step = rules.CO_OWNER_CONSENT
    current = dict(((deal.approvals or {}).get(step.code) or {}).get("owners", {}))
    entry = current.get(owner)
    if not entry or consent_counts(entry) or entry.get("how") == SELF:
        raise Conflict("deal.consent_not_pending", "该共有人没有待确认的书面同意书。",
                       "There is no uploaded consent of that co-owner waiting for confirmation.")
    reason = (reason or "").strip()[:500]
    if not reason:
        raise DomainError("deal.reason_required", "请写明确认的依据（如已电话核实共有人、核对公章）。",
                          "Say what the confirmation rests on (e.g. the co-owner was called, the seal checked).",
                          field="reason")
    current[owner] = {**entry, "how": DOCUMENT, "confirmed_by": user.id, "confirmed_org": user.organisation_id,
                      "confirmed_on": today_local().isoformat(), "reason": reason}
    ledger.append(deal, step.ledger_kind, actor=user, note=reason,
                  evidence={"step": step.code, "rule": step.rule, "owner": owner, "how": DOCUMENT,
                            "confirmed": True, "document_id": entry.get("document_id")})
    deal.approvals = {**(deal.approvals or {}), step.code: {"owners": current}}
    for org_id in (deal.seller_org_id, deal.buyer_org_id):
        tell(org_id, deal, "consent", f"服务点已确认共有人“{owner}”的书面同意",
             f"The point confirmed co-owner “{owner}”'s written consent")

