/* The live bidding page (templates/bidding/live.html): a countdown from the server's time and a short
   poll of the viewer's JSON board. The page works without this file: it says to reload. */
(function () {
  "use strict";
  var root = document.getElementById("bidding");
  if (!root) { return; }
  var url = root.getAttribute("data-state-url");
  var en = document.documentElement.lang === "en";
  var left = parseInt(root.getAttribute("data-seconds-left"), 10) || 0;
  var started = Date.now();  // the countdown runs from the server's figure, not the browser's clock
  var status = root.getAttribute("data-status");
  var count = null;
  var leading = null;
  var lastClose = root.getAttribute("data-closes-at");

  function bind(name) { return root.querySelector("[data-bind='" + name + "']"); }
  function money(fen) {
    if (fen === null || fen === undefined) { return "—"; }
    var yuan = Math.floor(fen / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var text = yuan + "." + ("0" + (fen % 100)).slice(-2);
    return en ? "¥" + text : text + " 元";
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var secs = Math.max(0, left - Math.floor((Date.now() - started) / 1000));
    var out = bind("countdown");
    if (out) {
      var days = Math.floor(secs / 86400), rest = secs % 86400;
      out.textContent = (days ? days + root.getAttribute("data-words-days") + " " : "") +
        Math.floor(rest / 3600) + ":" + pad(Math.floor(rest % 3600 / 60)) + ":" + pad(rest % 60);
    }
    if (secs === 0 && status === "BIDDING") { poll(); }
  }
  function rows(bids) {
    var body = bind("bids");
    // No table yet (the page said "no bids yet"): reload to draw it once there is a bid; never for
    // an empty list, or a page without bids would reload itself at every poll.
    if (!body) { if (bids.length) { window.location.reload(); } return; }
    body.textContent = "";
    bids.forEach(function (b) {
      var tr = document.createElement("tr");
      if (b.mine) { tr.className = "mine"; }
      var when = new Date(b.placed_at).toLocaleTimeString(en ? "en-GB" : "zh-CN", {timeZone: "Asia/Shanghai", hour12: false});
      [String(b.seq), b.bidder, b.amount_fen === null ? (en ? "sealed" : "密封") : money(b.amount_fen), when]
        .forEach(function (text, i) {
          var td = document.createElement("td");
          if (i === 2) { td.className = "num"; }
          td.textContent = text;
          tr.appendChild(td);
        });
      body.appendChild(tr);
    });
  }
  var busy = false;
  function poll() {
    if (busy) { return; }
    busy = true;
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        busy = false;
        if (!s) { return; }
        if (s.status !== status) { window.location.reload(); return; }  // closed: the result is on the page
        left = s.seconds_left; started = Date.now();
        var closes = bind("closes-at");
        if (closes && s.closes_at !== lastClose) {  // moved by a late bid (extension)
          lastClose = s.closes_at;
          closes.textContent = new Date(s.closes_at).toLocaleString(en ? "en-GB" : "zh-CN", {timeZone: "Asia/Shanghai", hour12: false});
        }
        var typing = document.activeElement && document.activeElement.id === "bid-amount";
        if (leading !== null && s.leading !== leading && !typing) { window.location.reload(); return; }  // outbid
        leading = s.leading;
        if (count !== null && s.bids_count === count) { return; }
        count = s.bids_count;
        var current = bind("current");
        if (current) { current.textContent = s.current_fen === null ? current.textContent : money(s.current_fen); }
        var next = bind("next-min");
        if (next) { next.textContent = money(s.next_min_fen); }
        bind("count").textContent = s.bids_count;
        rows(s.bids);
      })
      .catch(function () { busy = false; });
  }
  tick();
  window.setInterval(tick, 1000);
  window.setInterval(poll, 3000);
  poll();
}());
