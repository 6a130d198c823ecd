"""Rights held on a patent (exclusive/sole/open licences, changes of ownership). Never commits.

The database refuses overlapping claims (see PatentClaim); here we look first so the refusal
says what is in the way, and translate the database's refusal when a concurrent request won.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from listings.models import LegalEvent, Patent
from market.core.db import utcnow
from market.core.errors import Conflict
from market.core.extensions import db
from market.deals.models import PatentClaim
from market.deals.vocabulary import ClaimGroup, DealKind

FOREVER = date(9999, 12, 31)


def lock_patent(patent_id: int) -> Patent | None:
    """Serialise rights decisions per patent (a row lock on PostgreSQL; SQLite has one writer)."""
    return db.session.scalars(select(Patent).where(Patent.id == patent_id).with_for_update()).first()


def active_claims(patent_id: int, group: str, starts_on: date, ends_on: date) -> list[PatentClaim]:
    return list(db.session.scalars(select(PatentClaim).where(
        PatentClaim.patent_id == patent_id, PatentClaim.claim_group == group,
        PatentClaim.active.is_(True), PatentClaim.starts_on <= ends_on, PatentClaim.ends_on >= starts_on)))


def conflict_error(claim: PatentClaim | None, group: str) -> Conflict:
    if group == ClaimGroup.OWNERSHIP:
        return Conflict("deal.ownership_taken",
                        "该专利已有转让或作价投资正在办理或已完成，不能再发起新的转让或作价投资。",
                        "A transfer or equity investment of this patent is under way or done; "
                        "no other can be started.")
    where_zh, where_en = (("（国知局登记簿记载）", " (recorded in the CNIPA register)")
                          if claim is not None and claim.register_event_id else ("", ""))
    if claim is not None and claim.kind == DealKind.OPEN_LICENSE:
        return Conflict("deal.open_licence_active",
                        f"该专利的开放许可声明{where_zh}有效期间，不得授予独占许可或排他许可，也不能再声明开放许可；"
                        f"声明撤回公告后方可（专利法第51条第3款，R-OL-7）。",
                        f"While an open-licence declaration{where_en} is in effect no exclusive or sole licence "
                        "may be granted, nor another open licence declared; it can be once the withdrawal is "
                        "announced (Patent Law art. 51(3), R-OL-7).")
    if where_zh:
        return Conflict("deal.exclusive_taken",
                        f"该专利在此期间已有独占或排他许可{where_zh}，不能再授予独占、排他或开放许可；"
                        "请选择该许可期限以外的期间，或等登记簿记载该许可注销（专利法实施细则第86条，R-OL-4，R-LC-1）。",
                        f"An exclusive or sole licence{where_en} is held on this patent for that period; no "
                        "other exclusive, sole or open licence can be granted. Choose days outside its term or "
                        "wait until the register records it cancelled (IR 86, R-OL-4, R-LC-1).")
    return Conflict("deal.exclusive_taken",
                    "该专利在此期间已有独占或排他许可（或正在办理），不能再授予独占、排他或开放许可。",
                    "An exclusive or sole licence is held (or being concluded) on this patent for "
                    "that period; no other exclusive, sole or open licence can be granted.")


def take(patent_id: int, group: str, kind: str, *, starts_on: date, ends_on: date | None = None,
         deal_id: int | None = None, declaration_id: int | None = None,
         from_org_id: int | None = None, register_event_id: int | None = None) -> PatentClaim:
    """Hold a right on the patent, or raise Conflict if a conflicting one is held."""
    ends_on = ends_on or FOREVER
    existing = active_claims(patent_id, group, starts_on, ends_on)
    if existing:
        raise conflict_error(existing[0], group)
    claim = PatentClaim(patent_id=patent_id, claim_group=group, kind=kind, starts_on=starts_on,
                        ends_on=ends_on, deal_id=deal_id, declaration_id=declaration_id,
                        from_org_id=from_org_id, register_event_id=register_event_id)
    # A savepoint, so losing a race to a concurrent request leaves this transaction usable.
    try:
        with db.session.begin_nested():
            db.session.add(claim)
    except IntegrityError as err:
        if "overlap" not in str(err.orig) and "claim" not in str(err.orig):
            raise
        raise conflict_error(None, group) from None
    return claim


def release(*, deal_id: int | None = None, declaration_id: int | None = None,
            ends_on: date | None = None) -> int:
    """End the claims of a deal or declaration (voided, cancelled, withdrawn, ended).

    With `ends_on` the claim is cut short instead of dropped: an open licence withdrawn on a date
    no longer blocks exclusive licences after it.
    """
    query = select(PatentClaim).where(PatentClaim.active.is_(True))
    if deal_id is not None:
        query = query.where(PatentClaim.deal_id == deal_id)
    elif declaration_id is not None:
        query = query.where(PatentClaim.declaration_id == declaration_id)
    else:
        raise ValueError("release() needs a deal or a declaration")
    claims = list(db.session.scalars(query))
    for claim in claims:
        if ends_on is not None and ends_on >= claim.starts_on:
            claim.ends_on = min(claim.ends_on, ends_on)
        else:
            claim.active = False
            claim.released_at = utcnow()
    return len(claims)


def release_register(patent_id: int, kinds: set[str], ends_on: date, record_no: str | None = None) -> int:
    """End the register's own claims of these kinds on the patent from `ends_on` (a cancellation,
    withdrawal or release the register recorded); with a 备案号 only that licence's claim."""
    query = select(PatentClaim).where(PatentClaim.patent_id == patent_id, PatentClaim.active.is_(True),
                                      PatentClaim.register_event_id.is_not(None), PatentClaim.kind.in_(kinds))
    ended = 0
    for claim in db.session.scalars(query):
        if record_no and (claim_record_no(claim) or record_no) != record_no:
            continue
        if ends_on > claim.starts_on:
            claim.ends_on = min(claim.ends_on, ends_on - timedelta(days=1))
        else:
            claim.active = False
            claim.released_at = utcnow()
        ended += 1
    return ended


def claim_record_no(claim: PatentClaim) -> str | None:
    event = db.session.get(LegalEvent, claim.register_event_id) if claim.register_event_id else None
    return (event.details or {}).get("record_no") if event else None


def mark_transferred(deal_id: int) -> None:
    """The ownership claim now records a done transfer: the old owner can start no new deal."""
    for claim in db.session.scalars(select(PatentClaim).where(
            PatentClaim.deal_id == deal_id, PatentClaim.claim_group == ClaimGroup.OWNERSHIP,
            PatentClaim.active.is_(True))):
        claim.transferred = True
