"""The whole site as each role sees it, in PNGs: `python -m tests.browser.gallery`.

Starts the app on the demo data (as `make run` seeds it, in a temporary instance folder), then for
each role (anonymous and the demo login of each kind of organisation), each language and each
width (desktop 1280, phone 390) opens every GET page of the URL map, with sample ids taken from
the demo data for that role (its own deal, demand, listing... where it has one), and saves a
full-page screenshot. `index.html` in the output folder shows them side by side with the status
of each page and whether it pushes a phone's screen sideways, so a reviewer can look at the whole
site in minutes. Pages that are not HTML (PDF, CSV, XLSX downloads) are listed, not pictured.

    python -m tests.browser.gallery                       # everything, into instance/gallery/
    python -m tests.browser.gallery --roles bureau --langs zh --widths phone --only statistics

Driven by Playwright with Debian's Chromium (`executable_path="/usr/bin/chromium"`).
"""

from __future__ import annotations

import argparse
import html
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import sync_playwright
from sqlalchemy import or_, select

from listings.importing.models import ImportBatch
from listings.models import Listing, Patent
from market.accounts.models import Organisation, User
from market.accounts.points.models import Point
from market.core.extensions import db
from market.deals.exchange.models import Lot, LotRegistration
from market.deals.models import Deal
from market.deals.open_licence.models import OpenLicenceDeclaration
from market.demo.seed import demo_login_emails
from matching.models import Demand
from tests.browser.server import LiveServer, build_app
from tests.services import chromium

DEMO_PASSWORD = "demo-Passw0rd"
WIDTHS = {"desktop": (1280, 800, False), "phone": (390, 844, True)}
ROLES = ("anonymous", "university", "enterprise", "research", "soe", "point", "bureau", "admin")
# Login role → the demo organisation kind whose first organisation stands for it.
ROLE_KIND = {"university": "UNIVERSITY", "enterprise": "PRIVATE", "research": "RESEARCH_INSTITUTE",
             "soe": "SOE", "point": "POINT_OPERATOR", "bureau": "BUREAU"}
# Routes a look cannot cover: they change state on GET-less paths, need a secret, or only redirect.
SKIP_ENDPOINTS = {"static", "site.favicon", "site.healthz", "accounts.reset_password_page", "deals.download"}


@dataclass
class Shot:
    role: str
    variant: str
    endpoint: str
    url: str
    status: int | str
    file: str = ""
    overflow: int = 0
    note: str = ""


def sample_ids(app, org_id: int | None) -> dict[str, str]:
    """One value per URL argument, the role's own where it has one, else any from the demo."""
    def first(query, own=None):
        if own is not None and org_id is not None:
            found = db.session.scalar(query.where(own).limit(1))
            if found is not None:
                return found
        return db.session.scalar(query.limit(1))

    with app.app_context():
        ids = {
            "deal_id": first(select(Deal.id).order_by(Deal.id.desc()),
                             or_(Deal.buyer_org_id == org_id, Deal.seller_org_id == org_id)),
            "demand_id": first(select(Demand.id).order_by(Demand.id), Demand.organisation_id == org_id),
            "listing_id": first(select(Listing.id).order_by(Listing.id), Listing.organisation_id == org_id),
            "batch_id": first(select(ImportBatch.id), ImportBatch.organisation_id == org_id),
            "declaration_id": first(select(OpenLicenceDeclaration.id).order_by(OpenLicenceDeclaration.id),
                                    OpenLicenceDeclaration.organisation_id == org_id),
            "point_id": first(select(Point.id).order_by(Point.id), Point.operator_id == org_id),
            "org_id": org_id or first(select(Organisation.id).order_by(Organisation.id)),
            "app_no": first(select(Patent.application_number).join(Listing, Listing.patent_id == Patent.id)
                            .order_by(Listing.id), Listing.organisation_id == org_id),
            "fmt": "xlsx",
            "lot_id": first(select(Lot.id).order_by(Lot.id), Lot.seller_org_id == org_id),
            "reg_id": first(select(LotRegistration.id).order_by(LotRegistration.id),
                            LotRegistration.buyer_org_id == org_id),
        }
    return {k: str(v) for k, v in ids.items() if v is not None}


def pages(app, ids: dict[str, str]) -> list[tuple[str, str]]:
    """(endpoint, path) for every GET page of the URL map that the sample ids can fill."""
    out = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.rule.startswith("/api/") or rule.endpoint in SKIP_ENDPOINTS:
            continue
        if not set(rule.arguments) <= set(ids):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: ids[m.group(1)], rule.rule)
        out.append((rule.endpoint, path))
    return out


def demo_accounts(app) -> dict[str, tuple[str, int] | None]:
    """role → (login e-mail, organisation id); the admin is the bureau's admin (organisation approvals)."""
    accounts: dict[str, tuple[str, int] | None] = {"anonymous": None}
    with app.app_context():
        users = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(demo_login_emails())))}
        for role, kind in ROLE_KIND.items():
            user = next((u for u in users.values() if u.organisation.org_type == kind), None)
            if user is not None:
                accounts[role] = (user.email, user.organisation_id)
        bureau_admin = db.session.scalar(select(User).join(Organisation).where(
            Organisation.org_type == "BUREAU", User.role == "ADMIN").order_by(User.id).limit(1))
        # Every demo login is its organisation's administrator; the platform's is the bureau's, which
        # approves organisations. Pictured once, under "bureau", when it is the same login.
        if bureau_admin is not None and accounts.get("bureau", (None,))[0] != bureau_admin.email:
            accounts["admin"] = (bureau_admin.email, bureau_admin.organisation_id)
    return accounts


def login(page, base: str, email: str, lang: str) -> None:
    page.goto(f"{base}/login?lang={lang}")
    page.locator("#f-email").fill(email)
    page.locator("#f-password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator(".auth-panel button[type=submit]").click()
    if "/login" in page.url:
        raise RuntimeError(f"login of {email} failed")


def shoot(browser, server: LiveServer, role: str, account, lang: str, width: str, out: Path,
          only: str | None) -> list[Shot]:
    w, h, mobile = WIDTHS[width]
    variant = f"{lang}-{width}"
    context = browser.new_context(viewport={"width": w, "height": h}, is_mobile=mobile, has_touch=mobile,
                                  locale="zh-CN" if lang == "zh" else "en-GB", timezone_id="Asia/Shanghai",
                                  accept_downloads=False)
    page = context.new_page()
    page.set_default_timeout(30_000)
    shots = []
    try:
        if account is not None:
            login(page, server.url, account[0], lang)
        else:
            page.goto(f"{server.url}/?lang={lang}")
        folder = out / role / variant
        folder.mkdir(parents=True, exist_ok=True)
        for endpoint, path in pages(server.app, sample_ids(server.app, account[1] if account else None)):
            if only and only not in endpoint and only not in path:
                continue
            shot = Shot(role, variant, endpoint, path, "")
            shots.append(shot)
            if path.endswith((".pdf", ".csv", ".xlsx")) or endpoint.endswith(("_pdf", "_csv", "export_file")):
                shot.note = "download, not pictured"
                continue
            try:
                response = page.goto(f"{server.url}{path}", wait_until="load")
            except Exception as err:  # a download or a timeout: say so and go on
                shot.status, shot.note = "error", str(err).splitlines()[0][:200]
                continue
            shot.status = response.status if response is not None else "none"
            if response is not None and "text/html" not in (response.headers.get("content-type") or ""):
                shot.note = "not HTML"
                continue
            shot.overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            name = f"{endpoint.replace('.', '_')}.png"
            page.screenshot(path=str(folder / name), full_page=True)
            shot.file = f"{role}/{variant}/{name}"
    finally:
        context.close()
    return shots


def write_index(out: Path, shots: list[Shot]) -> Path:
    rows = []
    for s in shots:
        flag = " ⚠ wider than the screen by %dpx" % s.overflow if s.overflow > 1 else ""
        img = f'<a href="{html.escape(s.file)}"><img src="{html.escape(s.file)}" loading="lazy"></a>' if s.file else ""
        rows.append(f"<figure><figcaption><b>{html.escape(s.role)} · {s.variant}</b> {html.escape(s.endpoint)} "
                    f"<code>{html.escape(s.url)}</code> → {s.status}{html.escape(flag)} {html.escape(s.note)}"
                    f"</figcaption>{img}</figure>")
    index = out / "index.html"
    index.write_text("<!doctype html><meta charset=utf-8><title>Gallery</title><style>"
                     "body{font:14px sans-serif;display:flex;flex-wrap:wrap;gap:12px}figure{margin:0;width:300px}"
                     "img{width:300px;max-height:600px;object-fit:cover;object-position:top;border:1px solid #ccc}"
                     "</style>" + "".join(rows), encoding="utf-8")
    return index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("instance/gallery"))
    parser.add_argument("--roles", nargs="*", default=list(ROLES), choices=ROLES)
    parser.add_argument("--langs", nargs="*", default=["zh", "en"], choices=["zh", "en"])
    parser.add_argument("--widths", nargs="*", default=list(WIDTHS), choices=list(WIDTHS))
    parser.add_argument("--only", help="only endpoints or paths containing this text")
    args = parser.parse_args(argv)

    started = time.monotonic()
    args.out.mkdir(parents=True, exist_ok=True)
    server = LiveServer(build_app(Path(tempfile.mkdtemp(prefix="psm-gallery-")))).start()
    print(f"demo seeded and served on {server.url} in {time.monotonic() - started:.0f}s", flush=True)
    accounts = demo_accounts(server.app)
    shots: list[Shot] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium.EXECUTABLE, args=list(chromium.FLAGS),
                                                 headless=True)
            for role in args.roles:
                if role not in accounts:
                    print(f"{role}: no login of its own in the demo (the bureau's login is its "
                          f"administrator); skipped", flush=True)
                    continue
                for lang in args.langs:
                    for width in args.widths:
                        done = shoot(browser, server, role, accounts[role], lang, width, args.out, args.only)
                        shots += done
                        wide = sum(1 for s in done if s.overflow > 1)
                        print(f"{role:10} {lang}-{width:7} {len(done):3} pages"
                              + (f", {wide} wider than the screen" if wide else ""), flush=True)
            browser.close()
    finally:
        server.stop()
    index = write_index(args.out, shots)
    bad = [s for s in shots if isinstance(s.status, int) and s.status >= 500 or s.status == "error"]
    print(f"{len(shots)} pages in {time.monotonic() - started:.0f}s; open {index}"
          + (f"; {len(bad)} failed: " + ", ".join(f"{s.role} {s.url}" for s in bad[:10]) if bad else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
