"""A bounded closed-loop load generator: virtual users on threads, one keep-alive connection each.

Each virtual user is an enterprise with an API token (and, for some, a patentee's token too). It
picks a request by weight, sends it, records kind, start, latency and answer, waits a think time
and picks again, until the shared request budget or the time limit runs out. Open-licence
acquisitions are a small state machine spread over the user's turns, as a buyer would do them:
take the licence (API), pay it (API checkout: a PaymentIntent at Stripe), and Stripe's signed
`payment_intent.succeeded` webhook arrives. Whatever failed is kept and done again later (the
take is idempotent; a webhook is redelivered with the same event id, as Stripe does), and
`drain()` completes it all once the load is over, so that the checks can demand that nothing
was lost.

Threads, not locust: the app's own pinned urllib3 is all it needs (no gevent monkey-patching
next to the app's code), the request budget and the time limit are exact, and the fault
controller and the per-phase bookkeeping live in the same process.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
import time
import uuid
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

import urllib3

# kind → weight; an acquisition turn is one of take / checkout / webhook, whichever is next.
MIX = {"search_page": 22, "search_api": 20, "patent_page": 20, "match": 10, "acquire": 22, "listing_update": 6}
KINDS = ("search_page", "search_api", "patent_page", "match", "take", "checkout", "webhook", "listing_update")
OK = {"take": (200, 201)}
RETRY_MARK = "请稍后重试"  # every 503 message of the app ends with it (market/web/errors.py, payments)


@dataclass
class Sample:
    kind: str
    started: float  # seconds since the run began
    ms: float
    status: int  # 0: no HTTP answer (connection refused or reset, timeout)
    outcome: str  # ok | refused (a clean 503 with retry advice) | error
    note: str = ""

    @property
    def ended(self) -> float:
        return self.started + self.ms / 1000


@dataclass
class Window:
    """A service outage: from the stop until it answers again (end None while down)."""

    service: str
    start: float
    end: float | None = None


class Timeline:
    """Which outage, if any, a moment of the run belongs to; written by the fault controller."""

    def __init__(self, grace: float) -> None:
        self.windows: list[Window] = []
        self.grace = grace  # replies to requests that waited on the outage still count as in it
        self.t0 = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self.t0

    def down(self, service: str) -> Window:
        window = Window(service, self.now())
        self.windows.append(window)
        return window

    def phase(self, start: float, end: float | None = None) -> str:
        """The outage a request from `start` to `end` (seconds into the run) overlapped, if any.

        A request sent just before a stop may meet the outage on its way: it counts as in it.
        """
        end = start if end is None else end
        for w in self.windows:
            if start <= (w.end if w.end is not None else float("inf")) and end >= w.start:
                return f"{w.service} down"
            if w.end is not None and w.end < start <= w.end + self.grace:
                return f"{w.service} recovering"
        return "normal"


@dataclass
class Acquisitions:
    """What the clients were told, to check the database against afterwards."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    taken: dict[tuple[int, int], int] = field(default_factory=dict)  # (user, declaration) → deal
    amounts: dict[int, int] = field(default_factory=dict)  # deal → amount due
    checked_out: dict[int, str] = field(default_factory=dict)  # deal → PaymentIntent
    paid: set[int] = field(default_factory=set)  # deals whose webhook was acknowledged
    edits: dict[int, list[tuple[str, bool]]] = field(default_factory=lambda: defaultdict(list))  # listing → (text, acked)


class Budget:
    def __init__(self, requests: int, seconds: float) -> None:
        self.left = requests
        self.deadline = time.monotonic() + seconds
        self.lock = threading.Lock()
        self.stopped = threading.Event()

    def take(self) -> bool:
        if self.stopped.is_set() or time.monotonic() >= self.deadline:
            return False
        with self.lock:
            if self.left <= 0:
                return False
            self.left -= 1
            return True


def sign(payload: bytes, secret: str) -> str:
    """Stripe's signature scheme (t=…,v1=HMAC-SHA256 of "t.payload")."""
    t = int(time.time())
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def classify(kind: str, status: int, headers, body: bytes, api: bool) -> tuple[str, str]:
    """ok, refused (503 + Retry-After + the clear message, in the API's error shape) or error."""
    if status in OK.get(kind, (200,)):
        if kind == "webhook" and b'"received"' not in body:
            return "error", "webhook answered without a receipt"
        return "ok", ""
    text = body.decode("utf-8", "replace")
    if status == 503:
        if not headers.get("Retry-After"):
            return "error", "503 without Retry-After"
        if api:
            try:
                error = json.loads(text)["error"]
                assert error["code"] and RETRY_MARK in error["message"]
            except (ValueError, KeyError, TypeError, AssertionError):
                return "error", f"503 not in the API's error shape: {text[:120]}"
        elif RETRY_MARK not in text:
            return "error", f"503 page without the message: {text[:120]}"
        if "Traceback" in text:
            return "error", "stack trace in a 503"
        return "refused", ""
    return "error", f"HTTP {status}: {text[:160]}"


class VirtualUser(threading.Thread):
    def __init__(self, index: int, base_url: str, plan, budget: Budget, timeline: Timeline, samples: list,
                 ledger: Acquisitions, *, think: float, webhook_secret: str, seed: int) -> None:
        super().__init__(name=f"vu-{index}", daemon=True)
        self.index = index
        parts = urlsplit(base_url)
        self.http = urllib3.HTTPConnectionPool(parts.hostname, parts.port, maxsize=1, block=True, retries=False,
                                               timeout=urllib3.Timeout(connect=5, read=60))
        self.plan = plan
        self.budget = budget
        self.timeline = timeline
        self.samples = samples
        self.ledger = ledger
        self.think = think
        self.secret = webhook_secret
        self.rng = random.Random(seed * 1000 + index)
        self.token = plan.enterprise_tokens[index % len(plan.enterprise_tokens)]
        # A patentee is edited by one virtual user only, so that its edits come in a known order.
        owners = plan.supplier_listings
        self.owner = owners[index] if index < len(owners) else None
        self.edits = 0
        declarations = list(plan.declarations)
        self.rng.shuffle(declarations)
        # Several users may share one enterprise when there are more users than enterprises:
        # the first of them takes its licences.
        self.to_take = deque(declarations if index < len(plan.enterprise_tokens) else [])
        self.unanswered: set[int] = set()
        self.to_pay: deque[tuple[int, int, int]] = deque()  # (deal, payment, amount)
        self.to_notify: deque[tuple[int, str, int, str]] = deque()  # (deal, intent, amount, event id)

    # -- one request ------------------------------------------------------------------------
    def send(self, kind: str, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None,
             record: bool = True):
        started = self.timeline.now()
        t0 = time.perf_counter()
        try:
            r = self.http.urlopen(method, path, body=body, headers=headers or {}, preload_content=True,
                                  release_conn=True, redirect=False)
            status, answer_headers, data = r.status, r.headers, r.data
        except urllib3.exceptions.HTTPError as err:
            status, answer_headers, data = 0, {}, str(err).encode()
        ms = (time.perf_counter() - t0) * 1000
        if status == 0:
            outcome, note = "error", f"no answer: {data[:120].decode(errors='replace')}"
        else:
            outcome, note = classify(kind, status, answer_headers, data,
                                     api=path.startswith("/api/"))
            if outcome == "ok" and kind == "search_api" and json.loads(data).get("degraded"):
                note = "degraded"  # answered from the embedded standby: the cluster did not answer
        if record:
            self.samples.append(Sample(kind, started, ms, status, outcome, note))
        return outcome, status, data

    def api_headers(self, token: str | None = None, json_body: bool = False) -> dict:
        headers = {"Authorization": f"Bearer {token or self.token}", "Accept": "application/json"}
        if json_body:
            headers["Content-Type"] = "application/json"
        return headers

    # -- the kinds --------------------------------------------------------------------------
    def search_page(self, record=True):
        q = quote(self.rng.choice(self.plan.query_words))
        page = self.rng.choice((1, 1, 1, 2))
        return self.send("search_page", "GET", f"/search?q={q}&page={page}", record=record)

    def search_api(self, record=True):
        words = self.rng.sample(self.plan.query_words, self.rng.choice((1, 1, 2)))
        return self.send("search_api", "GET", f"/api/v1/search?q={quote(' '.join(words))}&per_page=20",
                         headers={"Accept": "application/json"}, record=record)

    def patent_page(self, record=True):
        number = self.rng.choice(self.plan.patent_numbers)
        return self.send("patent_page", "GET", f"/patents/{number}", record=record)

    def match(self, record=True):
        body = json.dumps({"text": self.rng.choice(self.plan.demand_texts), "limit": 10}).encode()
        return self.send("match", "POST", "/api/v1/matches", body=body,
                         headers=self.api_headers(json_body=True), record=record)

    def listing_update(self, record=True):
        token, ids = self.owner
        listing = ids[self.edits % len(ids)]
        self.edits += 1
        text = f"耐高温、寿命长、成本低（负载测试第{self.index}-{self.edits}次修订）。"
        outcome, status, _ = self.send("listing_update", "PATCH", f"/api/v1/listings/{listing}",
                                       body=json.dumps({"advantages": text}).encode(),
                                       headers=self.api_headers(token, json_body=True), record=record)
        with self.ledger.lock:
            self.ledger.edits[listing].append((text, outcome == "ok"))
        return outcome, status, b""

    def take(self, record=True):
        decl = self.to_take[0]
        outcome, status, data = self.send("take", "POST", f"/api/v1/open-licences/{decl}/take",
                                          headers=self.api_headers(), record=record)
        if outcome == "ok":
            self.to_take.popleft()
            self.unanswered.discard(decl)
            licence = json.loads(data)
            payment = licence["payments"][0]
            with self.ledger.lock:
                known = self.ledger.taken.setdefault((self.index, decl), licence["id"])
                if known != licence["id"]:
                    raise AssertionError(f"declaration {decl} taken twice: deals {known} and {licence['id']}")
                self.ledger.amounts[licence["id"]] = payment["amount_fen"]
            if payment["status"] != "PAID":
                self.to_pay.append((licence["id"], payment["id"], payment["amount_fen"]))
        else:
            self.unanswered.add(decl)  # perhaps taken, perhaps not: the drain asks again
            self.to_take.rotate(-1)  # another one next time; this one again later
        return outcome, status, data

    def checkout(self, record=True):
        deal, payment, amount = self.to_pay[0]
        outcome, status, data = self.send(
            "checkout", "POST", f"/api/v1/deals/{deal}/payments/{payment}/checkout",
            body=b'{"method": "card"}', headers=self.api_headers(json_body=True), record=record)
        if outcome == "ok":
            self.to_pay.popleft()
            intent = json.loads(data)["provider_ref"]
            with self.ledger.lock:
                self.ledger.checked_out[deal] = intent
            self.to_notify.append((deal, intent, amount, f"evt_{uuid.uuid4().hex[:24]}"))
        return outcome, status, data

    def webhook(self, record=True):
        deal, intent, amount, event_id = self.to_notify[0]
        payload = json.dumps({"id": event_id, "object": "event", "type": "payment_intent.succeeded",
                              "created": int(time.time()), "data": {"object": {
                                  "id": intent, "object": "payment_intent", "amount": amount,
                                  "amount_received": amount, "currency": "cny", "status": "succeeded"}}}).encode()
        outcome, status, data = self.send("webhook", "POST", "/payments/stripe/webhook", body=payload,
                                          headers={"Stripe-Signature": sign(payload, self.secret),
                                                   "Content-Type": "application/json"}, record=record)
        if outcome == "ok":
            self.to_notify.popleft()
            with self.ledger.lock:
                self.ledger.paid.add(deal)
        return outcome, status, data

    def acquire(self, record=True):
        if self.to_notify:
            return self.webhook(record)
        if self.to_pay:
            return self.checkout(record)
        if self.to_take:
            return self.take(record)
        return self.search_api(record)

    # -- the loop ---------------------------------------------------------------------------
    def run(self) -> None:
        kinds = [k for k in MIX if k != "listing_update" or self.owner is not None]
        weights = [MIX[k] for k in kinds]
        # Users arrive over the first second, not all in the same instant.
        time.sleep(self.rng.random())
        while self.budget.take():
            kind = self.rng.choices(kinds, weights)[0]
            try:
                getattr(self, kind)()
            except Exception as err:  # a benchmark reports every failure, it does not stop at one
                self.samples.append(Sample(kind, self.timeline.now(), 0.0, -1, "error",
                                           f"client: {type(err).__name__}: {err}"))
            if self.think:
                time.sleep(self.rng.expovariate(1 / self.think))

    def drain(self, deadline: float) -> list[str]:
        """Finish every acquisition the load left half done (the services are all up again).

        Takes whose answer was not a success are sent again (the call is idempotent: a licence
        whose reply was lost comes back as it is), then paid, then notified.
        """
        self.to_take = deque(d for d in self.to_take if d in self.unanswered)
        while (self.to_take or self.to_pay or self.to_notify) and time.monotonic() < deadline:
            step = self.webhook if self.to_notify else self.checkout if self.to_pay else self.take
            if step(record=False)[0] != "ok":
                time.sleep(0.5)
        if self.to_take or self.to_pay or self.to_notify:
            return [f"user {self.index}: {len(self.to_take)} takes, {len(self.to_pay)} payments and "
                    f"{len(self.to_notify)} webhooks still pending after the drain"]
        return []


def summarise(samples: list[Sample], seconds: float) -> dict:
    """Throughput, median and p95 per kind and overall; answers counted per phase."""
    from benchmarks.common import percentile

    rows = {}
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_kind[s.kind].append(s)
    for kind in [*KINDS, "all"]:
        items = samples if kind == "all" else by_kind.get(kind, [])
        if not items:
            continue
        ok = [s.ms for s in items if s.outcome == "ok"]
        rows[kind] = {"requests": len(items), "per_s": len(items) / seconds,
                      "p50": percentile(ok, 50) if ok else 0.0, "p95": percentile(ok, 95) if ok else 0.0,
                      "refused": sum(s.outcome == "refused" for s in items),
                      "errors": sum(s.outcome == "error" for s in items)}
    return rows


def phase_table(samples: list[Sample], timeline: Timeline) -> dict[str, dict[str, Counter]]:
    table: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for s in samples:
        table[timeline.phase(s.started, s.ended)][s.kind][s.status] += 1
    return table
