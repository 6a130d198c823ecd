"""Patent packages (专利包): one listing, one price, several patents of the same patentee(s).

The listing's own patent is the package's lead, so every single-patent path keeps working; the
further patents are ListingPatent rows. Never commits.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from listings.models import Listing, ListingPatent, Patent
from listings.numbers import parse_application_number
from listings.search import queue_listing
from listings.services import create_listing, hold_shelf
from market.accounts.models import Organisation, User
from market.core.errors import Conflict, DomainError
from market.core.extensions import db
from market.core.names import fold_name

MAX_MEMBERS = 50


def _owners(patent: Patent) -> frozenset[str]:
    return frozenset(fold_name(o.name) for o in patent.owners)


def split_numbers(raw: str | list[str] | None) -> list[str]:
    """Application numbers typed one per line (or separated by commas, semicolons, 、)."""
    items = raw if isinstance(raw, list) else re.split(r"[\n,;，；、]+", raw or "")
    return [item.strip() for item in items if item and item.strip()]


def stored_members(raw: list[str]) -> list[Patent]:
    """The stored patents these numbers name, in the order given; every bad or unknown number at once."""
    numbers, problems = [], []
    for item in raw:
        try:
            numbers.append(parse_application_number(item).normalised)
        except DomainError as err:  # the parser's own words name the fix (a wrong check digit …)
            problems.append((f"“{item}”：{err.zh}", f"“{item}”: {err.en}"))
        except ValueError:  # digits of other scripts have no check value
            problems.append((f"“{item}”不是有效的申请号", f"“{item}” is not a valid application number"))
    found = {p.application_number: p for p in db.session.scalars(
        select(Patent).where(Patent.application_number.in_(numbers)))} if numbers else {}
    problems += [(f"专利 {n} 尚未在平台登记，请先登记或导入", f"Patent {n} is not on record; register or import it first")
                 for n in numbers if n not in found]
    if problems:
        raise DomainError("package_member_unknown", "；".join(zh for zh, _ in problems),
                          "; ".join(en for _, en in problems), field="package_numbers")
    return [found[n] for n in numbers]


def package_problems(patents: list[Patent], organisation: Organisation) -> list[tuple[Patent | None, str, str]]:
    """Why these patents cannot form one package, as (patent, zh, en); empty if they can.

    Every member has the lead's patentees (the same right holders sell the whole package), is
    owned by the listing organisation, and holds no place on the shelf yet.
    """
    problems: list[tuple[Patent | None, str, str]] = []
    if len(patents) < 2:
        problems.append((None, "专利包至少包含两件专利", "A package holds at least two patents"))
    if len(patents) > MAX_MEMBERS:
        problems.append((None, f"专利包最多包含 {MAX_MEMBERS} 件专利", f"A package holds at most {MAX_MEMBERS} patents"))
    seen: set[int] = set()
    lead = _owners(patents[0]) if patents else frozenset()
    for patent in patents:
        number = patent.application_number
        if patent.id is not None and patent.id in seen:
            problems.append((patent, f"专利 {number} 在包中重复", f"Patent {number} appears twice in the package"))
            continue
        seen.add(patent.id)
        if organisation.id not in {o.organisation_id for o in patent.owners}:
            problems.append((patent, f"本机构不是专利 {number} 的专利权人", f"Your organisation is not a patentee of {number}"))
        elif _owners(patent) != lead:
            problems.append((patent, f"专利 {number} 的专利权人（{'、'.join(patent.owner_names)}）与包内第一件专利"
                             f"（{'、'.join(patents[0].owner_names)}）不同：专利包只能由相同的专利权人一并出让或许可",
                             f"The patentees of {number} ({', '.join(patent.owner_names)}) differ from those of the "
                             f"package's first patent ({', '.join(patents[0].owner_names)}): a package is offered by "
                             "the same patentees"))
        listing = patent.live_listing
        if listing is not None:
            problems.append((patent, f"专利 {number} 已在挂牌 #{listing.id} 中，一件专利只能有一个有效挂牌",
                             f"Patent {number} is already in listing #{listing.id}; a patent has one live listing"))
    return problems


def create_package(actor: User | None, patents: list[Patent], organisation: Organisation,
                   fields: dict[str, Any]) -> Listing:
    """A draft listing selling `patents` together (the first is the lead) at one price; all or nothing."""
    hold_shelf(patents)
    problems = package_problems(patents, organisation)
    if problems:
        listed = any(p is not None and p.live_listing is not None for p, _, _ in problems)
        kind = Conflict if listed else DomainError
        raise kind("package_invalid", "；".join(zh for _, zh, _ in problems), "; ".join(en for _, _, en in problems),
                   field="package_numbers")
    listing = create_listing(actor, patents[0], organisation, fields, package=True)
    for position, patent in enumerate(patents[1:], start=1):
        listing.further_members.append(ListingPatent(patent=patent, position=position))
    queue_listing(listing)
    return listing


def package_of(patent: Patent) -> Listing | None:
    """The live package the patent belongs to (as lead or further member), if any."""
    listing = patent.live_listing
    return listing if listing is not None and listing.is_package else None
