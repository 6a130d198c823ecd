"""Open-licence declarations: the assistant, the checks, and the mirror of CNIPA's steps (§3.2).

The platform cannot grant a declaration: CNIPA does, by announcing it (PL 50 ¶1). The patentee
(or its point's operator) records each CNIPA date here, and every change writes a
DeclarationEvent. While a declaration is announced it holds an EXCLUSIVITY claim on the patent,
so no sole or exclusive licence can be granted meanwhile (R-OL-7). Never commits.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from listings.hooks import open_licence_in_effect
from listings.models import Patent
from listings.patents import require_fresh_status
from listings.search import queue_listing
from listings.services import suspend_listing
from listings.signals import legal_status_changed
from listings.vocabulary import DealMode, Encumbrance, LapseReason, LegalStatus, ListingStatus
from market.accounts.models import User
from market.accounts.permissions import require_approved_org
from market.core.audit import AuditAction
from market.core.audit import record as audit
from market.core.db import utcnow
from market.core.errors import Conflict, DomainError, Forbidden
from market.core.extensions import db
from market.core.notifications import notify
from market.core.time import today_local
from market.deals import claims
from market.deals.models import Deal, PatentClaim
from market.deals.open_licence.acquisition import void_pending_acquisitions
from market.deals.open_licence.checks import DeclarationFacts, HeldRight, Problem, blocking, check_declaration
from market.deals.open_licence.effect import (  # noqa: F401  (re-exported: one module to call)
    OPEN_LICENCE_FEE_REDUCTION_PCT,
    annual_fee_reduction_pct,
    in_effect_days,
    in_effect_period,
)
from market.deals.open_licence.models import DeclarationEvent, OpenLicenceDeclaration
from market.deals.open_licence.queries import (  # noqa: F401  (re-exported)
    CNIPA_STEPS,
    DEFAULT_OTHER_TERMS,
    DEFAULT_TERRITORY,
    EDITABLE,
    IN_EFFECT,
    LIVE,
    PUBLIC,
    TERM_FIELDS,
    TRANSITIONS,
    _config,
    _require_manager,
    _require_recorder,
    ad_words,
    announced_declarations,
    can_manage,
    can_record_cnipa,
    can_view,
    count_announced,
    fee_caps,
    get_declaration,
    is_takeable,
    latest_public_declaration,
    live_declaration,
    min_term_days,
    owner_org_ids,
)
from market.deals.vocabulary import ClaimGroup
from market.deals.vocabulary import DeclarationStatus as S


def defaults_for(patent: Patent, organisation, today: date | None = None) -> dict:
    """A declaration pre-filled from the patent's data: patentees in register order, the whole term."""
    today = today or today_local()
    contact = "，".join(x for x in (organisation.contact_name, organisation.contact_phone,
                                    organisation.contact_email) if x)
    report = _latest_report(patent)
    return {"patentees": patent.owner_names, "term_start": today, "term_end": patent.last_protected_day,
            "territory": DEFAULT_TERRITORY, "other_terms": DEFAULT_OTHER_TERMS, "fee_basis_note": "",
            "contact": contact, "fee_terms": {}, "evaluation_report_id": report.id if report else None,
            "pledgee_consent_doc": _pledge_consent_on_flag(patent)}


def start_declaration(user: User, patent: Patent, fields: dict | None = None, *,
                      today: date | None = None) -> OpenLicenceDeclaration:
    """A draft declaration for a patent the user's organisation owns."""
    require_approved_org(user)
    if user.organisation_id not in owner_org_ids(patent):
        raise Forbidden("open_licence.not_patentee", "只有专利权人可以声明开放许可。",
                        "Only a patentee can declare an open licence.")
    existing = live_declaration(patent.id)
    if existing is not None:
        raise Conflict("open_licence.exists", "该专利已有一份开放许可声明正在办理或有效，请在原声明上操作。",
                       "This patent already has a declaration under way or in effect; work on that one.")
    today = today or today_local()
    values = defaults_for(patent, user.organisation, today)
    values.update({k: v for k, v in (fields or {}).items() if k in TERM_FIELDS})
    listing = patent.live_listing
    decl = OpenLicenceDeclaration(
        patent=patent, listing=listing, organisation_id=user.organisation_id, patentees=values["patentees"],
        consents={user.organisation.name: _consent_by_app(user)}, created_by_id=user.id,
        status=S.DRAFT, **{k: values[k] for k in TERM_FIELDS})
    _check_report_belongs(decl)
    db.session.add(decl)
    decl.events.append(DeclarationEvent(from_status=None, to_status=S.DRAFT, occurred_on=today,
                                        actor_id=user.id))
    db.session.flush()
    return decl


def update_declaration(user: User, decl: OpenLicenceDeclaration, fields: dict, *,
                       today: date | None = None) -> OpenLicenceDeclaration:
    """Change the terms of a draft; co-owners must consent again to what changed (R-OL-5)."""
    _require_manager(user, decl)
    if decl.status not in EDITABLE:
        raise Conflict("open_licence.frozen", "声明已提交国家知识产权局，条款不能再修改；如需变更请撤回后重新声明。",
                       "The declaration has been filed with CNIPA; its terms cannot change. Withdraw it and "
                       "declare again.")
    changed = False
    for key in TERM_FIELDS:
        if key in fields and fields[key] != getattr(decl, key):
            setattr(decl, key, fields[key])
            changed = True
    _check_report_belongs(decl)
    decl.patentees = decl.patent.owner_names
    if changed:
        decl.consents = {user.organisation.name: _consent_by_app(user)}
        if decl.status == S.ELIGIBLE:
            _move(decl, S.DRAFT, user, today or today_local(), "条款已修改，需重新检查")
    return decl


def record_consent(user: User, decl: OpenLicenceDeclaration, *, owner_name: str | None = None,
                   document_ref: str = "", today: date | None = None) -> OpenLicenceDeclaration:
    """A co-owner's consent (R-OL-5): in the app by its own users, else by a recorded document."""
    if decl.status not in EDITABLE:
        raise Conflict("open_licence.frozen", "声明已提交，不能再变更同意情况。",
                       "The declaration has been filed; consents cannot change.")
    require_approved_org(user)
    owners = {o.name: o for o in decl.patent.owners}
    own = next((o for o in decl.patent.owners if o.organisation_id == user.organisation_id), None)
    if owner_name is None or (own is not None and owner_name == own.name):
        if own is None:
            raise Forbidden("open_licence.not_co_owner", "只有该专利的专利权人可以表示同意。",
                            "Only a patentee of this patent can consent.")
        consent = _consent_by_app(user)
        name = own.name
    else:
        _require_manager(user, decl)
        owner = owners.get(owner_name)
        if owner is None:
            raise DomainError("open_licence.unknown_owner", f"“{owner_name}”不是登记的专利权人。",
                              f"“{owner_name}” is not a registered patentee.", field="owner_name")
        if owner.organisation_id is not None:
            raise Conflict("open_licence.consent_in_app", f"{owner_name}已在平台注册，须由其在平台上自行确认同意。",
                           f"{owner_name} is registered on the platform and consents there itself.")
        document_ref = (document_ref or "").strip()
        if not document_ref:
            raise DomainError("open_licence.consent_doc_required", "请填写该共有人书面同意文件的编号或名称。",
                              "Give the reference of the co-owner's written consent.", field="document_ref")
        consent = {"by": "document", "document_ref": document_ref[:300], "recorded_by": user.id,
                   "at": utcnow().isoformat(timespec="seconds")}
        name = owner_name
    decl.consents = {**(decl.consents or {}), name: consent}
    return decl


def _consent_by_app(user: User) -> dict:
    return {"by": "app", "user_id": user.id, "organisation_id": user.organisation_id,
            "at": utcnow().isoformat(timespec="seconds")}


def _latest_report(patent: Patent):
    reports = sorted(patent.evaluation_reports, key=lambda r: (r.issued_on, r.id))
    return reports[-1] if reports else None


def _check_report_belongs(decl: OpenLicenceDeclaration) -> None:
    if decl.evaluation_report_id is not None and decl.evaluation_report_id not in {
            r.id for r in decl.patent.evaluation_reports}:
        raise DomainError("open_licence.report_unknown", "所选评价报告不属于该专利。",
                          "That evaluation report is not this patent's.", field="evaluation_report_id")


def _pledge_consent_on_flag(patent: Patent) -> str:
    return next((f.pledgee_consent_doc for f in patent.flags
                 if f.active and f.flag == Encumbrance.PLEDGED and f.pledgee_consent_doc), "")


# -- the checks -----------------------------------------------------------------------------

def facts_for(decl: OpenLicenceDeclaration, today: date) -> DeclarationFacts:
    patent = decl.patent
    flags = frozenset(patent.active_flags(today))
    held = [HeldRight(f.flag, f.start_date, f.end_date) for f in patent.flags
            if f.active and f.flag in (Encumbrance.EXCLUSIVE_LICENSE, Encumbrance.SOLE_LICENSE)]
    held += [HeldRight(c.kind, c.starts_on, c.ends_on) for c in db.session.scalars(select(PatentClaim).where(
        PatentClaim.patent_id == patent.id, PatentClaim.claim_group == ClaimGroup.EXCLUSIVITY,
        PatentClaim.active.is_(True), PatentClaim.kind != DealMode.OPEN_LICENSE))]
    report = next((r for r in patent.evaluation_reports if r.id == decl.evaluation_report_id), None) \
        or _latest_report(patent)
    return DeclarationFacts(
        patent_no=patent.patent_no if patent.grant_date else "", patent_type=patent.patent_type,
        legal_status=patent.legal_status, granted=patent.grant_date is not None,
        last_protected_day=patent.last_protected_day, flags=flags,
        pledgee_consent=bool((decl.pledgee_consent_doc or "").strip() or _pledge_consent_on_flag(patent)),
        exclusive_rights=tuple(held),
        evaluation_report=(report.report_no, report.conclusion) if report else None,
        register_patentees=tuple(patent.owner_names), patentees=tuple(decl.patentees or ()),
        consents=dict(decl.consents or {}), fee_terms=dict(decl.fee_terms or {}),
        term_start=decl.term_start, term_end=decl.term_end, territory=decl.territory,
        other_terms=decl.other_terms, fee_basis_note=decl.fee_basis_note, contact=decl.contact,
        annual_fee_paid_through=patent.annual_fee_paid_through)


def check(decl: OpenLicenceDeclaration, today: date | None = None) -> list[Problem]:
    return check_declaration(facts_for(decl, today or today_local()), today=today or today_local(),
                             ad_words=ad_words(), min_term_days=min_term_days(), caps=fee_caps())


def _refuse_if_blocked(decl: OpenLicenceDeclaration, today: date) -> list[Problem]:
    problems = check(decl, today)
    stops = blocking(problems)
    if stops:
        raise DomainError("open_licence.not_eligible",
                          "声明尚不符合条件：" + "；".join(f"[{p.rule}] {p.zh}" for p in stops),
                          "The declaration does not qualify yet: " + "; ".join(f"[{p.rule}] {p.en}" for p in stops),
                          field=stops[0].field)
    return problems


# -- the lifecycle --------------------------------------------------------------------------

def _require_transition(decl: OpenLicenceDeclaration, to: S) -> None:
    frm = S(decl.status)
    if to not in TRANSITIONS.get(frm, set()):
        raise Conflict("open_licence.illegal_transition",
                       f"声明当前为“{frm.zh}”，不能变为“{to.zh}”。页面可能已过期，请刷新后再试。",
                       f"The declaration is “{frm.en}” and cannot become “{to.en}”. Reload the page and retry.")


def _move(decl: OpenLicenceDeclaration, to: S, actor: User | None, on: date, note: str = "") -> None:
    _require_transition(decl, to)
    frm = S(decl.status)
    decl.events.append(DeclarationEvent(from_status=frm, to_status=to, occurred_on=on,
                                        actor_id=actor.id if actor else None, note=note[:500]))
    decl.status = to
    if to in CNIPA_STEPS:
        audit(AuditAction.OPEN_LICENCE_CNIPA_STEP, actor=actor, object_type="open_licence_declaration",
              object_id=decl.id, summary=f"{frm.zh} → {to.zh}（{on.isoformat()}）" + (f"：{note[:200]}" if note else ""))


def _legal_date(value: date | None, name: str, today: date, *, not_before: date | None = None,
                not_before_label: tuple[str, str] = ("", "")) -> date:
    """A date CNIPA has already set: present, not in the future, not before the step it follows."""
    if value is None:
        raise DomainError("open_licence.date_required", "请填写日期。", "Give the date.", field=name)
    if value > today:
        raise DomainError("open_licence.date_future", "日期不能晚于今天：平台登记的是国家知识产权局已作出的决定。",
                          "The date cannot be in the future: the platform records what CNIPA has done.",
                          field=name)
    if not_before is not None and value < not_before:
        raise DomainError("open_licence.date_order", f"日期不能早于{not_before_label[0]}（{not_before.isoformat()}）。",
                          f"The date cannot be before the {not_before_label[1]} ({not_before.isoformat()}).",
                          field=name)
    return value


def confirm_eligible(user: User, decl: OpenLicenceDeclaration, *, today: date | None = None) -> list[Problem]:
    """DRAFT → ELIGIBLE when no check blocks; returns the warnings that remain."""
    _require_manager(user, decl)
    today = today or today_local()
    _require_transition(decl, S.ELIGIBLE)
    require_fresh_status(decl.patent, ("声明开放许可", "Declaring the open licence"))
    problems = _refuse_if_blocked(decl, today)
    _move(decl, S.ELIGIBLE, user, today, "；".join(p.zh for p in problems)[:500])
    return problems


def record_filing(actor: User | None, decl: OpenLicenceDeclaration, filing_date: date, *,
                  today: date | None = None) -> OpenLicenceDeclaration:
    """ELIGIBLE → FILED_WITH_CNIPA on the filing date; the checks run again on the day."""
    _require_recorder(actor, decl)
    _require_transition(decl, S.FILED_WITH_CNIPA)
    today = today or today_local()
    _legal_date(filing_date, "cnipa_filing_date", today)
    _refuse_if_blocked(decl, today)
    _move(decl, S.FILED_WITH_CNIPA, actor, filing_date)
    decl.cnipa_filing_date = filing_date
    return decl


def record_announcement(actor: User | None, decl: OpenLicenceDeclaration, announce_date: date,
                        gazette_issue: str, *, today: date | None = None) -> OpenLicenceDeclaration:
    """FILED → ANNOUNCED: in effect from the announcement (PL 50 ¶1); no sole/exclusive meanwhile."""
    _require_recorder(actor, decl)
    _require_transition(decl, S.ANNOUNCED)
    today = today or today_local()
    _legal_date(announce_date, "announce_date", today, not_before=decl.cnipa_filing_date,
                not_before_label=("提交日", "filing date"))
    gazette_issue = (gazette_issue or "").strip()
    if not gazette_issue:
        raise DomainError("open_licence.gazette_required", "请填写公告的专利公报卷期号。",
                          "Give the gazette issue that announced it.", field="gazette_issue")
    claims.lock_patent(decl.patent_id)
    # A patent has one open-licence declaration in effect: one the register import brought first is
    # this one, so its claim gives way from the announcement on (and keeps any earlier days).
    claims.release_register(decl.patent_id, {DealMode.OPEN_LICENSE.value}, announce_date)
    # R-OL-7 both ways: refused while a sole/exclusive licence is held, and blocks them afterwards.
    claims.take(decl.patent_id, ClaimGroup.EXCLUSIVITY, DealMode.OPEN_LICENSE, starts_on=announce_date,
                ends_on=max(decl.term_end or announce_date, announce_date), declaration_id=decl.id)
    _move(decl, S.ANNOUNCED, actor, announce_date, f"公告卷期 {gazette_issue}")
    decl.announce_date = announce_date
    decl.gazette_issue = gazette_issue[:60]
    _offer_on_listing(decl)
    return decl


def record_not_announced(actor: User | None, decl: OpenLicenceDeclaration, reason: str, on: date, *,
                         today: date | None = None) -> OpenLicenceDeclaration:
    _require_recorder(actor, decl)
    _require_transition(decl, S.NOT_ANNOUNCED)
    today = today or today_local()
    _legal_date(on, "occurred_on", today, not_before=decl.cnipa_filing_date,
                not_before_label=("提交日", "filing date"))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("open_licence.reason_required", "请说明国家知识产权局不予公告的理由。",
                          "Say why CNIPA did not announce it.", field="reason")
    _move(decl, S.NOT_ANNOUNCED, actor, on, reason)
    decl.not_announced_reason = reason[:500]
    return decl


def record_withdrawal_request(actor: User | None, decl: OpenLicenceDeclaration, request_date: date, *,
                              today: date | None = None) -> OpenLicenceDeclaration:
    """ANNOUNCED → WITHDRAWAL_FILED: still in effect until CNIPA announces the withdrawal."""
    _require_recorder(actor, decl)
    _require_transition(decl, S.WITHDRAWAL_FILED)
    today = today or today_local()
    _legal_date(request_date, "withdraw_request_date", today, not_before=decl.announce_date,
                not_before_label=("公告日", "announcement date"))
    _move(decl, S.WITHDRAWAL_FILED, actor, request_date)
    decl.withdraw_request_date = request_date
    _notify_licensees(decl, ("开放许可声明已申请撤回", "The open licence is being withdrawn"),
                      ("您已取得的许可不受影响（专利法第50条第2款）。",
                       "The licence you obtained stays valid (Patent Law art. 50(2))."), "withdrawal_filed")
    return decl


def record_withdrawal(actor: User | None, decl: OpenLicenceDeclaration, announce_date: date, *,
                      today: date | None = None) -> OpenLicenceDeclaration:
    """WITHDRAWAL_FILED → WITHDRAWN on CNIPA's announcement: no new licences from that day (R-OL-10)."""
    _require_recorder(actor, decl)
    _require_transition(decl, S.WITHDRAWN)
    today = today or today_local()
    _legal_date(announce_date, "withdraw_announce_date", today, not_before=decl.withdraw_request_date,
                not_before_label=("撤回申请日", "withdrawal request date"))
    _move(decl, S.WITHDRAWN, actor, announce_date)
    decl.withdraw_announce_date = announce_date
    _close(decl, announce_date, "开放许可声明已撤回", "the declaration was withdrawn")
    return decl


def end_declaration(decl: OpenLicenceDeclaration, on: date, reason: str, *, actor: User | None = None
                    ) -> OpenLicenceDeclaration:
    """ANNOUNCED (or withdrawal filed) → ENDED from `on`: term over, patent lapsed or invalidated."""
    _move(decl, S.ENDED, actor, on, reason)
    decl.ended_on = on
    decl.end_reason = reason[:500]
    _close(decl, on, reason, reason)
    return decl


def end_declarations(today: date | None = None) -> list[OpenLicenceDeclaration]:
    """The daily job: end declarations whose term is over or whose patent has lapsed."""
    today = today or today_local()
    ended = []
    for decl in db.session.scalars(select(OpenLicenceDeclaration).where(
            OpenLicenceDeclaration.status.in_(IN_EFFECT)).order_by(OpenLicenceDeclaration.id)):
        reason = _end_reason(decl, today)
        if reason is not None:
            on, why = reason
            ended.append(end_declaration(decl, on, why))
    return ended


def patent_status_changed(patent: Patent, today: date | None = None) -> OpenLicenceDeclaration | None:
    """Hook for the legal-status import: a lapsed or invalidated patent ends its declaration."""
    decl = db.session.scalar(select(OpenLicenceDeclaration).where(
        OpenLicenceDeclaration.patent_id == patent.id, OpenLicenceDeclaration.status.in_(IN_EFFECT)))
    if decl is None:
        return None
    reason = _end_reason(decl, today or today_local())
    return end_declaration(decl, *reason) if reason else None


def _end_reason(decl: OpenLicenceDeclaration, today: date) -> tuple[date, str] | None:
    patent = decl.patent
    if patent.legal_status == LegalStatus.LAPSED:
        on = min(patent.legal_status_date or today, today)
        on = max(on, decl.announce_date or on)
        why = LapseReason(patent.lapse_reason).zh if patent.lapse_reason in set(LapseReason) else "失效"
        return on, f"专利权已终止（{why}）"
    if decl.term_end is not None and decl.term_end < today:
        return decl.term_end + timedelta(days=1), "许可期限届满"
    return None


def _close(decl: OpenLicenceDeclaration, on: date, zh: str, en: str) -> None:
    """From `on` the declaration holds nothing; licences already taken keep their terms (PL 50 ¶2)."""
    claims.release(declaration_id=decl.id, ends_on=on - timedelta(days=1))
    _stop_offering(decl)

    void_pending_acquisitions(decl, on, zh)
    _notify_licensees(decl, (f"开放许可声明已结束：{zh}", f"The open licence has ended: {en}"),
                      ("已取得的许可在其期限内继续有效。", "Licences already obtained stay valid for their term."),
                      f"closed-{on.isoformat()}")


def _notify_licensees(decl: OpenLicenceDeclaration, title: tuple[str, str], body: tuple[str, str], key: str) -> None:
    buyers = db.session.scalars(select(Deal.buyer_org_id).where(
        Deal.declaration_id == decl.id, Deal.status != "VOID").distinct())
    patent = decl.patent
    for org_id in buyers:
        notify(org_id, "open_licence_" + key.split("-")[0],
               (f"{title[0]}：{patent.title}", f"{title[1]}: {patent.title}"), body=body,
               link=f"/open-licences/{decl.id}", dedupe_key=f"ol-{decl.id}-{key}-{org_id}")


# -- R-OL-12: the annual-fee reduction ----------------------------------------------------

def _offer_on_listing(decl: OpenLicenceDeclaration) -> None:
    """An announced declaration is offered on the patent's live listing (no new review: CNIPA decided)."""
    listing = decl.patent.live_listing
    if listing is None or listing.is_package:
        return  # open licences stay one patent per declaration: a package is never offered as one
    decl.listing = listing
    if DealMode.OPEN_LICENSE not in listing.modes:
        listing.modes = [*listing.modes, DealMode.OPEN_LICENSE.value]
    queue_listing(listing)


@open_licence_in_effect.provide
def declaration_in_effect(patent_id: int) -> bool:
    """The listing's 开放许可 follows this: an announced declaration, not withdrawn or ended."""
    return db.session.scalar(select(OpenLicenceDeclaration.id).where(
        OpenLicenceDeclaration.patent_id == patent_id, OpenLicenceDeclaration.status.in_(IN_EFFECT),
        OpenLicenceDeclaration.announce_date.is_not(None)).limit(1)) is not None


def _stop_offering(decl: OpenLicenceDeclaration) -> None:
    listing = decl.patent.live_listing
    if listing is None or DealMode.OPEN_LICENSE not in listing.modes:
        return
    listing.modes = [m for m in listing.modes if m != DealMode.OPEN_LICENSE]
    if not listing.modes and listing.status == ListingStatus.PUBLISHED:
        suspend_listing(None, listing, "开放许可声明已结束，挂牌没有其他交易方式")
    else:
        queue_listing(listing)


@legal_status_changed.connect
def _end_on_register_change(sender: Patent, *, patent: Patent) -> None:
    patent_status_changed(patent)
