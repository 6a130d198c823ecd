/* Small enhancements only: every page works without this file. */
(function () {
  "use strict";

  // Ask before destructive actions: <button data-confirm="...">.
  document.addEventListener("submit", function (event) {
    var button = event.submitter || event.target.querySelector("[data-confirm]");
    var message = button && button.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // Submit the sort select as soon as it changes; hide its fallback button.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form.requestSubmit) { select.form.requestSubmit(); } else { select.form.submit(); }
    });
  });
  document.querySelectorAll("[data-js-hide]").forEach(function (el) { el.hidden = true; });

  // A stepwise import (templates/imports/result.html): send the next step once the page shows progress.
  document.querySelectorAll("form[data-autocontinue]").forEach(function (form) {
    window.setTimeout(function () { form.submit(); }, 300);
  });

  // Show a field only when another field has a value: data-show-when="org_type=SOE".
  document.querySelectorAll("[data-show-when]").forEach(function (block) {
    var rule = block.getAttribute("data-show-when").split("=");
    var source = document.getElementById("f-" + rule[0]) || document.querySelector("[name='" + rule[0] + "']");
    if (!source) { return; }
    var update = function () {
      var shown = source.value === rule[1];
      block.hidden = !shown;
      block.querySelectorAll("select, input, textarea").forEach(function (input) {
        input.disabled = !shown;  // a hidden value is never submitted
      });
    };
    source.addEventListener("change", update);
    update();
  });

  // Collapse the search filters on narrow screens; keep them open on wide ones.
  document.querySelectorAll("details[data-collapse-below]").forEach(function (details) {
    var query = window.matchMedia("(max-width: " + details.getAttribute("data-collapse-below") + "px)");
    var apply = function () { details.open = !query.matches; };
    apply();
    if (query.addEventListener) { query.addEventListener("change", apply); }
  });

  // Copy buttons: <button data-copy="#input-id" data-copied="Copied">.
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var target = document.querySelector(button.getAttribute("data-copy"));
    if (!target || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(target.value).then(function () {
        var label = button.textContent;
        button.textContent = button.getAttribute("data-copied") || label;
        window.setTimeout(function () { button.textContent = label; }, 2000);
      });
    });
  });
  document.querySelectorAll("input[readonly]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });

  // Stripe checkout (templates/deals/pay.html): mount Stripe's Payment Element and confirm.
  // The outcome reaches the platform through Stripe's signed webhook, not through this page.
  var checkout = document.getElementById("stripe-checkout");
  if (checkout && window.Stripe) {
    var stripe = window.Stripe(checkout.getAttribute("data-publishable-key"),
                               {locale: checkout.getAttribute("data-locale")});
    var elements = stripe.elements({clientSecret: checkout.getAttribute("data-client-secret")});
    elements.create("payment").mount("#stripe-payment-element");
    checkout.addEventListener("submit", function (event) {
      event.preventDefault();
      stripe.confirmPayment({elements: elements,
                             confirmParams: {return_url: checkout.getAttribute("data-return-url")}})
        .then(function (result) {
          if (result.error) {
            document.getElementById("stripe-message").textContent = result.error.message;
          }
        });
    });
  }
  // Pricing guidance on the listing form and the open-licence assistant (templates/_pricing_panel.html):
  // load the result from the statistics floor in place; the panel's link works without this.
  document.querySelectorAll("[data-pricing-fragment]").forEach(function (panel) {
    var target = panel.querySelector("[data-pricing-target]");
    target.textContent = panel.getAttribute("data-loading") || "…";
    fetch(panel.getAttribute("data-pricing-fragment"), {credentials: "same-origin"})
      .then(function (response) { return response.ok || response.status === 422 ? response.text() : ""; })
      .then(function (html) { target.innerHTML = html; })  // our own escaped template, same origin
      .catch(function () { target.textContent = ""; });
  });
  // The fee estimator on the open-licence assistant (templates/_estimator_panel.html): its inputs load in
  // place and belong to <form id="fee-estimator">; estimating replaces them with the result, and "Use these
  // terms" fills the assistant's fee fields (nothing is saved until the patentee submits the form).
  document.querySelectorAll("[data-estimator-fragment]").forEach(function (panel) {
    var target = panel.querySelector("[data-estimator-target]");
    var form = document.querySelector("form[data-estimator-form]");
    function load(url) {
      fetch(url, {credentials: "same-origin"})
        .then(function (response) { return response.ok || response.status === 422 ? response.text() : ""; })
        .then(function (html) { target.innerHTML = html; })  // our own escaped template, same origin
        .catch(function () { target.textContent = ""; });
    }
    load(panel.getAttribute("data-estimator-fragment"));
    if (!form) { return; }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var query = new URLSearchParams(new FormData(form));
      query.set("partial", "1");
      load(form.getAttribute("action") + "?" + query.toString());
    });
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-fill-fee]") : null;
    var fee = document.querySelector("form[data-fee-form]");
    if (!link || !fee) { return; }
    event.preventDefault();
    var values = JSON.parse(link.getAttribute("data-fill-fee"));
    ["lump_yuan", "entry_fee_yuan", "royalty_base", "royalty_base_note", "royalty_rate", "rate_step",
     "min_annual_yuan"].forEach(function (name) {
      if (fee.elements[name]) { fee.elements[name].value = ""; }
    });
    fee.querySelectorAll("input[name=instalment_yuan], input[name=instalment_months]").forEach(function (input) {
      input.value = "";
    });
    if (fee.elements.rate_schedule) { fee.elements.rate_schedule.value = "FIXED"; }
    Object.keys(values).forEach(function (name) {
      if (fee.elements[name]) { fee.elements[name].value = values[name]; }
    });
    fee.elements.mode.dispatchEvent(new Event("change", {bubbles: true}));
    fee.elements.mode.focus();
    fee.elements.mode.scrollIntoView({block: "center"});
  });
})();
