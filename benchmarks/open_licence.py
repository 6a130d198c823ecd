"""Taking one open licence, end to end, by 1,000 enterprises (issue 3's speed target).

    python -m benchmarks.open_licence [--enterprises 1000] [--threads 4] [--database-url URL]

Each enterprise, logged in, goes through the real web routes of the app (in-process, so the
time measured is the server's): it opens the declaration, takes the licence (written notice,
fee computed from the announced standard, payment row), starts the payment (a PaymentIntent in
CNY created on a real stripe-mock started here), Stripe's signed `payment_intent.succeeded`
webhook arrives (signed with the configured secret, as Stripe would), and the enterprise opens
its contract (HTML and PDF) and its filing package. Every tenth enterprise double-clicks "take".
The first --sequential acquisitions run one at a time and give the latency; the rest run from
--threads threads at once, for correctness under contention.

It prints the median and p95 of the server time of one acquisition (take + checkout + webhook +
contract + contract PDF + filing package), the per-step medians, and then checks the database:
one licence and one paid payment per enterprise, no duplicate, every licence LICENSED.
Target: median < 300 ms; 1,000 acquisitions with no error and no duplicate.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import re
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

from benchmarks.common import median, peak_rss_mb, percentile

ROOT = Path(__file__).resolve().parent.parent
WEBHOOK_SECRET = "whsec_benchmark_only"
STEPS = ("take", "checkout", "webhook", "contract", "contract_pdf", "filing_package")


def sign(payload: bytes) -> str:
    t = int(time.time())
    mac = hmac.new(WEBHOOK_SECRET.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def build(app, enterprises: int):
    """A university's announced open licence (¥50,000 lump sum) and `enterprises` licensees."""
    from market.accounts.models import User
    from market.core.extensions import db
    from market.core.time import today_local
    from market.deals.open_licence import declarations as ol
    from tests import factories as f

    with app.test_request_context():
        uni = f.organisation("上海基准大学", address="上海市宝山区上大路99号")
        uni_user = f.user(uni)
        point = f.point(f.organisation(org_type="POINT_OPERATOR"))
        listing = f.listing(uni, point, modes=["TRANSFER", "LICENSE_ORDINARY"])
        decl = ol.start_declaration(uni_user, listing.patent, {
            "fee_terms": {"mode": "LUMP_SUM", "lump_fen": 5_000_000},
            "fee_basis_note": "按成本法与同类许可费比较估算。", "contact": "技术转移中心 021-66130000"})
        ol.confirm_eligible(uni_user, decl)
        today = today_local()
        ol.record_filing(uni_user, decl, today - timedelta(days=20))
        ol.record_announcement(uni_user, decl, today, "第42卷第47号")
        users = []
        for i in range(enterprises):
            org = f.organisation(f"上海基准科技有限公司{i:04d}", org_type="PRIVATE",
                                 address="上海市宝山区锂电路88号")
            if users:
                # One password hash for all: scrypt for each of 1,000 users is not what is measured.
                users.append(User(organisation=org, email=f"bench{i}@example.test", name="基准用户",
                                  password_hash=users[0].password_hash, role="ADMIN"))
                db.session.add(users[-1])
            else:
                users.append(f.user(org))
        db.session.commit()
        return decl.id, [(u.id, u.get_id()) for u in users]


def acquire(app, declaration_id: int, user_key: str, double_click: bool, timings: dict, errors: list):
    """One enterprise's acquisition; returns nothing, records step timings and errors."""
    from flask_login.utils import _create_identifier

    client = app.test_client()
    with app.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()
    with client.session_transaction() as s:
        # Logged in as the session cookie of a real login says (flask-login's "strong" protection
        # checks the client identifier); the password check is not part of the journey.
        s["_user_id"] = user_key
        s["_id"] = identifier
        s["_fresh"] = True

    def timed(step, call):
        started = time.perf_counter()
        response = call()
        timings[step].append((time.perf_counter() - started) * 1000)
        if response.status_code >= 400:
            errors.append(f"{step}: HTTP {response.status_code} {response.get_data(as_text=True)[:200]}")
        return response

    page = client.get(f"/open-licences/{declaration_id}")
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    if page.status_code != 200 or not match:
        errors.append(f"declaration page: HTTP {page.status_code}, token {'found' if match else 'missing'}")
        return
    token = match.group(1)
    took = timed("take", lambda: client.post(f"/open-licences/{declaration_id}/take",
                                             data={"csrf_token": token, "confirm": "1"}))
    if double_click:
        client.post(f"/open-licences/{declaration_id}/take", data={"csrf_token": token, "confirm": "1"})
    found = re.search(r"/deals/(\d+)/", took.headers.get("Location", ""))
    if not found:
        errors.append(f"take: no deal in the redirect ({took.status_code})")
        return
    deal_id = int(found.group(1))
    with app.app_context():
        from sqlalchemy import select

        from market.core.extensions import db
        from market.payments.models import Payment

        payment = db.session.scalars(select(Payment).where(Payment.deal_id == deal_id)).one()
        payment_id, amount = payment.id, payment.amount_fen
        db.session.remove()
    timed("checkout", lambda: client.post(f"/deals/{deal_id}/payments/{payment_id}/checkout",
                                          data={"csrf_token": token, "method": "card"}))
    with app.app_context():
        from market.core.extensions import db
        from market.payments.models import Payment

        ref = db.session.get(Payment, payment_id).provider_ref
        db.session.remove()
    if not ref:
        errors.append(f"checkout: payment {payment_id} has no PaymentIntent")
        return
    event = json.dumps({"id": f"evt_{uuid.uuid4().hex[:24]}", "object": "event",
                        "type": "payment_intent.succeeded", "created": int(time.time()),
                        "data": {"object": {"id": ref, "object": "payment_intent", "amount": amount,
                                            "amount_received": amount, "currency": "cny",
                                            "status": "succeeded"}}}).encode()
    timed("webhook", lambda: client.post("/payments/stripe/webhook", data=event,
                                         headers={"Stripe-Signature": sign(event),
                                                  "Content-Type": "application/json"}))
    timed("contract", lambda: client.get(f"/deals/{deal_id}/contract"))
    timed("contract_pdf", lambda: client.get(f"/deals/{deal_id}/contract.pdf"))
    timed("filing_package", lambda: client.get(f"/deals/{deal_id}/filing-package"))


def check(app, declaration_id: int, enterprises: int) -> list[str]:
    from sqlalchemy import func, select

    from market.core.extensions import db
    from market.deals.models import Deal
    from market.payments.models import Payment

    problems = []
    with app.app_context():
        deals = db.session.scalars(select(Deal).where(Deal.declaration_id == declaration_id)).all()
        buyers = [d.buyer_org_id for d in deals]
        if len(deals) != enterprises:
            problems.append(f"{len(deals)} licences for {enterprises} enterprises")
        if len(set(buyers)) != len(buyers):
            problems.append("an enterprise holds two licences")
        not_licensed = [d.id for d in deals if d.status != "LICENSED"]
        if not_licensed:
            problems.append(f"{len(not_licensed)} licences not LICENSED")
        paid = db.session.scalar(select(func.count(Payment.id)).where(
            Payment.deal_id.in_([d.id for d in deals]), Payment.status == "PAID"))
        total = db.session.scalar(select(func.count(Payment.id)).where(
            Payment.deal_id.in_([d.id for d in deals])))
        if paid != enterprises or total != enterprises:
            problems.append(f"{paid} paid payments, {total} payments in all, for {enterprises} licences")
        terms = {json.dumps(d.fee_terms, sort_keys=True) for d in deals}
        if len(terms) != 1:
            problems.append("licensees got different terms")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--enterprises", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--sequential", type=int, default=200, help="acquisitions timed one at a time")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default: a new SQLite file)")
    parser.add_argument("--smoke", action="store_true",
                        help="a tiny run that only proves the benchmark still works (tests/benchmarks)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.enterprises, args.threads, args.sequential = 6, 2, 3

    sys.path.insert(0, str(ROOT / "tests" / "services"))
    from stripe_mock import StripeMock

    from benchmarks.common import fresh_app

    mock = StripeMock().start()
    print(f"stripe-mock on {mock.url}")
    try:
        instance = tempfile.mkdtemp(prefix="psm-bench-ol-")
        overrides = dict(INSTANCE_PATH=instance, PAYMENT_PROVIDER="stripe", STRIPE_API_BASE=mock.url,
                         STRIPE_API_KEY="sk_test_benchmark", STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                         MAIL_FOLDER=f"{instance}/mail")
        if args.database_url:
            overrides["SQLALCHEMY_DATABASE_URI"] = args.database_url
            # A clean schema each run: the benchmark's organisations would clash with the last run's.
            from sqlalchemy import create_engine

            engine = create_engine(args.database_url)
            with engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
            engine.dispose()
        app = fresh_app(**overrides)
        started = time.perf_counter()
        declaration_id, users = build(app, args.enterprises)
        print(f"built 1 announced open licence and {len(users)} enterprises in "
              f"{time.perf_counter() - started:.1f} s ({'PostgreSQL' if args.database_url else 'SQLite'})")

        errors: list[str] = []

        def run(batch: list, threads: int) -> tuple[dict[str, list[float]], float]:
            timings: dict[str, list[float]] = defaultdict(list)
            queue, lock = list(batch), threading.Lock()

            def worker():
                while True:
                    with lock:
                        if not queue:
                            return
                        i, (_, key) = queue.pop()
                    try:
                        acquire(app, declaration_id, key, i % 10 == 0, timings, errors)
                    except Exception as err:  # a benchmark reports every failure, it does not stop at one
                        errors.append(f"enterprise {i}: {type(err).__name__}: {err}")

            started = time.perf_counter()
            pool = [threading.Thread(target=worker) for _ in range(threads)]
            for th in pool:
                th.start()
            for th in pool:
                th.join()
            return timings, time.perf_counter() - started

        # Latency one request at a time (threads in one process would share the GIL and the
        # SQLite write lock, and their waiting would be counted as server time) ...
        batch = list(enumerate(users))
        sequential = batch[:args.sequential]
        timings, wall = run(sequential, 1)
        if not all(timings[s] for s in STEPS):
            print(f"no acquisition completed every step; errors: {errors[:5]}")
            return 1
        per_acquisition = [sum(timings[s][i] for s in STEPS) for i in range(min(len(timings[s]) for s in STEPS))]
        print(f"\n{len(sequential)} acquisitions one at a time in {wall:.1f} s")
        print(f"server time per acquisition: median {median(per_acquisition):.1f} ms, "
              f"p95 {percentile(per_acquisition, 95):.1f} ms  (target: median < 300 ms)")
        for step in STEPS:
            print(f"  {step:15s} median {median(timings[step]):7.1f} ms   p95 {percentile(timings[step], 95):7.1f} ms")
        # ... then the rest at once, from several threads, for correctness under contention.
        rest = batch[args.sequential:]
        if rest:
            _, wall = run(rest, args.threads)
            print(f"{len(rest)} more acquisitions from {args.threads} threads at once in {wall:.1f} s "
                  f"({len(rest) / wall:.1f} per second)")
        print(f"peak RSS {peak_rss_mb():.0f} MB")
        print(f"errors: {len(errors)}")
        for line in errors[:10]:
            print("  ", line)
        problems = check(app, declaration_id, args.enterprises)
        print("ledger check: " + ("OK — one licence and one paid payment per enterprise, identical terms"
                                  if not problems else "; ".join(problems)))
        return 1 if errors or problems else 0
    finally:
        mock.stop()


if __name__ == "__main__":
    sys.exit(main())
